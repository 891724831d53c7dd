"""System ledger: CSV/XLSX import (all rows or none) and export, the editable classification
standard (R7 5.1.1(1)(a)) and the class a system would get by it."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from kijun.cloud.ledger.services import default_text
from kijun.cloud.models import InformationSystem, SystemClassStandard
from kijun.core.models import AuditEntry

from .web_helpers import clear_cloud_demo, make_asset, make_system

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _exact_lists(demo) -> None:  # type: ignore[no-untyped-def]
    """These tests count list rows, imports and exports exactly: start without the cloud demo records."""
    clear_cloud_demo()

LEDGER = ("情報システム台帳\n"
          "台帳ID,情報システム名,所管組織,情報システムセキュリティ責任者,情報システムの格付,概要,構成要素,"
          "利用クラウドサービス,業務影響度,インターネット公開,国民向け\n"
          "SYS-001,申請受付システム,demo-it-division,sysowner,B,申請の受付,Webサーバ;DB,Synthetic Storage,中,○,○\n"
          "SYS-002,文書管理システム,情報システム課,情シス 次郎,区分C（上記以外）,,,,低,,\n")


def _client(demo, username: str) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(demo["users"][username])
    return c


def test_ledger_import_cp932_creates_then_updates(demo) -> None:  # type: ignore[no-untyped-def]
    c = _client(demo, "sysowner")   # cloud service administrator on the ministry: CLOUD_MANAGE everywhere
    r = c.post(reverse("cloud_system_import"), {"file": SimpleUploadedFile("ledger.csv", LEDGER.encode("cp932"))})
    assert r.status_code == 302, r.content.decode()[:3000]
    s1 = InformationSystem.objects.get(code="SYS-001")
    assert (s1.system_class, s1.business_impact, s1.internet_facing, s1.citizen_facing) == ("B", "medium", True, True)
    assert s1.component_list() == ["Webサーバ", "DB"] and s1.owner == demo["users"]["sysowner"]
    s2 = InformationSystem.objects.get(code="SYS-002")
    assert s2.system_class == "C" and s2.owner == demo["users"]["sysowner"]   # owner found by display name
    assert AuditEntry.objects.filter(action="cloud.system.create").exclude(actor="demo-loader").count() == 2
    assert AuditEntry.objects.filter(action="cloud.system.import").count() == 1
    r = c.post(reverse("cloud_system_import"),
               {"file": SimpleUploadedFile("l.csv", LEDGER.replace("申請の受付", "申請の受付と審査").encode())})
    assert r.status_code == 302
    s1.refresh_from_db()
    assert s1.description == "申請の受付と審査" and s1.version == 2


def test_ledger_import_bad_rows_write_nothing(demo) -> None:  # type: ignore[no-untyped-def]
    bad = LEDGER + "SYS-003,x,no-unit,nobody,Z,,,,極大,たぶん,\n"
    c = _client(demo, "sysowner")
    r = c.post(reverse("cloud_system_import"), {"file": SimpleUploadedFile("l.csv", bad.encode())})
    assert r.status_code == 400 and InformationSystem.objects.count() == 0
    page = r.content.decode()
    for field in ("system_class", "business_impact", "internet_facing"):
        assert f"<td>{field}</td>" in page
    # org_unit/owner problems are found after the shape checks pass
    bad2 = LEDGER + "SYS-003,x,no-unit,nobody,,,,,,,\n"
    r = c.post(reverse("cloud_system_import"), {"file": SimpleUploadedFile("l.csv", bad2.encode())})
    assert r.status_code == 400 and "no such unit" in r.content.decode() and "no such active person" in r.content.decode()
    assert InformationSystem.objects.count() == 0
    # outside the importer's CLOUD_MANAGE scope: policy-iso has none at all
    assert _client(demo, "policy-iso").get(reverse("cloud_system_import")).status_code == 403


def test_ledger_xlsx_export_reads_back(demo) -> None:  # type: ignore[no-untyped-def]
    system = make_system(demo["units"]["demo-it-division"], "sys-x", owner=demo["users"]["sysowner"])
    system.components = "=HYPERLINK(\"x\")\nDB"
    system.save()
    c = _client(demo, "sysowner")
    r = c.get(reverse("cloud_system_export") + "?format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "台帳ID" and rows[1][0] == "sys-x" and rows[1][6].startswith("'=HYPERLINK")
    InformationSystem.objects.all().delete()
    r = c.post(reverse("cloud_system_import"), {"file": SimpleUploadedFile("l.xlsx", r.content)})
    assert r.status_code == 302
    back = InformationSystem.objects.get(code="sys-x")
    assert back.system_class == "B" and back.owner == demo["users"]["sysowner"]


def test_standard_is_shown_edited_validated_and_drives_the_choices(demo) -> None:  # type: ignore[no-untyped-def]
    staff = _client(demo, "staff")
    page = staff.get(reverse("cloud_system_standard")).content.decode()
    assert "区分A" in page and "<textarea" not in page
    assert staff.post(reverse("cloud_system_standard"), {"text": "x"}).status_code == 403
    admin = _client(demo, "sysowner")
    r = admin.post(reverse("cloud_system_standard"), {"text": "version: 1\nclasses: []\n"})
    assert r.status_code == 400 and not SystemClassStandard.objects.exists()
    r = admin.post(reverse("cloud_system_standard"), {"text": "classes: [unclosed"})
    assert r.status_code == 400 and "YAML" in r.content.decode()
    text = default_text().replace("id: C", "id: D").replace("区分C（上記以外）", "区分D（その他）")
    assert admin.post(reverse("cloud_system_standard"), {"text": text}).status_code == 302
    row = SystemClassStandard.objects.get()
    assert row.version == 1 and AuditEntry.objects.filter(action="cloud.system_standard.update").exists()
    assert admin.post(reverse("cloud_system_standard"), {"text": text, "version": 0}).status_code == 400
    form = admin.get(reverse("cloud_system_new")).content.decode()
    assert 'value="D"' in form and 'value="C"' not in form
    # a system still classed C is listed as stale on the standard page
    make_system(demo["units"]["demo-it-division"], "old-c").__class__.objects.filter(code="old-c").update(system_class="C")
    assert "old-c" in admin.get(reverse("cloud_system_standard")).content.decode()


def test_system_page_suggests_the_class_from_linked_information(demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-it-division"]
    system = make_system(unit, "sys-s")   # recorded as B
    c = _client(demo, "sysowner")
    page = c.get(reverse("cloud_system_detail", kwargs={"pk": system.pk})).content.decode()
    assert "区分C" in page and "最も低い格付を仮定" in page
    asset = make_asset(unit, "secret-1", c=3)
    asset.systems.add(system)
    page = c.get(reverse("cloud_system_detail", kwargs={"pk": system.pk})).content.decode()
    assert "区分A" in page and "情報 secret-1" in page and "最も低い格付を仮定" not in page
