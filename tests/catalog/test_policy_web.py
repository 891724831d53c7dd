"""The agency's 対策基準: tailoring a clause in the UI and the API, conflicts, history, agency clauses,
permissions (viewing inside the organisation, editing at the organisation level) and the exports."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from kijun.catalog.models import PolicyClause, PolicyClauseChange, TailoredPolicy
from kijun.catalog.oscal import oscal_id
from kijun.core.models import AuditEntry

from .web_helpers import other_ministry

pytestmark = pytest.mark.django_db
CLAUSE = "/catalog/policy/demo-ministry/c/4.2.1(2)(a)/"


def _post_clause(c: Client, url: str = CLAUSE, **data: str):  # type: ignore[no-untyped-def]
    base = {"version": "0", "reason": "", "wording_ja": "", "wording_en": "", "parameters": ""}
    return c.post(url, {**base, **data})


def test_demo_policy_is_listed_and_shows_tailoring(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("staff")
    index = c.get("/catalog/policy/").content.decode()
    assert "デモ省情報セキュリティ対策基準" in index
    page = c.get("/catalog/policy/demo-ministry/?show=tailored").content.decode()
    for cid in ("2.3.1(1)(a)", "2.5.1(1)(a)", "8.1.3(2)(b)", "DEMO-1"):
        assert cid in page
    assert "4.2.1(2)(a)" not in page
    # staff may read but not edit: no form, and a POST is refused
    clause = c.get("/catalog/policy/demo-ministry/c/2.5.1(1)(a)/").content.decode()
    assert "clause-form" not in clause and "所管していない" in clause
    assert _post_clause(c, excluded="on", reason="x").status_code == 403
    other_ministry()
    assert c.get("/catalog/policy/other-ministry/").status_code == 404
    assert c.get("/catalog/policy/demo-ministry/c/9.9.9(1)(a)/").status_code == 404
    assert c.get("/catalog/policy/demo-ministry/c/4.2/").status_code == 404  # sections are headings only


def test_edit_clause_records_history_and_audit(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("head-iso")
    assert "clause-form" in c.get(CLAUSE).content.decode()
    r = _post_clause(c, wording_ja="ISMAP登録サービスを原則とする。", parameters="max-class | 扱える格付 | 機密性2まで")
    assert r.status_code == 302
    row = PolicyClause.objects.get(clause_id="4.2.1(2)(a)")
    assert row.version == 1 and row.parameters == [{"id": "max-class", "label": "扱える格付", "value": "機密性2まで"}]
    # a second editor working from the old version gets a conflict, nothing is overwritten
    stale = _post_clause(c, wording_ja="上書き", version="0")
    assert stale.status_code == 400 and "form-errors" in stale.content.decode()
    assert PolicyClause.objects.get(clause_id="4.2.1(2)(a)").wording_ja == "ISMAP登録サービスを原則とする。"
    r = _post_clause(c, excluded="on", reason="", version="1")
    assert r.status_code == 400  # an exclusion needs a reason
    r = _post_clause(c, excluded="on", reason="当省では利用しない。", version="1",
                     wording_ja="ISMAP登録サービスを原則とする。")
    assert r.status_code == 302
    page = c.get(CLAUSE).content.decode()
    assert "clause-history" in page and "head-iso" in page and "当省では利用しない。" in page
    changes = PolicyClauseChange.objects.filter(clause_id="4.2.1(2)(a)")
    assert [ch.action for ch in changes] == ["update", "create"]
    assert AuditEntry.objects.filter(action="catalog.policy.clause.update", actor="head-iso").count() == 1
    # back to the standard: the row goes, the history stays
    r = _post_clause(c, version="2")
    assert r.status_code == 302 and not PolicyClause.objects.filter(clause_id="4.2.1(2)(a)").exists()
    assert PolicyClauseChange.objects.filter(clause_id="4.2.1(2)(a)").first().action == "reset"  # type: ignore[union-attr]


def test_bureau_officer_may_not_edit_the_ministry_policy(demo, client) -> None:  # type: ignore[no-untyped-def]
    from kijun.core.models import RoleAssignment, User

    u = User.objects.create(username="bureau-iso", unit=demo["units"]["demo-policy-bureau"])
    RoleAssignment.objects.create(user=u, role="security_officer", unit=demo["units"]["demo-policy-bureau"])
    client.force_login(u)
    assert client.get(CLAUSE).status_code == 200
    assert _post_clause(client, wording_ja="x").status_code == 403
    assert not PolicyClause.objects.filter(clause_id="4.2.1(2)(a)").exists()


def test_agency_clause_add_edit_delete(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("head-iso")
    add = "/catalog/policy/demo-ministry/add/"
    data = {"clause_id": "DEMO-2", "anchor": "4.2.1(4)", "title": "利用台帳の四半期確認", "wording_ja": "四半期ごとに確認する。",
            "wording_en": "", "parameters": "", "version": "0"}
    assert c.post(add, {**data, "anchor": "4.2"}).status_code == 400  # a section is no anchor
    assert c.post(add, {**data, "clause_id": "4.2.1(9)"}).status_code == 400  # looks like the standard's id
    r = c.post(add, data)
    assert r.status_code == 302 and r["Location"].endswith("/c/DEMO-2/")
    dup = c.post(add, data)
    assert dup.status_code == 400 and PolicyClause.objects.filter(clause_id="DEMO-2").count() == 1
    page = c.get("/catalog/policy/demo-ministry/c/DEMO-2/").content.decode()
    assert "利用台帳の四半期確認" in page and "4.2.1(4)" in page
    r = c.post("/catalog/policy/demo-ministry/c/DEMO-2/", {**data, "wording_ja": "毎月確認する。", "version": "1"})
    assert r.status_code == 302 and PolicyClause.objects.get(clause_id="DEMO-2").wording_ja == "毎月確認する。"
    r = c.post("/catalog/policy/demo-ministry/c/DEMO-2/", {"action": "delete", "version": "2"})
    assert r.status_code == 302 and not PolicyClause.objects.filter(clause_id="DEMO-2").exists()
    assert AuditEntry.objects.filter(action="catalog.policy.clause.delete").exists()
    r = c.post("/catalog/policy/demo-ministry/meta/", {"title": "デモ省対策基準", "version_label": "2026.2",
                                                        "version": str(TailoredPolicy.objects.get().version)})
    assert r.status_code == 302 and TailoredPolicy.objects.get().version_label == "2026.2"


def test_exports_oscal_csv_xlsx(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("staff")
    r = c.get("/catalog/policy/demo-ministry/export/?format=oscal")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    prof = json.loads(r.content)["profile"]
    ids = prof["imports"][0]["include-controls"][0]["with-ids"]
    assert oscal_id("2.5.1(1)(a)") not in ids and oscal_id("8.1.3(2)(b)") in ids
    excluded = [p for p in prof["metadata"]["props"] if p["name"] == "excluded-control"]
    assert excluded == [{"name": "excluded-control", "value": "2.5.1(1)(a)", "ns": excluded[0]["ns"],
                         "remarks": "デモ省は独立行政法人・指定法人を所管していないため適用しない。"}]
    sets = {s["param-id"]: s["values"] for s in prof["modify"]["set-parameters"]}
    assert sets[f"{oscal_id('2.3.1(1)(a)')}_prm_self-check-frequency"] == ["年1回（10月）"]
    parts = [p for a in prof["modify"]["alters"] for add in a["adds"] for p in add.get("parts", [])]
    assert any(p["name"] == "agency-clause" and p["title"] == "テレワーク端末の画面ロック" for p in parts)
    tp = pytest.importorskip("trestle.oscal.profile")
    assert tp.Profile.parse_obj(prof).modify is not None
    text = c.get("/catalog/policy/demo-ministry/export/?format=csv").content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "条項ID [clause_id]" and rows[0][4] == "適用 [status]"
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["2.5.1(1)(a)"][4] == "適用除外" and by_id["DEMO-1"][2] == "機関等独自"
    assert len(rows) > 385
    from openpyxl import load_workbook

    data = c.get("/catalog/policy/demo-ministry/export/?format=xlsx").content
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None and ws["A1"].value == "条項ID" and ws.max_row == len(rows) + 1
    assert c.get("/catalog/policy/demo-ministry/export/?format=pdf").status_code == 404


def test_formula_injection_is_neutralised(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("head-iso")
    assert _post_clause(c, wording_ja="=HYPERLINK(\"http://x\")").status_code == 302
    text = c.get("/catalog/policy/demo-ministry/export/?format=csv").content.decode("utf-8")
    assert "'=HYPERLINK" in text


def test_api_policy_read_put_conflict(demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.core.tokens import issue_token

    head = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(demo['users']['head-iso'], 'x', 5)[1]}")
    staff = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(demo['users']['staff'], 'x', 5)[1]}")
    doc = staff.get("/api/v1/catalog/policies/demo-ministry").json()
    assert {c["clause_id"] for c in doc["clauses"]} >= {"DEMO-1", "2.5.1(1)(a)"}
    url = "/api/v1/catalog/policies/demo-ministry/clauses/4.2.1(2)(a)"
    body = {"wording_ja": "API経由の文言", "version": 0}
    assert staff.put(url, body, content_type="application/json").status_code == 403
    r = head.put(url, body, content_type="application/json")
    assert r.status_code == 200 and r.json()["wording_ja"] == "API経由の文言"
    assert head.put(url, body, content_type="application/json").status_code == 409
    bad = head.put("/api/v1/catalog/policies/demo-ministry/clauses/4.2.1(2)(a)",
                   {"excluded": True, "version": 1}, content_type="application/json")
    assert bad.status_code == 409 and bad.json()["code"] == "invalid" and "reason" in bad.json()["detail"]
    assert head.put(url, {"version": 1}, content_type="application/json").status_code == 204
    prof = staff.get("/api/v1/catalog/policies/demo-ministry/profile").json()
    assert prof["profile"]["metadata"]["title"] == "デモ省情報セキュリティ対策基準"
    other_ministry()
    assert staff.get("/api/v1/catalog/policies/other-ministry").status_code == 404


def test_policy_page_in_english(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    from kijun.catalog.store import default_catalog

    c = login_as("staff")
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = c.get("/catalog/policy/demo-ministry/?show=excluded").content.decode()
    assert default_catalog().get("2.5.1(1)(a)").title_en in page and "Excluded" in page
