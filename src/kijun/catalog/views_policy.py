"""Pages of the agency's 対策基準: the tailored standard per organisation, one clause with its editor
and history, agency-specific clauses, and the exports (OSCAL profile, CSV, XLSX)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST as _require_post

from kijun.core.decorators import View, require_perm
from kijun.core.models import OrgUnit
from kijun.core.roles import Perm
from kijun.core.services import ConflictError

from .forms import AdditionForm, ClauseForm, PolicyMetaForm
from .models import OfficialText, PolicyClause, PolicyClauseChange
from .services import (
    EXPORT_FORMATS,
    TailoringError,
    can_edit,
    changed_fields,
    delete_addition,
    export_policy,
    policy_clauses,
    policy_of,
    save_clause,
    update_policy_meta,
    visible_organisations,
)
from .store import default_catalog
from .tailoring import TAILORABLE, Clause, policy_rows

PAGE_SIZE = 50
#: Django's decorator is untyped; views keep their signatures.
require_post: Callable[[View], View] = _require_post
CONFLICT = gettext_lazy("Someone else changed this clause while you were editing. Reload and try again.")
FIELD_LABELS = {
    "status": gettext_lazy("Applicability"), "reason": gettext_lazy("Reason for the exclusion"),
    "wording_ja": gettext_lazy("Our wording (Japanese)"), "wording_en": gettext_lazy("Our wording (English)"),
    "parameters": gettext_lazy("Parameters"), "title": gettext_lazy("Title"),
    "anchor": gettext_lazy("Provision of the standard it belongs to"),
}
SHOW = ("all", "tailored", "excluded", "agency")


def _org(request: HttpRequest, unit: str) -> OrgUnit:
    """The organisation named in the URL, if the user may see its 対策基準 (404 otherwise: no IDOR)."""
    org: OrgUnit = get_object_or_404(visible_organisations(request.user), code=unit)
    return org


@require_perm(Perm.CATALOG_VIEW)
def catalog_policy_index(request: HttpRequest) -> HttpResponse:
    orgs = list(visible_organisations(request.user).order_by("name"))
    rows = []
    for org in orgs[:100]:
        policy = policy_of(org)
        clauses = policy_clauses(policy)
        rows.append({"org": org, "policy": policy, "tailored": sum(1 for c in clauses if c.tailored),
                     "excluded": sum(1 for c in clauses if c.excluded),
                     "agency": sum(1 for c in clauses if c.is_addition)})
    return render(request, "catalog/policy_index.html", {"rows": rows})


def _policy_context(request: HttpRequest, org: OrgUnit, *, add_form: AdditionForm | None = None,
                    meta_form: PolicyMetaForm | None = None) -> dict[str, Any]:
    cat = default_catalog()
    policy = policy_of(org)
    clauses = policy_clauses(policy)
    rows = policy_rows(cat, clauses)
    show = request.GET.get("show", "all")
    show = show if show in SHOW else "all"
    if show == "tailored":
        tailored = {c.clause_id for c in clauses if c.tailored}
        rows = [r for r in rows if r["clause_id"] in tailored]
    elif show == "excluded":
        rows = [r for r in rows if r["status"] == "適用除外"]
    elif show == "agency":
        rows = [r for r in rows if r["kind"] == "agency_clause"]
    q = request.GET.get("q", "").strip()[:100]
    if q:
        rows = [r for r in rows if q in r["clause_id"] or q in r["title_ja"] or q in r["wording_ja"]]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for r in page:
        r["excluded"] = r["status"] == "適用除外"
        r["agency"] = r["kind"] == "agency_clause"
    editable = can_edit(request.user, org)
    return {
        "org": org, "policy": policy, "page": page, "show": show, "q": q, "can_edit": editable,
        "query": f"show={show}&q={q}", "formats": EXPORT_FORMATS,
        "counts": {"tailored": sum(1 for c in clauses if c.tailored), "excluded": sum(1 for c in clauses if c.excluded),
                   "agency": sum(1 for c in clauses if c.is_addition)},
        "add_form": add_form or (AdditionForm() if editable else None),
        "meta_form": meta_form or (PolicyMetaForm(initial={"title": policy.title, "version_label": policy.version_label,
                                                           "version": policy.version}) if editable else None),
    }


@require_perm(Perm.CATALOG_VIEW)
def catalog_policy(request: HttpRequest, unit: str) -> HttpResponse:
    org = _org(request, unit)
    return render(request, "catalog/policy.html", _policy_context(request, org))


def _need_edit(request: HttpRequest, org: OrgUnit) -> None:
    if not can_edit(request.user, org):
        raise PermissionDenied(Perm.POLICY_MANAGE.value)


@require_post
@require_perm(Perm.POLICY_MANAGE)
def catalog_policy_add(request: HttpRequest, unit: str) -> HttpResponse:
    org = _org(request, unit)
    _need_edit(request, org)
    form = AdditionForm(request.POST)
    if form.is_valid():
        policy = policy_of(org)
        if policy.pk and policy.clauses.filter(clause_id=form.cleaned_data["clause_id"]).exists():
            form.add_error("clause_id", _("This id is already used in your 対策基準."))
        else:
            try:
                save_clause(request.user, org, form.clause(), expected_version=0, request=request)
            except (TailoringError, ConflictError) as exc:
                form.add_error(None, str(exc) if isinstance(exc, TailoringError) else CONFLICT)
            else:
                messages.success(request, _("Agency clause added."))
                return redirect("catalog_policy_clause", unit=org.code, clause_id=form.cleaned_data["clause_id"])
    return render(request, "catalog/policy.html", _policy_context(request, org, add_form=form), status=400)


@require_post
@require_perm(Perm.POLICY_MANAGE)
def catalog_policy_meta(request: HttpRequest, unit: str) -> HttpResponse:
    org = _org(request, unit)
    _need_edit(request, org)
    form = PolicyMetaForm(request.POST)
    if form.is_valid():
        try:
            update_policy_meta(request.user, org, title=form.cleaned_data["title"],
                               version_label=form.cleaned_data["version_label"],
                               expected_version=form.cleaned_data["version"], request=request)
        except ConflictError:
            form.add_error(None, _("Someone else changed this 対策基準 while you were editing. Reload and try again."))
        else:
            messages.success(request, _("Saved."))
            return redirect("catalog_policy", unit=org.code)
    return render(request, "catalog/policy.html", _policy_context(request, org, meta_form=form), status=400)


def _history(policy_id: int | None, clause_id: str) -> list[dict[str, Any]]:
    if policy_id is None:
        return []
    out = []
    # nosemgrep: kijun-unscoped-queryset-in-view -- policy_id comes from an organisation the user may see (_org)
    for ch in PolicyClauseChange.objects.filter(policy_id=policy_id, clause_id=clause_id)[:50]:
        fields = [{"label": FIELD_LABELS.get(f, f), "before": _show((ch.before or {}).get(f)),
                   "after": _show((ch.after or {}).get(f))} for f in changed_fields(ch.before, ch.after)]
        out.append({"at": ch.at, "actor": ch.actor_label, "action": ch.action, "fields": fields})
    return out


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(f"{p.get('label')}={p.get('value')}" if isinstance(p, dict) else str(p) for p in value)
    if value == "excluded":
        return str(_("Excluded"))
    if value == "included":
        return str(_("Applies"))
    return "" if value is None else str(value)


@require_perm(Perm.CATALOG_VIEW)
def catalog_policy_clause(request: HttpRequest, unit: str, clause_id: str) -> HttpResponse:
    """One clause: the standard's summary, the agency's tailoring, the editor and the change history."""
    org = _org(request, unit)
    cat = default_catalog()
    policy = policy_of(org)
    # nosemgrep: kijun-unscoped-queryset-in-view -- policy of an organisation the user may see (_org)
    row = (PolicyClause.objects.filter(policy=policy, clause_id=clause_id).select_related("updated_by").first()
           if policy.pk else None)
    is_addition = row is not None and row.is_addition
    if not is_addition and (clause_id not in cat or cat.get(clause_id).kind not in TAILORABLE):
        raise Http404(clause_id)
    from .services import to_clause

    clause: Clause | None = to_clause(row) if row is not None else None
    version = row.version if row is not None else 0
    editable = can_edit(request.user, org)
    form: ClauseForm | AdditionForm | None = None
    if request.method == "POST":
        _need_edit(request, org)
        if is_addition and request.POST.get("action") == "delete":
            try:
                delete_addition(request.user, org, clause_id, expected_version=_int(request.POST.get("version")),
                                request=request)
            except ConflictError:
                messages.error(request, CONFLICT)
                return redirect("catalog_policy_clause", unit=org.code, clause_id=clause_id)
            messages.success(request, _("Agency clause deleted."))
            return redirect("catalog_policy", unit=org.code)
        if is_addition:
            data = request.POST.copy()
            data["clause_id"] = clause_id
            form = AdditionForm(data)
        else:
            form = ClauseForm(request.POST, clause_id=clause_id)
        if form.is_valid():
            try:
                save_clause(request.user, org, form.clause(), expected_version=form.cleaned_data["version"],
                            request=request)
            except ConflictError:
                form.add_error(None, CONFLICT)
            except TailoringError as exc:
                for p in exc.problems:
                    form.add_error(None, p)
            else:
                messages.success(request, _("Saved."))
                return redirect("catalog_policy_clause", unit=org.code, clause_id=clause_id)
    elif editable:
        if is_addition and clause is not None:
            form = AdditionForm(initial={"clause_id": clause.clause_id, "anchor": clause.anchor, "title": clause.title,
                                         "wording_ja": clause.wording_ja, "wording_en": clause.wording_en,
                                         "parameters": ClauseForm.initial_for(clause, version)["parameters"],
                                         "version": version})
        else:
            form = ClauseForm(initial=ClauseForm.initial_for(clause, version), clause_id=clause_id)
    if isinstance(form, AdditionForm):
        from django import forms as djforms

        form.fields["clause_id"].widget = djforms.HiddenInput()
    node = cat.get(clause.anchor if is_addition and clause else clause_id)
    official = OfficialText.objects.filter(edition=cat.edition.code, node_id=node.id).first()  # nosemgrep: kijun-unscoped-queryset-in-view -- agency-wide reference text
    return render(request, "catalog/policy_clause.html", {
        "org": org, "policy": policy, "clause_id": clause_id, "clause": clause, "node": node,
        "is_addition": is_addition, "official": official, "form": form, "can_edit": editable, "version": version,
        "history": _history(policy.pk, clause_id), "updated_by": clause.updated_by if clause else "",
    }, status=400 if form is not None and form.is_bound else 200)


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


@require_perm(Perm.CATALOG_VIEW)
def catalog_policy_export(request: HttpRequest, unit: str) -> HttpResponse:
    org = _org(request, unit)
    fmt = request.GET.get("format", "oscal")
    if fmt not in EXPORT_FORMATS:
        raise Http404(fmt)
    data, ctype, name = export_policy(org, fmt, datetime.now(UTC))
    resp = HttpResponse(data, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp
