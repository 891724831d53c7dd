"""Matching for the database layer: distinct (product, version) pairs first, hosts only where needed.

The database keeps millions of host rows but far fewer distinct pairs. :func:`match_pairs` matches
each pair once (NVD plain-OR configurations, OSV, JVN-only) and the caller fans the results out to
hosts in SQL. NVD configurations with AND nodes, negation or "running on" platforms hold only on a
host that also has the platform, so they cannot be decided per pair: :func:`match_pairs` reports
which pairs and CVEs such configurations touch, the caller loads those hosts' rows, and
:func:`match_hosts` evaluates them per host with the same compiled feed logic as the CLI.

Pure: no Django, no I/O. Items carry their pair id in ``extra`` (``("pair", "<id>")``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from .matcher import CompiledFeed, InventoryIndex, NvdMatch, criterion_hits, match_nvd
from .osvmatch import OsvIndex, match_jvn_only
from .prioritise import OUTCOME_RANK, decide
from .records import CveRecord, Cvss, EpssScore, InventoryItem, JvnRecord, KevEntry, SsvcOptions

BACKPORT_NOTE = "upstream version matched; distribution backports not checked"


def with_pair(item: InventoryItem, pair: int, host: str | None = None) -> InventoryItem:
    """The item tagged with its pair id (and, for per-host matching, the host key)."""
    return replace(item, host=host if host is not None else f"p{pair}", extra=(("pair", str(pair)),))


def pair_of(item: InventoryItem) -> int:
    return int(dict(item.extra)["pair"])


@dataclass(slots=True)
class PairHit:
    """One pair is affected by one vulnerability; ``reason`` is keyed by source (nvd/osv/jvn)."""

    pair: int
    vuln_id: str
    cve: str | None
    sources: list[str]
    reason: dict[str, object]
    notes: list[str] = field(default_factory=list)
    cvss: Cvss | None = None


@dataclass(frozen=True, slots=True)
class HostHit:
    """An AND / "running on" configuration holds on ``host`` for ``pair``."""

    host: str
    pair: int
    cve: str
    reason: dict[str, object]
    running_on: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(slots=True)
class PairResult:
    hits: list[PairHit]
    suppressed: int
    complex_pairs: set[int]  # pairs hit by a vulnerable criterion of an AND / running-on configuration
    complex_cves: set[str]
    #: "vendor:product" of every criterion in those configurations — the only rows per-host matching
    #: needs; None when a criterion has a wildcard vendor/product (then every row is needed)
    complex_products: set[str] | None = None


def _nvd_reason(m: NvdMatch, it: InventoryItem) -> dict[str, object]:
    reason: dict[str, object] = {
        "criterion": m.criterion.criteria, "match_criteria_id": m.criterion.match_id,
        "range": m.criterion.range_text() or None, "configuration": m.config_index,
        "target_cpe": it.cpe.to_fs() if it.cpe else None,
    }
    if it.mapping is not None:
        reason["mapping"] = {"rule": it.mapping.rule, "confidence": it.mapping.confidence}
    return reason


def _verdict(osv: OsvIndex, it: InventoryItem, cve: str) -> tuple[bool, tuple[str, ...]]:
    """(suppressed, notes) for an NVD match of a distribution package (see engine.run)."""
    if it.kind not in ("deb", "rpm"):
        return False, ()
    v = osv.verdict(it, cve)
    if v is False:
        return True, ()
    return False, ((BACKPORT_NOTE,) if v is None else ())


def match_pairs(feed: CompiledFeed, pairs: Iterable[InventoryItem], osv: OsvIndex,
                jvn: Sequence[JvnRecord] = ()) -> PairResult:
    """Match distinct pairs (items made by :func:`with_pair`) against all feeds."""
    items = list(pairs)
    inv = InventoryIndex(items)
    merged: dict[tuple[int, str], PairHit] = {}
    suppressed = 0

    def add(pair: int, vid: str, cve: str | None, source: str, reason: dict[str, object],
            cvss: Cvss | None, notes: tuple[str, ...] = ()) -> None:
        hit = merged.get((pair, vid))
        if hit is None:
            merged[(pair, vid)] = PairHit(pair, vid, cve, [source], {source: reason}, list(notes), cvss)
        elif source not in hit.sources:
            hit.sources.append(source)
            hit.reason[source] = reason
            hit.notes.extend(n for n in notes if n not in hit.notes)
            hit.cvss = hit.cvss or cvss

    hits = criterion_hits(feed, inv)
    wild = set(feed.wild)
    complex_pairs: set[int] = set()
    complex_cves: set[str] = set()
    seen: set[tuple[int, str, int]] = set()
    for cid, tids in hits.items():
        crit = feed.crits[cid]
        for cfg_id, ni in crit.uses:
            cfg = feed.configs[cfg_id]
            if not cfg.simple:
                node_negated = cfg.nodes[ni][1]
                if crit.match.vulnerable and not node_negated:
                    complex_cves.add(cfg.cve)
                    complex_pairs.update(pair_of(it) for t in tids for it in inv.items[t])
                continue
            for t in tids:
                if (t, cfg.cve, cfg.index) in seen:
                    continue
                seen.add((t, cfg.cve, cfg.index))
                m = NvdMatch(t, cfg.cve, cfg.index, crit.match)
                rec = feed.cves[cfg.cve]
                for it in inv.items[t]:
                    sup, notes = _verdict(osv, it, cfg.cve)
                    if sup:
                        suppressed += 1
                        continue
                    add(pair_of(it), cfg.cve, cfg.cve, "nvd", _nvd_reason(m, it), rec.cvss, notes)

    seen_osv: set[tuple[str, str, str, int]] = set()
    for it in items:
        if it.ecosystem is None or it.package is None:
            continue
        pid = pair_of(it)
        if (it.ecosystem, it.package, it.version, pid) in seen_osv:
            continue
        seen_osv.add((it.ecosystem, it.package, it.version, pid))
        for mm in osv.match(it):
            cve = (mm.record.cves or (None,))[0]
            cvss = feed.cves[cve].cvss if cve and cve in feed.cves else None
            add(pid, cve or mm.record.id, cve, "osv", {"advisory": mm.record.id, "range": mm.reason,
                                                       "ecosystem": it.ecosystem, "package": it.package}, cvss)

    covered = {c for c, r in feed.cves.items() if r.configurations}
    for jm in match_jvn_only(jvn, items, covered):
        cve = jm.record.cves[0] if jm.record.cves else None
        add(pair_of(jm.item), cve or jm.record.id, cve, "jvn",
            {"jvn": jm.record.id, "version_text": jm.affected.version_text, "range": jm.range.text()},
            jm.record.cvss)
    products: set[str] | None = set()
    for cfg in feed.configs:
        if cfg.cve not in complex_cves or cfg.simple:
            continue
        for _op, _neg, ids, _vulns in cfg.nodes:
            for cid in ids:
                if cid in wild:
                    products = None
                    break
                c = feed.crits[cid].match.cpe
                if products is not None:
                    products.add(f"{c.vendor}:{c.product}")
    return PairResult(list(merged.values()), suppressed, complex_pairs, complex_cves, products)


def match_hosts(feed: CompiledFeed, host_items: Iterable[InventoryItem], osv: OsvIndex) -> list[HostHit]:
    """Per-host evaluation of AND / "running on" configurations.

    ``host_items`` are every CPE-bearing row of the candidate hosts (item.host = host key, pair in
    ``extra``); ``feed`` should hold the CVEs :func:`match_pairs` reported in ``complex_cves``.
    Plain-OR results are skipped here: the pair-level match already covers them.
    """
    inv = InventoryIndex(host_items)
    out: list[HostHit] = []
    for m in match_nvd(feed, inv):
        if m.hosts is None:
            continue
        for it in inv.items[m.target]:
            if it.host not in m.hosts:
                continue
            sup, notes = _verdict(osv, it, m.cve)
            if not sup:
                out.append(HostHit(it.host, pair_of(it), m.cve, _nvd_reason(m, it), m.platform, notes))
    return out


@dataclass(frozen=True, slots=True)
class VulnFacts:
    """What the database stores per vulnerability: facts and the outcome for each mission level."""

    vuln_id: str
    cve: str | None
    summary: str
    cvss: Cvss | None
    kev: KevEntry | None
    epss: EpssScore | None
    exploitation: str
    automatable: str
    technical_impact: str
    basis: tuple[str, ...]
    outcomes: Mapping[str, int]  # low/medium/high → rank (0 Track … 3 Act)
    jvn_ids: tuple[str, ...]


def vuln_facts(vuln_id: str, cve: str | None, cvss: Cvss | None, *, nvd: Mapping[str, CveRecord],
               kev: Mapping[str, KevEntry], epss: Mapping[str, EpssScore],
               adp: Mapping[str, SsvcOptions] | None = None,
               jvn_by_cve: Mapping[str, Sequence[str]] | None = None, summary: str = "") -> VulnFacts:
    rec = nvd.get(cve) if cve else None
    cvss = cvss or (rec.cvss if rec else None)
    k = kev.get(cve) if cve else None
    a = (adp or {}).get(cve) if cve else None
    decisions = {m: decide(cvss, k, a, m) for m in ("low", "medium", "high")}
    d = decisions["medium"]
    return VulnFacts(
        vuln_id, cve, (rec.description if rec else summary)[:2000], cvss, k, epss.get(cve) if cve else None,
        d.exploitation, d.automatable, d.technical_impact, d.basis,
        {m: OUTCOME_RANK[dec.outcome] for m, dec in decisions.items()},
        tuple((jvn_by_cve or {}).get(cve or "", ())))


__all__ = ["BACKPORT_NOTE", "HostHit", "PairHit", "PairResult", "VulnFacts", "match_hosts", "match_pairs",
           "pair_of", "vuln_facts", "with_pair"]
