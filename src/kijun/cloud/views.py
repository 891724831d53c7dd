"""Pages of the cloud domain: approved-service register, system ledger, use applications with the
engine's assessment and the permitting authority's decision, register export, ISMAP list upload."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kijun.core.decorators import require_perm
from kijun.core.incompatible import IncompatibleRolesError
from kijun.core.models import User
from kijun.core.permissions import access_for
from kijun.core.roles import ROLE_BY_CODE, Perm
from kijun.core.services import ConflictError
from kijun.core.uploads import UploadError, check_declared_length, iter_file, store

from .approval import ApprovalError
from .duties.services import add_evidence, evidence_dir, evidence_policy
from .forms import ApplicationForm, DecisionForm, IsmapUploadForm, SystemForm, WithdrawForm
from .ledger.services import class_choices, current_standard, suggest_class
from .ledger.services import export_csv as ledger_csv
from .ledger.services import export_xlsx as ledger_xlsx
from .models import (
    DECISIONS,
    InformationAsset,
    InformationSystem,
    IsmapEntry,
    IsmapImport,
    LifecycleItem,
    RegisterEntry,
    UseApplication,
)
from .register import dump_csv, dump_yaml
from .services import (
    complete_item,
    decide_application,
    engine,
    import_ismap,
    ismap_policy,
    save_system,
    submit_application,
    submit_draft,
    today,
    update_draft,
    warn_days,
    withdraw_application,
)

PAGE_SIZE = 50


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _lang() -> str:
    return get_language() or "ja"


@require_perm(Perm.CLOUD_VIEW)
def cloud_index(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    # nosemgrep: kijun-unscoped-queryset-in-view -- the register is agency-wide (one list for all units)
    entries = RegisterEntry.objects.all()
    q = request.GET.get("q", "").strip()
    if q:
        entries = entries.filter(Q(service_name__icontains=q) | Q(provider__icontains=q) | Q(service_id__icontains=q))
    status = request.GET.get("status", "")
    if status in RegisterEntry.Status.values:
        entries = entries.filter(status=status)
    overdue_only = request.GET.get("overdue") == "1"
    if overdue_only:  # dashboard card: services with open lifecycle duties past their date
        entries = entries.filter(lifecycle_items__status="open", lifecycle_items__due_on__lt=today()).distinct()
    ismap_only = request.GET.get("ismap") == "expiring"
    if ismap_only:  # dashboard card: approved services whose ISMAP registration lapsed or expires soon
        entries = entries.filter(status=RegisterEntry.Status.APPROVED, ismap_expires_on__lte=today() + dt.timedelta(
            days=warn_days())).exclude(ismap_number="")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    apps = acc.scoped(UseApplication.objects.all(), Perm.CLOUD_VIEW, "org_unit")
    # nosemgrep: kijun-unscoped-queryset-in-view -- overdue duties of the agency-wide register
    open_items = LifecycleItem.objects.filter(status="open", due_on__lt=today())
    overdue = dict(open_items.values_list("entry").annotate(n=Count("id")).values_list("entry", "n"))
    for e in page:
        e.overdue = overdue.get(e.pk, 0)
    # nosemgrep: kijun-unscoped-queryset-in-view -- counts of the agency-wide register
    counts = dict(RegisterEntry.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return render(request, "cloud/index.html", {
        "page": page, "q": q, "status": status, "overdue_only": overdue_only, "ismap_only": ismap_only,
        "pager_query": urlencode({k: v for k, v in (("q", q), ("status", status), ("overdue", "1" if overdue_only else ""),
                                                    ("ismap", "expiring" if ismap_only else "")) if v}),
        "statuses": [(code, label, counts.get(code, 0)) for code, label in RegisterEntry.Status.choices],
        "pending": apps.filter(status=UseApplication.Status.SUBMITTED).count(),
        "systems": acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_VIEW, "org_unit").count(),
        "can_apply": acc.has(Perm.CLOUD_APPLY), "can_manage": acc.has(Perm.CLOUD_MANAGE),
        "today": today(),
    })


@require_perm(Perm.CLOUD_VIEW)
def cloud_register_export(request: HttpRequest) -> HttpResponse:
    # nosemgrep: kijun-unscoped-queryset-in-view -- the register is agency-wide (one list for all units)
    rows = [e.to_row() for e in RegisterEntry.objects.order_by("service_id")]
    if request.GET.get("format") == "yaml":
        resp = HttpResponse(dump_yaml(rows, today()), content_type="application/yaml; charset=utf-8")
        resp["Content-Disposition"] = 'attachment; filename="kijun-cloud-register.yaml"'
    else:
        resp = HttpResponse(dump_csv(rows), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = 'attachment; filename="kijun-cloud-register.csv"'
    return resp


@require_perm(Perm.CLOUD_VIEW)
def cloud_register_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One service of the register with its lifecycle checklist; overdue items are flagged."""
    acc = access_for(request.user)
    # nosemgrep: kijun-unscoped-queryset-in-view -- the register is agency-wide (one list for all units)
    entry = get_object_or_404(RegisterEntry.objects.all(), pk=pk)
    ja = _lang().startswith("ja")
    now = today()
    def role_name(code: str) -> str:
        r = ROLE_BY_CODE.get(code)
        return code if r is None else (r.name_ja if ja else r.name_en)

    items = [{"item": i, "text": i.text_ja if ja else i.text_en, "phase": PHASES.get(i.phase, i.phase),
              "roles": [role_name(c) for c in i.owner_roles],
              "overdue": i.status == "open" and i.due_on is not None and i.due_on < now}
             for i in entry.lifecycle_items.select_related("owner").prefetch_related("evidence_files")
             .order_by("status", "due_on", "id")]
    can_manage = acc.has(Perm.CLOUD_MANAGE)
    people = (acc.scoped(User.objects.filter(is_active=True), Perm.CLOUD_VIEW, "unit").order_by("username")[:500]
              if can_manage else [])
    return render(request, "cloud/register_detail.html", {
        "entry": entry, "items": items, "overdue": sum(1 for i in items if i["overdue"]),
        "can_manage": can_manage, "people": people})


@require_POST
@require_perm(Perm.CLOUD_MANAGE)
def cloud_lifecycle_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a duty done (text evidence) with an optional evidence file (kijun.core.uploads)."""
    # nosemgrep: kijun-unscoped-queryset-in-view -- checklist of the agency-wide register; CLOUD_MANAGE checked
    item = get_object_or_404(LifecycleItem.objects.all(), pk=pk)
    policy = evidence_policy()
    note = request.POST.get("evidence", "")[:500]
    try:
        check_declared_length(request.META.get("CONTENT_LENGTH"), policy)
        upload = request.FILES.get("file")
        if upload is not None:
            with upload.open("rb") as fh:
                stored = store(iter_file(fh), policy, evidence_dir(), upload.name or "")
            add_evidence(request.user, item, stored, note=note, request=request)  # type: ignore[arg-type]
        complete_item(request.user, item, evidence=note, request=request)  # type: ignore[arg-type]
    except UploadError as exc:
        messages.error(request, _("The file was not accepted: %(reason)s") % {"reason": exc})
    except ApprovalError:
        messages.error(request, _("This item is already done."))
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Recorded."))
    return redirect("cloud_register_detail", pk=item.entry_id)


# ---------------------------------------------------------------- system ledger

@require_perm(Perm.CLOUD_VIEW)
def cloud_system_list(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    systems = acc.scoped(InformationSystem.objects.select_related("org_unit", "owner"), Perm.CLOUD_VIEW, "org_unit")
    q = request.GET.get("q", "").strip()
    if q:
        systems = systems.filter(Q(name__icontains=q) | Q(code__icontains=q))
    page = Paginator(systems, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cloud/system_list.html", {"page": page, "q": q, "can_manage": acc.has(Perm.CLOUD_MANAGE)})


@require_perm(Perm.CLOUD_VIEW)
def cloud_system_export(request: HttpRequest) -> HttpResponse:
    """The ledger in the user's scope: CSV (UTF-8 with BOM) or, with ?format=xlsx, an Excel workbook;
    both formula-safe, with the Japanese headers the ledger import reads back."""
    acc = access_for(request.user)
    systems = acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_VIEW, "org_unit")
    if request.GET.get("format") == "xlsx":
        resp = HttpResponse(ledger_xlsx(systems),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = 'attachment; filename="kijun-system-ledger.xlsx"'
    else:
        resp = HttpResponse(ledger_csv(systems), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = 'attachment; filename="kijun-system-ledger.csv"'
    return resp


@require_perm(Perm.CLOUD_VIEW)
def cloud_system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    system = get_object_or_404(acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_VIEW, "org_unit"), pk=pk)
    apps = acc.scoped(system.applications.all(), Perm.CLOUD_VIEW, "org_unit")[:100]
    standard, _row = current_standard()
    names = dict(class_choices(standard, _lang().startswith("ja")))
    suggested = suggest_class(system, standard)
    return render(request, "cloud/system_detail.html", {
        "system": system, "apps": apps, "can_manage": acc.has(Perm.CLOUD_MANAGE, system.org_unit),
        "assets": acc.scoped(system.information_assets.all(), Perm.CLOUD_VIEW, "org_unit"),
        "class_name": names.get(system.system_class, system.system_class),
        "suggested": suggested, "suggested_name": names.get(suggested.class_id, suggested.class_id),
        "no_assets": not system.information_assets.exists(), "can_apply": acc.has(Perm.CLOUD_APPLY)})


@require_perm(Perm.CLOUD_MANAGE)
def cloud_system_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    acc = access_for(request.user)
    system = (get_object_or_404(acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_MANAGE, "org_unit"), pk=pk)
              if pk else InformationSystem())
    standard, _row = current_standard()
    form = SystemForm(request.POST or None, instance=system, units=acc.units(Perm.CLOUD_MANAGE),
                      owners=acc.scoped(User.objects.filter(is_active=True), Perm.CLOUD_VIEW, "unit"),
                      classes=class_choices(standard, _lang().startswith("ja")))
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        try:
            save_system(request.user, obj, request=request, expected_version=_version(request))  # type: ignore[arg-type]
        except ConflictError:
            form.add_error(None, _("Someone else changed this record while you were editing. Reload and try again."))
        else:
            messages.success(request, _("Saved."))
            return redirect("cloud_system_detail", pk=obj.pk)
    return render(request, "cloud/system_form.html", {"form": form, "system": system})


# ---------------------------------------------------------------- use applications

@require_perm(Perm.CLOUD_VIEW)
def cloud_application_list(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    apps = acc.scoped(UseApplication.objects.select_related("applicant", "org_unit"), Perm.CLOUD_VIEW, "org_unit")
    status = request.GET.get("status", "")
    if status in UseApplication.Status.values:
        apps = apps.filter(status=status)
    page = Paginator(apps, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cloud/application_list.html", {
        "page": page, "status": status, "statuses": UseApplication.Status.choices,
        "can_apply": acc.has(Perm.CLOUD_APPLY)})


def _application_form(request: HttpRequest, initial: dict[str, object] | None = None) -> ApplicationForm:
    acc = access_for(request.user)
    return ApplicationForm(request.POST or None, initial=initial,
                           units=acc.units(Perm.CLOUD_APPLY),
                           systems=acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_VIEW, "org_unit"),
                           assets=acc.scoped(InformationAsset.objects.all(), Perm.CLOUD_VIEW, "org_unit"))


def _prefill(request: HttpRequest) -> dict[str, object]:
    """?asset=<id> (from an asset page) or ?system=<id> (its linked assets) pre-select the information;
    ?service=<name> (from a shadow-IT report) fills in the service."""
    acc = access_for(request.user)
    assets = acc.scoped(InformationAsset.objects.all(), Perm.CLOUD_VIEW, "org_unit")
    initial: dict[str, object] = {}
    if request.GET.get("asset", "").isdigit():
        initial["information_assets"] = list(assets.filter(pk=int(request.GET["asset"])).values_list("pk", flat=True))
    if request.GET.get("system", "").isdigit():
        system = acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_VIEW, "org_unit").filter(
            pk=int(request.GET["system"])).first()
        if system is not None:
            initial["system"] = system.pk
            initial["information_assets"] = list(assets.filter(systems=system).values_list("pk", flat=True))
    service = request.GET.get("service", "").strip()
    if service:  # "start a use application" from a shadow-IT report names the discovered service
        initial["service_name"] = service[:200]
    units = acc.units(Perm.CLOUD_APPLY)
    unit = getattr(request.user, "unit", None)
    if unit is not None and units.filter(pk=unit.pk).exists():
        initial["unit"] = unit.pk
    return initial


@require_perm(Perm.CLOUD_APPLY)
def cloud_application_new(request: HttpRequest) -> HttpResponse:
    form = _application_form(request, _prefill(request) if request.method == "GET" else None)
    if request.method == "POST" and form.is_valid():
        draft = request.POST.get("action") == "draft"
        try:
            use_request = form.use_request()
            app, _result = submit_application(request.user, use_request, unit=form.cleaned_data["unit"],  # type: ignore[arg-type]
                                              system=form.cleaned_data["system"], request=request, draft=draft,
                                              assets=list(form.cleaned_data["information_assets"]))
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Draft saved. The likely assessment is shown below; submit it when ready.")
                             if draft else _("Application submitted. The pre-assessment is shown below."))
            return redirect("cloud_application_detail", pk=app.pk)
    return render(request, "cloud/application_form.html", {"form": form})


def _own_draft(request: HttpRequest, pk: int) -> UseApplication:
    acc = access_for(request.user)
    return get_object_or_404(acc.scoped(UseApplication.objects.filter(applicant=request.user), Perm.CLOUD_APPLY,
                                        "org_unit"), pk=pk)


@require_perm(Perm.CLOUD_APPLY)
def cloud_application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit one's own draft; save it again or submit it (draft → submitted)."""
    app = _own_draft(request, pk)
    if app.status != UseApplication.Status.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect("cloud_application_detail", pk=app.pk)
    form = _application_form(request, ApplicationForm.initial_from(app) if request.method == "GET" else None)
    if request.method == "POST" and form.is_valid():
        submit = request.POST.get("action") != "draft"
        try:
            update_draft(request.user, app, form.use_request(), unit=form.cleaned_data["unit"],  # type: ignore[arg-type]
                         system=form.cleaned_data["system"], assets=list(form.cleaned_data["information_assets"]),
                         submit=submit, request=request, expected_version=_version(request))
        except ConflictError:
            form.add_error(None, _("Someone else changed this record while you were editing. Reload and try again."))
        except (ApprovalError, ValueError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Application submitted. The pre-assessment is shown below.") if submit
                             else _("Draft saved. The likely assessment is shown below; submit it when ready."))
            return redirect("cloud_application_detail", pk=app.pk)
    return render(request, "cloud/application_form.html", {"form": form, "app": app})


@require_POST
@require_perm(Perm.CLOUD_APPLY)
def cloud_application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    app = _own_draft(request, pk)
    try:
        submit_draft(request.user, app, request=request, expected_version=_version(request))  # type: ignore[arg-type]
    except ConflictError:
        messages.error(request, _("Someone else changed this record while you were editing. Reload and try again."))
    except (ApprovalError, ValueError):
        messages.error(request, _("Only a draft can be submitted."))
    else:
        messages.success(request, _("Application submitted. The pre-assessment is shown below."))
    return redirect("cloud_application_detail", pk=app.pk)


@require_POST
@require_perm(Perm.CLOUD_APPLY)
def cloud_application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    app = _own_draft(request, pk)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        withdraw_application(request.user, app, reason=reason, request=request,  # type: ignore[arg-type]
                             expected_version=_version(request))
    except ConflictError:
        messages.error(request, _("Someone else changed this record while you were editing. Reload and try again."))
    except ApprovalError:
        messages.error(request, _("A decided application cannot be withdrawn."))
    else:
        messages.success(request, _("Application withdrawn."))
    return redirect("cloud_application_detail", pk=app.pk)


PHASES = {"planning": gettext_lazy("Planning"), "procurement": gettext_lazy("Procurement"),
          "construction": gettext_lazy("Introduction"), "operation": gettext_lazy("Operation"),
          "end_of_use": gettext_lazy("End of use")}


def _assessment_context(app: UseApplication) -> dict[str, object]:
    a = app.assessment or {}
    ja = _lang().startswith("ja")
    labels = dict(DECISIONS)
    vocab = {r.code: (r.name_ja if ja else r.name_en) for r in engine().vocabulary.items}
    reasons = [{"rule": r["rule"], "decision": labels.get(r["decision"], r["decision"]), "cites": r["cites"],
                "message": r["message_ja"] if ja else r["message_en"]} for r in a.get("reasons", [])]
    conditions = [{"id": c["id"], "phase": PHASES.get(c["phase"], c["phase"]), "cites": c["cites"],
                   "text": c["text_ja"] if ja else c["text_en"]} for c in a.get("conditions", [])]
    duties = [(phase, [{"id": d["id"], "cites": d["cites"], "owners": d["owner_roles"],
                        "recurrence": d["recurrence_days"], "text": d["text_ja"] if ja else d["text_en"]}
                       for d in items]) for phase, items in a.get("duties", {}).items() if items]
    duties = [(PHASES.get(phase, phase), items) for phase, items in duties]
    return {"restrictions": [vocab.get(x, x) for x in app.handling_restrictions], "reasons": reasons, "conditions": conditions, "duties": duties,
            "track_sections": a.get("track_sections", []), "warnings": a.get("warnings", []),
            "service_summary": a.get("service", {})}


@require_perm(Perm.CLOUD_VIEW)
def cloud_application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    app = get_object_or_404(acc.scoped(UseApplication.objects.select_related("applicant", "approver", "org_unit"),
                                       Perm.CLOUD_VIEW, "org_unit"), pk=pk)
    can_decide = (acc.has(Perm.CLOUD_APPROVE, app.org_unit) and app.status == UseApplication.Status.SUBMITTED)
    own = app.applicant_id == request.user.pk
    open_states = (UseApplication.Status.DRAFT, UseApplication.Status.SUBMITTED)
    ctx: dict[str, object] = {"app": app, "can_decide": can_decide, "own": own,
                              "form": DecisionForm() if can_decide else None,
                              "can_withdraw": own and app.status in open_states and acc.has(Perm.CLOUD_APPLY, app.org_unit),
                              "withdraw_form": WithdrawForm(),
                              "assets": acc.scoped(app.information_assets.all(), Perm.CLOUD_VIEW, "org_unit")}
    ctx.update(_assessment_context(app))
    return render(request, "cloud/application_detail.html", ctx)


@require_POST
@require_perm(Perm.CLOUD_APPROVE)
def cloud_application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    app = get_object_or_404(acc.scoped(UseApplication.objects.all(), Perm.CLOUD_APPROVE, "org_unit"), pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            decide_application(request.user, app, approve_it=d["action"] == "approve",  # type: ignore[arg-type]
                               note=d["note"], administrator=d["administrator"], domains=d["domains"],
                               exception_reference=d["exception_reference"], review_note=d["review_note"],
                               request=request, expected_version=_version(request))
        except IncompatibleRolesError as exc:
            form.add_error(None, exc.message(_lang()))
        except ApprovalError as exc:
            form.add_error(None, _("The decision was refused: %(reason)s") % {"reason": exc})
        except ConflictError:
            form.add_error(None, _("Someone else changed this record while you were editing. Reload and try again."))
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("cloud_application_detail", pk=app.pk)
    ctx: dict[str, object] = {"app": app, "can_decide": True, "own": app.applicant_id == request.user.pk,
                              "form": form, "assets": acc.scoped(app.information_assets.all(), Perm.CLOUD_VIEW,
                                                                  "org_unit")}
    ctx.update(_assessment_context(app))
    return render(request, "cloud/application_detail.html", ctx, status=409 if form.non_field_errors() else 400)


# ---------------------------------------------------------------- ISMAP list

@require_perm(Perm.CLOUD_VIEW)
def cloud_ismap(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    # nosemgrep: kijun-unscoped-queryset-in-view -- the ISMAP list is public, agency-wide data
    latest = IsmapImport.objects.first()
    entries = latest.entries.all() if latest else IsmapEntry.objects.none()  # nosemgrep: kijun-unscoped-queryset-in-view -- public list
    q = request.GET.get("q", "").strip()
    if q:
        entries = entries.filter(Q(service_name__icontains=q) | Q(provider_name__icontains=q)
                                 | Q(registration_number__icontains=q))
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    # nosemgrep: kijun-unscoped-queryset-in-view -- import history of the agency-wide list
    imports = IsmapImport.objects.select_related("uploaded_by")[:20]
    return render(request, "cloud/ismap.html", {"latest": latest, "page": page, "q": q, "imports": imports,
                                                "today": today(), "can_manage": acc.has(Perm.CLOUD_MANAGE)})


@require_perm(Perm.CLOUD_VIEW)
def cloud_ismap_import(request: HttpRequest, pk: int) -> HttpResponse:
    # nosemgrep: kijun-unscoped-queryset-in-view -- import history of the agency-wide list
    imp = get_object_or_404(IsmapImport.objects.select_related("uploaded_by"), pk=pk)
    return render(request, "cloud/ismap_import.html", {"imp": imp, "diff": imp.diff, "row_errors": imp.errors[:500]})


@require_perm(Perm.CLOUD_MANAGE)
def cloud_ismap_upload(request: HttpRequest) -> HttpResponse:
    policy = ismap_policy()
    if request.method == "POST":
        try:
            check_declared_length(request.META.get("CONTENT_LENGTH"), policy)
        except UploadError as exc:
            msg = _("The file is too large (at most %(n)s bytes).") % {"n": policy.max_bytes}
            return render(request, "cloud/ismap_upload.html",
                          {"form": IsmapUploadForm(), "upload_error": msg, "max_bytes": policy.max_bytes},
                          status=exc.status)
        form = IsmapUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                with upload.open("rb") as fh:
                    stored = store(iter_file(fh), policy, settings.DATA_DIR / "uploads" / "cloud", upload.name)
                imp = import_ismap(request.user, stored, request=request)  # type: ignore[arg-type]
            except UploadError as exc:
                form.add_error("file", str(exc))
                return render(request, "cloud/ismap_upload.html", {"form": form}, status=exc.status)
            except ValueError as exc:
                form.add_error("file", str(exc))
                return render(request, "cloud/ismap_upload.html", {"form": form}, status=400)
            messages.success(request, _("ISMAP list imported."))
            return redirect("cloud_ismap_import", pk=imp.pk)
    else:
        form = IsmapUploadForm()
    return render(request, "cloud/ismap_upload.html", {"form": form, "max_bytes": policy.max_bytes})
