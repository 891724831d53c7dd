"""Pure orchestration: inventory + feeds → prioritised findings, summary and coverage gaps.

No I/O and no clock: callers (CLI, web, sync jobs) load the inputs and pass ``generated_at``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping as TMapping
from dataclasses import dataclass, field

from .cpe import ANY, NA
from .epss import EpssFeed
from .inventory import Inventory
from .matcher import CompiledFeed, InventoryIndex, match_nvd
from .osvmatch import OsvIndex, match_jvn_only
from .prioritise import OUTCOME_RANK, Decision, Outcome, decide, priority_key
from .records import CveRecord, Cvss, EpssScore, InventoryItem, JvnRecord, KevEntry, OsvRecord, SsvcOptions


@dataclass(frozen=True, slots=True)
class Finding:
    host: str
    vuln_id: str
    cve: str | None
    sources: tuple[str, ...]  # nvd | osv | jvn
    item: InventoryItem
    reason: dict[str, object]
    decision: Decision
    cvss: Cvss | None
    kev: KevEntry | None
    epss: EpssScore | None
    jvn_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Suppressed:
    host: str
    cve: str
    item: InventoryItem
    reason: str


@dataclass(slots=True)
class Result:
    findings: list[Finding]
    suppressed: list[Suppressed]
    inventory: Inventory
    distinct_targets: int
    feed_counts: dict[str, int]
    generated_at: str | None
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        by_outcome = Counter(f.decision.outcome.value for f in self.findings)
        return {
            "hosts": len(self.inventory.hosts),
            "inventory_items": len(self.inventory.items),
            "distinct_targets": self.distinct_targets,
            "findings": len(self.findings),
            "distinct_cves": len({f.vuln_id for f in self.findings}),
            "by_outcome": {o.value: by_outcome.get(o.value, 0) for o in Outcome},
            "by_source": dict(Counter(s for f in self.findings for s in f.sources)),
            "kev_findings": sum(1 for f in self.findings if f.kev is not None),
            "suppressed": len(self.suppressed),
            "unmapped": len(self.inventory.unmapped),
            "feeds": self.feed_counts,
        }


@dataclass(slots=True)
class Feeds:
    nvd: list[CveRecord] = field(default_factory=list)
    kev: dict[str, KevEntry] = field(default_factory=dict)
    epss: EpssFeed | None = None
    jvn: list[JvnRecord] = field(default_factory=list)
    osv: list[OsvRecord] = field(default_factory=list)
    adp: dict[str, SsvcOptions] = field(default_factory=dict)


def run(inventory: Inventory, feeds: Feeds, *, mission: TMapping[str, str] | None = None,
        default_mission: str = "medium", generated_at: str | None = None,
        compiled: CompiledFeed | None = None) -> Result:
    """Match everything and prioritise. ``mission`` maps host → Mission & Well-being."""
    feed = compiled or CompiledFeed(feeds.nvd)
    inv_index = InventoryIndex(inventory.items)
    osv_index = OsvIndex(feeds.osv)
    epss = feeds.epss.scores if feeds.epss else {}
    jvn_by_cve: dict[str, list[str]] = defaultdict(list)
    for j in feeds.jvn:
        for c in j.cves:
            jvn_by_cve[c].append(j.id)
    mission = mission or {}

    merged: dict[tuple[str, str, str, str], Finding] = {}
    suppressed: list[Suppressed] = []

    def add(host: str, vid: str, cve: str | None, source: str, item: InventoryItem,
            reason: dict[str, object], cvss: Cvss | None, notes: tuple[str, ...] = ()) -> None:
        key = (host, vid, item.name, item.version)
        old = merged.get(key)
        if old is not None:
            if source not in old.sources:
                merged[key] = Finding(old.host, old.vuln_id, old.cve, (*old.sources, source), old.item,
                                      old.reason | {source: reason}, old.decision, old.cvss or cvss,
                                      old.kev, old.epss, old.jvn_ids, old.notes + notes)
            return
        kev = feeds.kev.get(cve) if cve else None
        adp = feeds.adp.get(cve) if cve else None
        decision = decide(cvss, kev, adp, mission.get(host, default_mission))
        merged[key] = Finding(host, vid, cve, (source,), item, {source: reason}, decision, cvss, kev,
                              epss.get(cve) if cve else None, tuple(jvn_by_cve.get(cve or "", ())), notes)

    # NVD (CPE configurations)
    for m in match_nvd(feed, inv_index):
        rec = feed.cves[m.cve]
        hosts = m.hosts if m.hosts is not None else inv_index.hosts[m.target]
        for it in inv_index.items[m.target]:
            if it.host not in hosts:
                continue
            notes: tuple[str, ...] = ()
            if it.kind in ("deb", "rpm"):
                verdict = osv_index.verdict(it, m.cve)
                if verdict is False:
                    suppressed.append(Suppressed(it.host, m.cve, it, "distribution advisory (OSV) says fixed"))
                    continue
                if verdict is None:
                    notes = ("upstream version matched; distribution backports not checked",)
            reason: dict[str, object] = {
                "criterion": m.criterion.criteria, "match_criteria_id": m.criterion.match_id,
                "range": m.criterion.range_text() or None, "configuration": m.config_index,
                "target_cpe": it.cpe.to_fs() if it.cpe else None,
            }
            if m.platform:
                reason["running_on"] = list(m.platform)
            if it.mapping is not None:
                reason["mapping"] = {"rule": it.mapping.rule, "confidence": it.mapping.confidence}
            add(it.host, m.cve, m.cve, "nvd", it, reason, rec.cvss, notes)

    # OSV (ecosystem packages), deduplicated on (ecosystem, package, version)
    seen_osv: dict[tuple[str, str, str], list[tuple[str, str | None, str]]] = {}
    for it in inventory.items:
        if it.ecosystem is None or it.package is None:
            continue
        k = (it.ecosystem, it.package, it.version)
        res = seen_osv.get(k)
        if res is None:
            res = seen_osv[k] = [(mm.record.id, (mm.record.cves or (None,))[0], mm.reason) for mm in osv_index.match(it)]
        for oid, cve, why in res:
            vid = cve or oid
            cvss = feed.cves[cve].cvss if cve and cve in feed.cves else None
            add(it.host, vid, cve, "osv", it, {"advisory": oid, "range": why, "ecosystem": it.ecosystem,
                                               "package": it.package}, cvss)

    # JVN-only domestic products
    covered = {c for c, r in feed.cves.items() if r.configurations}
    for jm in match_jvn_only(feeds.jvn, inventory.items, covered):
        cve = jm.record.cves[0] if jm.record.cves else None
        add(jm.item.host, cve or jm.record.id, cve, "jvn", jm.item,
            {"jvn": jm.record.id, "version_text": jm.affected.version_text, "range": jm.range.text()},
            jm.record.cvss)

    findings = sorted(merged.values(), key=lambda f: (*priority_key(f.decision, f.epss, f.cvss), f.host, f.vuln_id))
    counts = {"nvd_cves": len(feeds.nvd), "nvd_criteria": feed.n_criteria, "kev": len(feeds.kev),
              "epss": len(epss), "jvn": len(feeds.jvn), "osv": len(feeds.osv),
              "jvn_unparsed_items": sum(1 for j in feeds.jvn for a in j.affected if a.version_text and not a.parsed)}
    return Result(findings, suppressed, inventory, len(inv_index.targets), counts, generated_at,
                  list(inventory.warnings))


def _cpe_product(item: InventoryItem) -> str:
    if item.cpe is not None:
        return f"{item.cpe.vendor}:{item.cpe.product}"
    if item.ecosystem:
        return f"{item.ecosystem}/{item.package}"
    return item.name


def finding_json(f: Finding) -> dict[str, object]:
    it = f.item
    version = it.version
    if it.cpe is not None and not version and it.cpe.version not in (ANY, NA):
        version = it.cpe.version
    return {
        "host": f.host,
        "vuln_id": f.vuln_id,
        "cve": f.cve,
        "sources": list(f.sources),
        "product": _cpe_product(it),
        "name": it.name,
        "version": version,
        "kind": it.kind,
        "reason": f.reason,
        "ssvc": {"outcome": f.decision.outcome.value, "exploitation": f.decision.exploitation,
                 "automatable": f.decision.automatable, "technical_impact": f.decision.technical_impact,
                 "mission_wellbeing": f.decision.mission_wellbeing, "basis": list(f.decision.basis),
                 "vector": f.decision.vector()},
        "cvss": None if f.cvss is None else {"version": f.cvss.version, "score": f.cvss.score,
                                             "vector": f.cvss.vector, "severity": f.cvss.severity},
        "kev": None if f.kev is None else {"date_added": f.kev.date_added, "due_date": f.kev.due_date,
                                           "ransomware": f.kev.ransomware, "name": f.kev.name},
        "epss": None if f.epss is None else {"score": f.epss.epss, "percentile": f.epss.percentile},
        "jvn": list(f.jvn_ids),
        "notes": list(f.notes),
    }


def unmapped_json(inv: Inventory) -> list[dict[str, object]]:
    """Unmapped software grouped by (name, publisher, kind), with host count and versions."""
    groups: dict[tuple[str, str, str], tuple[set[str], set[str]]] = {}
    for it in inv.unmapped:
        hosts, versions = groups.setdefault((it.name, it.publisher, it.kind), (set(), set()))
        hosts.add(it.host)
        versions.add(it.version)
    return [
        {"name": n, "publisher": p, "kind": k, "hosts": len(h), "versions": sorted(v)}
        for (n, p, k), (h, v) in sorted(groups.items(), key=lambda kv: (-len(kv[1][0]), kv[0]))
    ]


def result_json(res: Result) -> dict[str, object]:
    return {
        "schema": "kijun.vuln.match/1",
        "generated_at": res.generated_at,
        "summary": res.summary(),
        "findings": [finding_json(f) for f in res.findings],
        "suppressed": [{"host": s.host, "cve": s.cve, "name": s.item.name, "version": s.item.version,
                        "reason": s.reason} for s in res.suppressed],
        "unmapped": unmapped_json(res.inventory),
        "warnings": res.warnings,
    }


__all__ = ["OUTCOME_RANK", "Feeds", "Finding", "Result", "finding_json", "result_json", "run", "unmapped_json"]
