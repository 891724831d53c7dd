"""Web-side services of discovery: run a scan on uploads, store it, record decisions (all audited).

Uploads go through :mod:`kijun.core.uploads` (size limit before and while writing, magic bytes,
gzip bomb check, random names under DATA_DIR/uploads/discovery). The stored logs are deleted as
soon as the engine has read them: the report is what is kept; raw logs name people.
"""

from __future__ import annotations

import functools
import importlib
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kijun.core import audit
from kijun.core.models import OrgUnit, User
from kijun.core.uploads import StoredUpload, UploadPolicy, UploadTooLarge

from .catalog import Catalog, load_catalog
from .engine import ScanOptions
from .export import users_csv_chunks as users_csv_chunks_of
from .export import write_csv_stream, write_xlsx
from .model import MalformedSample, ParseStats
from .models import AppDecision, Scan, ScanUser
from .register import Register, RegisterEntry
from .report import AppUsage, HostUsage, IpUsage, Report, Totals, UsageRows, UserAppUsage, UserUsage
from .timeparse import parse_tz

MiB = 1024 * 1024


def log_policy() -> UploadPolicy:
    """Per-file limits for log uploads (settings KIJUN_DISCOVERY_MAX_UPLOAD / _MAX_UNPACKED, bytes)."""
    return UploadPolicy(
        name="discovery log",
        max_bytes=int(getattr(settings, "KIJUN_DISCOVERY_MAX_UPLOAD", 1024 * MiB)),
        allowed_types=frozenset({"text", "gzip"}),
        max_unpacked_bytes=int(getattr(settings, "KIJUN_DISCOVERY_MAX_UNPACKED", 8192 * MiB)),
        max_ratio=200,
    )


MAX_FILES = 20
REGISTER_POLICY = UploadPolicy(name="sanctioned register", max_bytes=4 * MiB, allowed_types=frozenset({"text"}))


def upload_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads" / "discovery"


@functools.lru_cache(maxsize=1)
def catalog() -> Catalog:
    """The shipped catalog, loaded once per process (it is immutable)."""
    return load_catalog()


# --- the cloud module's register (optional) ------------------------------------------------------

def cloud_register_source() -> Any:
    """A callable ``(unit) -> cloud register entries`` when the cloud web layer is installed
    (``kijun.cloud.models.RegisterEntry`` rows, exported with ``to_row()`` as
    ``kijun.cloud.register.RegisterEntry``), else None (then only an uploaded register is offered)."""
    try:
        mod = importlib.import_module("kijun.cloud.models")
    except ImportError:
        return None
    model = getattr(mod, "RegisterEntry", None)
    if model is None or not hasattr(model, "to_row"):
        return None

    def entries(unit: OrgUnit) -> list[Any]:
        # the register is agency-wide: one list of approved services for every unit
        return [e.to_row() for e in model.objects.order_by("service_id")]

    return entries


def register_from_cloud(entries: Iterable[Any], source: str = "cloud register") -> Register:
    """Turn cloud register entries (service, status, domains) into the engine's domain entries."""
    out: list[RegisterEntry] = []
    seen: set[str] = set()
    for e in entries:
        for d in getattr(e, "domains", ()):
            dom = str(d).lower().removeprefix("*.")
            if dom in seen:
                continue
            seen.add(dom)
            out.append(RegisterEntry(None, dom, e.status, getattr(e, "service_name", None), None))
    return Register(tuple(out), source)


_DECISION_STATUS = {"sanctioned": "approved", "prohibited": "prohibited", "under_review": "under_review"}

Target = tuple[str | None, str | None]
"""What a decision is about, as a register entry: ``(app, None)`` or ``(None, domain)``."""


def _split(key: str) -> tuple[str, str]:
    """``app`` → (app, ""); ``app@domain`` / ``@domain`` → (app or "", domain); ``?domain`` → ("", domain)."""
    if key.startswith("?"):
        return "", key[1:]
    app, _sep, domain = key.partition("@")
    return app, domain


def decision_target(key: str) -> Target | None:
    """The register entry a report row key stands for (None for a key naming nothing).

    ``cybozu-cloud@agency.cybozu.com``, ``@agency.cybozu.com`` and ``?agency.cybozu.com`` are all
    the domain ``agency.cybozu.com``: a decision on one applies to the others."""
    app, domain = _split(key)
    if domain:
        return None, domain
    return (app, None) if app else None


def effective_decisions(unit: OrgUnit) -> dict[Target, AppDecision]:
    """The decision that holds in ``unit`` for each target: the unit's own, else the nearest
    ancestor's (own > parent's > grandparent's). One query for the unit and all its ancestors
    (their ids are the unit's materialised ``path``); within one unit the latest decision wins."""
    chain = unit.ancestor_ids() or [unit.pk]
    if unit.pk not in chain:
        chain.append(unit.pk)
    depth = {pk: i for i, pk in enumerate(chain)}
    best: dict[Target, AppDecision] = {}
    rank: dict[Target, tuple[int, Any, int]] = {}
    for d in AppDecision.objects.filter(unit_id__in=chain).select_related("decided_by", "unit"):
        target = decision_target(d.key)
        if target is None:
            continue
        r = (depth[d.unit_id], d.decided_at, d.pk)
        if target not in rank or r > rank[target]:
            best[target], rank[target] = d, r
    return best


def with_decisions(reg: Register | None, unit: OrgUnit) -> Register | None:
    """Add the decisions that hold in the unit to the baseline, so every later scan applies them.

    They are the unit's own decisions and those of its ancestors, the nearest unit winning
    (``effective_decisions``): a ministry's prohibition reaches its divisions until a division
    decides otherwise. ``app`` keys become app entries, ``app@domain`` / ``@domain`` / ``?domain``
    keys domain entries; "ignored" is shown, not applied (and, being the nearest decision, it hides
    an ancestor's). An entry of the register itself wins over a decision for the same app or domain."""
    entries = list(reg.entries) if reg is not None else []
    taken = {(e.app if not e.domain else None, e.domain) for e in entries}
    added = 0
    for target, d in sorted(effective_decisions(unit).items(), key=lambda item: item[1].key):
        status = _DECISION_STATUS.get(d.decision)
        app, domain = _split(d.key)
        if status is None or target in taken or (app and not domain and app not in catalog().apps):
            continue
        by = d.decided_by.username if d.decided_by else "?"
        note = f"decision by {by}" if d.unit_id == unit.pk else f"decision by {by} ({d.unit.name})"
        entries.append(RegisterEntry(app or None, domain or None, status, d.name or None, note))  # type: ignore[arg-type]
        added += 1
    if not added:
        return reg
    return Register(tuple(entries), f"{reg.source} + decisions" if reg is not None else "decisions")


# --- scanning -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LogUpload:
    """One uploaded file: its chunks, the user's file name and the chosen format."""

    chunks: Iterable[bytes]
    name: str
    format: str = "auto"


def _cleanup(stored: Sequence[StoredUpload]) -> None:
    for s in stored:
        s.path.unlink(missing_ok=True)


def _options() -> ScanOptions:
    key_file = getattr(settings, "KIJUN_DISCOVERY_PSEUDONYMISE_KEY_FILE", "")
    key = Path(key_file).read_bytes() if key_file else None
    return ScanOptions(default_tz=parse_tz(getattr(settings, "KIJUN_DISCOVERY_TZ", "+09:00")),
                       pseudonymise_key=key)


def run_scan(user: User, unit: OrgUnit, logs: Sequence[LogUpload], *, title: str = "",
             register: LogUpload | None = None, use_cloud_register: bool = False,
             request: HttpRequest | None = None, keep_failure: bool = False, force: bool = True) -> Scan:
    """Store the uploads and scan them now, in this thread (``services`` queues the same work in
    the background). Raises ``UploadError`` or ``DiscoveryError`` like ``services.submit_uploads``;
    a failure while scanning gives a failed scan."""
    from .services import submit_uploads

    return submit_uploads(user, unit, logs, title=title, register=register, use_cloud_register=use_cloud_register,
                          request=request, keep_failure=keep_failure, force=force, run_now=True)


# --- decisions ------------------------------------------------------------------------------------

class ConflictError(Exception):
    """Someone else changed the decision since the form was shown."""


DECISION_FIELDS = ("key", "name", "decision", "reason", "scan")


def decide(user: User, unit: OrgUnit, key: str, decision: str, *, name: str = "", reason: str = "",
           scan_obj: Scan | None = None, request: HttpRequest | None = None,
           expected_version: int | None = None) -> AppDecision:
    """Record (or change) the unit's decision for one report row; audited with before/after."""
    if decision not in AppDecision.Decision.values:
        raise ValueError(f"unknown decision {decision!r}")
    with transaction.atomic():
        obj = AppDecision.objects.select_for_update().filter(unit=unit, key=key).first()
        before = audit.snapshot(obj, DECISION_FIELDS) if obj else None
        if obj is None:
            obj = AppDecision(unit=unit, key=key[:300])
        elif expected_version is not None and obj.version != expected_version:
            raise ConflictError(key)
        else:
            obj.version += 1
        obj.name = name[:300] or obj.name
        obj.decision = decision
        obj.reason = reason[:2000]
        obj.scan = scan_obj
        obj.decided_by = user
        obj.save()
        audit.record("discovery.decide", "discovery.AppDecision", obj.pk, f"{obj.key}: {decision}", actor=user,
                     request=request, before=before,
                     after={**audit.snapshot(obj, DECISION_FIELDS), "unit": unit.pk})
    return obj


# --- report rebuilt from its stored JSON (for the engine's exporters) ------------------------------

def _app(d: dict[str, Any]) -> AppUsage:
    fields = {k: v for k, v in d.items() if k != "hosts"}
    return AppUsage(**fields, hosts=[HostUsage(**h) for h in d.get("hosts", [])])


def report_from_dict(doc: dict[str, Any]) -> Report:
    """The inverse of ``Report.to_dict`` (schema_version 1)."""
    sources = []
    for s in doc.get("sources", []):
        st = ParseStats(source=s["source"], format=s["format"], encoding=s["encoding"],
                        compressed=s["compressed"], lines=s["lines"], events=s["events"],
                        malformed=s["malformed"], skipped=dict(s["skipped"]), error=s.get("error"))
        st.malformed_samples = [MalformedSample(**m) for m in s.get("malformed_samples", [])]
        sources.append(st)
    users = [UserUsage(**{k: v for k, v in u.items() if k != "usage"},
                       usage=[UserAppUsage(**x) for x in u.get("usage", [])]) for u in doc.get("users", [])]
    return Report(
        generated_at=doc["generated_at"], since=doc.get("since"), until=doc.get("until"),
        register=doc.get("register"), pseudonymised=doc.get("pseudonymised", False), sources=sources,
        totals=Totals(**doc["totals"]), apps=[_app(a) for a in doc.get("apps", [])],
        unknown_domains=[_app(a) for a in doc.get("unknown_domains", [])],
        top_unsanctioned_apps=list(doc.get("top_unsanctioned_apps", [])), top_users=list(doc.get("top_users", [])),
        top_source_ips=[IpUsage(**i) for i in doc.get("top_source_ips", [])], users=users,
        schema_version=doc.get("schema_version", 1))


def report_from_scan(scan_obj: Scan) -> Report:
    """A stored scan's full report: the document with each user's rows from ``ScanUser``
    (kept as JSON text, parsed only if a caller reads them)."""
    report = report_from_dict(scan_obj.report)
    rows = ScanUser.objects.filter(scan=scan_obj).values_list("position", "usage")
    for position, usage in rows.iterator(chunk_size=200):
        if position < len(report.users):
            report.users[position].usage = UsageRows(usage.encode("utf-8"))
    return report


def user_usage(scan_obj: Scan, position: int) -> list[dict[str, Any]]:
    """One user's drill-down rows (``report.users[position]``) of a scan the caller may view."""
    stored = ScanUser.objects.filter(scan=scan_obj, position=position).values_list("usage", flat=True).first()
    return json.loads(stored) if stored is not None else []


def report_json_chunks(scan_obj: Scan) -> Iterator[bytes]:
    """A stored scan's report as ``Report.write_json`` writes it, with each user's rows read from
    ``ScanUser`` one at a time while the chunks are consumed (memory: one user's rows)."""
    rows = ScanUser.objects.filter(scan=scan_obj).order_by("position").values_list("usage", flat=True)
    return report_from_dict(scan_obj.report).iter_json(u.encode("utf-8") for u in rows.iterator(chunk_size=50))


def users_csv_chunks(scan_obj: Scan) -> Iterator[bytes]:
    """The per-user drill-down CSV of a stored scan, streamed one ``ScanUser`` row at a time."""
    rows = ScanUser.objects.filter(scan=scan_obj).order_by("position").values_list("user", "usage")
    yield from users_csv_chunks_of(
        (user, UsageRows(usage.encode("utf-8"))) for user, usage in rows.iterator(chunk_size=50)
    )


def csv_bytes(scan_obj: Scan) -> bytes:
    """The per-app table (no drill-down rows needed)."""
    buf = io.StringIO()
    write_csv_stream(report_from_dict(scan_obj.report), buf)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_file(scan_obj: Scan, directory: Path) -> Path:
    """Write the XLSX export to a private temporary file (the caller streams and deletes it)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"export-{scan_obj.pk}-{timezone.now().strftime('%Y%m%d%H%M%S%f')}.xlsx"
    write_xlsx(report_from_scan(scan_obj), path)
    return path


# --- upload handler: stop a too-large file while the request body is read ----------------------

class LimitedUploadHandler(FileUploadHandler):
    """First upload handler of the scan form: raises ``UploadTooLarge`` as soon as one file passes
    the per-file limit, so Django never spools an oversize file to its temporary directory."""

    def __init__(self, request: HttpRequest | None = None, max_bytes: int | None = None) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes if max_bytes is not None else log_policy().max_bytes
        self.size = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.size += len(raw_data)
        if self.size > self.max_bytes:
            raise UploadTooLarge(f"discovery log: at most {self.max_bytes} bytes per file")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
