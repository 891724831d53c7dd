"""REST API of the discovery domain (mounted under /api/v1/ by kijun.web.api).

Same permission checks and services as the pages: DISCOVERY_VIEW to read scans in scope,
DISCOVERY_RUN to upload logs and record decisions. Scans outside the caller's scope answer 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.responses import Status

from kijun.core.api import ERRORS, MAX_ID, ErrorOut, need
from kijun.core.roles import Perm
from kijun.core.uploads import UploadError, check_declared_length

from ..web.pagination import Paging
from . import services, store
from .logdir import LogDirError
from .model import FORMAT_NAMES, DiscoveryError
from .models import AppDecision, Scan
from .timeparse import parse_tz, parse_window

router = Router(tags=["discovery"])

LogFormat = Literal[("auto", *FORMAT_NAMES)]  # type: ignore[valid-type]

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
NSS_HELP = ("Zscaler NSS feed template, e.g. %s{time}\\t%s{login}\\t%s{cip}\\t%s{eurl} (\\t is a tab); files "
            "whose first lines match it are read as NSS. 422 (code 'bad_nss_template') for a template the NSS "
            "parser cannot compile")
UPLOAD_ERRORS: dict[int, type[Schema]] = {413: ErrorOut, 415: ErrorOut, 422: ErrorOut, 507: ErrorOut}


class ScanOut(Schema):
    id: int
    unit_id: int
    title: str
    created_by: str | None
    created_at: dt.datetime
    file_names: list[str]
    formats: list[str]
    register_name: str
    status: str
    error: str
    lines: int
    malformed: int
    apps: int
    unsanctioned: int
    unknown_domains: int
    users: int
    source: str
    since: dt.datetime | None
    until: dt.datetime | None
    bytes_total: int
    bytes_done: int
    percent: int
    nss_template: str = Field(..., description="the Zscaler NSS feed template given, '' for none")

    @staticmethod
    def resolve_created_by(obj: Scan) -> str | None:
        return obj.created_by.username if obj.created_by else None

    @staticmethod
    def resolve_percent(obj: Scan) -> int:
        return obj.percent()


class ProgressOut(Schema):
    id: int
    status: str
    percent: int = Field(..., description="share of the input bytes read; 100 when done")
    bytes_done: int
    bytes_total: int
    events: int
    lines: int = Field(..., description="lines of the finished report (0 while running)")
    current_file: str
    error: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class LogFileOut(Schema):
    path: str
    size: int
    modified: dt.datetime


class LogDirOut(Schema):
    configured: bool
    files: list[LogFileOut]


class DirectoryScanIn(Schema):
    unit_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    files: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(..., min_length=1, max_length=20)
    format: LogFormat = "auto"  # type: ignore[valid-type]
    title: str = Field("", max_length=200)
    since: str | None = Field(None, max_length=40, description="ISO 8601, inclusive")
    until: str | None = Field(None, max_length=40, description="ISO 8601, exclusive; a bare date includes that day")
    register_source: Literal["none", "cloud"] = "none"
    nss_template: str | None = Field(None, max_length=services.NSS_TEMPLATE_MAX, description=NSS_HELP)
    force: Annotated[bool, Field(strict=True)] = Field(
        False, description="scan even if the same files were scanned for this unit before")


class DuplicateOut(Schema):
    detail: str
    code: str
    scan_id: int


class DecisionOut(Schema):
    id: int
    unit_id: int
    key: str
    name: str
    decision: str
    reason: str
    scan_id: int | None
    decided_by: str | None
    decided_at: dt.datetime
    version: int

    @staticmethod
    def resolve_decided_by(obj: AppDecision) -> str | None:
        return obj.decided_by.username if obj.decided_by else None


class DecisionIn(Schema):
    scan_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    key: str = Field(..., min_length=1, max_length=300)
    # a Literal, not the model's enum: an enum becomes a shared OpenAPI component named "Decision",
    # which another domain's schema of the same name would replace
    decision: Literal["sanctioned", "prohibited", "under_review", "ignored"]
    reason: str = Field("", max_length=2000)
    version: int | None = Field(None, ge=1, description="the version you saw (optimistic locking)")


def _scans(request: HttpRequest, perm: Perm) -> Any:
    acc = need(request, perm)
    return acc.scoped(Scan.objects.select_related("created_by"), perm, "unit")


@router.get("/discovery/scans", response={200: list[ScanOut], **ERRORS}, summary="Scans in your scope, newest first")
@paginate(Paging)
def discovery_list_scans(request: HttpRequest, unit_id: int | None = Query(None, ge=1, le=MAX_ID)) -> Any:
    qs = _scans(request, Perm.DISCOVERY_VIEW).defer("report")
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return qs


@router.post("/discovery/scans", response={201: ScanOut, 409: DuplicateOut, **UPLOAD_ERRORS, **ERRORS},
             summary="Upload logs and run a scan (multipart body: 'logs' files, optional 'register_file')",
             description="Options are query parameters; the multipart/form-data body carries one or more files "
                         "named 'logs' (at most 20) and, with register_source=upload, one 'register_file' "
                         "(YAML or CSV). The scan runs in the background: poll /discovery/scans/{id}/progress. "
                         "A file already scanned for the unit gives 409 (code 'duplicate', scan_id) unless "
                         "force=true. The body is read by the view (streamed to disk with the per-file limit) "
                         "rather than declared here. An accepted request always creates a scan: when the logs "
                         "cannot be read (no file, too many files, format not detected, content neither text nor "
                         "gzip, bad register) the scan has status 'failed' and says why in 'error'. "
                         "413 over the per-file limit, 422 for a gzip bomb or a bad nss_template "
                         "(code 'bad_nss_template'; no scan is created).")
def discovery_create_scan(
    request: HttpRequest,
    unit_id: int = Query(..., ge=1, le=MAX_ID),
    format: LogFormat = "auto",
    title: str = "",
    register_source: Literal["none", "cloud", "upload"] = "none",
    since: str | None = Query(None, max_length=40, description="ISO 8601, inclusive"),
    until: str | None = Query(None, max_length=40, description="ISO 8601, exclusive; a bare date includes that day"),
    force: bool = Query(False, description="scan even if the same files were scanned for this unit before"),
    nss_template: str | None = Query(None, max_length=services.NSS_TEMPLATE_MAX, description=NSS_HELP),
) -> Status[Any]:
    acc = need(request, Perm.DISCOVERY_RUN)
    unit = get_object_or_404(acc.units(Perm.DISCOVERY_RUN), pk=unit_id)
    template = _template(nss_template)
    if isinstance(template, Status):
        return template
    window = _window(since, until)
    if isinstance(window, str):  # like unreadable logs: an accepted request that gives a failed scan
        names = [f.name or "" for f in request.FILES.getlist("logs")] if request.content_type == \
            "multipart/form-data" else []
        return Status(201, services.record_failure(request.user, unit, title, names, window, request))
    try:
        policy = store.log_policy()
        check_declared_length(request.META.get("CONTENT_LENGTH"),
                              store.UploadPolicy("discovery upload", policy.max_bytes * store.MAX_FILES
                                                 + store.REGISTER_POLICY.max_bytes + 65536))
        logs = request.FILES.getlist("logs") if request.content_type == "multipart/form-data" else []
        register_file = request.FILES.get("register_file") if register_source == "upload" else None
        obj = services.submit_uploads(
            request.user, unit, [store.LogUpload(f.chunks(), f.name or "", format) for f in logs],  # type: ignore[arg-type]
            title=title[:200], request=request, use_cloud_register=register_source == "cloud", keep_failure=True,
            window=window, force=force, nss_template=template,
            register=(store.LogUpload(register_file.chunks(), register_file.name or "")
                      if register_file is not None else None))
    except UploadError as exc:
        return Status(exc.status, {"detail": str(exc), "code": exc.code})
    except services.DuplicateScan as exc:
        return Status(409, {"detail": str(exc), "code": "duplicate", "scan_id": exc.existing.pk})
    return Status(201, obj)


def _template(text: str | None) -> str | None | Status[Any]:
    """The NSS template to scan with, or the 422 answer for one the parser cannot compile (checked
    before anything is stored: unlike unreadable logs this is the request's own error)."""
    try:
        return services.clean_nss_template(text)
    except ValueError as exc:
        return Status(422, {"detail": str(exc), "code": "bad_nss_template"})


def _window(since: str | None, until: str | None) -> services.Window | str:
    """The scan's time window, or the error message for the failed scan."""
    try:
        return services.Window(*parse_window(since, until, parse_tz(getattr(settings, "KIJUN_DISCOVERY_TZ",
                                                                              "+09:00"))))
    except ValueError as exc:
        return str(exc)


@router.post("/discovery/scans/from-directory", response={201: ScanOut, 409: DuplicateOut, **UPLOAD_ERRORS,
                                                           **ERRORS},
             summary="Scan files of the server's log directory (KIJUN_DISCOVERY_LOG_DIR) in the background",
             description="404 (code 'not_in_log_dir') for a name that is not a readable file inside the "
                         "directory (.., absolute paths, symlinks pointing outside); 409 for files already "
                         "scanned for the unit (unless force); 422 (code 'bad_nss_template') for an NSS "
                         "template the parser cannot compile; no configured directory, a bad time window or "
                         "an undetectable format give a stored scan with status 'failed' and its error.")
def discovery_scan_directory(request: HttpRequest, body: DirectoryScanIn) -> Status[Any]:
    acc = need(request, Perm.DISCOVERY_RUN)
    unit = get_object_or_404(acc.units(Perm.DISCOVERY_RUN), pk=body.unit_id)
    template = _template(body.nss_template)
    if isinstance(template, Status):
        return template
    window = _window(body.since, body.until)
    try:
        if isinstance(window, str):
            raise DiscoveryError(window)
        obj = services.submit_directory(request.user, unit, body.files, fmt=body.format, title=body.title,
                                        use_cloud_register=body.register_source == "cloud", window=window,
                                        force=body.force, request=request, nss_template=template)
    except LogDirError as exc:  # also a traversal attempt: nothing by that name is scannable
        return Status(404, {"detail": str(exc), "code": "not_in_log_dir"})
    except services.DuplicateScan as exc:
        return Status(409, {"detail": str(exc), "code": "duplicate", "scan_id": exc.existing.pk})
    except DiscoveryError as exc:  # no log directory, bad window, format not detected: a failed scan
        return Status(201, services.record_failure(request.user, unit, body.title, list(body.files), str(exc),
                                                   request, source=Scan.Source.DIRECTORY))
    return Status(201, obj)


@router.get("/discovery/logdir", response={200: LogDirOut, **ERRORS},
            summary="Files of the server's log directory that can be scanned (path, size, modified)")
def discovery_list_log_dir(request: HttpRequest) -> dict[str, Any]:
    need(request, Perm.DISCOVERY_RUN)
    directory = services.log_dir()
    if not directory:
        return {"configured": False, "files": []}
    try:
        files = services.listing(directory)
    except LogDirError:
        return {"configured": True, "files": []}
    return {"configured": True, "files": [{"path": f.path, "size": f.size, "modified": f.modified} for f in files]}


@router.get("/discovery/scans/{scan_id}/progress", response={200: ProgressOut, **ERRORS},
            summary="State and progress of a (background) scan")
def discovery_get_progress(request: HttpRequest, scan_id: PathId) -> dict[str, Any]:
    services.reap_stale()
    obj = get_object_or_404(_scans(request, Perm.DISCOVERY_VIEW).defer("report"), pk=scan_id)
    return services.progress(obj)


@router.get("/discovery/scans/{scan_id}", response={200: ScanOut, **ERRORS})
def discovery_get_scan(request: HttpRequest, scan_id: PathId) -> Scan:
    return get_object_or_404(_scans(request, Perm.DISCOVERY_VIEW).defer("report"), pk=scan_id)


@router.get("/discovery/scans/{scan_id}/report", response={200: dict[str, Any], **ERRORS},
            summary="The scan's report (JSON schema_version 1, docs/discovery.md)")
def discovery_get_report(request: HttpRequest, scan_id: PathId) -> StreamingHttpResponse:
    """Streamed: the per-user rows of a large log are hundreds of MB of JSON, copied from the
    stored text a user at a time rather than built as one Python document."""
    scan_obj = get_object_or_404(_scans(request, Perm.DISCOVERY_VIEW).select_related(None).only("id", "report"), pk=scan_id)
    if not scan_obj.report:  # queued, running or failed: no report yet
        return StreamingHttpResponse(iter([b"{}"]), content_type="application/json")
    return StreamingHttpResponse(store.report_json_chunks(scan_obj), content_type="application/json")


@router.get("/discovery/decisions", response={200: list[DecisionOut], **ERRORS},
            summary="Decisions on discovered services in your scope",
            description="With unit_id and effective=true: the decisions that hold in that unit — its own "
                        "and, for what it has not decided, its nearest ancestor's (unit_id says which unit "
                        "decided). 422 for effective=true without unit_id; 404 for a unit outside your scope.")
@paginate(Paging)
def discovery_list_decisions(request: HttpRequest, unit_id: int | None = Query(None, ge=1, le=MAX_ID),
                             effective: bool = Query(False, description="include decisions inherited from ancestors")
                             ) -> Any:
    acc = need(request, Perm.DISCOVERY_VIEW)
    if effective:
        if unit_id is None:
            raise HttpError(422, "effective=true needs unit_id")
        unit = get_object_or_404(acc.units(Perm.DISCOVERY_VIEW), pk=unit_id)
        return sorted(store.effective_decisions(unit).values(), key=lambda d: (d.key, d.unit_id))
    qs = acc.scoped(AppDecision.objects.select_related("decided_by").order_by("unit_id", "key"),
                    Perm.DISCOVERY_VIEW, "unit")
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return qs


@router.post("/discovery/decisions", response={200: DecisionOut, 409: ErrorOut, **ERRORS},
             summary="Mark a discovered service sanctioned, prohibited, under review or ignored")
def discovery_decide(request: HttpRequest, body: DecisionIn) -> Any:
    scan_obj = get_object_or_404(_scans(request, Perm.DISCOVERY_RUN).select_related("unit"), pk=body.scan_id)
    rows = [*scan_obj.report.get("apps", []), *scan_obj.report.get("unknown_domains", [])]
    row = next((a for a in rows if a["key"] == body.key), None)
    if row is None:
        return Status(404, {"detail": "no such row in this scan's report", "code": "not_found"})
    try:
        return store.decide(request.user, scan_obj.unit, body.key, body.decision,  # type: ignore[arg-type]
                            name=row.get("name_ja") or row.get("name_en") or "", reason=body.reason,
                            scan_obj=scan_obj, request=request, expected_version=body.version)
    except store.ConflictError:
        return Status(409, {"detail": "the decision was changed by someone else; reload it", "code": "conflict"})
