"""Database queries per page and per API list are pinned, and do not grow with the data (no N+1).

Each endpoint is requested twice by the demo administrator: over a small dataset, then after the
dataset has grown tenfold (more units, people, role assignments on the viewed unit and person, and
audit entries, so every list on the page has more rows). The number of queries must be the same both
times and at most the pinned figure. A view that loads a relation per row fails the equality; a view
that gains a query fails the pin — raise a pin only with a reason in the commit message.
"""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kijun.core import audit
from kijun.core.models import OrgUnit, RoleAssignment, User
from kijun.core.plugins import domain_modules

pytestmark = pytest.mark.django_db

#: endpoint → maximum queries per request (measured; identical on SQLite and PostgreSQL). Every figure
#: includes 2 for the session and user, 1 for the role scopes (access_for), and 3 for the session write
#: (SAVEPOINT, UPDATE django_session, RELEASE) that SessionTimeoutMiddleware causes on every request.
PINS: dict[str, int] = {
    "dashboard": 14,
    "unit_list": 8,
    "unit_detail": 11,
    "person_list": 8,
    "person_detail": 10,
    "audit_list": 8,
    "audit_export": 12,
    "api_units": 8,
    "api_people": 8,
    "api_role_assignments": 8,
    "api_audit": 8,
}

#: Each domain's dashboard cards declare their own query budget (``kijun.<domain>.dashboard.QUERIES``).
PINS["dashboard"] += sum(module.QUERIES for _d, module in domain_modules("dashboard"))

#: Newest-first paged lists whose first page is already full with the demo organisation's own entries
#: (every domain's demo data is audited), so growth changes the rows shown, not their number.
FIRST_PAGE_FULL = {"audit_list", "api_audit"}

_seq = itertools.count()


class Dataset:
    """Grows the organisation below one bureau; the unit and person pages look at its hub objects."""

    def __init__(self, demo: dict[str, object]) -> None:
        units: dict[str, OrgUnit] = demo["units"]  # type: ignore[assignment]
        users: dict[str, User] = demo["users"]  # type: ignore[assignment]
        self.admin = users["admin"]
        self.bureau = OrgUnit(name="品質局", name_en="Quality Bureau", code="qc-bureau", kind="bureau",
                              parent=units["demo-ministry"])
        self.bureau.save()
        self.person = User.objects.create(username="qc-hub", display_name="品質 太郎", unit=self.bureau)

    def grow(self, n: int) -> None:
        """Add ``n`` divisions, 5 people each (with roles), roles for the hub person and 10 audit entries each."""
        for _ in range(n):
            i = next(_seq)
            div = OrgUnit(name=f"品質第{i}課", name_en=f"Quality Division {i}", code=f"qc-div-{i}",
                          kind="division", parent=self.bureau)
            div.save()
            people = [User.objects.create(username=f"qc-{i}-{k}", display_name=f"品質 {i}-{k}", unit=div,
                                          email=f"qc-{i}-{k}@example.jp") for k in range(5)]
            # Members and role holders of the bureau itself grow too (unit detail lists them).
            people.append(User.objects.create(username=f"qc-{i}-b", display_name=f"局員 {i}", unit=self.bureau))
            for p in people:
                RoleAssignment.objects.create(user=p, role="staff", unit=div)
            RoleAssignment.objects.create(user=people[0], role="area_security_officer", unit=self.bureau)
            RoleAssignment.objects.create(user=self.person, role="section_security_officer", unit=div)
            for k in range(10):
                audit.record("unit.update", "org_unit", div.pk, div.name, actor=self.admin,
                             before={"name": div.name, "k": k}, after={"name": div.name + "（改）", "k": k})


def _urls(ds: Dataset) -> dict[str, str]:
    return {
        "dashboard": "/",
        "unit_list": "/org/units/",
        "unit_detail": f"/org/units/{ds.bureau.pk}/",
        "person_list": "/org/people/",
        "person_detail": f"/org/people/{ds.person.pk}/",
        "audit_list": "/audit/",
        "audit_export": "/audit/export.csv",
        "api_units": "/api/v1/units",
        "api_people": "/api/v1/people",
        "api_role_assignments": "/api/v1/role-assignments",
        "api_audit": "/api/v1/audit?limit=100",
    }


def _get(client: Client, url: str) -> tuple[int, bytes]:
    resp = client.get(url)
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content  # type: ignore[attr-defined]
    return resp.status_code, body


def test_every_pinned_endpoint_has_a_url(demo) -> None:  # type: ignore[no-untyped-def]
    assert set(PINS) == set(_urls(Dataset(demo)))


@pytest.mark.parametrize("endpoint", sorted(PINS))
def test_queries_pinned_and_flat(endpoint: str, demo, client: Client,  # type: ignore[no-untyped-def]
                                 django_assert_max_num_queries) -> None:
    ds = Dataset(demo)
    url = _urls(ds)[endpoint]
    client.force_login(ds.admin)
    ds.grow(3)
    _get(client, url)  # warm-up: the first request stores the session's timeout stamps
    with django_assert_max_num_queries(PINS[endpoint], info=f"{endpoint} (small)") as small:
        status, body_small = _get(client, url)
    assert status == 200
    ds.grow(27)  # 10x: 30 divisions, 180 people, 30 roles on the hub person, 300 audit entries
    with django_assert_max_num_queries(PINS[endpoint], info=f"{endpoint} (10x)") as large:
        status, body_large = _get(client, url)
    assert status == 200
    if endpoint in FIRST_PAGE_FULL:
        assert body_large != body_small, "the newest rows must change with the data"
    else:
        assert len(body_large) > len(body_small), "the larger dataset must put more rows on the page"
    sql_small = [q["sql"] for q in small.captured_queries]
    sql_large = [q["sql"] for q in large.captured_queries]
    assert len(sql_large) == len(sql_small), (
        f"{endpoint}: {len(sql_small)} queries over the small dataset but {len(sql_large)} over the 10x one "
        f"(N+1?) on {connection.vendor}:\n" + "\n".join(sql_large))


def test_a_planted_n_plus_one_is_caught(demo, client: Client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The measurement above can fail: drop the person list's join and each row loads its unit."""
    from django.db.models import Manager

    ds = Dataset(demo)
    client.force_login(ds.admin)
    ds.grow(3)
    monkeypatch.setattr(Manager, "select_related", lambda self, *fields: self.get_queryset())
    _get(client, "/org/people/")
    with CaptureQueriesContext(connection) as small:
        _get(client, "/org/people/")
    ds.grow(27)
    with CaptureQueriesContext(connection) as large:
        _get(client, "/org/people/")
    assert len(large) > len(small) > PINS["person_list"]
