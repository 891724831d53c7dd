"""Real-browser test: Playwright drives Debian's headless chromium against a live server.

Signs in, switches language, opens the dashboard and the organisation page, signs out; and takes
a screenshot for people to look at. Skipped (one line) without chromium unless CI=true.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(chromium):  # type: ignore[no-untyped-def]
    ctx = chromium.new_context(locale="ja-JP")
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    yield pg
    ctx.close()


def test_login_switch_language_dashboard_logout(page, live_server, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    assert page.locator("h1").inner_text() == "ログイン"
    page.fill("#id_username", "admin")
    page.fill("#id_password", demo["passwords"]["admin"])
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "ダッシュボード"
    assert page.locator("[data-testid=stat-units] .num").inner_text() == "7"
    page.screenshot(path=str(tmp_path / "dashboard-ja.png"), full_page=True)

    page.select_option("#lang-select", "en")
    page.click("[data-testid=lang-submit]")
    page.wait_for_selector("h1:has-text('Dashboard')")
    page.click("nav.site-nav >> text=Organisation")
    page.wait_for_selector("h1:has-text('Organisation')")
    assert page.locator("table tbody tr").count() == 7
    page.reload()
    assert page.locator("h1").inner_text() == "Organisation"  # remembered

    page.click("button:has-text('Sign out')")
    page.wait_for_url(f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    shots = os.environ.get("KIJUN_SCREENSHOT_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        (Path(shots) / "dashboard-ja.png").write_bytes((tmp_path / "dashboard-ja.png").read_bytes())


def test_wrong_password_shows_japanese_error(page, live_server, demo) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "wrong-password-123")
    page.click("button[type=submit].btn-primary")
    assert "正しくありません" in page.locator(".form-errors").inner_text()
