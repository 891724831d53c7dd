"""REST API: tokens, paging, error bodies, IDOR, 兼務禁止 (ASVS 8.2.2, 7.4, 6.x tokens)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kijun.core.models import ApiToken, AuditEntry, RoleAssignment
from kijun.core.tokens import issue_token

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_token_auth_and_hash_only_storage(demo) -> None:  # type: ignore[no-untyped-def]
    tok, raw = issue_token(demo["users"]["admin"], "ci", 30)
    assert raw not in {t.token_hash for t in ApiToken.objects.all()} and raw.startswith("kjn_")
    r = bearer(raw).get("/api/v1/me")
    assert r.status_code == 200 and r.json()["username"] == "admin"
    assert "org.manage" in r.json()["permissions"]
    assert Client().get("/api/v1/me").status_code == 401
    assert bearer("kjn_deadbeef_nope").get("/api/v1/me").json() == {"detail": "authentication required",
                                                                     "code": "unauthenticated"}


def test_revoked_and_expired_tokens_rejected(demo) -> None:  # type: ignore[no-untyped-def]
    tok, raw = issue_token(demo["users"]["admin"], "ci", 30)
    c = bearer(raw)
    assert c.delete(f"/api/v1/tokens/{tok.pk}").status_code == 204
    assert c.get("/api/v1/me").status_code == 401
    tok2, raw2 = issue_token(demo["users"]["admin"], "old", 1)
    ApiToken.objects.filter(pk=tok2.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert bearer(raw2).get("/api/v1/me").status_code == 401


def test_token_of_disabled_user_rejected(demo) -> None:  # type: ignore[no-untyped-def]
    _tok, raw = issue_token(demo["users"]["staff"], "x", 30)
    demo["users"]["staff"].is_active = False
    demo["users"]["staff"].save()
    assert bearer(raw).get("/api/v1/me").status_code == 401


def test_create_token_via_api_shows_secret_once(demo) -> None:  # type: ignore[no-untyped-def]
    _t, raw = issue_token(demo["users"]["staff"], "boot", 30)
    c = bearer(raw)
    r = c.post("/api/v1/tokens", {"name": "script", "days": 10}, content_type="application/json")
    assert r.status_code == 201 and r.json()["token"].startswith("kjn_")
    listed = c.get("/api/v1/tokens").json()
    assert {t["name"] for t in listed} == {"boot", "script"} and all("token" not in t for t in listed)
    assert c.post("/api/v1/tokens", {"name": "x", "days": 5000}, content_type="application/json").status_code == 422


def test_other_users_token_cannot_be_revoked(demo) -> None:  # type: ignore[no-untyped-def]
    victim, _ = issue_token(demo["users"]["ciso"], "mine", 30)
    _t, raw = issue_token(demo["users"]["staff"], "x", 30)
    assert bearer(raw).delete(f"/api/v1/tokens/{victim.pk}").status_code == 404
    assert ApiToken.objects.get(pk=victim.pk).revoked_at is None


def test_paging_and_filter(demo) -> None:  # type: ignore[no-untyped-def]
    _t, raw = issue_token(demo["users"]["admin"], "x", 30)
    c = bearer(raw)
    page = c.get("/api/v1/units?limit=2&offset=0").json()
    assert page["count"] == 7 and len(page["items"]) == 2
    rest = c.get("/api/v1/units?limit=10&offset=2").json()
    assert len(rest["items"]) == 5
    assert {u["code"] for u in page["items"]}.isdisjoint({u["code"] for u in rest["items"]})
    assert c.get("/api/v1/units?q=policy").json()["count"] == 2


def test_scoped_user_sees_only_own_subtree(demo) -> None:  # type: ignore[no-untyped-def]
    _t, raw = issue_token(demo["users"]["policy-iso"], "x", 30)
    c = bearer(raw)
    codes = {u["code"] for u in c.get("/api/v1/units").json()["items"]}
    assert codes == {"demo-policy-planning"}
    it = demo["units"]["demo-it-division"]
    assert c.get(f"/api/v1/units/{it.pk}").status_code == 404  # IDOR: outside scope looks missing
    assert c.get(f"/api/v1/people/{demo['users']['sysowner'].pk}").status_code == 404
    assert c.get("/api/v1/audit").status_code == 403


def test_role_grant_enforces_incompatible_roles(demo) -> None:  # type: ignore[no-untyped-def]
    _t, raw = issue_token(demo["users"]["admin"], "x", 30)
    c = bearer(raw)
    admin = demo["users"]["admin"]
    ministry = demo["units"]["demo-ministry"]
    r = c.post("/api/v1/role-assignments", {"user_id": admin.pk, "role": "ciso", "unit_id": ministry.pk},
               content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "incompatible_roles" and "兼務禁止" in r.json()["detail"]
    sysowner = demo["users"]["sysowner"]  # responsible for the IT division
    r = c.post("/api/v1/role-assignments", {"user_id": sysowner.pk, "role": "audit_officer",
                                            "unit_id": demo["units"]["demo-it-division"].pk},
               content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 409 and "cannot audit" in r.json()["detail"]
    policy = demo["users"]["policy-iso"]
    r = c.post("/api/v1/role-assignments", {"user_id": policy.pk, "role": "audit_officer",
                                            "unit_id": demo["units"]["demo-it-division"].pk},
               content_type="application/json")
    assert r.status_code == 201
    assert AuditEntry.objects.filter(action="role.grant", object_id=str(r.json()["id"])).exists()
    assert c.delete(f"/api/v1/role-assignments/{r.json()['id']}").status_code == 204
    assert not RoleAssignment.objects.filter(pk=r.json()["id"]).exists()


def test_validation_errors_are_consistent(demo) -> None:  # type: ignore[no-untyped-def]
    _t, raw = issue_token(demo["users"]["admin"], "x", 30)
    r = bearer(raw).post("/api/v1/units", {"name": "", "code": "bad code!", "kind": "division", "parent_id": 1},
                         content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "invalid" and "detail" in r.json()
    r = bearer(raw).post("/api/v1/units", {"name": "重複", "code": "demo-it-division", "kind": "division",
                                           "parent_id": demo["units"]["demo-secretariat"].pk},
                         content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "duplicate"


def test_session_api_needs_csrf_for_writes(demo) -> None:  # type: ignore[no-untyped-def]
    c = Client(enforce_csrf_checks=True)
    c.force_login(demo["users"]["admin"])
    assert c.get("/api/v1/me").status_code == 200
    r = c.post("/api/v1/tokens", {"name": "x", "days": 1}, content_type="application/json")
    assert r.status_code in (401, 403)
