"""Real browser walks: tailor a clause of the 対策基準 → see it in the clause history → export the OSCAL
profile; and the documents register → revision review → worklist item marked reviewed.

Uses the `chromium` fixture of tests/conftest.py (Debian's headless chromium against a live server);
skipped without chromium unless CI=true.
"""

from __future__ import annotations

import json

import pytest

from kijun.catalog.oscal import oscal_id

from .web_helpers import store_editions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(browser, url: str, username: str, password: str):  # type: ignore[no-untyped-def]
    page = browser.new_context(locale="ja-JP", accept_downloads=True).new_page()
    page.set_default_timeout(15000)
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{url}/")
    return page


def test_tailor_clause_history_and_oscal_export(chromium, live_server, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = live_server.url
    page = _login(chromium, url, "head-iso", demo["passwords"]["head-iso"])
    page.click("nav.site-nav >> text=統一基準")
    page.click("[data-testid=catalog-tools] >> text=当機関の対策基準")
    page.click("table >> text=デモ省")
    page.wait_for_selector("[data-testid=policy-clauses]")
    page.fill("#q", "4.2.1(2)(a)")
    page.click("form.filter button")
    page.click("[data-testid=policy-clauses] >> text=4.2.1(2)(a)")
    page.fill("#id_wording_ja", "ISMAPクラウドサービスリスト登録済みのサービスに限る。")
    page.fill("#id_parameters", "max-class | 扱える最高の格付 | 機密性2")
    page.click("[data-testid=clause-form] button[type=submit]")
    page.wait_for_selector("text=保存しました。")
    history = page.locator("[data-testid=clause-history]").inner_text()
    assert "head-iso" in history and "ISMAPクラウドサービスリスト登録済み" in history and "機密性2" in history
    page.click("nav.breadcrumb >> text=デモ省情報セキュリティ対策基準")
    with page.expect_download() as info:
        page.click("[data-testid=export-oscal]")
    path = tmp_path / "profile.json"
    info.value.save_as(path)
    prof = json.loads(path.read_text(encoding="utf-8"))["profile"]
    alters = {a["control-id"]: a for a in prof["modify"]["alters"]}
    prose = [p["prose"] for add in alters[oscal_id("4.2.1(2)(a)")]["adds"] for p in add.get("parts", [])]
    assert "ISMAPクラウドサービスリスト登録済みのサービスに限る。" in prose
    assert any(s["values"] == ["機密性2"] for s in prof["modify"]["set-parameters"])
    page.screenshot(path=str(tmp_path / "catalog-policy.png"), full_page=True)
    page.context.close()


def test_document_register_review_worklist(chromium, live_server, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    old, new = store_editions()
    url = live_server.url
    page = _login(chromium, url, "head-iso", demo["passwords"]["head-iso"])
    page.goto(f"{url}/catalog/documents/")
    page.click("text=文書を登録")
    page.fill("#id_title", "責任者指名手順")
    page.select_option("#id_kind", "procedure")
    page.select_option("#id_edition", "t1")
    page.select_option("#id_owner_unit", label="情報システム課")
    page.fill("#id_ids_text", "2.1.1(1) 2.1.1(2)")
    page.fill("#id_last_reviewed", "2026-04-01")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("text=保存しました。")
    page.click("nav.subnav >> text=改定対応の見直し")
    page.select_option("#ra", old)
    page.select_option("#rb", new)
    page.click("[data-testid=review-start] button[type=submit]")
    page.wait_for_selector("[data-testid=worklist]")
    assert "責任者指名手順" in page.locator("[data-testid=worklist]").inner_text()
    open_before = int(page.locator("[data-testid=review-open]").inner_text())
    row = page.locator("[data-testid=worklist] tr", has_text="責任者指名手順")
    row.locator("input[name=note]").fill("第2版に改訂済み")
    row.locator("button").click()
    page.wait_for_selector("text=見直し済みにしました。")
    assert int(page.locator("[data-testid=review-open]").inner_text()) == open_before - 1
    assert page.locator("[data-testid=review-done]").inner_text() == "1"
    page.click("nav.subnav >> text=文書台帳")
    row = page.locator("[data-testid=documents] tr", has_text="責任者指名手順")
    assert row.locator("[data-testid=badge-ok]").count() == 1 and "T2" in row.inner_text()
    page.screenshot(path=str(tmp_path / "catalog-documents.png"), full_page=True)
    page.context.close()
