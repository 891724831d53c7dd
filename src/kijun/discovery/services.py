"""Scans as background jobs: submit (store, check, de-duplicate, queue), run with progress, reap.

Why: a ministry's daily proxy log is gigabytes; scanning it takes longer than a request may. A
submission stores the uploads (streamed through :mod:`kijun.core.uploads`) or names files of the
administrator's log directory, checks what is cheap to check at once (file count, register,
format of each file's first lines, a second submission of the same file), creates a ``Scan`` in
state ``queued`` and hands it to a worker thread of this process (``make run`` is one process;
no broker is needed). The thread writes its progress to the ``Scan`` row about once a second, so
any page or API client — also after a reload — reads it from the database. Scans run one at a
time (the engine already uses every core). A scan left ``queued``/``running`` by a process that
ended is marked failed by ``reap_stale``.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from kijun.core import audit
from kijun.core.models import OrgUnit, User
from kijun.core.uploads import StoredUpload, UploadRejected, store

from . import store as web
from .engine import HEAD_LINES, LogInput, ScanOptions, ScanProgress, detect, scan
from .logdir import LogDirError, LogFile, list_files, resolve
from .model import DiscoveryError
from .models import Scan, ScanFile, ScanUser
from .parsers import MIN_SHARE
from .parsers.nss import compile_template, template_share
from .register import Register, load_register
from .report import Report, usage_json, user_dict
from .textio import open_log

log = logging.getLogger("kijun.discovery")

STALE_AFTER = timedelta(minutes=5)
NSS_TEMPLATE_MAX = 2000
"""Longest NSS feed template accepted (a template with every NSS web field is about 1,500 characters)."""
_ACTIVE: set[int] = set()
_ACTIVE_LOCK = threading.Lock()
_ONE_AT_A_TIME = threading.Semaphore(1)


class DuplicateScan(Exception):
    """The same file was already scanned for this unit (and ``force`` was not given)."""

    def __init__(self, existing: Scan, names: list[str]) -> None:
        self.existing = existing
        self.names = names
        super().__init__(
            f"already scanned in scan #{existing.pk} ({existing.created_at:%Y-%m-%d %H:%M} UTC): {', '.join(names)}"
        )


@dataclass(frozen=True)
class Window:
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class _Input:
    name: str
    path: Path
    size: int
    fingerprint: str
    format: str


def log_dir() -> str | None:
    """The administrator's log directory (setting or environment ``KIJUN_DISCOVERY_LOG_DIR``)."""
    value = getattr(settings, "KIJUN_DISCOVERY_LOG_DIR", None) or os.environ.get("KIJUN_DISCOVERY_LOG_DIR", "")
    return str(value) or None


def background() -> bool:
    return bool(getattr(settings, "KIJUN_DISCOVERY_BACKGROUND", True))


def clean_nss_template(text: str | None) -> str | None:
    """The Zscaler NSS feed template as the parser will get it, or None when none was given.

    ``ValueError`` (the parser's own reason) for a template it cannot compile: checked when the
    scan is submitted, so a bad template is the form's or the request's error, not a scan that
    fails in the background. The trailing ``\\n`` of a feed format copied from the NSS console
    is dropped (lines are read without their line end)."""
    value = (text or "").strip(" \r\n")
    value = value.removesuffix("\\n").rstrip(" ")
    if not value:
        return None
    if len(value) > NSS_TEMPLATE_MAX:
        raise ValueError(f"NSS template: at most {NSS_TEMPLATE_MAX} characters")
    compile_template(value)  # ValueError with the parser's reason
    return value


# --- submission ------------------------------------------------------------------------------------


def submit_uploads(user: User, unit: OrgUnit, logs: Sequence[web.LogUpload], *, title: str = "",
                   register: web.LogUpload | None = None, use_cloud_register: bool = False,
                   window: Window = Window(), force: bool = False, request: HttpRequest | None = None,
                   keep_failure: bool = False, run_now: bool = False, nss_template: str | None = None) -> Scan:
    """Store uploaded logs and queue their scan. See the module docstring for what is checked now.

    ``keep_failure`` (the API): content that cannot be scanned gives a stored failed scan instead
    of an exception. Size limits, bombs and duplicates always raise.
    """
    stored: list[StoredUpload] = []
    names = [log.name for log in logs]
    try:
        _check_count(len(logs))
        policy = web.log_policy()
        for lg in logs:
            stored.append(store(lg.chunks, policy, web.upload_dir(), lg.name))
        reg_path, reg_name = _store_register(register, stored)
        inputs = [_Input(s.display_name or f"log-{i + 1}", s.path, s.size, f"sha256:{s.sha256}", lg.format)
                  for i, (s, lg) in enumerate(zip(stored, logs, strict=False))]
        return _queue(user, unit, inputs, Scan.Source.UPLOAD, title=title, reg_path=reg_path, reg_name=reg_name,
                      use_cloud_register=use_cloud_register, window=window, force=force, request=request,
                      owned=[s.path for s in stored], run_now=run_now, nss_template=nss_template)
    except Exception as exc:
        web._cleanup(stored)
        if keep_failure and isinstance(exc, DiscoveryError | UploadRejected):
            return record_failure(user, unit, title, names, str(exc), request)
        if not isinstance(exc, DuplicateScan):
            audit.record("discovery.scan", "discovery.Scan", "", ", ".join(names)[:300], actor=user,
                         request=request, outcome="failure",
                         after={"unit": unit.pk, "files": names, "error": str(exc)[:500]})
        raise


def submit_directory(user: User, unit: OrgUnit, files: Sequence[str], *, fmt: str = "auto", title: str = "",
                     use_cloud_register: bool = False, window: Window = Window(), force: bool = False,
                     request: HttpRequest | None = None, nss_template: str | None = None) -> Scan:
    """Queue a scan of files chosen from the log directory (``LogDirError`` for a name outside it)."""
    directory = log_dir()
    if not directory:
        raise DiscoveryError("no log directory is configured (KIJUN_DISCOVERY_LOG_DIR)")
    _check_count(len(files))
    inputs: list[_Input] = []
    for name in dict.fromkeys(files):
        path, entry = resolve(directory, name)
        inputs.append(_Input(entry.path, path, entry.size, entry.fingerprint, fmt))
    return _queue(user, unit, inputs, Scan.Source.DIRECTORY, title=title, reg_path=None, reg_name="",
                  use_cloud_register=use_cloud_register, window=window, force=force, request=request, owned=[],
                  nss_template=nss_template)


def _check_count(n: int) -> None:
    if not n:
        raise DiscoveryError("choose at least one log file")
    if n > web.MAX_FILES:
        raise DiscoveryError(f"at most {web.MAX_FILES} files per scan")


def _store_register(register: web.LogUpload | None, stored: list[StoredUpload]) -> tuple[Path | None, str]:
    if register is None:
        return None, ""
    reg_file = store(register.chunks, web.REGISTER_POLICY, web.upload_dir(), register.name)
    stored.append(reg_file)
    name = reg_file.display_name or "register"
    _load_register(reg_file.path, name)  # refuse a bad register now, not minutes later
    return reg_file.path, name


def _load_register(path: Path, name: str) -> Register:
    try:
        reg = load_register(path)
    except DiscoveryError as exc:
        raise DiscoveryError(str(exc).replace(str(path), name)) from None
    reg = Register(reg.entries, name)
    reg.validate(web.catalog())
    return reg


def _queue(user: User, unit: OrgUnit, inputs: list[_Input], source: str, *, title: str, reg_path: Path | None,
           reg_name: str, use_cloud_register: bool, window: Window, force: bool, request: HttpRequest | None,
           owned: list[Path], run_now: bool = False, nss_template: str | None = None) -> Scan:
    opts = replace(web._options(), nss_template=nss_template)
    inputs = [replace(inp, format=_check_format(inp, opts)) for inp in inputs]
    if not force:
        _check_duplicates(unit, inputs)
    with transaction.atomic():
        obj = Scan.objects.create(
            unit=unit, created_by=user, title=title[:200], file_names=[i.name for i in inputs],
            status=Scan.Status.QUEUED, source=source, since=window.since, until=window.until,
            register_name=reg_name[:200], bytes_total=sum(i.size for i in inputs), report={},
            params={"inputs": [{"name": i.name, "path": str(i.path), "size": i.size, "format": i.format}
                               for i in inputs],
                    "register_path": str(reg_path) if reg_path else None, "register_name": reg_name,
                    "use_cloud_register": use_cloud_register, "nss_template": nss_template,
                    "delete": [str(p) for p in owned]})
        ScanFile.objects.bulk_create([ScanFile(scan=obj, position=n, name=i.name[:300], size=i.size,
                                               fingerprint=i.fingerprint[:400]) for n, i in enumerate(inputs)])
        audit.record("discovery.scan_queued", "discovery.Scan", obj.pk, obj.label(), actor=user, request=request,
                     after={"unit": unit.pk, "source": source, "files": obj.file_names, "bytes": obj.bytes_total,
                            "since": window.since.isoformat() if window.since else None,
                            "until": window.until.isoformat() if window.until else None, "forced": force,
                            "nss_template": nss_template})
        in_thread = background() and not run_now
        if in_thread:
            pk = obj.pk
            transaction.on_commit(lambda: start(pk))
    if not in_thread:
        execute(obj.pk)
        obj.refresh_from_db()
    return obj


def _check_format(inp: _Input, opts: ScanOptions) -> str:
    """Check from its first lines that ``inp`` can be scanned; the format to store for it.

    This is the engine's own detection (``auto`` stays ``auto``: the scan detects again), which
    with an NSS template recognises a custom feed by it. A file that is NSS (by choice, by its
    template or by its look) but whose first lines do not match the template is refused now:
    every line would be malformed."""
    fmt = None if inp.format == "auto" else inp.format
    found = detect(LogInput(inp.path, name=inp.name, format=fmt), opts)
    if found == "nss" and opts.nss_template:
        if template_share(opts.nss_template, _head(inp, opts)) < MIN_SHARE:
            raise DiscoveryError(f"{inp.name}: the first lines do not match the NSS feed template")
        return "nss"
    return inp.format


def _head(inp: _Input, opts: ScanOptions) -> list[str]:
    """The first lines of a file, read the way the scan reads them (gzip, encoding sniffing)."""
    try:
        opened = open_log(inp.path, inp.name, opts.encoding)
    except (OSError, EOFError, zlib.error) as exc:
        raise DiscoveryError(f"{inp.name}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return list(itertools.islice(opened.iter_lines(), HEAD_LINES))
    except (OSError, EOFError, zlib.error, UnicodeError) as exc:
        raise DiscoveryError(f"{inp.name}: cannot read: {exc}") from None
    finally:
        opened.close()


def _check_duplicates(unit: OrgUnit, inputs: list[_Input]) -> None:
    prints = {i.fingerprint: i.name for i in inputs}
    earlier = (ScanFile.objects.filter(fingerprint__in=list(prints), scan__unit=unit)
               .exclude(scan__status=Scan.Status.FAILED).select_related("scan").order_by("-scan__created_at"))
    hits = list(earlier[:50])
    if hits:
        names = list(dict.fromkeys(prints[h.fingerprint] for h in hits))
        raise DuplicateScan(hits[0].scan, names)


def record_failure(user: User, unit: OrgUnit, title: str, names: list[str], error: str,
                   request: HttpRequest | None, source: str = Scan.Source.UPLOAD) -> Scan:
    """A request that was accepted but cannot be scanned (API): a failed scan saying why, audited."""
    with transaction.atomic():
        obj = Scan.objects.create(unit=unit, created_by=user, title=title[:200], status=Scan.Status.FAILED,
                                  source=source, file_names=[n[:300] for n in names[:50]], error=error[:2000],
                                  report={}, finished_at=timezone.now())
        audit.record("discovery.scan", "discovery.Scan", obj.pk, obj.label(), actor=user, request=request,
                     outcome="failure", after={"unit": unit.pk, "files": names, "error": error[:500]})
    return obj


# --- running ---------------------------------------------------------------------------------------


def start(scan_id: int) -> None:
    """Run the scan in a daemon thread of this process (after the submitting transaction commits)."""
    with _ACTIVE_LOCK:
        _ACTIVE.add(scan_id)
    threading.Thread(target=_thread, args=(scan_id,), name=f"kijun-scan-{scan_id}", daemon=True).start()


def _thread(scan_id: int) -> None:
    try:
        with _ONE_AT_A_TIME:
            close_old_connections()
            execute(scan_id)
    except Exception:  # execute records failures itself; this is the last resort
        log.exception("discovery scan %s crashed", scan_id)
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(scan_id)
        connection.close()


def _retry(fn: Any, attempts: int = 50) -> Any:
    """Run a short write again while SQLite reports its table or database locked by a request
    thread (the worker shares the database with the pages polling it)."""
    for n in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            if "locked" not in str(exc) or n == attempts - 1:
                raise
            time.sleep(0.05 * (n + 1))
    return None


class _Progress:
    """Writes ``ScanProgress`` to the row at most once a second (reads are by polling pages)."""

    def __init__(self, scan_id: int, sizes: list[int]) -> None:
        self.scan_id = scan_id
        self.before = [sum(sizes[:i]) for i in range(len(sizes))]
        self.last = 0.0

    def __call__(self, p: ScanProgress) -> None:
        now = time.monotonic()
        if now - self.last < 1.0 and not p.done:
            return
        self.last = now
        done = self.before[p.index] + p.bytes_read if p.index < len(self.before) else 0
        try:
            Scan.objects.filter(pk=self.scan_id).update(bytes_done=done, events_done=p.events,
                                                        current_file=p.source[:200], progress_at=timezone.now())
        except OperationalError:  # a locked SQLite table: skip this update, the next one follows
            pass


def _insert_user_rows(rows: Iterable[tuple[int, int, str, str]]) -> None:
    """Insert ``(scan_id, position, user, usage)`` rows with one prepared INSERT per row.

    Why not ``bulk_create``: on PostgreSQL it binds each column as one array, and psycopg quotes
    array elements in Python — every ``"`` of the JSON text through a regex (measured: 23 s for
    the 70 MB of a 1 M line log). Scalar parameters are escaped in C."""
    meta = ScanUser._meta
    q = connection.ops.quote_name
    cols = ", ".join(q(meta.get_field(f).column) for f in ("scan", "position", "user", "usage"))
    sql = f"INSERT INTO {q(meta.db_table)} ({cols}) VALUES (%s, %s, %s, %s)"  # noqa: S608 - names from model metadata, values bound
    it = iter(rows)
    # nosemgrep: kijun-raw-sql -- fixed INSERT from model metadata, values bound; runs in the scan worker
    with connection.cursor() as cur:
        while batch := list(itertools.islice(it, 200)):
            cur.executemany(sql, batch)


def _stored(report: Report, scan_id: int) -> tuple[dict[str, Any], Callable[[], Iterator[tuple[int, int, str, str]]]]:
    """The report as stored: the document without the users' drill-down rows, and the
    ``ScanUser`` rows for them, generated a few at a time (hundreds of MB of text for a large log;
    a generator function, as a retried write starts again)."""
    doc = report.to_dict(users=False)
    doc["users"] = []
    for u in report.users:
        d = user_dict(u, rows=False)
        d.pop("usage")
        doc["users"].append(d)

    def rows() -> Iterator[tuple[int, int, str, str]]:
        for i, u in enumerate(report.users):
            yield scan_id, i, u.user, usage_json(u).decode("utf-8")

    return doc, rows


def execute(scan_id: int) -> None:
    """Run one queued scan to its end (done or failed), then delete its uploads. Idempotent."""
    claimed = _retry(lambda: Scan.objects.filter(pk=scan_id, status=Scan.Status.QUEUED).update(
        status=Scan.Status.RUNNING, started_at=timezone.now(), progress_at=timezone.now()))
    if not claimed:
        return
    obj = Scan.objects.select_related("unit", "created_by").get(pk=scan_id)
    params: dict[str, Any] = obj.params or {}
    inputs = params.get("inputs", [])
    try:
        reg: Register | None = None
        if params.get("register_path"):
            reg = _load_register(Path(params["register_path"]), params.get("register_name") or "register")
        elif params.get("use_cloud_register") and (source := web.cloud_register_source()) is not None:
            reg = web.register_from_cloud(source(obj.unit))
        reg = web.with_decisions(reg, obj.unit)
        reg_name = obj.register_name or (reg.source if reg is not None else "")
        items = [LogInput(Path(i["path"]), name=i["name"], format=None if i["format"] == "auto" else i["format"])
                 for i in inputs]
        if obj.source == Scan.Source.DIRECTORY:
            _recheck_directory(items)
        opts = replace(web._options(), since=obj.since, until=obj.until, backend="duckdb",
                       nss_template=params.get("nss_template") or None)
        report = scan(items, catalog=web.catalog(), register=reg, options=opts,
                      progress=_Progress(scan_id, [int(i["size"]) for i in inputs]), now=timezone.now())
        doc, user_rows = _stored(report, scan_id)
        t = report.totals
        formats = sorted({s.format for s in report.sources})

        def finish() -> None:
            with transaction.atomic():
                Scan.objects.filter(pk=scan_id).update(
                    status=Scan.Status.DONE, formats=formats, register_name=reg_name[:200], lines=t.lines,
                    malformed=t.malformed, apps=t.apps, unsanctioned=t.unsanctioned_apps,
                    unknown_domains=t.unknown_domains, users=t.users, report=doc, bytes_done=obj.bytes_total,
                    events_done=t.events, finished_at=timezone.now(), progress_at=timezone.now(),
                    params=_kept(params))
                ScanUser.objects.filter(scan_id=scan_id).delete()
                _insert_user_rows(user_rows())
                audit.record("discovery.scan", "discovery.Scan", obj.pk, obj.label(), actor=obj.created_by,
                             after={"unit": obj.unit_id, "files": obj.file_names, "formats": formats,
                                    "lines": t.lines, "malformed": t.malformed, "apps": t.apps,
                                    "unsanctioned": t.unsanctioned_apps, "register": reg_name})

        _retry(finish)
    except Exception as exc:
        message = str(exc) if isinstance(exc, DiscoveryError | LogDirError | OSError) else \
            f"internal error ({type(exc).__name__}); see the server log"
        if not isinstance(exc, DiscoveryError | LogDirError):
            log.exception("discovery scan %s failed", scan_id)

        def fail() -> None:
            with transaction.atomic():
                Scan.objects.filter(pk=scan_id).update(status=Scan.Status.FAILED, error=message[:2000],
                                                       finished_at=timezone.now(), params=_kept(params))
                audit.record("discovery.scan", "discovery.Scan", obj.pk, obj.label(), actor=obj.created_by,
                             outcome="failure", after={"unit": obj.unit_id, "files": obj.file_names,
                                                       "error": message[:500]})

        _retry(fail)
    finally:
        for p in params.get("delete", []):
            Path(p).unlink(missing_ok=True)


def _kept(params: dict[str, Any]) -> dict[str, Any]:
    """What stays in ``params`` once the job has ended: the options its page shows, not the paths
    of deleted uploads."""
    return {"nss_template": params["nss_template"]} if params.get("nss_template") else {}


def _recheck_directory(items: list[LogInput]) -> None:
    """The directory may have changed since the files were chosen: re-resolve every path."""
    directory = log_dir()
    if not directory:
        raise DiscoveryError("the log directory is no longer configured")
    root = Path(directory).resolve()
    for item in items:
        path = Path(str(item.source))
        if not path.resolve().is_relative_to(root):
            raise LogDirError(f"{item.name}: no longer inside the log directory")


def reap_stale() -> int:
    """Mark failed the scans a previous process left queued or running (no progress for a while)."""
    cutoff = timezone.now() - STALE_AFTER
    with _ACTIVE_LOCK:
        active = set(_ACTIVE)
    stale = Scan.objects.filter(status__in=[Scan.Status.QUEUED, Scan.Status.RUNNING]).exclude(pk__in=active)
    n = 0
    for obj in stale.filter(created_at__lt=cutoff).select_related("created_by"):
        if obj.progress_at is not None and obj.progress_at >= cutoff:
            continue
        with transaction.atomic():
            n += Scan.objects.filter(pk=obj.pk, status=obj.status).update(
                status=Scan.Status.FAILED, finished_at=timezone.now(),
                error="interrupted: the server stopped while the scan was running; run it again")
            audit.record("discovery.scan", "discovery.Scan", obj.pk, obj.label(), actor_label="system",
                         outcome="failure", after={"error": "interrupted"})
        for p in (obj.params or {}).get("delete", []):
            Path(p).unlink(missing_ok=True)
    return n


def progress(obj: Scan) -> dict[str, Any]:
    """What the page and the API show while a scan runs."""
    return {"id": obj.pk, "status": obj.status, "percent": obj.percent(), "bytes_done": obj.bytes_done,
            "bytes_total": obj.bytes_total, "events": obj.events_done, "lines": obj.lines,
            "current_file": obj.current_file, "error": obj.error,
            "started_at": obj.started_at, "finished_at": obj.finished_at}


def listing(directory: str) -> list[LogFile]:
    """The files a person may pick from the log directory (see ``logdir.list_files``)."""
    return list_files(directory)
