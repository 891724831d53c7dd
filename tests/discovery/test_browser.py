"""Real browser walk: upload a log → the scan runs in the background with a progress panel (htmx
polling, no inline script) → the report appears by itself → start a use application for an
unsanctioned service. Uses the `chromium` fixture of tests/conftest.py; skipped without chromium
unless CI=true."""

from __future__ import annotations

import pytest

from kijun.discovery import services
from kijun.discovery.models import Scan

from .web_helpers import SQUID

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_progress_report_application(chromium, live_server, demo, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KIJUN_DISCOVERY_BACKGROUND = True
    url = live_server.url
    page = chromium.new_context(locale="ja-JP").new_page()
    page.set_default_timeout(20000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{url}/login/")
    page.fill("#id_username", "sysowner")
    page.fill("#id_password", demo["passwords"]["sysowner"])
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{url}/")

    page.goto(f"{url}/discovery/new/")
    page.set_input_files("#id_logs", files=[{"name": "access.log", "mimeType": "text/plain", "buffer": SQUID}])
    page.select_option("#id_unit", label="政策企画課")
    page.fill("#id_title", "ブラウザ試験")
    page.fill("#id_since", "2024-05-01")
    # hold the worker so the queued state is visible, then let it run
    services._ONE_AT_A_TIME.acquire()
    try:
        page.click("form.card button[type=submit].btn-primary")
        page.wait_for_selector("[data-testid=scan-progress]")
        assert page.locator("[data-testid=scan-progress]").get_attribute("data-status") in ("queued", "running")
        assert "ブラウザ試験" in page.locator("h1").inner_text()
    finally:
        services._ONE_AT_A_TIME.release()
    # htmx polls the progress fragment and reloads the page once the scan is done
    page.wait_for_selector("[data-testid=totals]", timeout=60000)
    scan = Scan.objects.get()
    assert scan.status == "done" and scan.percent() == 100 and scan.since is not None
    assert "Dropbox" in page.locator("[data-testid=apps]").inner_text()
    assert page.locator("svg.bars").count() >= 1

    link = page.locator("tr[data-key=dropbox] a:has-text('利用申請')")
    if link.count() == 0:
        pytest.fail("no 'start a use application' link for the unsanctioned service (cloud module not installed?)")
    link.first.click()
    page.wait_for_url("**/cloud/applications/new/**")
    assert page.locator("form").count() >= 1 and "Dropbox" in page.url
    # no script was blocked (htmx's own indicator <style> is refused by style-src; that is base.html's concern)
    assert not [e for e in errors if "Content Security Policy" in e and "script" in e], errors
