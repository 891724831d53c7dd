"""Real browser walk: add a rule in the UI → live generated Cedar → publish a signed bundle →
test a request against the policy. Uses the `chromium` fixture of tests/conftest.py (Debian's
headless chromium against a live server); skipped without chromium unless CI=true."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(browser, url: str, username: str, password: str):  # type: ignore[no-untyped-def]
    page = browser.new_context(locale="ja-JP").new_page()
    page.set_default_timeout(15000)
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{url}/")
    return page


def test_author_rule_publish_and_test(chromium, live_server, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = live_server.url
    # no ORM queries in the test body: Playwright's greenlets would hold their own DB connections
    page = _login(chromium, url, "head-iso", demo["passwords"]["head-iso"])
    page.goto(f"{url}/access/")
    page.click("table >> text=デモ省 動的アクセス制御方針")
    page.wait_for_selector("[data-testid=review-banner]")
    page.click("text=ルールを追加")
    page.fill("#id_rule_id", "deny_c2_telework_lab")
    page.select_option("#id_outcome", "deny")
    page.fill("#id_description", "テレワークからの機密性2以上を一時停止")
    page.select_option("#id_c0_attr", "network")
    page.select_option("#id_c0_op", "==")
    page.fill("#id_c0_value", "telework")
    page.select_option("#id_c1_attr", "resource.confidentiality")
    page.select_option("#id_c1_op", ">=")
    page.fill("#id_c1_value", "2")
    page.locator("#id_c1_value").blur()
    preview = page.locator("[data-testid=rule-preview]")
    preview.wait_for()
    page.wait_for_function(
        "() => (document.querySelector('[data-testid=rule-preview]')||{}).textContent?.includes('resource.confidentiality >= 2')")
    text = preview.inner_text()
    assert '@id("deny_c2_telework_lab")' in text and 'context.network == "telework"' in text and "forbid" in text
    page.click("button:has-text('ルールを保存')")
    page.wait_for_selector("text=ルールを保存しました。")
    page.click("text=生成されたCedarを表示")
    page.wait_for_selector("[data-testid=policy-valid]")
    assert "deny_c2_telework_lab" in page.locator("[data-testid='cedar-rules.cedar']").inner_text()
    page.go_back()
    page.fill("#id_note", "テレワーク制限の追加")
    page.click("button:has-text('署名付きバンドルとして公開')")
    page.wait_for_selector("[data-testid=diff]")
    assert "+@id(\"deny_c2_telework_lab\")" in page.locator("[data-testid=diff]").inner_text()
    assert "2" in page.locator("h1").inner_text()  # revision 2: the demo's first publish was revision 1
    set_url = page.locator(".breadcrumb a").get_attribute("href")
    page.screenshot(path=str(tmp_path / "access-revision.png"), full_page=True)
    page.goto(f"{url}{set_url}")
    page.click("text=この方針を試す")
    page.fill("#id_roles", "staff")
    page.fill("#id_org_unit", "soumu")
    page.select_option("#id_resource", "policy-drafts")
    page.select_option("#id_network", "telework")
    page.check("#id_mfa")
    page.click("button:has-text('判定する')")
    page.wait_for_selector("[data-testid=decision-result]")
    assert "deny" in page.locator("[data-testid=decision]").inner_text()
    assert "deny_c2_telework_lab" in page.locator("[data-testid=determining]").inner_text()
    page.screenshot(path=str(tmp_path / "access-test.png"), full_page=True)
