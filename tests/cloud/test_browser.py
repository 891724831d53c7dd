"""Real browser walk: apply → assessment → approval by another person → register → lifecycle checklist.

Uses the `chromium` fixture of tests/conftest.py (Debian's headless chromium against a live server);
skipped without chromium unless CI=true.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(chromium):  # type: ignore[no-untyped-def]
    return chromium


def _login(browser, url: str, username: str, password: str):  # type: ignore[no-untyped-def]
    page = browser.new_context(locale="ja-JP").new_page()
    page.set_default_timeout(15000)
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{url}/")
    return page


def test_apply_assess_approve_checklist(browser, live_server, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = live_server.url
    page = _login(browser, url, "policy-iso", demo["passwords"]["policy-iso"])
    page.click("nav.site-nav >> text=クラウドサービス")
    page.click("text=サービスの利用を申請")
    page.select_option("#id_unit", label="政策企画課")
    page.fill("#id_service_name", "合成ストレージ")
    page.select_option("#id_contract_basis", "negotiated")
    page.select_option("#id_ismap_kind", "ismap")
    page.fill("#id_ismap_number", "C99-0001-1")
    page.fill("#id_data_locations", "JP")
    page.fill("#id_governing_law", "JP")
    page.fill("#id_jurisdiction", "JP")
    page.fill("#id_info_name", "申請書類")
    page.select_option("#id_confidentiality", "2")
    page.fill("#id_task", "申請受付")
    page.click("button:has-text('申請して事前評価する')")
    page.wait_for_selector("h2:has-text('事前評価')")
    assert "条件付きで利用可" in page.locator("h2").first.inner_text()
    assert page.locator("a[href='/catalog/n/4.2.1(2)(c)/']").count() >= 1
    app_url = page.url
    page.context.close()

    page = _login(browser, url, "head-iso", demo["passwords"]["head-iso"])
    page.goto(app_url)
    page.select_option("#id_action", "approve")
    page.fill("#id_administrator", "情シス 次郎")
    page.click("button:has-text('判断を登録')")
    page.wait_for_selector("text=判断を登録しました。")
    page.click("nav.subnav >> text=利用承認済みサービス一覧")
    page.click("table >> text=合成ストレージ")
    page.wait_for_selector("h2:has-text('ライフサイクルのチェックリスト')")
    rows = page.locator("table tbody tr")
    assert rows.count() > 5
    first_open = page.locator("form[action*='/complete/']").first
    first_open.locator("input[name=evidence]").fill("確認記録")
    first_open.locator("button").click()
    page.wait_for_selector("text=記録しました。")
    assert page.locator("text=確認記録").count() >= 1
    page.screenshot(path=str(tmp_path / "cloud-checklist.png"), full_page=True)


def test_classify_with_helper_then_apply_assess_approve_checklist(browser, live_server, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Record an information asset, classify it with the guided helper, apply the result, apply to
    use a service for that asset (its levels pre-fill the engine's input), approve, open the checklist."""
    url = live_server.url
    page = _login(browser, url, "policy-iso", demo["passwords"]["policy-iso"])
    page.click("nav.site-nav >> text=クラウドサービス")
    page.click("nav.subnav >> text=情報資産")
    page.click("text=情報資産を登録")
    page.fill("#id_code", "INFO-WALK")
    page.fill("#id_name", "補助金申請書類")
    page.select_option("#id_org_unit", label="政策企画課")
    page.check("input[name=handling_restrictions][value=encryption_required]")
    page.click("button:has-text('保存')")
    page.wait_for_selector("[data-testid=asset-levels]")
    assert "機密性 1" in page.locator("[data-testid=asset-levels]").inner_text()

    page.click("text=格付ガイドで判定")
    question = page.locator("[data-testid=guide-question]")
    assert "秘密文書" in question.inner_text()
    for answer in ("いいえ", "はい", "いいえ", "はい", "いいえ", "いいえ"):
        question.locator(f"button:has-text('{answer}')").click()
        page.wait_for_load_state()
    result = page.locator("[data-testid=guide-result]")
    assert "機密性 2" in result.inner_text() and "要機密情報" in result.inner_text()
    assert "秘密文書として扱う情報ではない" in page.locator("[data-testid=guide-steps]").inner_text()
    page.click("button:has-text('この結果を「補助金申請書類」に反映')")
    page.wait_for_selector("text=格付を反映しました")
    assert "完全性 2" in page.locator("[data-testid=asset-levels]").inner_text()
    assert "要保全情報" in page.locator("[data-testid=asset-flags]").inner_text()

    page.click("text=この情報でサービスの利用を申請")
    assert page.locator("input[name=information_assets]:checked").count() == 1
    page.fill("#id_service_name", "合成ファイル共有")
    page.select_option("#id_contract_basis", "negotiated")
    page.select_option("#id_ismap_kind", "ismap")
    page.fill("#id_ismap_number", "C99-0002-1")
    page.fill("#id_data_locations", "JP")
    page.fill("#id_governing_law", "JP")
    page.fill("#id_jurisdiction", "JP")
    page.fill("#id_task", "補助金の申請受付")
    page.click("button:has-text('申請して事前評価する')")
    page.wait_for_selector("h2:has-text('事前評価')")
    assert "補助金申請書類" in page.locator("dl.facts").inner_text()
    assert page.locator("a[href='/catalog/n/4.2.1(2)(b)(i)/']").count() >= 1   # integrity 2 → integrity controls
    app_url = page.url
    page.context.close()

    page = _login(browser, url, "head-iso", demo["passwords"]["head-iso"])
    page.goto(app_url)
    page.select_option("#id_action", "approve")
    page.fill("#id_administrator", "情シス 次郎")
    page.click("button:has-text('判断を登録')")
    page.wait_for_selector("text=判断を登録しました。")
    page.click("nav.subnav >> text=利用承認済みサービス一覧")
    page.click("table >> text=合成ファイル共有")
    page.wait_for_selector("h2:has-text('ライフサイクルのチェックリスト')")
    assert page.locator("table tbody tr").count() > 5
    page.goto(f"{url}/")
    assert page.locator("[data-testid=stat-cloud-overdue]").count() == 1
    page.screenshot(path=str(tmp_path / "cloud-classify-walk.png"), full_page=True)
