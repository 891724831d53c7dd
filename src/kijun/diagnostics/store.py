"""Feed intelligence in the database: incremental sync in, engine records out.

``sync_feeds`` parses the given files with the pure parsers (before any write, so a bad file
changes nothing), then in one transaction inserts new records, updates those whose content hash
changed and leaves the rest alone, and reports added/changed/unchanged (and removed, for the KEV
catalogue, which is always published whole). ``load_feeds`` rebuilds the engine's records from
the database for matching.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from kijun.core import audit
from kijun.core.models import User

from ._io import paused_gc
from .epss import EpssFeed, load_epss
from .jvn import load_jvn
from .kev import load_kev
from .models import EpssEntry, JvnAdvisory, KevListing, NvdCve, OsvAdvisory, SyncRun
from .nvd import parse_cve
from .osv import parse_osv
from .records import CveRecord, EpssScore, JvnRecord, KevEntry, OsvRecord
from .serial import RawCve, count_criteria, jvn_from_json, jvn_to_json, load_nvd_raw, load_osv_raw

Progress = Callable[[str, int, int], None]  # (step, done, total)
BATCH = 1000


def _noop(step: str, done: int, total: int) -> None:
    return None


def _date(s: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(s[:10]) if s else None
    except ValueError:
        return None


@dataclass(slots=True)
class Counts:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"added": self.added, "changed": self.changed, "unchanged": self.unchanged, "removed": self.removed}


@dataclass(slots=True)
class Parsed:
    """Everything read from the files, before anything is written."""

    nvd: list[RawCve] = field(default_factory=list)
    kev: dict[str, KevEntry] | None = None
    epss: EpssFeed | None = None
    jvn: list[JvnRecord] = field(default_factory=list)
    osv: list[tuple[dict[str, Any], OsvRecord]] = field(default_factory=list)


def parse_files(*, nvd: Sequence[Path] = (), kev: Path | None = None, epss: Path | None = None,
                jvn: Sequence[Path] = (), osv: Sequence[Path] = ()) -> Parsed:
    """Parse feed files (raises FeedError naming the file on bad input)."""
    return Parsed(nvd=load_nvd_raw(nvd) if nvd else [], kev=load_kev(kev) if kev else None,
                  epss=load_epss(epss) if epss else None, jvn=load_jvn(jvn) if jvn else [],
                  osv=load_osv_raw(osv) if osv else [])


def _nvd_fields(r: RawCve, now: dt.datetime) -> dict[str, Any]:
    rec, raw = r.parse(), r.raw
    c = rec.cvss
    return {"published": rec.published or "", "modified": rec.modified or "", "status": rec.status or "",
            "description": rec.description[:4000], "cvss_version": c.version if c else "",
            "cvss_score": c.score if c else None, "cvss_vector": (c.vector if c else "")[:200],
            "severity": (c.severity if c else "")[:16], "criteria": count_criteria(raw), "data": raw,
            "content_hash": rec.content_hash, "synced_at": now}


def _upsert(model: Any, key: str, rows: Iterable[tuple[str, str, Callable[[], dict[str, Any]]]], counts: Counts,
            progress: Progress, step: str, total: int) -> list[str]:
    """Insert new keys, update keys whose hash changed; returns the keys that were added or changed.

    ``rows`` give (key, content hash, fields()): fields are built (and records parsed) only for new
    or changed keys.
    """
    known = dict(model.objects.values_list(key, "content_hash"))
    new, changed, touched = [], [], []
    done = 0
    for k, digest, make in rows:
        done += 1
        old = known.get(k)
        if old == digest:
            counts.unchanged += 1
        elif old is None:
            new.append(model(**{key: k}, **make()))
            counts.added += 1
            touched.append(k)
        else:
            changed.append((k, make()))
            counts.changed += 1
            touched.append(k)
        if len(new) >= BATCH:
            model.objects.bulk_create(new, batch_size=BATCH)
            new = []
        if done % BATCH == 0:
            progress(step, done, total)
    model.objects.bulk_create(new, batch_size=BATCH)
    if changed:
        ids = dict(model.objects.filter(**{f"{key}__in": [k for k, _ in changed]}).values_list(key, "id"))
        objs = [model(id=ids[k], **{key: k}, **fields) for k, fields in changed]
        names = list(changed[0][1].keys())
        model.objects.bulk_update(objs, names, batch_size=200)
    progress(step, total, total)
    return touched


def store_parsed(parsed: Parsed, *, actor: User | None = None, actor_label: str | None = None,
                 progress: Progress = _noop) -> dict[str, dict[str, int]]:
    """Write parsed feeds incrementally in one transaction; returns counts per feed (VULN_MANAGE with an actor)."""
    if actor is not None:
        from kijun.core.permissions import access_for
        from kijun.core.roles import Perm
        from kijun.core.services import PermissionDeniedError

        if not access_for(actor).has(Perm.VULN_MANAGE):
            raise PermissionDeniedError(Perm.VULN_MANAGE.value)
    now = timezone.now()
    out: dict[str, dict[str, int]] = {}
    with transaction.atomic():
        if parsed.nvd:
            c = Counts()
            _upsert(NvdCve, "cve_id", ((r.id, r.digest, partial(_nvd_fields, r, now)) for r in parsed.nvd),
                    c, progress, "nvd", len(parsed.nvd))
            out["nvd"] = c.as_dict()
        if parsed.kev is not None:
            c = Counts()
            rows = ((k.cve, k.content_hash, partial(dict, {
                "vendor_project": k.vendor_project[:200], "product": k.product[:200], "name": k.name[:400],
                "date_added": _date(k.date_added), "due_date": _date(k.due_date), "ransomware": k.ransomware[:16],
                "content_hash": k.content_hash})) for k in parsed.kev.values())
            _upsert(KevListing, "cve_id", rows, c, progress, "kev", len(parsed.kev))
            gone = KevListing.objects.exclude(cve_id__in=list(parsed.kev))
            c.removed = gone.count()
            gone.delete()
            out["kev"] = c.as_dict()
        if parsed.epss is not None:
            out["epss"] = _store_epss(parsed.epss, progress).as_dict()
        if parsed.jvn:
            c = Counts()
            _upsert(JvnAdvisory, "jvn_id", ((j.id, j.content_hash, partial(dict, {
                "title": j.title[:500], "cves": list(j.cves), "modified": j.modified or "", "data": jvn_to_json(j),
                "content_hash": j.content_hash})) for j in parsed.jvn), c, progress, "jvn", len(parsed.jvn))
            out["jvn"] = c.as_dict()
        if parsed.osv:
            c = Counts()
            _upsert(OsvAdvisory, "osv_id", ((rec.id, rec.content_hash, partial(dict, {
                "modified": rec.modified or "", "aliases": list(rec.aliases), "data": raw,
                "content_hash": rec.content_hash})) for raw, rec in parsed.osv), c, progress, "osv", len(parsed.osv))
            out["osv"] = c.as_dict()
        run = SyncRun.objects.create(actor=(actor.username if actor else actor_label or "system")[:150], counts=out)
        audit.record("diagnostics.feeds.sync", "vuln_sync", run.pk, ", ".join(sorted(out)), actor=actor,
                     actor_label=actor_label, after=out)
    return out


def _store_epss(feed: EpssFeed, progress: Progress) -> Counts:
    """EPSS is re-published daily for every CVE: update rows whose score or percentile moved."""
    c = Counts()
    known = {cve: (s, p) for cve, s, p in EpssEntry.objects.values_list("cve_id", "score", "percentile")}
    new, changed = [], []
    date = (feed.score_date or "")[:40]
    for cve, sc in feed.scores.items():
        old = known.get(cve)
        if old is None:
            new.append(EpssEntry(cve_id=cve, score=sc.epss, percentile=sc.percentile, score_date=date))
            c.added += 1
        elif old != (sc.epss, sc.percentile):
            changed.append((cve, sc))
            c.changed += 1
        else:
            c.unchanged += 1
    EpssEntry.objects.bulk_create(new, batch_size=BATCH)
    if changed:
        ids = dict(EpssEntry.objects.filter(cve_id__in=[k for k, _ in changed]).values_list("cve_id", "id"))
        EpssEntry.objects.bulk_update(
            [EpssEntry(id=ids[k], cve_id=k, score=s.epss, percentile=s.percentile, score_date=date) for k, s in changed],
            ["score", "percentile", "score_date"], batch_size=500)
    progress("epss", len(feed.scores), len(feed.scores))
    return c


# ------------------------------------------------------------------ records for matching

@dataclass(slots=True)
class DbFeeds:
    nvd: list[CveRecord]
    kev: dict[str, KevEntry]
    epss: dict[str, EpssScore]
    jvn: list[JvnRecord]
    osv: list[OsvRecord]


def load_feeds(progress: Progress = _noop) -> DbFeeds:
    """Rebuild the engine's records from the database (NVD/OSV re-parsed from their stored JSON)."""
    total = NvdCve.objects.count()
    nvd: list[CveRecord] = []
    with paused_gc():
        for i, (cid, raw) in enumerate(NvdCve.objects.order_by("id").values_list("cve_id", "data").iterator(2000), 1):
            nvd.append(parse_cve(raw, cid))
            if i % 5000 == 0:
                progress("load nvd", i, total)
    progress("load nvd", total, total)
    kev = {k.cve_id: KevEntry(k.cve_id, k.vendor_project, k.product, k.name,
                              k.date_added.isoformat() if k.date_added else "",
                              k.due_date.isoformat() if k.due_date else None, k.ransomware, k.content_hash)
           for k in KevListing.objects.all()}
    epss = {c: EpssScore(c, s, p) for c, s, p in EpssEntry.objects.values_list("cve_id", "score", "percentile")}
    jvn = [jvn_from_json(d) for d in JvnAdvisory.objects.values_list("data", flat=True)]
    osv = [parse_osv(d, oid) for oid, d in OsvAdvisory.objects.values_list("osv_id", "data")]
    return DbFeeds(nvd, kev, epss, jvn, osv)
