"""Information assets in the web UI: record/edit with versioning and audit, derived groups, scope,
CSV/XLSX import (all rows or none) and export, the guided helper and applying its result."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from kijun.cloud.models import InformationAsset
from kijun.core.models import AuditEntry

from .web_helpers import clear_cloud_demo, make_asset, make_system

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _exact_lists(demo) -> None:  # type: ignore[no-untyped-def]
    """These tests count list rows, imports and exports exactly: start without the cloud demo records."""
    clear_cloud_demo()

#: answers of the helper that lead to 機密性2 / 完全性2 / 可用性1
C2I2A1 = {"a_c_secret_document": "no", "a_c_non_disclosure": "yes", "a_i_written_only": "no",
          "a_i_harm": "yes", "a_i_negligible": "no", "a_a_harm": "no"}


def _client(demo, username: str) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(demo["users"][username])
    return c


def _form(unit_pk: int, **over: object) -> dict[str, object]:
    data: dict[str, object] = {"code": "INFO-001", "name": "申請書類", "description": "受付した申請書",
                               "org_unit": unit_pk, "confidentiality": "2", "integrity": "1", "availability": "1",
                               "handling_restrictions": ["no_copy", "need_to_know"],
                               "restriction_conditions": "課長の許可なく複製しない"}
    data.update(over)
    return data


def test_record_edit_with_version_audit_and_derived_groups(demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-policy-planning"]
    system = make_system(unit, "sys-pp")
    c = _client(demo, "policy-iso")
    r = c.post(reverse("cloud_asset_new"), _form(unit.pk, systems=[system.pk]))
    assert r.status_code == 302, r.content.decode()[:3000]
    asset = InformationAsset.objects.get()
    assert asset.handling_restrictions == ["need_to_know", "no_copy"] and list(asset.systems.all()) == [system]
    page = c.get(r["Location"]).content.decode()
    assert "要機密情報" in page and "要保護情報" in page and "要保全情報" not in page
    assert "複製禁止" in page and "関係者限り" in page and "課長の許可なく複製しない" in page
    created = AuditEntry.objects.get(action="cloud.asset.create", object_id=str(asset.pk))
    assert created.after["derived"] == ["要機密情報", "要保護情報"] and created.after["systems"] == ["sys-pp"]

    url = reverse("cloud_asset_edit", kwargs={"pk": asset.pk})
    assert c.post(url, _form(unit.pk, integrity="2", version=asset.version)).status_code == 302
    asset.refresh_from_db()
    assert asset.version == 2 and asset.integrity == 2 and asset.flags.integrity_critical
    assert list(asset.systems.all()) == []
    # a stale version is refused with a clear message, nothing changes
    r = c.post(url, _form(unit.pk, availability="2", version=1))
    assert r.status_code == 200 and "他の利用者がこの記録を更新しました" in r.content.decode()
    asset.refresh_from_db()
    assert asset.availability == 1 and asset.version == 2
    update = AuditEntry.objects.get(action="cloud.asset.update", object_id=str(asset.pk))
    assert update.before["integrity"] == 1 and update.after["integrity"] == 2


def test_scope_and_permissions(demo) -> None:  # type: ignore[no-untyped-def]
    inside = make_asset(demo["units"]["demo-policy-planning"], "in-1")
    outside = make_asset(demo["units"]["demo-it-division"], "out-1")
    staff = _client(demo, "staff")   # CLOUD_VIEW in policy planning only, no INFO_CLASSIFY
    listing = staff.get(reverse("cloud_asset_list")).content.decode()
    assert "in-1" in listing and "out-1" not in listing
    assert staff.get(reverse("cloud_asset_detail", kwargs={"pk": outside.pk})).status_code == 404
    assert staff.get(reverse("cloud_asset_edit", kwargs={"pk": inside.pk})).status_code == 403
    iso = _client(demo, "policy-iso")
    assert iso.get(reverse("cloud_asset_edit", kwargs={"pk": outside.pk})).status_code == 404
    # a unit outside the classifier's scope cannot be chosen
    r = iso.post(reverse("cloud_asset_new"), _form(demo["units"]["demo-it-division"].pk, code="x-2"))
    assert r.status_code == 200 and not InformationAsset.objects.filter(code="x-2").exists()


def test_list_filters_and_paging(demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-policy-planning"]
    for n in range(55):
        make_asset(unit, f"p-{n:02d}", c=1 + n % 3, i=1, a=2 if n == 7 else 1,
                   restrictions=["no_removal"] if n == 3 else [])
    c = _client(demo, "policy-iso")
    first = c.get(reverse("cloud_asset_list")).content.decode()
    assert "p-00" in first and "p-54" not in first and "55" in first
    assert "p-54" in c.get(reverse("cloud_asset_list") + "?page=2").content.decode()
    only_c3 = c.get(reverse("cloud_asset_list") + "?c=3").content.decode()
    assert "p-02" in only_c3 and "p-01" not in only_c3
    assert "p-07" in c.get(reverse("cloud_asset_list") + "?flag=availability_critical").content.decode()
    by_restriction = c.get(reverse("cloud_asset_list") + "?restriction=no_removal").content.decode()
    assert "p-03" in by_restriction and "p-04" not in by_restriction


CSV = ("管理番号,名称,所管組織,機密性,完全性,可用性,取扱制限,取扱条件,情報システム\n"
       "INFO-1,申請書類,demo-policy-planning,2,2,1,複製禁止;暗号化必須,庁外持出し不可,sys-pp\n"
       "INFO-2,公表資料,政策企画課,1,1,1,,,\n")


def test_import_csv_cp932_then_update_and_unchanged(demo) -> None:  # type: ignore[no-untyped-def]
    make_system(demo["units"]["demo-policy-planning"], "sys-pp")
    c = _client(demo, "policy-iso")
    up = SimpleUploadedFile("assets.csv", CSV.encode("cp932"), content_type="text/csv")
    r = c.post(reverse("cloud_asset_import"), {"file": up})
    assert r.status_code == 302, r.content.decode()[:3000]
    a1 = InformationAsset.objects.get(code="INFO-1")
    assert (a1.confidentiality, a1.integrity, a1.handling_restrictions) == (2, 2, ["encryption_required", "no_copy"])
    assert [s.code for s in a1.systems.all()] == ["sys-pp"]
    assert AuditEntry.objects.filter(action="cloud.asset.import_create").count() == 2
    changed = CSV.replace("INFO-2,公表資料,政策企画課,1,1,1", "INFO-2,公表資料,政策企画課,1,1,2")
    r = c.post(reverse("cloud_asset_import"), {"file": SimpleUploadedFile("a.csv", changed.encode())}, follow=True)
    assert "0 new, 1 updated, 1 unchanged" in r.content.decode() or "新規 0件、更新 1件、変更なし 1件" in r.content.decode()
    assert InformationAsset.objects.get(code="INFO-2").availability == 2


def test_import_with_any_bad_row_writes_nothing_and_lists_every_error(demo) -> None:  # type: ignore[no-untyped-def]
    bad = CSV + ("INFO-3,秘密,demo-it-division,2,1,1,,,\n"      # unit outside the classifier's scope
                 "INFO-4,x,demo-policy-planning,5,1,1,,,\n"     # level out of range
                 "INFO-5,y,no-such-unit,1,1,1,,,nosys\n")       # unknown unit and system
    c = _client(demo, "policy-iso")
    r = c.post(reverse("cloud_asset_import"), {"file": SimpleUploadedFile("a.csv", bad.encode())})
    assert r.status_code == 400
    page = r.content.decode()
    assert InformationAsset.objects.count() == 0
    for needle in ("outside the units you may classify for", "a level from 1 to 3", "no such unit",
                   "no such system in your scope"):
        assert needle in page
    assert not AuditEntry.objects.filter(action__startswith="cloud.asset").exclude(actor="demo-loader").exists()
    # not a table at all
    r = c.post(reverse("cloud_asset_import"), {"file": SimpleUploadedFile("a.csv", b"x,y\n1,2\n")})
    assert r.status_code == 400 and "no header row" in r.content.decode()


def test_export_xlsx_and_csv_read_back_by_the_import(demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-policy-planning"]
    make_asset(unit, "INFO-9", c=2, i=2, a=2, restrictions=["no_copy"])
    make_asset(demo["units"]["demo-it-division"], "HIDDEN-1")
    c = _client(demo, "policy-iso")
    x = c.get(reverse("cloud_asset_export") + "?format=xlsx")
    assert x.status_code == 200 and x["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("管理番号", "名称", "説明") and "要機密情報" in rows[0]
    assert len(rows) == 2 and rows[1][0] == "INFO-9" and rows[1][7] == "複製禁止" and rows[1][-1] == "○"
    text = c.get(reverse("cloud_asset_export") + "?format=csv").content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("code,name,description,org_unit") and "HIDDEN-1" not in text
    InformationAsset.objects.filter(code="INFO-9").update(confidentiality=1)
    r = c.post(reverse("cloud_asset_import"), {"file": SimpleUploadedFile("back.xlsx", x.content)})
    assert r.status_code == 302
    assert InformationAsset.objects.get(code="INFO-9").confidentiality == 2


def test_helper_asks_plain_questions_and_explains_c3(demo) -> None:  # type: ignore[no-untyped-def]
    c = _client(demo, "staff")
    page = c.get(reverse("cloud_guide")).content.decode()
    assert "秘密文書" in page and "行政文書の管理に関するガイドライン" in page
    page = c.get(reverse("cloud_guide"), {"a_c_secret_document": "yes"}).content.decode()
    assert "機密性3" in page and "紙" in page   # explanation of the answer, next question
    page = c.get(reverse("cloud_guide"), C2I2A1).content.decode()
    assert 'data-testid="guide-result"' in page and "要機密情報" in page and "要保全情報" in page
    # staff may not record assets: no apply/record button
    assert "cloud/assets/new" not in page


def test_apply_the_helpers_result_to_an_asset_and_flag_over_classification(demo) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset(demo["units"]["demo-policy-planning"], "over-1", c=3, i=1, a=1)
    c = _client(demo, "policy-iso")
    page = c.get(reverse("cloud_guide"), {**C2I2A1, "asset": asset.pk}).content.decode()
    assert "過剰な格付" in page and reverse("cloud_asset_apply_guide", kwargs={"pk": asset.pk}) in page
    url = reverse("cloud_asset_apply_guide", kwargs={"pk": asset.pk})
    # incomplete answers are refused; the client's levels are never taken
    r = c.post(url, {"a_c_secret_document": "no", "confidentiality": "1", "version": asset.version})
    assert r.status_code == 302
    asset.refresh_from_db()
    assert asset.confidentiality == 3
    r = c.post(url, {**C2I2A1, "version": asset.version})
    assert r.status_code == 302
    asset.refresh_from_db()
    assert (asset.confidentiality, asset.integrity, asset.availability) == (2, 2, 1)
    assert asset.guide_answers["c_secret_document"] is False and asset.version == 2
    entry = AuditEntry.objects.get(action="cloud.asset.classify", object_id=str(asset.pk))
    assert entry.before["confidentiality"] == 3 and entry.after["confidentiality"] == 2
    assert "over_classification" in entry.after["warnings"]
    # another unit's classifier cannot apply it
    other = _client(demo, "sysowner")   # INFO_CLASSIFY only in the IT division
    assert other.post(url, {**C2I2A1}).status_code == 404


def test_application_pre_filled_from_an_asset(demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-policy-planning"]
    asset = make_asset(unit, "INFO-A", c=2, i=2, a=1, restrictions=["encryption_required"])
    c = _client(demo, "policy-iso")
    page = c.get(reverse("cloud_application_new") + f"?asset={asset.pk}").content.decode()
    assert re.search(rf'name="information_assets" value="{asset.pk}"[^>]*checked', page)
    assert len(re.findall(r'name="information_assets"[^>]*checked', page)) == 1
    r = c.post(reverse("cloud_application_new"), {
        "unit": unit.pk, "service_name": "Synthetic Storage", "contract_basis": "negotiated", "service_model": "saas",
        "ismap_kind": "ismap", "ismap_number": "C99-0001-1", "data_locations": "JP", "governing_law": "JP",
        "jurisdiction": "JP", "information_assets": [asset.pk], "info_name": "", "confidentiality": "1",
        "integrity": "1", "availability": "1", "task": "申請受付", "action": "submit"})
    assert r.status_code == 302, r.content.decode()[:3000]
    app = asset.applications.get()
    assert (app.confidentiality, app.integrity) == (2, 2) and app.handling_restrictions == ["encryption_required"]
    assert app.request["information"][0]["name"] == asset.name
    assert "integrity_critical" in {x["rule"] for x in app.assessment["reasons"]}
    # neither an asset nor a name: a clear error
    r = c.post(reverse("cloud_application_new"), {"unit": unit.pk, "service_name": "X", "service_model": "saas",
                                                  "ismap_kind": "none", "confidentiality": "1", "integrity": "1",
                                                  "availability": "1", "task": "t"})
    assert r.status_code == 200 and app.pk == asset.applications.get().pk


def test_agency_labels_are_edited_validated_and_used(demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.cloud.info.services import default_vocabulary_text

    staff = _client(demo, "staff")
    page = staff.get(reverse("cloud_restrictions")).content.decode()
    assert "複製禁止" in page and "関係者限り" in page and "<textarea" not in page
    assert staff.post(reverse("cloud_restrictions"), {"text": "x"}).status_code == 403
    admin = _client(demo, "head-iso")
    # the standard's five must stay
    no_copy_removed = default_vocabulary_text().replace("code: no_copy", "code: no_copy_x")
    r = admin.post(reverse("cloud_restrictions"), {"text": no_copy_removed})
    assert r.status_code == 400 and "no_copy" in r.content.decode()
    added = default_vocabulary_text() + (
        "  - code: in_office_only\n    name_ja: 庁内限り\n    name_en: Inside the office only\n"
        "    aspect: confidentiality\n")
    assert admin.post(reverse("cloud_restrictions"), {"text": added}).status_code == 302
    assert AuditEntry.objects.filter(action="cloud.restrictions.update").count() == 1
    unit = demo["units"]["demo-policy-planning"]
    iso = _client(demo, "policy-iso")
    form = iso.get(reverse("cloud_asset_new")).content.decode()
    assert "庁内限り" in form
    r = iso.post(reverse("cloud_asset_new"), _form(unit.pk, code="L-1", handling_restrictions=["in_office_only"]))
    assert r.status_code == 302
    asset = InformationAsset.objects.get(code="L-1")
    assert asset.handling_restrictions == ["in_office_only"]
    # the engine knows the new label: an application for the asset gets the agency-restriction condition
    from kijun.cloud.request import UseRequest
    from kijun.cloud.services import information_items, submit_application

    from .web_helpers import REQUEST

    app, result = submit_application(demo["users"]["policy-iso"], UseRequest.model_validate(
        {**REQUEST, "information": information_items([asset])}), unit=unit, assets=[asset])
    assert "restriction_agency_defined" in {x.rule for x in result.reasons}
    assert "庁内限り" in next(c.text_ja for c in result.conditions if c.id == "observe_agency_restrictions")
    # a label in use cannot be removed; a stale version is refused
    r = admin.post(reverse("cloud_restrictions"), {"text": default_vocabulary_text(), "version": 1})
    assert r.status_code == 400 and "in_office_only" in r.content.decode()
    r = admin.post(reverse("cloud_restrictions"), {"text": added, "version": 7})
    assert r.status_code == 400
