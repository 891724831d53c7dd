"""Documents register, revision diff between stored editions, and the review worklist that follows."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import timezone

from kijun.catalog.models import AgencyDocument, PolicyClause, ReviewItem, ReviewRun, TailoredPolicy
from kijun.catalog.revisions import start_review
from kijun.core.models import AuditEntry

from .web_helpers import other_ministry, store_editions

pytestmark = pytest.mark.django_db


def _doc(unit, title: str, ids: list[str], edition: str = "t1", days: int = 10) -> AgencyDocument:  # type: ignore[no-untyped-def]
    return AgencyDocument.objects.create(title=title, edition=edition, owner_unit=unit, requirement_ids=ids,
                                         last_reviewed=timezone.localdate() - dt.timedelta(days=days))


def test_register_create_validates_ids_and_audits(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("head-iso")
    form = {"title": "ログ管理手順", "kind": "procedure", "edition": "r7", "owner_unit": demo["units"]["demo-it-division"].pk,
            "last_reviewed": "2026-04-01", "notes": "", "ids_text": "7.1.4 9.9.9(1)(a) 7.1.4(1)(Z)"}
    bad = c.post("/catalog/documents/new/", form)
    assert bad.status_code == 400 and "9.9.9(1)(a)" in bad.content.decode()
    assert not AgencyDocument.objects.filter(title="ログ管理手順").exists()
    r = c.post("/catalog/documents/new/", {**form, "ids_text": "7.1.4, 7.1.4(1)(a)\n7.1.4"})
    assert r.status_code == 302
    doc = AgencyDocument.objects.get(title="ログ管理手順")
    assert doc.requirement_ids == ["7.1.4", "7.1.4(1)(a)"]
    assert AuditEntry.objects.filter(action="catalog.document.create", actor="head-iso").exists()
    page = c.get(f"/catalog/documents/{doc.pk}/").content.decode()
    assert "/catalog/n/7.1.4(1)(a)/" in page
    stale = c.post(f"/catalog/documents/{doc.pk}/edit/", {**form, "ids_text": "7.1.4", "version": "0"})
    assert stale.status_code == 400 and AgencyDocument.objects.get(pk=doc.pk).requirement_ids == ["7.1.4", "7.1.4(1)(a)"]
    # staff sees documents of their own unit only, and may not edit
    s = login_as("staff")
    assert s.get(f"/catalog/documents/{doc.pk}/").status_code == 404
    assert s.get("/catalog/documents/new/").status_code == 403


def test_stale_badges_list_and_dashboard(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("admin")
    page = c.get("/catalog/documents/").content.decode()
    # demo: one procedure reviewed 500 days ago is overdue, the other two are up to date
    assert page.count('data-testid="badge-overdue"') == 1 and page.count('data-testid="badge-ok"') == 2
    only = c.get("/catalog/documents/?stale=1").content.decode()
    assert "政策局 情報の格付・取扱手順" in only and "テレワーク実施要領" not in only
    dash = c.get("/").content.decode()
    assert 'data-testid="stat-catalog-stale-documents"' in dash
    text = c.get("/catalog/documents/export/").content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "文書名 [title]" and {r[-1] for r in rows[1:]} == {"最新", "見直し期限超過"}


def test_diff_page_and_csv_between_stored_editions(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    a, b = store_editions()
    c = login_as("staff")
    page = c.get(f"/catalog/diff/?a={a}&b={b}").content.decode()
    assert 'data-testid="diff-changes"' in page
    # ids the catalog knows link to their provision; 2.1.1(1)(c) exists only in the synthetic editions
    assert "2.1.1(1)(c)" in page and "/catalog/n/2.1.1(2)(a)/" in page and "/catalog/n/2.1.1(1)(c)/" not in page
    text = c.get(f"/catalog/diff/export.csv?a={a}&b={b}").content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    got = {(r[0], r[1]) for r in rows[1:]}
    assert ("changed_text", "2.1.1(1)(c)") in got and ("changed_text", "2.1.1(2)(a)") in got
    assert ("added", "2.1.1(3)") in got and ("added", "2.1.1(3)(a)") in got
    assert c.get(f"/catalog/diff/export.csv?a={a}&b={a}").status_code == 404
    from kijun.core.tokens import issue_token

    api = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(demo['users']['staff'], 'x', 5)[1]}")
    keys = [e["key"] for e in api.get("/api/v1/catalog/editions").json()]
    assert keys == ["catalog:r7", a, b]
    doc = api.get(f"/api/v1/catalog/diff?a={a}&b={b}").json()
    assert doc["summary"]["added"] == 2 and doc["summary"]["changed_text"] == 2
    assert api.get(f"/api/v1/catalog/diff?a={a}&b=official:nope").status_code == 404


def test_review_run_marks_documents_and_clauses(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    a, b = store_editions()
    units = demo["units"]
    hit = _doc(units["demo-policy-planning"], "体制整備要領", ["2.1.1(1)"])
    hit_item = _doc(units["demo-it-division"], "報告手順", ["2.1.1"])
    missed = _doc(units["demo-it-division"], "無関係な手順", ["7.1.4"])
    current = _doc(units["demo-it-division"], "新版準拠の手順", ["2.1.1"], edition="t2")
    foreign = _doc(other_ministry(), "他省の手順", ["2.1.1"])
    policy = TailoredPolicy.objects.get(org_unit=units["demo-ministry"])
    PolicyClause.objects.create(policy=policy, clause_id="2.1.1(1)(c)", wording_ja="五年保存する。")
    PolicyClause.objects.create(policy=policy, clause_id="DEMO-9", is_addition=True, anchor="2.1.1(2)", title="x",
                                wording_ja="y")
    c = login_as("head-iso")
    r = c.post("/catalog/reviews/start/", {"unit": "demo-ministry", "a": a, "b": b})
    assert r.status_code == 302
    run = ReviewRun.objects.get()
    docs = {i.document.title for i in run.items.filter(target="document")}  # type: ignore[union-attr]
    assert docs == {hit.title, hit_item.title}  # not: uncited, already on t2, other ministry
    assert missed.title not in docs and current.title not in docs and foreign.title not in docs
    clauses = {i.clause_id: i.tailored for i in run.items.filter(target="clause")}
    assert clauses["2.1.1(1)(c)"] is True and clauses["2.1.1(2)(a)"] is False and clauses["DEMO-9"] is True
    assert "2.1.1(3)" in clauses and "2.1.1(3)(a)" in clauses
    assert AuditEntry.objects.filter(action="catalog.review.start").exists()
    # the documents now show as needing review
    listing = c.get("/catalog/documents/?stale=1").content.decode()
    assert "体制整備要領" in listing and 'data-testid="badge-needs-review"' in listing
    # staff of 政策企画課 sees the clause items and only their own unit's document
    s = login_as("staff").get(f"/catalog/reviews/{run.pk}/?target=document").content.decode()
    assert "体制整備要領" in s and "報告手順" not in s and "Mark reviewed" not in s and "確認済み" not in s
    # marking done: audited; the document adopts the new edition and its review date
    item = run.items.get(document=hit)
    c = login_as("head-iso")
    r = c.post(f"/catalog/reviews/items/{item.pk}/done/", {"version": "1", "note": "改定済み", "adopt_edition": "1"})
    assert r.status_code == 302
    hit.refresh_from_db()
    assert hit.edition == "t2" and hit.last_reviewed == timezone.localdate()
    assert ReviewItem.objects.get(pk=item.pk).status == "done"
    assert AuditEntry.objects.filter(action="catalog.review.item_done").exists()
    assert AuditEntry.objects.filter(action="catalog.document.reviewed").exists()
    again = c.post(f"/catalog/reviews/items/{item.pk}/done/", {"version": "1"})
    assert again.status_code == 302 and ReviewItem.objects.get(pk=item.pk).done_by == demo["users"]["head-iso"]
    # the staff member cannot mark items; the other ministry's run is invisible
    assert login_as("staff").post(f"/catalog/reviews/items/{item.pk}/done/", {}).status_code == 403
    with pytest.raises(Exception, match="different"):
        start_review(demo["users"]["head-iso"], units["demo-ministry"], a, a)


def test_review_api_start_read_and_done(demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.core.tokens import issue_token

    a, b = store_editions()
    doc = _doc(demo["units"]["demo-policy-planning"], "API手順", ["2.1.1(2)(a)"])
    head = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(demo['users']['head-iso'], 'x', 5)[1]}")
    staff = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(demo['users']['staff'], 'x', 5)[1]}")
    body = {"unit": "demo-ministry", "a": a, "b": b}
    assert staff.post("/api/v1/catalog/reviews", body, content_type="application/json").status_code == 403
    assert head.post("/api/v1/catalog/reviews", {**body, "b": a}, content_type="application/json").status_code == 409
    r = head.post("/api/v1/catalog/reviews", body, content_type="application/json")
    assert r.status_code == 201
    run = r.json()
    item = next(i for i in run["items"] if i["document_id"] == doc.pk)
    assert item["status"] == "open" and item["changes"][0]["id"] == "2.1.1(2)(a)"
    seen = staff.get(f"/api/v1/catalog/reviews/{run['id']}").json()
    assert any(i["document_id"] == doc.pk for i in seen["items"])
    url = f"/api/v1/catalog/reviews/items/{item['id']}/done"
    assert staff.post(url, {"version": 1}, content_type="application/json").status_code == 403
    done = head.post(url, {"version": 1, "note": "済"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert head.post(url, {"version": 1}, content_type="application/json").status_code == 409
    doc.refresh_from_db()
    assert doc.edition == "t2"


def test_edition_upload_stores_new_edition(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    import gzip

    from django.core.files.uploadedfile import SimpleUploadedFile

    from kijun.catalog.models import OfficialText

    from .web_helpers import NEW_TEXT

    c = login_as("head-iso")
    assert c.get("/catalog/editions/upload/").status_code == 200
    gz = SimpleUploadedFile("r9.txt.gz", gzip.compress(NEW_TEXT.encode("cp932", errors="ignore")))
    r = c.post("/catalog/editions/upload/", {"file": gz, "edition": "r9", "layout": "auto"})
    assert r.status_code == 200 and 'data-testid="edition-report"' in r.content.decode()
    assert OfficialText.objects.filter(edition="r9", node_id="2.1.1(3)(a)").exists()
    assert AuditEntry.objects.filter(action="catalog.import_official", actor="head-iso").exists()
    not_text = SimpleUploadedFile("x.bin", b"\x00\x01\x02binary")
    assert c.post("/catalog/editions/upload/", {"file": not_text, "edition": "r10", "layout": "auto"}).status_code == 415
    prose = SimpleUploadedFile("x.txt", "ただのメモです。\n".encode())
    r = c.post("/catalog/editions/upload/", {"file": prose, "edition": "r10", "layout": "auto"})
    assert r.status_code == 400 and not OfficialText.objects.filter(edition="r10").exists()
    bad_code = SimpleUploadedFile("r9.txt", NEW_TEXT.encode())
    assert c.post("/catalog/editions/upload/", {"file": bad_code, "edition": "R 9", "layout": "auto"}).status_code == 400
    assert login_as("staff").get("/catalog/editions/upload/").status_code == 403


def test_api_documents(demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.core.tokens import issue_token

    head = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(demo['users']['head-iso'], 'x', 5)[1]}")
    staff = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(demo['users']['staff'], 'x', 5)[1]}")
    body = {"title": "API規程", "kind": "rule", "edition": "r7", "owner_unit_id": demo["units"]["demo-policy-planning"].pk,
            "requirement_ids": ["4.2.1", "4.2.1"]}
    bad = head.post("/api/v1/catalog/documents", {**body, "requirement_ids": ["4.2.1(9)(z)"]}, content_type="application/json")
    assert bad.status_code == 409 and "4.2.1(9)(z)" in bad.json()["detail"]
    assert head.post("/api/v1/catalog/documents", {**body, "edition": "r99"},
                     content_type="application/json").status_code == 409
    assert staff.post("/api/v1/catalog/documents", body, content_type="application/json").status_code == 403
    r = head.post("/api/v1/catalog/documents", body, content_type="application/json")
    assert r.status_code == 201 and r.json()["requirement_ids"] == ["4.2.1"]
    listed = staff.get("/api/v1/catalog/documents?q=API").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == r.json()["id"]
    assert staff.get(f"/api/v1/catalog/documents/{r.json()['id']}").status_code == 200
    it_doc = AgencyDocument.objects.filter(owner_unit=demo["units"]["demo-it-division"]).first()
    assert it_doc is not None and staff.get(f"/api/v1/catalog/documents/{it_doc.pk}").status_code == 404
