"""Permission matrix: every role × every route × object inside/outside the role's scope.

The expected status is *derived* from the role→permission table in kijun.core.roles, never listed
by hand, so a view that forgets its check (or checks the wrong permission) shows up as a mismatch.
A completeness test makes sure every URL name is either in the matrix or explicitly exempted.
"""

from __future__ import annotations

import importlib
import itertools
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from kijun.core.models import RoleAssignment, User
from kijun.core.roles import ROLES, Perm, role
from tests.matrix import ObjectRef, Route

# Routes of every domain are checked here, against every domain's demo records.
pytestmark = pytest.mark.all_demo_data

SCOPE = "demo-policy-bureau"     # every matrix user's role scope
INSIDE = ("demo-policy-planning", "policy-iso")    # a unit and a person inside the scope
OUTSIDE = ("demo-it-division", "sysowner")         # ... and outside it


OBJECTS: dict[str, ObjectRef] = {
    "unit": ObjectRef(lambda d, w, api: {"unit_id" if api else "pk":
                                         d["units"][INSIDE[0] if w == "inside" else OUTSIDE[0]].pk}),
    "person": ObjectRef(lambda d, w, api: {"person_id" if api else "pk":
                                           d["users"][INSIDE[1] if w == "inside" else OUTSIDE[1]].pk}),
    # the catalog is the same for everyone: no inside/outside
    "node": ObjectRef(lambda d, w, api: {"node_id": "4.2.1(1)(a)"}, scoped=False),
}


UI_ROUTES = [
    Route("dashboard", Perm.DASHBOARD_VIEW),
    Route("unit_list", Perm.ORG_VIEW),
    Route("unit_new", Perm.ORG_MANAGE),
    Route("unit_detail", Perm.ORG_VIEW, "unit"),
    Route("unit_edit", Perm.ORG_MANAGE, "unit"),
    Route("person_list", Perm.PEOPLE_VIEW),
    Route("person_new", Perm.PEOPLE_MANAGE),
    Route("person_detail", Perm.PEOPLE_VIEW, "person"),
    Route("person_edit", Perm.PEOPLE_MANAGE, "person"),
    Route("audit_list", Perm.AUDIT_VIEW),
    Route("audit_export", Perm.AUDIT_EXPORT),
    Route("account", None),
    Route("totp_setup", None),
    Route("notifications", None),
    Route("catalog_index", Perm.CATALOG_VIEW),
    Route("catalog_search", Perm.CATALOG_VIEW, query="q=クラウド"),
    Route("catalog_node", Perm.CATALOG_VIEW, "node"),
]

API_ROUTES = [
    Route("me", None, anon=401),
    Route("roles", None, anon=401),
    Route("list_units", Perm.ORG_VIEW, anon=401),
    Route("get_unit", Perm.ORG_VIEW, "unit", anon=401),
    Route("list_people", Perm.PEOPLE_VIEW, anon=401),
    Route("get_person", Perm.PEOPLE_VIEW, "person", anon=401),
    Route("list_assignments", Perm.PEOPLE_VIEW, anon=401),
    Route("list_audit", Perm.AUDIT_VIEW, anon=401),
    Route("list_tokens", None, anon=401),
    Route("catalog_get_node", Perm.CATALOG_VIEW, "node", anon=401),
    Route("catalog_search_api", Perm.CATALOG_VIEW, anon=401, query="q=監査"),
]

#: URL names deliberately outside the GET matrix, each with the test that covers it.
EXEMPT = {
    "login": "public sign-in page (test_auth)",
    "healthz": "public liveness probe, no data (tests/web/test_health)",
    "readyz": "public readiness probe, no data (tests/web/test_health)",
    "login_totp": "second sign-in step (test_auth)",
    "logout": "POST only (test_auth)",
    "set_language": "POST, open to all (tests/web/test_i18n)",
    "password_change": "POST own account (test_account)",
    "totp_disable": "POST own account (test_account)",
    "token_create": "POST own account (test_account)",
    "token_revoke": "POST own object (test_account IDOR)",
    "notifications_read": "POST own notices (test_account)",
    "role_grant": "POST (test_post_matrix)",
    "role_revoke": "POST (test_post_matrix)",
}


# Domain apps add their routes in tests/<domain>/matrix_routes.py (UI_ROUTES, API_ROUTES, EXEMPT, OBJECTS),
# so each domain extends the matrix without editing this file.
for _mod_path in sorted(Path(__file__).resolve().parents[1].glob("*/matrix_routes.py")):
    _mod = importlib.import_module(f"tests.{_mod_path.parent.name}.matrix_routes")
    UI_ROUTES += getattr(_mod, "UI_ROUTES", [])
    API_ROUTES += getattr(_mod, "API_ROUTES", [])
    EXEMPT.update(getattr(_mod, "EXEMPT", {}))
    OBJECTS.update(getattr(_mod, "OBJECTS", {}))


def expected(role_code: str | None, route: Route, where: str) -> int:
    if role_code is None:
        return route.anon
    if route.perm is not None and route.perm not in role(role_code).permissions:
        return 403
    if route.obj is not None and OBJECTS[route.obj].scoped and where == "outside":
        return 404
    return 200


def _url(route: Route, api: bool, where: str, demo: dict[str, Any]) -> str:
    kwargs = OBJECTS[route.obj].kwargs(demo, where, api) if route.obj else {}
    url = reverse(f"api:{route.name}" if api else route.name, kwargs=kwargs)
    return f"{url}?{route.query}" if route.query else url


@pytest.fixture
def matrix_users(demo):  # type: ignore[no-untyped-def]
    scope = demo["units"][SCOPE]
    users = {}
    for r in ROLES:
        u = User.objects.create(username=f"m-{r.code}", unit=scope)
        RoleAssignment.objects.create(user=u, role=r.code, unit=scope)
        users[r.code] = u
    return users


CASES = [(r, route, api, where)
         for r in [None, *[x.code for x in ROLES]]
         for api, routes in ((False, UI_ROUTES), (True, API_ROUTES))
         for route in routes
         for where in (("inside", "outside") if route.obj and OBJECTS[route.obj].scoped else ("-",))]


@pytest.mark.django_db
def test_permission_matrix(demo, matrix_users) -> None:  # type: ignore[no-untyped-def]
    mismatches = []
    clients: dict[str | None, Client] = {}
    for role_code, route, api, where in CASES:
        if role_code not in clients:
            clients[role_code] = Client()
            if role_code is not None:
                clients[role_code].force_login(matrix_users[role_code])
        url = _url(route, api, where, demo)
        got = clients[role_code].get(url).status_code
        want = expected(role_code, route, where)
        if got != want:
            mismatches.append(f"{role_code or 'anonymous'} GET {url} ({where}): got {got}, want {want}")
    assert not mismatches, "\n".join(mismatches)
    assert len(CASES) > 400


def test_every_route_is_in_the_matrix_or_exempt() -> None:
    names = {p.name for p in get_resolver().url_patterns if getattr(p, "name", None)}
    covered = {r.name for r in UI_ROUTES} | set(EXEMPT)
    assert names - covered == set(), f"add these routes to the permission matrix: {names - covered}"


def test_every_api_get_operation_is_in_the_matrix() -> None:
    from kijun.web.api import api

    schema = api.get_openapi_schema()
    get_ops = sorted(op["operationId"] for path in schema["paths"].values()
                     for method, op in path.items() if method == "get")
    names = {r.name for r in API_ROUTES}
    missing = [o for o in get_ops if not any(o.endswith("_" + n) for n in names)]
    assert not missing, f"add these API operations to the permission matrix: {missing}"


POST_CASES = list(itertools.product([x.code for x in ROLES], ("inside", "outside")))


@pytest.mark.django_db
@pytest.mark.parametrize(("role_code", "where"), POST_CASES)
def test_post_matrix_unit_create_and_role_grant(demo, matrix_users, role_code, where) -> None:  # type: ignore[no-untyped-def]
    c = Client()
    actor = matrix_users[role_code]
    c.force_login(actor)
    unit_code, username = INSIDE if where == "inside" else OUTSIDE
    parent = demo["units"][SCOPE] if where == "inside" else demo["units"]["demo-secretariat"]
    perms = role(role_code).permissions
    r = c.post("/api/v1/units", {"name": "新課", "code": f"new-{role_code}-{where}", "kind": "division",
                                 "parent_id": parent.pk}, content_type="application/json")
    want = 403 if Perm.ORG_MANAGE not in perms else (201 if where == "inside" else 404)
    assert r.status_code == want, r.content
    target = demo["users"][username]
    r = c.post(reverse("role_grant", kwargs={"pk": target.pk}), {"role": "staff", "unit": demo["units"][unit_code].pk})
    granted = RoleAssignment.objects.filter(user=target, role="staff", unit__code=unit_code).exists()
    if Perm.ROLES_MANAGE not in perms:
        assert r.status_code == 403 and not granted
    elif where == "outside":
        assert r.status_code == 404 and not granted
    else:
        assert r.status_code == 302 and granted


@pytest.mark.django_db
def test_incompatible_roles_refused_through_the_ui(demo) -> None:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(demo["users"]["admin"])
    admin, sysowner = demo["users"]["admin"], demo["users"]["sysowner"]
    r = c.post(reverse("role_grant", kwargs={"pk": admin.pk}),
               {"role": "ciso", "unit": demo["units"]["demo-ministry"].pk}, follow=True)
    assert "兼務禁止" in r.content.decode() and not RoleAssignment.objects.filter(user=admin, role="ciso").exists()
    r = c.post(reverse("role_grant", kwargs={"pk": sysowner.pk}),
               {"role": "audit_officer", "unit": demo["units"]["demo-secretariat"].pk}, follow=True)
    assert "監査を実施できません" in r.content.decode()
    assert not RoleAssignment.objects.filter(user=sysowner, role="audit_officer").exists()
