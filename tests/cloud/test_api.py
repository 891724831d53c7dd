"""Cloud REST API: scoped lists, create (runs the engine), approve/reject with 兼務禁止, register export."""

from __future__ import annotations

import copy

import pytest
from django.test import Client

from kijun.cloud.models import RegisterEntry, UseApplication
from kijun.cloud.register import parse_csv, parse_yaml
from kijun.core.models import AuditEntry, RoleAssignment

from .web_helpers import REQUEST, make_application, make_system

pytestmark = pytest.mark.django_db
API = "/api/v1/cloud"


def _client(demo, username: str) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(demo["users"][username])
    return c


def test_create_returns_the_assessment_and_approval_fills_the_register(demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-policy-planning"]
    system = make_system(unit, "sys-api")
    c = _client(demo, "policy-iso")
    r = c.post(f"{API}/applications", {"unit_id": unit.pk, "system_id": system.pk, "request": REQUEST},
               content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    a = body["assessment"]
    assert a["schema_id"] == "kijun.cloud.assessment/v1" and body["decision"] == a["decision"]
    assert a["track"] == "confidential" and all(x["cites"] for x in a["reasons"])
    assert body["request"]["system"]["ledger_id"] == "sys-api" and body["request"]["applicant"] == "policy-iso"
    app_id = body["id"]
    assert AuditEntry.objects.filter(action="cloud.application.submit", object_id=str(app_id)).exists()

    approver = _client(demo, "head-iso")
    r = approver.post(f"{API}/applications/{app_id}/approve",
                      {"administrator": "情シス 次郎", "domains": ["storage.example.jp"]},
                      content_type="application/json")
    assert a["decision"] == "permitted_with_conditions"
    assert r.status_code == 200, r.content
    r = approver.post(f"{API}/applications/{app_id}/approve", {"administrator": "x"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "approval_refused"   # already decided
    entry = RegisterEntry.objects.get(source_application_id=app_id)
    assert entry.status == "approved" and entry.max_confidentiality == 2

    reg = c.get(f"{API}/register").json()
    assert reg["count"] == 1 and reg["items"][0]["service_id"] == entry.service_id
    y = c.get(f"{API}/register/export?format=yaml")
    assert y.status_code == 200
    assert parse_yaml(y.content.decode()).entries == (entry.to_row(),)
    assert parse_csv(c.get(f"{API}/register/export?format=csv").content.decode()).entries == (entry.to_row(),)


def test_not_permitted_cannot_be_approved(demo) -> None:  # type: ignore[no-untyped-def]
    req = copy.deepcopy(REQUEST)
    req["service"]["contract_basis"] = "terms_of_service"
    req["service"]["ismap"] = {"kind": "none"}
    app = make_application(demo["users"]["policy-iso"], demo["units"]["demo-policy-planning"], req)
    assert app.decision == "not_permitted"
    r = _client(demo, "head-iso").post(f"{API}/applications/{app.pk}/approve", {"administrator": "x"},
                                       content_type="application/json")
    assert r.status_code == 409 and "not_permitted" in r.json()["detail"]
    assert not RegisterEntry.objects.exists()


def test_self_approval_is_409_incompatible_roles(demo) -> None:  # type: ignore[no-untyped-def]
    head = demo["users"]["head-iso"]
    RoleAssignment.objects.create(user=head, role="system_security_officer", unit=demo["units"]["demo-it-division"])
    c = _client(demo, "head-iso")
    r = c.post(f"{API}/applications", {"unit_id": demo["units"]["demo-it-division"].pk, "request": REQUEST},
               content_type="application/json")
    assert r.status_code == 201
    app_id = r.json()["id"]
    r = c.post(f"{API}/applications/{app_id}/approve", {"administrator": "x", "review_note": "ok"},
               content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "incompatible_roles"
    assert "兼務禁止" in r.json()["detail"]
    assert UseApplication.objects.get(pk=app_id).status == "submitted"
    r = c.post(f"{API}/applications/{app_id}/reject", {"note": "x"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "incompatible_roles"


def test_scope_and_permissions(demo) -> None:  # type: ignore[no-untyped-def]
    inside = make_application(demo["users"]["policy-iso"], demo["units"]["demo-policy-planning"])
    outside = make_application(demo["users"]["sysowner"], demo["units"]["demo-it-division"])
    staff = _client(demo, "staff")
    ids = [x["id"] for x in staff.get(f"{API}/applications").json()["items"]]
    assert ids == [inside.pk]
    assert staff.get(f"{API}/applications/{outside.pk}").status_code == 404
    assert staff.get(f"{API}/applications/{inside.pk}").status_code == 200
    # staff cannot apply; policy-iso cannot apply for a unit outside their scope
    r = staff.post(f"{API}/applications", {"unit_id": demo["units"]["demo-policy-planning"].pk, "request": REQUEST},
                   content_type="application/json")
    assert r.status_code == 403
    r = _client(demo, "policy-iso").post(f"{API}/applications",
                                         {"unit_id": demo["units"]["demo-it-division"].pk, "request": REQUEST},
                                         content_type="application/json")
    assert r.status_code == 404
    # staff cannot decide
    r = staff.post(f"{API}/applications/{inside.pk}/reject", {"note": "x"}, content_type="application/json")
    assert r.status_code == 403
    assert Client().get(f"{API}/register").status_code == 401


def test_invalid_request_is_422(demo) -> None:  # type: ignore[no-untyped-def]
    c = _client(demo, "policy-iso")
    bad = copy.deepcopy(REQUEST)
    bad["information"][0]["confidentiality"] = 4
    r = c.post(f"{API}/applications", {"unit_id": demo["units"]["demo-policy-planning"].pk, "request": bad},
               content_type="application/json")
    assert r.status_code == 422 and "confidentiality" in r.json()["detail"]
    bad["information"][0]["confidentiality"] = 2
    bad["information"][0]["handling_restrictions"] = ["no-such-label"]
    r = c.post(f"{API}/applications", {"unit_id": demo["units"]["demo-policy-planning"].pk, "request": bad},
               content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "unknown_restriction"
    assert not UseApplication.objects.exists()


def test_systems_api_is_scoped(demo) -> None:  # type: ignore[no-untyped-def]
    mine = make_system(demo["units"]["demo-policy-planning"], "sys-a")
    other = make_system(demo["units"]["demo-it-division"], "sys-b")
    staff = _client(demo, "staff")
    # (the cloud demo records, kijun.cloud.demo, are in the staff member's unit too)
    assert [s["code"] for s in staff.get(f"{API}/systems").json()["items"] if not s["code"].startswith("demo-")] == [
        "sys-a"]
    assert staff.get(f"{API}/systems/{mine.pk}").json()["cloud_services"] == ["Synthetic Storage"]
    assert staff.get(f"{API}/systems/{other.pk}").status_code == 404


def test_needs_exception_requires_the_exception_reference(demo) -> None:  # type: ignore[no-untyped-def]
    req = copy.deepcopy(REQUEST)
    req["service"]["ismap"] = {"kind": "none"}
    req["service"]["provider_auditable"] = True
    app = make_application(demo["users"]["policy-iso"], demo["units"]["demo-policy-planning"], req)
    assert app.decision == "needs_exception"
    c = _client(demo, "head-iso")
    r = c.post(f"{API}/applications/{app.pk}/approve", {"administrator": "x"}, content_type="application/json")
    assert r.status_code == 409 and "2.2.2" in r.json()["detail"]
    r = c.post(f"{API}/applications/{app.pk}/approve", {"administrator": "x", "exception_reference": "EX-2025-7"},
               content_type="application/json")
    assert r.status_code == 200 and r.json()["exception_reference"] == "EX-2025-7"
    assert "EX-2025-7" in RegisterEntry.objects.get().notes


def test_imported_ismap_list_feeds_the_engine(demo) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from django.conf import settings

    from kijun.cloud.services import import_ismap, ismap_policy
    from kijun.core.uploads import store

    data = (Path(__file__).resolve().parent / "fixtures" / "ismap_synthetic_cp932.csv").read_bytes()
    stored = store([data], ismap_policy(), settings.DATA_DIR / "uploads" / "cloud", "list.csv")
    import_ismap(demo["users"]["sysowner"], stored)
    listed = copy.deepcopy(REQUEST)
    listed["service"]["ismap"] = {"kind": "ismap", "registration_number": "X24-0011-1"}
    app = make_application(demo["users"]["policy-iso"], demo["units"]["demo-policy-planning"], listed)
    assert app.assessment["service"]["ismap_expires_on"] == "2026-08-31"
    missing = copy.deepcopy(REQUEST)
    missing["service"]["ismap"] = {"kind": "ismap", "registration_number": "X99-9999-1"}
    app = make_application(demo["users"]["policy-iso"], demo["units"]["demo-policy-planning"], missing)
    assert app.assessment["service"]["ismap_status"] == "not_found" and app.decision == "needs_review"
