"""Inventory ingest and rematch: the engine over distinct pairs, findings fanned out in SQL.

``ingest`` stores what hosts report (replacing each host's previous rows) and collapses the rows to
distinct (product, version) pairs. ``rematch`` loads the feeds, matches the pairs with the pure
engine (pairmatch.py), evaluates AND / "running on" configurations per host only for hosts that
need it, and then works set-based in SQL: findings by ``INSERT ... SELECT`` over installed rows,
remediation records created, counted, closed (fixed when the finding disappears), reopened and
dated by ``INSERT ... SELECT`` / ``UPDATE`` statements — no per-host loop in Python. Remediation
records keep their ids, owners and notes across re-matches; findings and matches are rebuilt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from kijun.cloud.models import InformationSystem
from kijun.core import audit
from kijun.core.models import OrgUnit, User

from .cpe import parse_cpe
from .inventory import Inventory, load_inventory
from .matcher import CompiledFeed
from .models import (
    OUTCOME_NAME,
    Finding,
    Host,
    Installed,
    Match,
    Remediation,
    RemediationEvent,
    SlaSetting,
    Software,
    TrendPoint,
    Vulnerability,
)
from .osvmatch import OsvIndex
from .pairmatch import match_hosts, match_pairs, vuln_facts, with_pair
from .records import InventoryItem
from .store import Progress, _noop, load_feeds
from .winmap import ProgramMapper

#: Agency SLA defaults (days) per SSVC outcome rank when the vulnerability is not in KEV.
DEFAULT_SLA = {3: 7, 2: 30, 1: 90, 0: 180}
OPEN = (Remediation.Status.OPEN, Remediation.Status.IN_PROGRESS)
MISSION_BY_CLASS = {"A": "high", "B": "medium", "C": "low"}


def today() -> dt.date:
    return timezone.localdate()


def sla_days() -> dict[int, int]:
    days = dict(DEFAULT_SLA)
    days.update(dict(SlaSetting.objects.values_list("outcome", "days")))
    return days


def software_key(it: InventoryItem) -> str:
    ident = "\x1f".join((it.kind, it.name, it.version, it.cpe.to_fs() if it.cpe else "", it.ecosystem or "",
                         it.package or ""))
    return hashlib.sha256(ident.encode()).hexdigest()


def product_of(it: InventoryItem) -> str:
    if it.cpe is not None:
        return f"{it.cpe.vendor}:{it.cpe.product}"
    return f"{it.ecosystem}/{it.package}" if it.ecosystem else it.name


def _item(sid: int, kind: str, name: str, version: str, cpe: str, eco: str, pkg: str,
          host: str | None = None) -> InventoryItem:
    it = InventoryItem("", "", kind, name, version, cpe=parse_cpe(cpe) if cpe else None,
                       ecosystem=eco or None, package=pkg or None)
    return with_pair(it, sid, host)


# ------------------------------------------------------------------ ingest

@dataclass(slots=True)
class IngestResult:
    hosts: int = 0
    created_hosts: int = 0
    items: int = 0
    unmapped: int = 0
    pairs: int = 0
    warnings: list[str] = field(default_factory=list)


def mission_for(system: InformationSystem | None) -> str:
    """SSVC Mission & Well-being from the system class (A high, B medium, C low); medium without one."""
    return MISSION_BY_CLASS.get(system.system_class, "medium") if system is not None else "medium"


def _require_manage(actor: User, unit: OrgUnit | None = None) -> None:
    from kijun.core.permissions import access_for
    from kijun.core.roles import Perm
    from kijun.core.services import PermissionDeniedError

    if not access_for(actor).has(Perm.VULN_MANAGE, unit):
        raise PermissionDeniedError(Perm.VULN_MANAGE.value)


def ingest_inventory(inv: Inventory, *, unit: OrgUnit, system: InformationSystem | None = None,
                     source: str = "", actor: User | None = None, actor_label: str | None = None,
                     request: Any = None) -> IngestResult:
    """Store a parsed inventory for ``unit``: each reported host's rows replace its previous ones.

    With an ``actor`` (web, API) VULN_MANAGE in ``unit`` is required; the CLI and the demo pass none.
    """
    if actor is not None:
        _require_manage(actor, unit)
    res = IngestResult(hosts=len(inv.hosts), items=len(inv.items), unmapped=len(inv.unmapped),
                       warnings=list(inv.warnings))
    now = timezone.now()
    by_key: dict[str, InventoryItem] = {}
    for it in inv.items:
        if it.mapped:
            by_key.setdefault(software_key(it), it)
    with transaction.atomic():
        hosts: dict[str, Host] = {h.name: h for h in Host.objects.filter(org_unit=unit, name__in=list(inv.hosts))}
        os_names = {it.host: f"{it.name} {it.version}".strip() for it in inv.items if it.kind == "os"}
        for name in sorted(inv.hosts):
            h = hosts.get(name)
            if h is None:
                h = hosts[name] = Host(name=name[:255], org_unit=unit)
                res.created_hosts += 1
            if system is not None:
                h.system, h.mission = system, mission_for(system)
            h.os_name = os_names.get(name, h.os_name)[:200]
            h.source, h.inventory_at = source[:200], now
            if h.pk:
                h.version += 1
            h.save()
        Installed.objects.filter(host__in=[h.pk for h in hosts.values()]).delete()
        Software.objects.bulk_create([
            Software(key=k, kind=it.kind[:16], name=it.name[:300], version=it.version[:200], product=product_of(it)[:300],
                     cpe=it.cpe.to_fs() if it.cpe else "", ecosystem=(it.ecosystem or "")[:64],
                     package=(it.package or "")[:300]) for k, it in by_key.items()],
            ignore_conflicts=True, batch_size=1000)
        keys = list(by_key)
        ids: dict[str, int] = {}
        for i in range(0, len(keys), 500):
            ids.update(Software.objects.filter(key__in=keys[i:i + 500]).values_list("key", "id"))
        rows, seen = [], set()
        for it in inv.items:
            sid = ids[software_key(it)] if it.mapped else None
            host = hosts[it.host]
            if sid is not None:
                if (host.pk, sid) in seen:
                    continue
                seen.add((host.pk, sid))
            rows.append(Installed(host=host, software_id=sid, kind=it.kind[:16], name=it.name[:300],
                                  version=it.version[:200], publisher=it.publisher[:300], source=it.source[-200:],
                                  mapping_rule=(it.mapping.rule if it.mapping else "")[:200],
                                  mapping_confidence=it.mapping.confidence if it.mapping else None))
        Installed.objects.bulk_create(rows, batch_size=2000)
        res.pairs = len(ids)
        audit.record("diagnostics.inventory.ingest", "org_unit", unit.pk, unit.code, actor=actor, request=request,
                     actor_label=actor_label, after={"source": source[:200], "hosts": res.hosts,
                                                     "new_hosts": res.created_hosts, "items": res.items,
                                                     "unmapped": res.unmapped, "system": system.code if system else None})
    return res


def ingest_files(paths: Sequence[Path], *, unit: OrgUnit, system: InformationSystem | None = None,
                 mapper: ProgramMapper | None = None, actor: User | None = None, actor_label: str | None = None,
                 request: Any = None, source: str = "") -> IngestResult:
    """Parse inventory files (FeedError on bad input, before anything is written) and store them."""
    inv = load_inventory(paths, mapper)
    return ingest_inventory(inv, unit=unit, system=system, source=source or ", ".join(p.name for p in paths),
                            actor=actor, actor_label=actor_label, request=request)


# ------------------------------------------------------------------ rematch

def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run one set-based statement (INSERT ... SELECT / DELETE) the ORM cannot express."""
    # nosemgrep: kijun-raw-sql -- set-based fan-out; fixed SQL text, table names from model metadata, values bound
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return int(cur.rowcount or 0)


@dataclass(slots=True)
class RematchResult:
    pairs: int = 0
    matches: int = 0
    host_specific: int = 0
    findings: int = 0
    vulnerabilities: int = 0
    suppressed: int = 0
    remediations_opened: int = 0
    remediations_fixed: int = 0
    remediations_reopened: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]


def rematch(*, actor: User | None = None, actor_label: str | None = None, progress: Progress = _noop,
            request: Any = None) -> RematchResult:
    """Match all distinct installed pairs against the stored feeds and rebuild findings in SQL."""
    import time

    if actor is not None:
        _require_manage(actor)

    res = RematchResult()
    t0 = time.perf_counter()
    feeds = load_feeds(progress)
    compiled = CompiledFeed(feeds.nvd)
    osv = OsvIndex(feeds.osv)
    res.timings["load_compile"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    used = Software.objects.filter(Exists(Installed.objects.filter(software=OuterRef("pk"))))
    pairs = [_item(*row) for row in used.values_list("id", "kind", "name", "version", "cpe", "ecosystem", "package")]
    res.pairs = len(pairs)
    progress("match", 0, 1)
    pr = match_pairs(compiled, pairs, osv, feeds.jvn)
    host_hits = []
    if pr.complex_pairs:
        hids = Installed.objects.filter(software_id__in=pr.complex_pairs).values("host_id")
        rows = Installed.objects.filter(host_id__in=hids).exclude(software__cpe="")
        if pr.complex_products is not None:  # only rows of products the AND configurations name
            rows = rows.filter(software__product__in=sorted(pr.complex_products))
        rows = (rows
                .values_list("software_id", "software__kind", "software__name", "software__version", "software__cpe",
                             "software__ecosystem", "software__package", "host_id"))
        items = [_item(sid, k, n, v, c, e, p, str(h)) for sid, k, n, v, c, e, p, h in rows]
        sub = CompiledFeed(compiled.cves[c] for c in sorted(pr.complex_cves))
        host_hits = match_hosts(sub, items, osv)
        res.timings["match_hosts"] = time.perf_counter() - t0
    res.suppressed = pr.suppressed
    res.timings["match"] = time.perf_counter() - t0
    progress("match", 1, 1)

    t0 = time.perf_counter()
    jvn_by_cve: dict[str, list[str]] = {}
    for j in feeds.jvn:
        for c in j.cves:
            jvn_by_cve.setdefault(c, []).append(j.id)
    nvd_by_id = compiled.cves
    facts = {}
    for h in pr.hits:
        if h.vuln_id not in facts:
            facts[h.vuln_id] = vuln_facts(h.vuln_id, h.cve, h.cvss, nvd=nvd_by_id, kev=feeds.kev, epss=feeds.epss,
                                          jvn_by_cve=jvn_by_cve)
    for hh in host_hits:
        if hh.cve not in facts:
            facts[hh.cve] = vuln_facts(hh.cve, hh.cve, None, nvd=nvd_by_id, kev=feeds.kev, epss=feeds.epss,
                                       jvn_by_cve=jvn_by_cve)
    res.vulnerabilities = len(facts)
    with transaction.atomic():
        vid = _upsert_vulns(facts)
        _execute(f"DELETE FROM {_table(Finding)}")  # noqa: S608 - table names from model metadata; values are bound parameters
        _execute(f"DELETE FROM {_table(Match)}")  # noqa: S608 - table names from model metadata; values are bound parameters
        Match.objects.bulk_create(
            [Match(software_id=h.pair, vuln_id=vid[h.vuln_id], sources=",".join(h.sources), reason=h.reason,
                   notes=h.notes) for h in pr.hits], batch_size=2000)
        res.matches = len(pr.hits)
        res.timings["store_matches"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        res.findings = _fan_out()
        res.timings["fan_out"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        res.host_specific = _host_specific(host_hits, vid)
        res.findings += res.host_specific
        res.timings["host_specific"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        _sync_remediations(res)
        record_trend()
        res.timings["remediation"] = time.perf_counter() - t0
        audit.record("diagnostics.rematch", "vuln_findings", "", "rematch", actor=actor, actor_label=actor_label,
                     request=request, after={k: v for k, v in res.as_dict().items() if k != "timings"})
    return res


VULN_FIELDS = ("cve_id", "summary", "cvss_score", "cvss_vector", "severity", "kev", "kev_due", "kev_added",
               "ransomware", "epss", "epss_percentile", "exploitation", "automatable", "technical_impact", "basis",
               "outcome_low", "outcome_medium", "outcome_high", "jvn_ids")


def _vuln_values(f: Any) -> tuple[Any, ...]:
    c, k, e = f.cvss, f.kev, f.epss
    return ((f.cve or "")[:32], f.summary, c.score if c else None, (c.vector if c else "")[:200],
            (c.severity if c else "")[:16], k is not None, _d(k.due_date) if k else None,
            _d(k.date_added) if k else None, (k.ransomware if k else "")[:16], e.epss if e else None,
            e.percentile if e else None, f.exploitation, f.automatable, f.technical_impact, list(f.basis),
            f.outcomes["low"], f.outcomes["medium"], f.outcomes["high"], list(f.jvn_ids))


def _upsert_vulns(facts: dict[str, Any]) -> dict[str, int]:
    """Insert new vulnerabilities; update only those whose facts changed (KEV listing, EPSS, CVSS...)."""
    existing = {row[0]: row[1:] for row in Vulnerability.objects.values_list("vuln_id", "id", *VULN_FIELDS)}
    new, changed = [], []
    for f in facts.values():
        values = _vuln_values(f)
        old = existing.get(f.vuln_id[:100])
        if old is None:
            new.append(Vulnerability(vuln_id=f.vuln_id[:100], **dict(zip(VULN_FIELDS, values, strict=True))))
        elif tuple(old[1:]) != values:
            changed.append(Vulnerability(id=old[0], vuln_id=f.vuln_id[:100], **dict(zip(VULN_FIELDS, values, strict=True))))
    Vulnerability.objects.bulk_create(new, batch_size=1000)
    if changed:
        Vulnerability.objects.bulk_update(changed, list(VULN_FIELDS), batch_size=200)
    ids = {k: v[0] for k, v in existing.items()}
    if new:
        ids.update(Vulnerability.objects.filter(id__gt=max(ids.values(), default=0)).values_list("vuln_id", "id"))
    return ids


def _d(s: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(s[:10]) if s else None
    except ValueError:
        return None


_OUTCOME_SQL = ("CASE h.mission WHEN 'high' THEN v.outcome_high WHEN 'low' THEN v.outcome_low "
                "ELSE v.outcome_medium END")


def _fan_out() -> int:
    """Findings for every host that has a matched pair: one INSERT ... SELECT."""
    return _execute(
        f"INSERT INTO {_table(Finding)} (host_id, software_id, vuln_id, match_id, org_unit_id, system_id, outcome, running_on) "  # noqa: S608 - table names from model metadata; values are bound parameters
        f"SELECT i.host_id, m.software_id, m.vuln_id, m.id, h.org_unit_id, h.system_id, {_OUTCOME_SQL}, NULL "
        f"FROM {_table(Installed)} i JOIN {_table(Match)} m ON m.software_id = i.software_id AND m.host_specific = %s "
        f"JOIN {_table(Host)} h ON h.id = i.host_id JOIN {_table(Vulnerability)} v ON v.id = m.vuln_id",
        [False])


def _host_specific(host_hits: Sequence[Any], vid: dict[str, int]) -> int:
    """AND / running-on findings, written per host (rare: only hosts that have the platform)."""
    if not host_hits:
        return 0
    matches: dict[tuple[int, str], Match] = {}
    for hh in host_hits:
        if (hh.pair, hh.cve) not in matches:
            matches[(hh.pair, hh.cve)] = Match(software_id=hh.pair, vuln_id=vid[hh.cve], sources="nvd",
                                               reason={"nvd": hh.reason}, notes=list(hh.notes), host_specific=True)
    Match.objects.bulk_create(list(matches.values()), batch_size=1000)
    hosts = {h.pk: h for h in Host.objects.filter(pk__in={int(hh.host) for hh in host_hits})}
    vulns = {v.pk: v for v in Vulnerability.objects.filter(pk__in=[m.vuln_id for m in matches.values()])}
    rows = []
    for hh in host_hits:
        m, h = matches[(hh.pair, hh.cve)], hosts[int(hh.host)]
        v = vulns[m.vuln_id]
        outcome = {"high": v.outcome_high, "low": v.outcome_low}.get(h.mission, v.outcome_medium)
        rows.append(Finding(host=h, software_id=hh.pair, vuln_id=m.vuln_id, match=m, org_unit_id=h.org_unit_id,
                            system_id=h.system_id, outcome=outcome, running_on=list(hh.running_on)))
    Finding.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def _event_rows(ids: Sequence[int], action: str, changes: dict[str, Any], now: dt.datetime) -> None:
    RemediationEvent.objects.bulk_create(
        [RemediationEvent(remediation_id=i, at=now, actor="matcher", action=action, changes=changes) for i in ids],
        batch_size=2000)


def _sync_remediations(res: RematchResult) -> None:
    """Create, count, close, reopen and date remediation records from the new findings (set-based)."""
    now = timezone.now()
    rem, fnd, sysm = _table(Remediation), _table(Finding), _table(InformationSystem)
    cols = ("vuln_id, system_id, host_id, org_unit_id, owner_id, status, outcome, findings, due_basis, evidence, "
            "opened_at, version")
    res.remediations_opened = _execute(
        f"INSERT INTO {rem} ({cols}) SELECT f.vuln_id, f.system_id, NULL, s.org_unit_id, s.owner_id, %s, "  # noqa: S608 - table names from model metadata; values are bound parameters
        f"MAX(f.outcome), COUNT(*), '', '', %s, 1 FROM {fnd} f JOIN {sysm} s ON s.id = f.system_id "
        f"WHERE NOT EXISTS (SELECT 1 FROM {rem} r WHERE r.system_id = f.system_id AND r.vuln_id = f.vuln_id) "
        f"GROUP BY f.vuln_id, f.system_id, s.org_unit_id, s.owner_id", ["open", now])
    res.remediations_opened += _execute(
        f"INSERT INTO {rem} ({cols}) SELECT f.vuln_id, NULL, f.host_id, f.org_unit_id, NULL, %s, "  # noqa: S608 - table names from model metadata; values are bound parameters
        f"MAX(f.outcome), COUNT(*), '', '', %s, 1 FROM {fnd} f WHERE f.system_id IS NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {rem} r WHERE r.system_id IS NULL AND r.host_id = f.host_id "
        f"AND r.vuln_id = f.vuln_id) GROUP BY f.vuln_id, f.host_id, f.org_unit_id", ["open", now])
    for scope in ("system", "host"):
        qs = Finding.objects.filter(vuln=OuterRef("vuln"), **{scope: OuterRef(scope)})
        if scope == "host":
            qs = qs.filter(system__isnull=True)
        grouped = qs.values("vuln").annotate(n=Count("id"), top=Max("outcome"))
        Remediation.objects.filter(**{f"{scope}__isnull": False}).filter(
            **({} if scope == "system" else {"system__isnull": True})).update(
            findings=Coalesce(Subquery(grouped.values("n")[:1]), 0),
            outcome=Coalesce(Subquery(grouped.values("top")[:1]), F("outcome")))
    fixed = list(Remediation.objects.filter(status__in=OPEN, findings=0).values_list("id", flat=True))
    Remediation.objects.filter(id__in=fixed).update(status=Remediation.Status.FIXED, closed_at=now,
                                                    version=F("version") + 1)
    _event_rows(fixed, "fixed", {"status": "fixed"}, now)
    reopen_q = Q(status=Remediation.Status.FIXED, findings__gt=0) | Q(
        status=Remediation.Status.RISK_ACCEPTED, findings__gt=0, exception_expires__lt=today())
    reopened = list(Remediation.objects.filter(reopen_q).values_list("id", flat=True))
    Remediation.objects.filter(id__in=reopened).update(status=Remediation.Status.OPEN, closed_at=None,
                                                       version=F("version") + 1)
    _event_rows(reopened, "reopened", {"status": "open"}, now)
    res.remediations_fixed, res.remediations_reopened = len(fixed), len(reopened)
    kev_due = Vulnerability.objects.filter(pk=OuterRef("vuln_id")).values("kev_due")[:1]
    Remediation.objects.filter(due_on__isnull=True, vuln__kev=True, vuln__kev_due__isnull=False).update(
        due_on=Subquery(kev_due), due_basis="kev")
    Remediation.objects.filter(due_basis="sla", vuln__kev=True, vuln__kev_due__lt=F("due_on")).update(
        due_on=Subquery(kev_due), due_basis="kev")
    for rank, days in sla_days().items():
        Remediation.objects.filter(due_on__isnull=True, outcome=rank).update(
            due_on=today() + dt.timedelta(days=days), due_basis="sla")


def record_trend(day: dt.date | None = None) -> None:
    """Today's open remediation counts per unit and outcome (and overdue), for the trend chart."""
    day = day or today()
    rows = (Remediation.objects.filter(status__in=OPEN).values("org_unit", "outcome")
            .annotate(n=Count("id"), late=Count("id", filter=Q(due_on__lt=day))))
    per: dict[int, dict[str, int]] = {}
    for r in rows:
        d = per.setdefault(r["org_unit"], {"track": 0, "track_star": 0, "attend": 0, "act": 0, "overdue": 0})
        d[("track", "track_star", "attend", "act")[r["outcome"]]] += r["n"]
        d["overdue"] += r["late"]
    TrendPoint.objects.filter(day=day).exclude(org_unit__in=list(per)).delete()
    for unit, d in per.items():
        TrendPoint.objects.update_or_create(day=day, org_unit_id=unit, defaults=d)



# ------------------------------------------------------------------ remediation edits

class RemediationError(ValueError):
    """A requested change breaks a rule (e.g. an exception without an expiry date)."""


REMEDIATION_FIELDS = ("status", "owner", "due_on", "due_basis", "exception_expires", "evidence")


def update_remediation(actor: User, rem: Remediation, *, status: str, owner: User | None, due_on: dt.date | None,
                       exception_expires: dt.date | None, note: str = "", expected_version: int | None = None,
                       request: Any = None) -> Remediation:
    """Change status / owner / due date / exception; the note is appended to the evidence.

    Risk acceptance needs a future expiry date and a note (the exception's reason); a false
    positive needs a note. Raises PermissionDeniedError, ConflictError or RemediationError.
    """
    from kijun.core.permissions import access_for
    from kijun.core.roles import Perm
    from kijun.core.services import ConflictError, PermissionDeniedError

    note = note.strip()
    if status not in Remediation.Status.values:
        raise RemediationError(f"unknown status {status!r}")
    if status == Remediation.Status.RISK_ACCEPTED:
        if exception_expires is None or exception_expires <= today():
            raise RemediationError("a risk acceptance (exception) needs an expiry date in the future")
        if not note:
            raise RemediationError("give the reason for the exception in the note")
    if status == Remediation.Status.FALSE_POSITIVE and not note:
        raise RemediationError("explain in the note why the finding is a false positive")
    with transaction.atomic():
        current = Remediation.objects.select_for_update().get(pk=rem.pk)
        if not access_for(actor).has(Perm.VULN_REMEDIATE, current.org_unit):
            raise PermissionDeniedError(Perm.VULN_REMEDIATE.value)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError("remediation")
        before = audit.snapshot(current, REMEDIATION_FIELDS)
        if due_on != current.due_on:
            current.due_basis = "manual"
        current.status, current.owner, current.due_on = status, owner, due_on
        current.exception_expires = exception_expires if status == Remediation.Status.RISK_ACCEPTED else None
        closed = status in (Remediation.Status.FIXED, Remediation.Status.RISK_ACCEPTED,
                            Remediation.Status.FALSE_POSITIVE)
        current.closed_at = (current.closed_at or timezone.now()) if closed else None
        if note:
            stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
            current.evidence = (current.evidence + "\n" if current.evidence else "") + f"[{stamp} {actor.username}] {note}"
        current.version += 1
        current.save()
        after = audit.snapshot(current, REMEDIATION_FIELDS)
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v and k != "evidence"}
        RemediationEvent.objects.create(remediation=current, at=timezone.now(), actor=actor.username[:150],
                                        action="edit", changes=changes, note=note[:4000])
        audit.record("diagnostics.remediation.update", "vuln_remediation", current.pk, str(current), actor=actor,
                     request=request, before=before, after=after)
    rem.refresh_from_db()
    return rem


def save_sla(actor: User, days: dict[int, int], *, request: Any = None) -> None:
    """Set the agency SLA (days per outcome); applies to records dated from now on."""
    from kijun.core.permissions import access_for
    from kijun.core.roles import Perm
    from kijun.core.services import PermissionDeniedError

    if not access_for(actor).has(Perm.VULN_MANAGE):
        raise PermissionDeniedError(Perm.VULN_MANAGE.value)
    with transaction.atomic():
        before = {OUTCOME_NAME[k]: v for k, v in sla_days().items()}
        for rank, n in days.items():
            SlaSetting.objects.update_or_create(outcome=rank, defaults={"days": n})
        audit.record("diagnostics.sla.update", "vuln_sla", "", "SLA", actor=actor, request=request, before=before,
                     after={OUTCOME_NAME[k]: v for k, v in sla_days().items()})


__all__ = ["DEFAULT_SLA", "OUTCOME_NAME", "IngestResult", "RematchResult", "ingest_files", "ingest_inventory",
           "RemediationError", "mission_for", "rematch", "record_trend", "save_sla", "sla_days", "software_key", "today",
           "update_remediation"]
