"""Dashboard, organisation units, people and role assignments (server-rendered pages)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .decorators import require_perm
from .forms import PersonForm, RoleAssignmentForm, UnitForm
from .incompatible import IncompatibleRolesError
from .models import AuditEntry, Notification, OrgUnit, RoleAssignment, User
from .permissions import access_for
from .plugins import domain_modules
from .roles import ROLE_BY_CODE, Perm
from .services import ConflictError, grant_role, revoke_role, save_person, save_unit

PAGE_SIZE = 50


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@require_perm(Perm.DASHBOARD_VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    ctx: dict[str, object] = {
        "my_roles": [(ROLE_BY_CODE[c], u) for c, u in
                     RoleAssignment.objects.filter(user=request.user).values_list("role", "unit__name")],
        "unread": Notification.objects.filter(user=request.user, read_at__isnull=True).count(),
    }
    if acc.has(Perm.ORG_VIEW):
        units = acc.units(Perm.ORG_VIEW)
        ctx["unit_count"] = units.count()
        ctx["unit_by_kind"] = dict(units.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    if acc.has(Perm.PEOPLE_VIEW):
        people = acc.scoped(User.objects.all(), Perm.PEOPLE_VIEW, "unit")
        ctx["people_count"] = people.filter(is_active=True).count()
        ctx["role_count"] = acc.scoped(RoleAssignment.objects.all(), Perm.PEOPLE_VIEW, "unit").count()
    if acc.has(Perm.AUDIT_VIEW):
        ctx["audit_count"] = AuditEntry.objects.count()  # nosemgrep: kijun-unscoped-queryset-in-view -- global log; AUDIT_VIEW checked
        ctx["recent_audit"] = AuditEntry.objects.order_by("-seq")[:8]  # nosemgrep: kijun-unscoped-queryset-in-view -- global log; AUDIT_VIEW checked
    ctx["domain_cards"] = _domain_cards(request)
    return render(request, "core/dashboard.html", ctx)


def _domain_cards(request: HttpRequest) -> list[dict[str, object]]:
    """Cards from each domain app's ``dashboard.cards(request)``.

    Each card is a dict with ``label``, ``value``, ``url``, ``testid`` and optional ``warn`` (True
    draws attention: overdue duties, expiring registrations). Domains check their own permissions
    and scope, and return an empty list for users who may not see them. Each module also declares
    ``QUERIES``, the most database queries its cards take (tests/web/test_query_counts.py adds it to the
    dashboard's pinned budget).
    """
    cards: list[dict[str, object]] = []
    for _domain, module in domain_modules("dashboard"):
        cards.extend(module.cards(request))
    return cards


@require_perm(Perm.ORG_VIEW)
def unit_list(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    units = acc.units(Perm.ORG_VIEW).annotate(n_members=Count("members", distinct=True)).order_by("path", "name")
    q = request.GET.get("q", "").strip()
    if q:
        units = units.filter(Q(name__icontains=q) | Q(name_en__icontains=q) | Q(code__icontains=q))
    page = Paginator(units, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/unit_list.html", {"page": page, "q": q, "can_manage": acc.has(Perm.ORG_MANAGE)})


@require_perm(Perm.ORG_VIEW)
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    unit = get_object_or_404(acc.units(Perm.ORG_VIEW), pk=pk)
    ctx = {
        "unit": unit,
        "ancestors": acc.units(Perm.ORG_VIEW).filter(pk__in=unit.ancestor_ids()[:-1]).order_by("path"),
        "children": unit.children.all(),
        "members": unit.members.filter(is_active=True)[:200],
        "roles": unit.role_assignments.select_related("user"),
        "can_manage": acc.has(Perm.ORG_MANAGE, unit),
    }
    return render(request, "core/unit_detail.html", ctx)


@require_perm(Perm.ORG_MANAGE)
def unit_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    acc = access_for(request.user)
    manageable = acc.units(Perm.ORG_MANAGE)
    unit = get_object_or_404(manageable, pk=pk) if pk else OrgUnit()
    if pk is None and request.GET.get("parent", "").isdigit():
        unit.parent = manageable.filter(pk=int(request.GET["parent"])).first()
        if unit.parent:
            unit.kind = (OrgUnit.Kind.BUREAU if unit.parent.kind == OrgUnit.Kind.ORGANISATION
                         else OrgUnit.Kind.DIVISION)
    form = UnitForm(request.POST or None, instance=unit, parents=manageable)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        if obj.parent is None and not request.user.is_superuser:
            form.add_error("parent", _("Only a superuser can create a top-level organisation."))
        else:
            try:
                save_unit(request.user, obj, request=request, expected_version=_version(request))  # type: ignore[arg-type]
            except ConflictError:
                form.add_error(None, _("Someone else changed this record while you were editing. Reload and try again."))
            else:
                messages.success(request, _("Saved."))
                return redirect("unit_detail", pk=obj.pk)
    return render(request, "core/unit_form.html", {"form": form, "unit": unit})


@require_perm(Perm.PEOPLE_VIEW)
def person_list(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    people = acc.scoped(User.objects.select_related("unit"), Perm.PEOPLE_VIEW, "unit")
    q = request.GET.get("q", "").strip()
    if q:
        people = people.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(email__icontains=q))
    if request.GET.get("inactive") != "1":
        people = people.filter(is_active=True)
    page = Paginator(people.order_by("unit__path", "username"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/person_list.html",
                  {"page": page, "q": q, "can_manage": acc.has(Perm.PEOPLE_MANAGE)})


@require_perm(Perm.PEOPLE_VIEW)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    person = get_object_or_404(acc.scoped(User.objects.all(), Perm.PEOPLE_VIEW, "unit"), pk=pk)
    lang = get_language() or "ja"
    roles = [(ra, ROLE_BY_CODE[ra.role]) for ra in person.role_assignments.select_related("unit")]
    can_roles = acc.has(Perm.ROLES_MANAGE)
    form = RoleAssignmentForm(units=acc.units(Perm.ROLES_MANAGE)) if can_roles else None
    return render(request, "core/person_detail.html", {
        "person": person, "roles": roles, "role_form": form, "lang": lang,
        "can_manage": acc.has(Perm.PEOPLE_MANAGE, person.unit), "can_roles": can_roles,
    })


@require_perm(Perm.PEOPLE_MANAGE)
def person_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    acc = access_for(request.user)
    manageable_units = acc.units(Perm.PEOPLE_MANAGE)
    person = (get_object_or_404(acc.scoped(User.objects.all(), Perm.PEOPLE_MANAGE, "unit"), pk=pk)
              if pk else User())
    form = PersonForm(request.POST or None, instance=person, units=manageable_units)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        try:
            save_person(request.user, obj, password=form.cleaned_data.get("password", ""),  # type: ignore[arg-type]
                        request=request, expected_version=_version(request))
        except ConflictError:
            form.add_error(None, _("Someone else changed this record while you were editing. Reload and try again."))
        else:
            messages.success(request, _("Saved."))
            return redirect("person_detail", pk=obj.pk)
    return render(request, "core/person_form.html", {"form": form, "person": person})


@require_POST
@require_perm(Perm.ROLES_MANAGE)
def role_grant(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    person = get_object_or_404(acc.scoped(User.objects.all(), Perm.PEOPLE_VIEW, "unit"), pk=pk)
    form = RoleAssignmentForm(request.POST, units=acc.units(Perm.ROLES_MANAGE))
    if form.is_valid():
        try:
            grant_role(request.user, person, form.cleaned_data["role"], form.cleaned_data["unit"],  # type: ignore[arg-type]
                       request=request)
        except IncompatibleRolesError as exc:
            messages.error(request, exc.message(get_language() or "ja"))
        else:
            messages.success(request, _("Role assigned."))
    else:
        messages.error(request, _("Choose a role and a unit within your scope."))
    return redirect("person_detail", pk=person.pk)


@require_POST
@require_perm(Perm.ROLES_MANAGE)
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    ra = get_object_or_404(acc.scoped(RoleAssignment.objects.select_related("user", "unit"),
                                      Perm.ROLES_MANAGE, "unit"), pk=pk)
    revoke_role(request.user, ra, request=request)  # type: ignore[arg-type]
    messages.success(request, _("Role removed."))
    return redirect("person_detail", pk=ra.user.pk)
