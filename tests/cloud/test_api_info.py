"""REST API for information assets, the guided helper, imports, ledger create/update and the standard."""

from __future__ import annotations

import pytest
from django.test import Client

from kijun.cloud.ledger.services import default_text
from kijun.cloud.models import InformationAsset, InformationSystem
from kijun.core.models import AuditEntry

from .web_helpers import clear_cloud_demo, make_asset, make_system

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _exact_lists(demo) -> None:  # type: ignore[no-untyped-def]
    """These tests count list rows, imports and exports exactly: start without the cloud demo records."""
    clear_cloud_demo()
API = "/api/v1/cloud"
ANSWERS = {"c_secret_document": False, "c_non_disclosure": True, "i_written_only": True}


def _client(demo, username: str) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(demo["users"][username])
    return c


def test_asset_crud_derived_flags_version_and_scope(demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-policy-planning"]
    system = make_system(unit, "sys-pp")
    c = _client(demo, "policy-iso")
    body = {"code": "API-1", "name": "名簿", "org_unit_id": unit.pk, "confidentiality": 2, "integrity": 1,
            "availability": 2, "handling_restrictions": ["持出禁止", "no_copy"], "system_ids": [system.pk]}
    r = c.post(f"{API}/assets", body, content_type="application/json")
    assert r.status_code == 201, r.content
    a = r.json()
    assert a["handling_restrictions"] == ["no_copy", "no_removal"] and a["systems"] == ["sys-pp"]
    assert (a["confidential"], a["integrity_critical"], a["availability_critical"], a["protected"]) == (
        True, False, True, True)
    assert c.post(f"{API}/assets", body, content_type="application/json").status_code == 422   # duplicate code
    bad = {**body, "code": "API-2", "handling_restrictions": ["極秘"]}
    r = c.post(f"{API}/assets", bad, content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "unknown_restriction"
    r = c.put(f"{API}/assets/{a['id']}", {**body, "availability": 1, "version": a["version"]},
              content_type="application/json")
    assert r.status_code == 200 and r.json()["availability_critical"] is False and r.json()["version"] == 2
    r = c.put(f"{API}/assets/{a['id']}", {**body, "version": 1}, content_type="application/json")
    assert r.status_code == 409
    listed = c.get(f"{API}/assets?flag=confidential").json()
    assert listed["count"] == 1 and listed["items"][0]["code"] == "API-1"
    assert c.get(f"{API}/assets?restriction=no_copy").json()["count"] == 1
    assert c.get(f"{API}/assets?c=3").json()["count"] == 0
    other = make_asset(demo["units"]["demo-it-division"], "IT-1")
    assert c.get(f"{API}/assets/{other.pk}").status_code == 404
    staff = _client(demo, "staff")
    assert staff.get(f"{API}/assets/{a['id']}").status_code == 200
    assert staff.post(f"{API}/assets", {**body, "code": "S-1"}, content_type="application/json").status_code == 403
    csv = c.get(f"{API}/assets/export?format=csv").content.decode("utf-8-sig")
    assert "API-1" in csv and "IT-1" not in csv
    assert c.get(f"{API}/assets/export?format=xlsx").content[:2] == b"PK"


def test_guide_walk_and_classify(demo) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset(demo["units"]["demo-policy-planning"], "G-1", c=3, i=2, a=2)
    staff = _client(demo, "staff")
    r = staff.post(f"{API}/classify/guide", {"answers": {"c_secret_document": False}}, content_type="application/json")
    g = r.json()
    assert r.status_code == 200 and g["complete"] is False and g["pending"] == "c_non_disclosure"
    assert "不開示情報" in g["pending_question_ja"] and "秘密文書" in g["steps"][0]["explain_ja"]
    r = staff.post(f"{API}/classify/guide", {"answers": ANSWERS}, content_type="application/json")
    assert r.json()["classification"] == {"confidentiality": 2, "integrity": 1, "availability": 1,
                                          "confidential": True, "integrity_critical": False,
                                          "availability_critical": False, "protected": True}
    assert staff.post(f"{API}/classify/guide", {"answers": {"nope": True}},
                      content_type="application/json").status_code == 422
    assert staff.post(f"{API}/assets/{asset.pk}/classify", {"answers": ANSWERS},
                      content_type="application/json").status_code == 403
    c = _client(demo, "policy-iso")
    r = c.post(f"{API}/assets/{asset.pk}/classify", {"answers": {"c_secret_document": False}},
               content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "incomplete"
    r = c.post(f"{API}/assets/{asset.pk}/classify", {"answers": ANSWERS, "version": asset.version},
               content_type="application/json")
    assert r.status_code == 200, r.content
    assert {w["code"] for w in r.json()["warnings"]} >= {"over_classification"}
    asset.refresh_from_db()
    assert (asset.confidentiality, asset.integrity, asset.availability) == (2, 1, 1)


def test_asset_and_ledger_import_over_the_api(demo) -> None:  # type: ignore[no-untyped-def]
    c = _client(demo, "head-iso")
    good = "code,name,org_unit,confidentiality,integrity,availability\nX-1,a,demo-it-division,1,1,1\n"
    r = c.post(f"{API}/assets/import", {"file": _file("a.csv", good.encode("cp932"))})
    assert r.status_code == 200 and r.json()["created"] == ["X-1"]
    bad = good + "X-2,b,demo-it-division,9,1,1\n"
    r = c.post(f"{API}/assets/import", {"file": _file("a.csv", bad.encode())})
    assert r.status_code == 400 and r.json()["errors"][0]["row"] == 3 and not InformationAsset.objects.filter(
        code="X-2").exists()
    r = c.post(f"{API}/assets/import", {"file": _file("a.bin", b"\x00\x01\x02binary")})
    assert r.status_code == 415
    ledger = "code,name,org_unit,system_class\nS-1,受付,demo-it-division,A\n"
    r = c.post(f"{API}/systems/import", {"file": _file("l.csv", ledger.encode())})
    assert r.status_code == 200 and InformationSystem.objects.get(code="S-1").system_class == "A"
    assert _client(demo, "policy-iso").post(f"{API}/systems/import",
                                            {"file": _file("l.csv", ledger.encode())}).status_code == 403
    x = c.get(f"{API}/systems/export?format=xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"


def _file(name: str, data: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_ledger_create_update_and_standard(demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-it-division"]
    c = _client(demo, "sysowner")
    body = {"code": "API-SYS", "name": "API受付", "org_unit_id": unit.pk, "components": ["Web", "DB"],
            "cloud_services": ["Synthetic Storage"], "business_impact": "high", "citizen_facing": True}
    r = c.post(f"{API}/systems", body, content_type="application/json")
    assert r.status_code == 201, r.content
    s = r.json()
    assert s["system_class"] == "C" and s["components"] == ["Web", "DB"] and s["business_impact"] == "high"
    r = c.put(f"{API}/systems/{s['id']}", {**body, "system_class": "Z"}, content_type="application/json")
    assert r.status_code == 422
    r = c.put(f"{API}/systems/{s['id']}", {**body, "system_class": "A", "version": s["version"]},
              content_type="application/json")
    assert r.status_code == 200 and r.json()["system_class"] == "A"
    assert AuditEntry.objects.filter(action="cloud.system.update", object_id=str(s["id"])).exists()
    std = c.get(f"{API}/systems/standard").json()
    assert std["source"] == "default" and [x["id"] for x in std["classes"]] == ["A", "B", "C"]
    r = c.put(f"{API}/systems/standard", {"text": "version: 1\nclasses: []"}, content_type="application/json")
    assert r.status_code == 422
    r = c.put(f"{API}/systems/standard", {"text": default_text()}, content_type="application/json")
    assert r.status_code == 200 and r.json()["source"] == "agency" and r.json()["version"] == 1
    assert c.put(f"{API}/systems/standard", {"text": default_text(), "version": 7},
                 content_type="application/json").status_code == 409
    assert _client(demo, "staff").put(f"{API}/systems/standard", {"text": default_text()},
                                      content_type="application/json").status_code == 403


def test_restriction_labels_api(demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.cloud.info.services import default_vocabulary_text

    staff = _client(demo, "staff")
    v = staff.get(f"{API}/classify/restrictions").json()
    assert v["source"] == "default" and {"no_copy", "need_to_know"} <= {r["code"] for r in v["restrictions"]}
    assert staff.put(f"{API}/classify/restrictions", {"text": default_vocabulary_text()},
                     content_type="application/json").status_code == 403
    admin = _client(demo, "head-iso")
    r = admin.put(f"{API}/classify/restrictions", {"text": "restrictions: []"}, content_type="application/json")
    assert r.status_code == 422
    r = admin.put(f"{API}/classify/restrictions", {"text": default_vocabulary_text()}, content_type="application/json")
    assert r.status_code == 200 and r.json()["source"] == "agency" and r.json()["version"] == 1
