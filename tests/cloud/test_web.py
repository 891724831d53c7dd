"""Cloud web pages end to end: apply → assessment → approval → register entry, 兼務禁止, scope,
ISMAP upload (CP932 CSV, oversized file), register export read back by the register loader."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from kijun.cloud.models import InformationSystem, IsmapImport, RegisterEntry, UseApplication
from kijun.cloud.register import parse_csv, parse_yaml
from kijun.core.models import AuditEntry

from .web_helpers import make_application, make_system

FIXTURES = Path(__file__).resolve().parent / "fixtures"

FORM = {
    "service_name": "Synthetic Storage", "provider": "Example Provider KK", "contract_basis": "negotiated",
    "service_model": "saas", "ismap_kind": "ismap", "ismap_number": "c99-0001-1", "data_locations": "jp",
    "region_selectable": "yes", "governing_law": "JP", "jurisdiction": "JP", "provider_auditable": "no",
    "encryption_at_rest": "yes", "backup": "yes", "data_deletion_on_exit": "yes", "sla_availability": "",
    "info_name": "申請書類", "confidentiality": "2", "integrity": "1", "availability": "1",
    "handling_restrictions": ["encryption_required"], "task": "申請受付", "task_impact": "low",
    "liu_target_task": "",
}

pytestmark = pytest.mark.django_db


def _client(demo, username: str) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(demo["users"][username])
    return c


def test_apply_assess_approve_register(demo) -> None:  # type: ignore[no-untyped-def]
    applicant = _client(demo, "policy-iso")
    unit = demo["units"]["demo-policy-planning"]
    r = applicant.get(reverse("cloud_application_new"))
    assert r.status_code == 200 and "どのサービス" in r.content.decode()
    r = applicant.post(reverse("cloud_application_new"), {**FORM, "unit": unit.pk, "data_deletion_on_exit": "no"})
    assert r.status_code == 302, r.content.decode()[:2000]
    app = UseApplication.objects.get()
    assert app.status == "submitted" and app.applicant == demo["users"]["policy-iso"]
    # the provider will not delete the data at the end of use: a human must weigh it (disposal_refused)
    assert app.decision == app.assessment["decision"] == "needs_review"
    assert {"disposal_refused", "ismap_unverified", "restriction_encryption"} <= {
        x["rule"] for x in app.assessment["reasons"]}
    page = applicant.get(r["Location"]).content.decode()
    # every reason with its cited requirement linked to the catalog
    for reason in app.assessment["reasons"]:
        for cite in reason["cites"]:
            assert reverse("catalog_node", kwargs={"node_id": cite}) in page
    assert "暗号化" in page and "4.2.1" in page
    assert AuditEntry.objects.filter(action="cloud.application.submit", object_id=str(app.pk)).exists()

    approver = _client(demo, "head-iso")
    url = reverse("cloud_application_decide", kwargs={"pk": app.pk})
    # needs_review is approved only with a review note
    r = approver.post(url, {"action": "approve", "administrator": "情シス 次郎", "version": app.version})
    assert r.status_code == 409 and "review_note" in r.content.decode()
    r = approver.post(url, {"action": "approve", "administrator": "情シス 次郎", "domains": "storage.example.jp",
                            "review_note": "ISMAP登録を確認した", "version": app.version})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.status == "approved" and app.approver == demo["users"]["head-iso"] and app.decided_at
    entry = RegisterEntry.objects.get()
    assert entry.source_application == app and entry.status == "approved"
    assert entry.max_confidentiality == 2 and entry.domains == ["storage.example.jp"]
    assert entry.administrator == "情シス 次郎" and entry.ismap_number == "C99-0001-1"
    assert AuditEntry.objects.filter(action="cloud.application.approve", object_id=str(app.pk)).exists()
    assert AuditEntry.objects.filter(action="cloud.register.create", object_id=str(entry.pk)).exists()
    index = applicant.get(reverse("cloud_index")).content.decode()
    assert "Synthetic Storage" in index and "情シス 次郎" in index
    # a decided application cannot be decided again
    r = approver.post(url, {"action": "reject", "note": "x"})
    assert r.status_code == 409


def test_self_approval_refused_in_the_ui(demo) -> None:  # type: ignore[no-untyped-def]
    head = demo["users"]["head-iso"]   # permitting authority who also applies (kijun_admin would too)
    from kijun.core.models import RoleAssignment

    RoleAssignment.objects.create(user=head, role="system_security_officer", unit=demo["units"]["demo-it-division"])
    app = make_application(head, demo["units"]["demo-it-division"])
    c = _client(demo, "head-iso")
    page = c.get(reverse("cloud_application_detail", kwargs={"pk": app.pk})).content.decode()
    assert "兼務禁止" in page
    r = c.post(reverse("cloud_application_decide", kwargs={"pk": app.pk}),
               {"action": "approve", "administrator": "x", "review_note": "ok", "exception_reference": "EX-1"})
    assert r.status_code == 409 and "兼務禁止" in r.content.decode()
    app.refresh_from_db()
    assert app.status == "submitted" and not RegisterEntry.objects.exists()


def test_reject_needs_a_reason(demo) -> None:  # type: ignore[no-untyped-def]
    app = make_application(demo["users"]["policy-iso"], demo["units"]["demo-policy-planning"])
    c = _client(demo, "head-iso")
    url = reverse("cloud_application_decide", kwargs={"pk": app.pk})
    assert c.post(url, {"action": "reject"}).status_code == 409
    assert c.post(url, {"action": "reject", "note": "業務上不要"}).status_code == 302
    app.refresh_from_db()
    assert app.status == "rejected" and app.decision_note == "業務上不要" and not RegisterEntry.objects.exists()
    assert AuditEntry.objects.filter(action="cloud.application.reject").exists()


def test_out_of_scope_application_is_404(demo) -> None:  # type: ignore[no-untyped-def]
    outside = make_application(demo["users"]["sysowner"], demo["units"]["demo-it-division"])
    inside = make_application(demo["users"]["policy-iso"], demo["units"]["demo-policy-planning"])
    staff = _client(demo, "staff")   # CLOUD_VIEW on demo-policy-planning only
    assert staff.get(reverse("cloud_application_detail", kwargs={"pk": inside.pk})).status_code == 200
    assert staff.get(reverse("cloud_application_detail", kwargs={"pk": outside.pk})).status_code == 404
    listing = staff.get(reverse("cloud_application_list")).content.decode()
    assert f"/cloud/applications/{inside.pk}/" in listing and f"/cloud/applications/{outside.pk}/" not in listing
    # a permitting authority scoped to another bureau cannot decide it either
    from kijun.core.models import RoleAssignment, User

    pa = User.objects.create(username="pa-policy", unit=demo["units"]["demo-policy-bureau"])
    RoleAssignment.objects.create(user=pa, role="permitting_authority", unit=demo["units"]["demo-policy-bureau"])
    c = Client()
    c.force_login(pa)
    r = c.post(reverse("cloud_application_decide", kwargs={"pk": outside.pk}), {"action": "reject", "note": "x"})
    assert r.status_code == 404
    outside.refresh_from_db()
    assert outside.status == "submitted"


def test_system_ledger_create_edit_and_scope(demo) -> None:  # type: ignore[no-untyped-def]
    c = _client(demo, "sysowner")   # cloud_service_administrator on the ministry: CLOUD_MANAGE
    unit = demo["units"]["demo-it-division"]
    r = c.post(reverse("cloud_system_new"), {"name": "申請受付システム", "code": "sys-001", "org_unit": unit.pk,
                                             "owner": demo["users"]["sysowner"].pk, "system_class": "B",
                                             "description": "", "cloud_services": "Synthetic Storage\n"})
    assert r.status_code == 302
    system = InformationSystem.objects.get(code="sys-001")
    r = c.post(reverse("cloud_system_edit", kwargs={"pk": system.pk}),
               {"name": "申請受付システム2", "code": "sys-001", "org_unit": unit.pk, "system_class": "A",
                "description": "", "cloud_services": "", "version": 1})
    assert r.status_code == 302
    system.refresh_from_db()
    assert system.name == "申請受付システム2" and system.version == 2
    # stale version: refused
    r = c.post(reverse("cloud_system_edit", kwargs={"pk": system.pk}),
               {"name": "x", "code": "sys-001", "org_unit": unit.pk, "system_class": "A", "version": 1})
    assert r.status_code == 200 and InformationSystem.objects.get(pk=system.pk).name == "申請受付システム2"
    assert AuditEntry.objects.filter(action="cloud.system.create").exists()
    assert AuditEntry.objects.filter(action="cloud.system.update").exists()
    other = make_system(demo["units"]["demo-policy-planning"], "sys-pp")
    staff = _client(demo, "staff")
    assert staff.get(reverse("cloud_system_detail", kwargs={"pk": other.pk})).status_code == 200
    assert staff.get(reverse("cloud_system_detail", kwargs={"pk": system.pk})).status_code == 404
    other.description = "=cmd|' /C calc'!A0"
    other.save()
    rows = [r for r in staff.get(reverse("cloud_system_export")).content.decode("utf-8-sig").splitlines()
            if not r.startswith("demo-")]   # the cloud demo records (kijun.cloud.demo) are in scope too
    assert rows[0].startswith("code,name") and len(rows) == 2 and "sys-pp" in rows[1]
    assert "'=cmd" in rows[1]


def test_ismap_upload_cp932_with_diff_and_row_errors(demo, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    c = _client(demo, "sysowner")
    with open(FIXTURES / "ismap_synthetic_utf8.csv", "rb") as fh:
        r = c.post(reverse("cloud_ismap_upload"), {"file": fh})
    assert r.status_code == 302
    first = IsmapImport.objects.get()
    assert first.entry_count > 0
    with open(FIXTURES / "ismap_synthetic_cp932.csv", "rb") as fh:
        r = c.post(reverse("cloud_ismap_upload"), {"file": fh})
    assert r.status_code == 302
    second = IsmapImport.objects.exclude(pk=first.pk).get()
    assert second.entry_count == 2 and second.diff["previous_id"] == first.pk
    names = {e["service_name"] for e in second.diff["added"]} | {e["service_name"] for e in second.diff["removed"]}
    assert names
    page = c.get(r["Location"]).content.decode()
    assert "合成" in page or "X24-0010-1" in page
    assert AuditEntry.objects.filter(action="cloud.ismap.import").count() == 2
    listing = c.get(reverse("cloud_ismap")).content.decode()
    assert "X24-0011-1" in listing


def test_ismap_upload_row_errors_shown(demo) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = "登録番号,クラウドサービス名称,クラウドサービス事業者名,登録年月日,有効期間\n" \
           "X24-0001-1,良い行,見本株式会社,2024/4/1,2024/4/1～2099/7/31\n" \
           "BAD,悪い行,見本株式会社,2024/4/1,2024/4/1～2099/7/31\n"
    c = _client(demo, "sysowner")
    r = c.post(reverse("cloud_ismap_upload"), {"file": SimpleUploadedFile("list.csv", body.encode("utf-8"))})
    assert r.status_code == 302
    imp = IsmapImport.objects.get()
    assert imp.errors and imp.errors[0]["row"] == 3
    assert "BAD" in c.get(r["Location"]).content.decode()


def test_ismap_upload_oversized_is_413(demo, settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.KIJUN_CLOUD_ISMAP_MAX_BYTES = 1000
    c = _client(demo, "sysowner")
    r = c.post(reverse("cloud_ismap_upload"), {"file": SimpleUploadedFile("big.csv", b"a,b\n" * 1000)})
    assert r.status_code == 413
    assert not IsmapImport.objects.exists()
    # staff cannot upload at all
    assert _client(demo, "staff").post(reverse("cloud_ismap_upload"), {}).status_code == 403


def test_register_export_round_trips(demo) -> None:  # type: ignore[no-untyped-def]
    RegisterEntry.objects.create(service_id="synthetic-storage", service_name="Synthetic Storage", provider="KK",
                                 status="approved", ismap_kind="ismap", ismap_number="C99-0001-1",
                                 max_confidentiality=2, domains=["storage.example.jp", "*.files.example.jp"],
                                 administrator="情シス 次郎", conditions=["encrypt_data"])
    RegisterEntry.objects.create(service_id="free-translator", service_name="Free Translator", status="prohibited")
    c = _client(demo, "staff")
    y = c.get(reverse("cloud_register_export") + "?format=yaml")
    assert y.status_code == 200 and y["Content-Type"].startswith("application/yaml")
    parsed = parse_yaml(y.content.decode())
    assert not parsed.errors
    assert {e.service_id: e for e in parsed.entries} == {e.service_id: e.to_row() for e in RegisterEntry.objects.all()}
    csv_doc = parse_csv(c.get(reverse("cloud_register_export") + "?format=csv").content.decode())
    assert [e.service_id for e in csv_doc.entries] == ["free-translator", "synthetic-storage"]
    assert csv_doc.entries[1].domains == ("storage.example.jp", "*.files.example.jp")


def test_ismap_upload_xlsx(demo) -> None:  # type: ignore[no-untyped-def]
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["登録番号", "クラウドサービス名称", "クラウドサービス事業者名", "登録年月日", "有効期間"])
    ws.append(["X25-0100-1", "合成ストレージ", "見本株式会社", "2025/4/1", "2025/4/1～2099/3/31"])
    buf = io.BytesIO()
    wb.save(buf)
    c = _client(demo, "sysowner")
    r = c.post(reverse("cloud_ismap_upload"), {"file": SimpleUploadedFile("list.xlsx", buf.getvalue())})
    assert r.status_code == 302
    imp = IsmapImport.objects.get()
    assert imp.entry_count == 1 and imp.diff["added"][0]["registration_number"] == "X25-0100-1"


def test_ismap_upload_rejects_binary(demo) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = _client(demo, "sysowner")
    r = c.post(reverse("cloud_ismap_upload"), {"file": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n\x00\x00")})
    assert r.status_code == 415 and not IsmapImport.objects.exists()


def test_lifecycle_checklist_after_approval(demo) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from kijun.cloud.models import LifecycleItem

    app = make_application(demo["users"]["policy-iso"], demo["units"]["demo-policy-planning"])
    approver = _client(demo, "head-iso")
    r = approver.post(reverse("cloud_application_decide", kwargs={"pk": app.pk}),
                      {"action": "approve", "administrator": "情シス 次郎"})
    assert r.status_code == 302
    entry = RegisterEntry.objects.get()
    items = list(LifecycleItem.objects.filter(entry=entry))
    phases = {i.phase for i in items}
    assert {"planning", "operation", "end_of_use"} <= phases
    recurring = next(i for i in items if i.due_kind == "recurring")
    assert recurring.due_on and recurring.recurrence_days
    # make one item overdue: flagged on the service page and in the register
    LifecycleItem.objects.filter(pk=recurring.pk).update(due_on=dt.date(2000, 1, 1))
    staff = _client(demo, "staff")
    page = staff.get(reverse("cloud_register_detail", kwargs={"pk": entry.pk})).content.decode()
    assert "期限超過" in page and "2000-01-01" in page
    assert "期限超過" in staff.get(reverse("cloud_index")).content.decode()
    url = reverse("cloud_lifecycle_complete", kwargs={"pk": recurring.pk})
    assert staff.post(url, {"evidence": "x"}).status_code == 403
    manager = _client(demo, "sysowner")
    assert manager.post(url, {"evidence": "設定確認記録 2025-07"}).status_code == 302
    recurring.refresh_from_db()
    # a recurring duty rolls forward from today, keeping its evidence
    assert recurring.status == "open" and recurring.due_on > dt.date.today()
    assert recurring.evidence == ["設定確認記録 2025-07"]
    once = next(i for i in items if i.due_kind == "before_use")
    manager.post(reverse("cloud_lifecycle_complete", kwargs={"pk": once.pk}), {"evidence": ""})
    once.refresh_from_db()
    assert once.status == "done" and once.done_by == demo["users"]["sysowner"]
    assert AuditEntry.objects.filter(action="cloud.lifecycle.complete").count() == 2
