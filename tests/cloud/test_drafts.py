"""Use applications: draft → edit → submit, withdraw (draft or submitted), who may do it, and that
a decided application stays decided; 兼務禁止 still refuses deciding one's own."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kijun.cloud.models import UseApplication
from kijun.core.models import AuditEntry, RoleAssignment

from .test_web import FORM
from .web_helpers import REQUEST, make_application

pytestmark = pytest.mark.django_db
API = "/api/v1/cloud"


def _client(demo, username: str) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(demo["users"][username])
    return c


def test_draft_edit_submit_flow(demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-policy-planning"]
    c = _client(demo, "policy-iso")
    r = c.post(reverse("cloud_application_new"), {**FORM, "unit": unit.pk, "action": "draft"})
    assert r.status_code == 302
    app = UseApplication.objects.get()
    assert app.status == "draft" and app.assessment["decision"] == app.decision   # assessed as a preview
    assert AuditEntry.objects.filter(action="cloud.application.draft", object_id=str(app.pk)).exists()
    # nobody decides a draft
    approver = _client(demo, "head-iso")
    r = approver.post(reverse("cloud_application_decide", kwargs={"pk": app.pk}),
                      {"action": "approve", "administrator": "x"})
    assert r.status_code == 409 and UseApplication.objects.get().status == "draft"
    # the form comes back filled in
    edit = reverse("cloud_application_edit", kwargs={"pk": app.pk})
    page = c.get(edit).content.decode()
    assert 'value="Synthetic Storage"' in page and 'value="C99-0001-1"' in page
    # another applicant cannot see the edit page of my draft; a non-applicant is refused outright
    assert _client(demo, "sysowner").get(edit).status_code == 404
    assert _client(demo, "head-iso").get(edit).status_code == 403
    r = c.post(edit, {**FORM, "unit": unit.pk, "task": "申請受付と照会", "action": "draft", "version": app.version})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == "draft" and app.task == "申請受付と照会" and app.version == 2
    r = c.post(edit, {**FORM, "unit": unit.pk, "action": "draft", "version": 1})   # stale
    assert r.status_code == 200 and UseApplication.objects.get().version == 2
    r = c.post(reverse("cloud_application_submit", kwargs={"pk": app.pk}), {"version": app.version})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == "submitted" and app.version == 3
    assert AuditEntry.objects.filter(action="cloud.application.submit", object_id=str(app.pk)).exists()
    assert c.get(edit).status_code == 302   # only drafts are edited
    # the applicant cannot decide their own (兼務禁止) even holding the approver role
    RoleAssignment.objects.create(user=demo["users"]["policy-iso"], role="permitting_authority", unit=unit)
    c = _client(demo, "policy-iso")
    r = c.post(reverse("cloud_application_decide", kwargs={"pk": app.pk}),
               {"action": "approve", "administrator": "x", "review_note": "ok"})
    assert r.status_code == 409 and "兼務" in r.content.decode()
    assert UseApplication.objects.get().status == "submitted"


def test_withdraw_draft_or_submitted_but_not_decided(demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-policy-planning"]
    applicant = demo["users"]["policy-iso"]
    app = make_application(applicant, unit)
    other = _client(demo, "head-iso")
    url = reverse("cloud_application_withdraw", kwargs={"pk": app.pk})
    assert _client(demo, "sysowner").post(url, {"reason": "x"}).status_code == 404   # not theirs
    c = _client(demo, "policy-iso")
    page = c.get(reverse("cloud_application_detail", kwargs={"pk": app.pk})).content.decode()
    assert 'data-testid="withdraw-form"' in page
    assert c.post(url, {"reason": "別サービスに変更", "version": app.version}).status_code == 302
    app.refresh_from_db()
    assert app.status == "withdrawn" and app.decision_note == "別サービスに変更"
    entry = AuditEntry.objects.get(action="cloud.application.withdraw", object_id=str(app.pk))
    assert entry.before["status"] == "submitted" and entry.after["status"] == "withdrawn"
    # withdrawn is final: not again, not decided
    c.post(url, {"reason": "again"})
    app.refresh_from_db()
    assert app.decision_note == "別サービスに変更"
    r = other.post(reverse("cloud_application_decide", kwargs={"pk": app.pk}), {"action": "reject", "note": "x"})
    assert r.status_code == 409
    # a decided application cannot be withdrawn
    decided = make_application(applicant, unit)
    other.post(reverse("cloud_application_decide", kwargs={"pk": decided.pk}), {"action": "reject", "note": "不可"})
    decided.refresh_from_db()
    assert decided.status == "rejected"
    c.post(reverse("cloud_application_withdraw", kwargs={"pk": decided.pk}), {"reason": "x"})
    decided.refresh_from_db()
    assert decided.status == "rejected"


def test_api_draft_submit_withdraw_with_assets(demo) -> None:  # type: ignore[no-untyped-def]
    from .web_helpers import make_asset

    unit = demo["units"]["demo-policy-planning"]
    asset = make_asset(unit, "api-asset", c=2, i=1, a=2)
    hidden = make_asset(demo["units"]["demo-it-division"], "hidden")
    c = _client(demo, "policy-iso")
    body = {"unit_id": unit.pk, "draft": True, "information_asset_ids": [asset.pk],
            "request": {**REQUEST, "information": []}}
    r = c.post(f"{API}/applications", body, content_type="application/json")
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["status"] == "draft" and data["information_assets"] == ["api-asset"]
    assert (data["confidentiality"], data["availability"]) == (2, 2)
    r = c.post(f"{API}/applications", {**body, "information_asset_ids": [hidden.pk]}, content_type="application/json")
    assert r.status_code == 422
    r = c.post(f"{API}/applications", {**body, "information_asset_ids": []}, content_type="application/json")
    assert r.status_code == 422
    app_id = data["id"]
    assert _client(demo, "sysowner").post(f"{API}/applications/{app_id}/submit", {},
                                          content_type="application/json").status_code == 404
    r = c.post(f"{API}/applications/{app_id}/submit", {"version": data["version"]}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    r = c.post(f"{API}/applications/{app_id}/submit", {}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "not_a_draft"
    r = c.post(f"{API}/applications/{app_id}/withdraw", {"reason": "不要"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    r = c.post(f"{API}/applications/{app_id}/withdraw", {}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "already_decided"
