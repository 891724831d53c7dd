"""Real browser walk: upload an inventory → see the finding → open the CVE page → update the remediation.

Uses the `chromium` fixture of tests/conftest.py (Debian's headless chromium against a live server);
skipped without chromium unless CI=true.
"""

from __future__ import annotations

import pytest

from .dbhelpers import write_inventory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_finding_cve_remediation(chromium, live_server, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = live_server.url
    inv = write_inventory(tmp_path, [
        ("soumu-pc-7", "program", "Google Chrome", "119.0.6045.200", "Google LLC", ""),
        ("soumu-pc-7", "program", "庁内文書管理クライアント", "2.1", "Example Agency", ""),
    ], "soumu.csv")
    page = chromium.new_context(locale="ja-JP").new_page()
    page.set_default_timeout(15000)
    page.goto(f"{url}/login/")
    page.fill("#id_username", "csirt")
    page.fill("#id_password", demo["passwords"]["csirt"])
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{url}/")

    page.click("nav.site-nav a[href='/diagnostics/']")
    page.wait_for_selector("[data-testid=trend-chart]")
    page.click("nav.subnav >> text=資産目録のアップロード")
    page.select_option("#id_unit", label="総務課")
    page.set_input_files("#id_file", str(inv))
    page.click("button:has-text('アップロード')")
    page.wait_for_selector("text=資産目録を取り込みました")

    page.click("table >> text=soumu-pc-7")
    findings = page.locator("[data-testid=host-findings]")
    assert "CVE-2099-0002" in findings.inner_text()
    assert "cpe:2.3:a:google:chrome:*" in findings.inner_text()  # why it matched

    findings.locator("a:has-text('CVE-2099-0002')").click()
    page.wait_for_selector("[data-testid=vuln-hosts]")
    assert "soumu-pc-7" in page.locator("[data-testid=vuln-hosts]").inner_text()
    assert "0.1200" in page.locator("[data-testid=epss]").inner_text()

    # no database access while Playwright runs (its greenlets would hold their own connections)
    page.locator("[data-testid=vuln-remediations] tr:has-text('soumu-pc-7') a").click()
    page.select_option("#id_status", "in_progress")
    page.fill("#id_note", "パッチ配布を手配")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=保存しました。")
    assert "対処中" in page.locator("[data-testid=rem-status]").inner_text()
    assert "パッチ配布を手配" in page.locator("[data-testid=rem-evidence]").inner_text()
    assert "パッチ配布を手配" in page.locator("[data-testid=rem-history]").inner_text()
    page.screenshot(path=str(tmp_path / "diagnostics-remediation.png"), full_page=True)

    page.click("nav.subnav >> text=資産目録の網羅状況")
    assert "庁内文書管理クライアント" in page.locator("[data-testid=unmapped]").inner_text()
    page.goto(f"{url}/diagnostics/remediation/?status=in_progress")
    assert "soumu-pc-7" in page.locator("[data-testid=remediation-list]").inner_text()
