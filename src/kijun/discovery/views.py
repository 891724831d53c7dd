"""Shadow-IT discovery pages: scans in scope, new scan (upload), report, drill-downs, exports, decisions."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from kijun.core import audit
from kijun.core.decorators import require_perm
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.uploads import UploadError, check_declared_length, iter_file

from . import services, store
from .forms import ScanForm
from .model import DiscoveryError
from .models import AppDecision, Scan
from .report import RISK_NOTES

PAGE_SIZE = 50
TOP = 10


def _scans(request: HttpRequest, perm: Perm = Perm.DISCOVERY_VIEW) -> QuerySet[Scan]:
    return access_for(request.user).scoped(Scan.objects.select_related("unit", "created_by"), perm, "unit")


def _scan(request: HttpRequest, pk: int) -> Scan:
    return get_object_or_404(_scans(request), pk=pk)


@require_perm(Perm.DISCOVERY_VIEW)
def discovery_index(request: HttpRequest) -> HttpResponse:
    services.reap_stale()
    page = Paginator(_scans(request).defer("report"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "discovery/index.html",
                  {"page": page, "can_run": access_for(request.user).has(Perm.DISCOVERY_RUN),
                   "log_dir": bool(services.log_dir())})


# --- new scan ---------------------------------------------------------------------------------------

@csrf_exempt  # CSRF is checked by the inner view, after our upload handler is installed
@require_perm(Perm.DISCOVERY_RUN)
def discovery_new(request: HttpRequest) -> HttpResponse:
    # The per-file limit must be in place before Django reads the body (the CSRF check reads it).
    request.upload_handlers.insert(0, store.LimitedUploadHandler(request))  # type: ignore[arg-type]
    try:
        return _discovery_new(request)
    except UploadError as exc:  # raised while the CSRF check reads the body
        acc = access_for(request.user)
        form = ScanForm(units=acc.units(Perm.DISCOVERY_RUN), cloud=store.cloud_register_source() is not None)
        return render(request, "discovery/new.html",
                      {"form": form, "upload_error": str(exc), "max_files": store.MAX_FILES,
                       "max_mb": store.log_policy().max_bytes // store.MiB}, status=exc.status)


@csrf_protect
def _discovery_new(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    policy = store.log_policy()
    cloud = store.cloud_register_source() is not None
    ctx: dict[str, Any] = {"max_mb": policy.max_bytes // store.MiB, "max_files": store.MAX_FILES}
    status = 200
    if request.method == "POST":
        try:
            check_declared_length(request.META.get("CONTENT_LENGTH"),
                                  store.UploadPolicy("discovery upload", policy.max_bytes * store.MAX_FILES
                                                     + store.REGISTER_POLICY.max_bytes + 65536))
            form = ScanForm(request.POST, request.FILES, units=acc.units(Perm.DISCOVERY_RUN), cloud=cloud)
            files = request.FILES.getlist("logs")
        except UploadError as exc:
            return render(request, "discovery/new.html",
                          {**ctx, "form": ScanForm(units=acc.units(Perm.DISCOVERY_RUN), cloud=cloud),
                           "upload_error": str(exc)}, status=exc.status)
        if not files:
            form.add_error(None, _("Choose at least one log file."))
        if form.is_valid():
            d = form.cleaned_data
            reg = d.get("register") if d["register_source"] == "upload" else None
            try:
                obj = services.submit_uploads(
                    request.user, d["unit"],  # type: ignore[arg-type]
                    [store.LogUpload(f.chunks(), f.name or "", d["format"]) for f in files],
                    title=d["title"], request=request, window=services.Window(*d["window"]), force=d["rescan"],
                    register=store.LogUpload(reg.chunks(), reg.name or "") if reg else None,
                    use_cloud_register=d["register_source"] == "cloud", nss_template=d["nss_template"])
            except UploadError as exc:
                form.add_error(None, str(exc))
                status = exc.status
            except services.DuplicateScan as exc:
                form.add_error(None, duplicate_message(exc))
                ctx["duplicate"] = exc.existing
                status = 409
            except DiscoveryError as exc:
                form.add_error(None, str(exc))
                status = 422
            else:
                messages.success(request, _("Scan started.") if obj.active else _("Scan completed."))
                return redirect("discovery_scan", pk=obj.pk)
        elif status == 200:
            status = 400
    else:
        form = ScanForm(units=acc.units(Perm.DISCOVERY_RUN), cloud=cloud,
                        own_unit_id=getattr(request.user, "unit_id", None))
    return render(request, "discovery/new.html", {**ctx, "form": form}, status=status)


def duplicate_message(exc: services.DuplicateScan) -> str:
    return _("Already scanned for this unit in scan #%(id)s (%(date)s): %(names)s. Tick “Scan again” to "
             "scan them anyway.") % {"id": exc.existing.pk, "date": exc.existing.created_at.strftime("%Y-%m-%d %H:%M"),
                                    "names": ", ".join(exc.names)}


# --- report -----------------------------------------------------------------------------------------

def _bars(items: list[tuple[str, int]], width: int = 360) -> dict[str, Any]:
    """A server-rendered SVG bar chart (no script: CSP): one row per item, bars scaled to the largest."""
    top = max((v for _, v in items), default=0) or 1
    rows = []
    for i, (label, v) in enumerate(items):
        w = max(1, round(width * v / top))
        rows.append({"label": label, "value": v, "w": w, "tx": 206 + w, "y": i * 26})
    return {"rows": rows, "height": len(rows) * 26 + 4}


def _risk_labels(codes: list[str]) -> list[str]:
    ja = (get_language() or "ja").startswith("ja")
    return [RISK_NOTES[c][0 if ja else 1] if c in RISK_NOTES else c for c in codes]


def _decisions(scan_obj: Scan) -> dict[store.Target, AppDecision]:
    # the scan was fetched through the user's scope; the decisions shown are those that hold in its
    # unit: its own and, where it has none, the nearest ancestor's (one query)
    return store.effective_decisions(scan_obj.unit)


def _application_url() -> str | None:
    try:
        return reverse("cloud_application_new")
    except NoReverseMatch:
        return None


def _ts(value: str | None) -> str | None:
    """'2024-05-01T01:00:00+00:00' → '2024-05-01 01:00:00' (report times are UTC; the page says so)."""
    return value.replace("T", " ").removesuffix("+00:00") if value else value


def _rows(items: list[dict[str, Any]], decisions: dict[store.Target, AppDecision], unit_id: int
          ) -> list[dict[str, Any]]:
    """Report rows for the page; ``inherited`` marks a decision taken by an ancestor of the scan's
    unit (the row's form records the unit's own decision, which then overrides it)."""
    ja = (get_language() or "ja").startswith("ja")
    rows = []
    for a in items:
        target = store.decision_target(a["key"])
        d = decisions.get(target) if target is not None else None
        rows.append({**a, "first_seen": _ts(a.get("first_seen")), "last_seen": _ts(a.get("last_seen")),
                     "name": (a.get("name_ja") if ja else a.get("name_en")) or a.get("name_en") or a["key"],
                     "risk_labels": _risk_labels(a.get("risk_notes", [])), "decision": d,
                     "inherited": d is not None and d.unit_id != unit_id})
    return rows


@require_perm(Perm.DISCOVERY_VIEW)
def discovery_scan(request: HttpRequest, pk: int) -> HttpResponse:
    services.reap_stale()
    scan_obj = _scan(request, pk)
    if scan_obj.active:
        return render(request, "discovery/running.html", {"scan": scan_obj, "files": scan_obj.files.all()})
    doc = scan_obj.report
    decisions = _decisions(scan_obj)
    apps = _rows(doc.get("apps", []), decisions, scan_obj.unit_id)
    by_key = {a["key"]: a for a in apps}
    users = {u["user"]: u for u in doc.get("users", [])}
    top_unsanctioned = [by_key[k] for k in doc.get("top_unsanctioned_apps", [])[:TOP] if k in by_key]
    top_users = [users[u] for u in doc.get("top_users", [])[:TOP] if u in users]
    acc = access_for(request.user)
    return render(request, "discovery/scan.html", {
        "scan": scan_obj, "doc": doc, "totals": doc.get("totals", {}), "apps": apps,
        "unknown": _rows(doc.get("unknown_domains", [])[:TOP], decisions, scan_obj.unit_id),
        "unknown_count": len(doc.get("unknown_domains", [])),
        "top_unsanctioned": top_unsanctioned, "top_users": top_users,
        "chart_unsanctioned": _bars([(a["name"], a["users"]) for a in top_unsanctioned]),
        "chart_users": _bars([(u["user"], u["transactions"]) for u in top_users]),
        "can_decide": acc.has(Perm.DISCOVERY_RUN, scan_obj.unit),
        "decision_choices": AppDecision.Decision.choices, "application_url": _application_url(),
    })


@require_perm(Perm.DISCOVERY_VIEW)
def discovery_unknown(request: HttpRequest, pk: int) -> HttpResponse:
    scan_obj = _scan(request, pk)
    rows = _rows(scan_obj.report.get("unknown_domains", []), _decisions(scan_obj), scan_obj.unit_id)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "discovery/unknown.html", {
        "scan": scan_obj, "page": page, "can_decide": access_for(request.user).has(Perm.DISCOVERY_RUN, scan_obj.unit),
        "decision_choices": AppDecision.Decision.choices})


@require_perm(Perm.DISCOVERY_VIEW)
def discovery_user(request: HttpRequest, pk: int) -> HttpResponse:
    scan_obj = _scan(request, pk)
    name = request.GET.get("u", "")
    position, person = next(((i, u) for i, u in enumerate(scan_obj.report.get("users", [])) if u["user"] == name),
                            (None, None))
    if person is None:
        raise Http404("no such user in this scan")
    usage = store.user_usage(scan_obj, position)  # type: ignore[arg-type]
    person = {**person, "usage": [{**x, "first_seen": _ts(x.get("first_seen")), "last_seen": _ts(x.get("last_seen"))}
                                  for x in usage]}
    return render(request, "discovery/user.html", {
        "scan": scan_obj, "person": person,
        "chart": _bars([(x["name"], x["transactions"]) for x in person.get("usage", [])[:TOP]])})


def _exported(request: HttpRequest, pk: int, fmt: str) -> Scan:
    """The scan an export is made of, the export audited (exports name people)."""
    scan_obj = _scan(request, pk)
    audit.record("discovery.export", "discovery.Scan", scan_obj.pk, scan_obj.label(), request=request,
                 after={"format": fmt})
    return scan_obj


@require_perm(Perm.DISCOVERY_VIEW)
def discovery_export_csv(request: HttpRequest, pk: int) -> HttpResponse:
    scan_obj = _exported(request, pk, "csv")
    resp = HttpResponse(store.csv_bytes(scan_obj), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="discovery-{scan_obj.pk}.csv"'
    return resp


@require_perm(Perm.DISCOVERY_VIEW)
def discovery_export_users_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The per-user drill-down, streamed (millions of rows for a large log; more than XLSX holds)."""
    scan_obj = _exported(request, pk, "users.csv")
    resp = StreamingHttpResponse(store.users_csv_chunks(scan_obj), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="discovery-{scan_obj.pk}-users.csv"'
    return resp


@require_perm(Perm.DISCOVERY_VIEW)
def discovery_export_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    scan_obj = _exported(request, pk, "xlsx")
    tmp = Path(tempfile.mkdtemp(prefix="kijun-discovery-"))
    try:
        path = store.xlsx_file(scan_obj, tmp)
        with open(path, "rb") as fh:
            data = b"".join(iter_file(fh))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    resp = FileResponse(iter([data]), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="discovery-{scan_obj.pk}.xlsx"'
    return resp


class DecisionForm(forms.Form):
    key = forms.CharField(max_length=300)
    name = forms.CharField(max_length=300, required=False)
    decision = forms.ChoiceField(choices=AppDecision.Decision.choices)
    reason = forms.CharField(max_length=2000, required=False)
    version = forms.IntegerField(required=False, min_value=1)


@require_POST
@require_perm(Perm.DISCOVERY_RUN)
def discovery_decide(request: HttpRequest, pk: int) -> HttpResponse:
    scan_obj = get_object_or_404(_scans(request, Perm.DISCOVERY_RUN), pk=pk)
    form = DecisionForm(request.POST)
    keys = {a["key"] for a in [*scan_obj.report.get("apps", []), *scan_obj.report.get("unknown_domains", [])]}
    if not form.is_valid() or form.cleaned_data["key"] not in keys:
        messages.error(request, _("The decision could not be saved: choose a decision for a row of this report."))
    else:
        d = form.cleaned_data
        try:
            store.decide(request.user, scan_obj.unit, d["key"], d["decision"], name=d["name"],  # type: ignore[arg-type]
                         reason=d["reason"], scan_obj=scan_obj, request=request, expected_version=d["version"])
        except store.ConflictError:
            messages.error(request, _("Someone else changed this record while you were editing. Reload and try again."))
        else:
            messages.success(request, _("Decision saved."))
    nxt = request.POST.get("next", "")
    if nxt == "unknown":
        return redirect("discovery_unknown", pk=scan_obj.pk)
    return redirect("discovery_scan", pk=scan_obj.pk)
