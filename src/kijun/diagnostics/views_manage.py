"""Remediation list and edit, CSV/XLSX exports, inventory and feed uploads, SLA settings, rematch.

Uploads go through kijun.core.uploads (declared length checked before reading, magic bytes, gzip
bomb limits, random stored names); parsing happens before anything is written, so a bad file is
refused with its message and nothing is half-stored.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kijun.cloud.models import InformationSystem
from kijun.core.decorators import require_perm
from kijun.core.models import User
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.services import ConflictError
from kijun.core.uploads import (
    StoredUpload,
    UploadError,
    UploadPolicy,
    check_declared_length,
    iter_file,
    store,
)

from ._io import FeedError
from .export import Cell, csv_bytes, xlsx_bytes
from .forms import FeedUploadForm, InventoryUploadForm, RemediationForm, SlaForm
from .models import OUTCOME_NAME, OUTCOMES, Finding, Remediation
from .services import (
    OPEN,
    RemediationError,
    ingest_files,
    rematch,
    save_sla,
    sla_days,
    today,
    update_remediation,
)
from .store import parse_files, store_parsed
from .views import PAGE_SIZE, scoped, show

STATUS_FILTERS = ("active", "all", *Remediation.Status.values)


def _filtered(request: HttpRequest) -> tuple[Any, dict[str, str]]:
    rems = scoped(request, Remediation).select_related("vuln", "host", "system", "owner", "org_unit")
    f = {k: request.GET.get(k, "").strip() for k in ("status", "outcome", "overdue", "q")}
    f["status"] = f["status"] if f["status"] in STATUS_FILTERS else "active"
    if f["status"] == "active":
        rems = rems.filter(status__in=OPEN)
    elif f["status"] != "all":
        rems = rems.filter(status=f["status"])
    if f["outcome"] in {str(r) for r, _n in OUTCOMES}:
        rems = rems.filter(outcome=int(f["outcome"]))
    if f["overdue"] == "1":
        rems = rems.filter(status__in=OPEN, due_on__lt=today())
    if f["q"]:
        q = f["q"]
        rems = rems.filter(Q(vuln__vuln_id__icontains=q) | Q(host__name__icontains=q) | Q(system__name__icontains=q)
                           | Q(system__code__icontains=q) | Q(owner__username__icontains=q))
    return rems.order_by("-outcome", "due_on", "id"), f


@require_perm(Perm.VULN_VIEW)
def diagnostics_remediations(request: HttpRequest) -> HttpResponse:
    rems, f = _filtered(request)
    page = Paginator(rems, PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in f.items() if v)
    return show(request, "diagnostics/remediation_list.html", {
        "page": page, "f": f, "query": query, "today": today(),
        "statuses": [("active", _("Open or in progress")), ("all", _("All")), *Remediation.Status.choices],
        "outcomes": [(str(r), n) for r, n in reversed(OUTCOMES)]})


REM_HEADERS = ("脆弱性ID", "SSVC", "状態", "対象システム", "対象ホスト", "組織", "担当者", "対処期限", "期限の根拠",
               "KEV", "EPSS", "CVSS", "検出数", "例外の有効期限", "検出日時", "完了日時")


def _rem_rows(rems: Any) -> Any:
    for r in rems.iterator(2000):
        yield [r.vuln.vuln_id, OUTCOME_NAME[r.outcome], r.get_status_display(), r.system.code if r.system else "",
               r.host.name if r.host else "", r.org_unit.code, r.owner.username if r.owner else "", r.due_on,
               r.due_basis, "yes" if r.vuln.kev else "", r.vuln.epss, r.vuln.cvss_score, r.findings,
               r.exception_expires, r.opened_at.date(), r.closed_at.date() if r.closed_at else None]


FINDING_HEADERS = ("ホスト", "組織", "システム", "製品", "バージョン", "脆弱性ID", "SSVC", "KEV", "EPSS", "CVSS",
                   "検出元", "一致した条件", "範囲", "動作環境")


def _finding_rows(findings: Any) -> Any:
    for f in findings.iterator(2000):
        nvd = f.match.reason.get("nvd") or {}
        other = f.match.reason.get("osv") or f.match.reason.get("jvn") or {}
        yield [f.host.name, f.org_unit.code, f.system.code if f.system else "", f.software.product,
               f.software.version, f.vuln.vuln_id, OUTCOME_NAME[f.outcome], "yes" if f.vuln.kev else "",
               f.vuln.epss, f.vuln.cvss_score, f.match.sources, nvd.get("criterion") or other.get("advisory")
               or other.get("jvn") or "", nvd.get("range") or other.get("range") or "", "; ".join(f.running_on or [])]


def _download(fmt: str, name: str, headers: tuple[str, ...], rows: Any, title: str) -> HttpResponse:
    stamp = today().isoformat()
    if fmt == "xlsx":
        resp = HttpResponse(xlsx_bytes(headers, rows, title),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = f'attachment; filename="kijun-{name}-{stamp}.xlsx"'
    else:
        resp = HttpResponse(csv_bytes(headers, rows), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="kijun-{name}-{stamp}.csv"'
    return resp


@require_perm(Perm.VULN_VIEW)
def diagnostics_remediation_export(request: HttpRequest) -> HttpResponse:
    rems, _f = _filtered(request)
    rows: Any = _rem_rows(rems)
    return _download(request.GET.get("format", "csv"), "vuln-remediation", REM_HEADERS, rows, "対処状況")


@require_perm(Perm.VULN_VIEW)
def diagnostics_findings_export(request: HttpRequest) -> HttpResponse:
    findings = (scoped(request, Finding).select_related("host", "org_unit", "system", "software", "vuln", "match")
                .order_by("-outcome", "vuln__vuln_id", "host__name"))
    rows: Any = _finding_rows(findings)
    return _download(request.GET.get("format", "csv"), "vuln-findings", FINDING_HEADERS, rows, "検出結果")


@require_perm(Perm.VULN_VIEW)
def diagnostics_remediation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    rem = get_object_or_404(scoped(request, Remediation).select_related("vuln", "host", "system", "owner",
                                                                        "org_unit"), pk=pk)
    can_edit = acc.has(Perm.VULN_REMEDIATE, rem.org_unit)
    owners = acc.scoped(User.objects.filter(is_active=True), Perm.VULN_VIEW, "unit").order_by("username")
    form = None
    if can_edit:
        initial = {"status": rem.status, "owner": rem.owner, "due_on": rem.due_on,
                   "exception_expires": rem.exception_expires, "version": rem.version}
        form = RemediationForm(request.POST or None, initial=initial, owners=owners)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                update_remediation(request.user, rem, status=d["status"], owner=d["owner"],
                                   due_on=d["due_on"], exception_expires=d["exception_expires"], note=d["note"],
                                   expected_version=d["version"], request=request)
            except ConflictError:
                form.add_error(None, _("Someone else changed this record while you were editing. Reload and try again."))
            except RemediationError as exc:
                form.add_error(None, _remediation_message(str(exc)))
            else:
                messages.success(request, _("Saved."))
                return redirect("diagnostics_remediation_detail", pk=rem.pk)
    elif request.method == "POST":
        raise PermissionDenied(Perm.VULN_REMEDIATE.value)
    scope = Q(system=rem.system) if rem.system_id else Q(host=rem.host)
    findings = (scoped(request, Finding).filter(scope, vuln=rem.vuln).select_related("host", "software", "match")
                .order_by("host__name", "id"))
    return show(request, "diagnostics/remediation_detail.html", {
        "rem": rem, "form": form, "findings": findings[:200], "events": rem.events.all()[:100], "today": today(),
        "overdue": rem.status in OPEN and rem.due_on is not None and rem.due_on < today()})


def _remediation_message(msg: str) -> str:
    if "expiry" in msg:
        return str(_("A risk acceptance (exception) needs an expiry date in the future."))
    if "reason for the exception" in msg:
        return str(_("Give the reason for the exception in the note."))
    if "false positive" in msg:
        return str(_("Explain in the note why the finding is a false positive."))
    return msg


# ------------------------------------------------------------------ uploads (VULN_MANAGE)

def _policy(kind: str) -> UploadPolicy:
    limit = int(getattr(settings, "KIJUN_VULN_UPLOAD_MAX_BYTES", 200 * 1024 * 1024))
    types = {"inventory": {"text", "json", "gzip"}, "feed": {"text", "json", "gzip", "xml"}}[kind]
    return UploadPolicy(f"diagnostics {kind}", max_bytes=limit, allowed_types=frozenset(types),
                        max_unpacked_bytes=2 * 1024 * 1024 * 1024, max_ratio=200)


SUFFIXES = (".csv", ".json", ".jsonl", ".xml", ".rdf")


def _with_suffix(stored: StoredUpload) -> Path:
    """The parsers pick the format by suffix (.csv, .json, .xml): keep the user's one, else from the content."""
    name = stored.display_name.lower().removesuffix(".gz")
    suffix = next((s for s in SUFFIXES if name.endswith(s)), "")
    if not suffix:
        suffix = {"json": ".json", "xml": ".xml"}.get(stored.detected_type, "")
    target = stored.path.with_name(stored.path.name + suffix + (".gz" if stored.detected_type == "gzip" else ""))
    os.replace(stored.path, target)
    return target


def _receive(request: HttpRequest, form: Any, kind: str) -> Path | None:
    upload = form.cleaned_data["file"]
    try:
        with upload.open("rb") as fh:
            stored = store(iter_file(fh), _policy(kind), settings.DATA_DIR / "uploads" / "diagnostics", upload.name)
    except UploadError as exc:
        form.add_error("file", str(exc))
        return None
    return _with_suffix(stored)


def _too_large(request: HttpRequest, kind: str) -> str | None:
    try:
        check_declared_length(request.META.get("CONTENT_LENGTH"), _policy(kind))
    except UploadError:
        return str(_("The file is too large (at most %(n)s bytes).") % {"n": _policy(kind).max_bytes})
    return None


@require_perm(Perm.VULN_MANAGE)
def diagnostics_upload_inventory(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    units = acc.units(Perm.VULN_MANAGE)
    systems = acc.scoped(InformationSystem.objects.all(), Perm.VULN_MANAGE, "org_unit")
    if request.method == "POST" and (err := _too_large(request, "inventory")):
        return show(request, "diagnostics/upload.html", {"form": InventoryUploadForm(units=units, systems=systems),
                                                            "upload_error": err, "kind": "inventory"}, status=413)
    form = InventoryUploadForm(request.POST or None, request.FILES or None, units=units, systems=systems)
    if request.method == "POST" and form.is_valid():
        path = _receive(request, form, "inventory")
        if path is not None:
            try:
                res = ingest_files([path], unit=form.cleaned_data["unit"], system=form.cleaned_data["system"],
                                   actor=request.user, request=request,
                                   source=form.cleaned_data["file"].name)
            except FeedError as exc:
                form.add_error("file", _("The file could not be read: %(e)s") % {"e": str(exc).replace(str(path), "")})
            else:
                m = rematch(actor=request.user, request=request)
                messages.success(request, _("Inventory stored: %(h)s hosts, %(i)s items (%(u)s unmapped); "
                                            "%(f)s findings after matching.") % {
                    "h": res.hosts, "i": res.items, "u": res.unmapped, "f": m.findings})
                return redirect("diagnostics_hosts")
    return show(request, "diagnostics/upload.html", {"form": form, "kind": "inventory"},
                  status=400 if request.method == "POST" else 200)


@require_perm(Perm.VULN_MANAGE)
def diagnostics_upload_feed(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and (err := _too_large(request, "feed")):
        return show(request, "diagnostics/upload.html", {"form": FeedUploadForm(), "upload_error": err,
                                                            "kind": "feed"}, status=413)
    form = FeedUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        path = _receive(request, form, "feed")
        if path is not None:
            kind = form.cleaned_data["kind"]
            try:
                parsed = parse_files(**({kind: path} if kind in ("kev", "epss") else {kind: [path]}))
                counts = store_parsed(parsed, actor=request.user)
            except FeedError as exc:
                form.add_error("file", _("The file could not be read: %(e)s") % {"e": str(exc).replace(str(path), "")})
            else:
                c = counts.get(kind, {})
                if c.get("added") or c.get("changed") or c.get("removed"):
                    rematch(actor=request.user, request=request)
                messages.success(request, _("Feed stored: %(a)s added, %(c)s changed, %(u)s unchanged.") % {
                    "a": c.get("added", 0), "c": c.get("changed", 0), "u": c.get("unchanged", 0)})
                return redirect("diagnostics_index")
    return show(request, "diagnostics/upload.html", {"form": form, "kind": "feed"},
                  status=400 if request.method == "POST" else 200)


@require_POST  # type: ignore[untyped-decorator]
@require_perm(Perm.VULN_MANAGE)
def diagnostics_rematch(request: HttpRequest) -> HttpResponse:
    res = rematch(actor=request.user, request=request)
    messages.success(request, _("Matched %(p)s distinct software versions: %(f)s findings.") % {
        "p": res.pairs, "f": res.findings})
    return redirect("diagnostics_index")


@require_perm(Perm.VULN_MANAGE)
def diagnostics_sla(request: HttpRequest) -> HttpResponse:
    form = SlaForm(request.POST or None, current=sla_days())
    if request.method == "POST" and form.is_valid():
        save_sla(request.user, form.days(), request=request)
        messages.success(request, _("Saved."))
        return redirect("diagnostics_sla")
    return show(request, "diagnostics/sla.html", {"form": form})


__all__ = ["Cell"]
