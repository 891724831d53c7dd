"""Response headers, cookies, error pages and `check --deploy` (ASVS 3.4.3, 3.4.4, 13.4.2, 14.3.2, 16.5.1)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_security_headers_on_pages(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    r = login_as("admin").get("/")
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"
    assert r["X-Frame-Options"] == "DENY"
    assert r["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in r or "max-age" in r["Strict-Transport-Security"]


def test_no_inline_script_in_templates() -> None:
    from pathlib import Path

    import kijun

    root = Path(kijun.__file__).parent
    offenders = [str(p) for p in root.rglob("*.html")
                 if "<script>" in p.read_text(encoding="utf-8") or " on" + "click=" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_session_and_csrf_cookie_flags(demo, settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE  # DEBUG is off in tests
    c = Client()
    r = c.post("/login/", {"username": "staff", "password": demo["passwords"]["staff"]})
    morsel = r.cookies["sessionid"]
    assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "Lax"


def test_csrf_enforced_on_forms(demo) -> None:  # type: ignore[no-untyped-def]
    c = Client(enforce_csrf_checks=True)
    r = c.post("/login/", {"username": "staff", "password": demo["passwords"]["staff"]})
    assert r.status_code == 403


def test_generic_404_and_500(demo, login_as, settings) -> None:  # type: ignore[no-untyped-def]
    r = login_as("admin").get("/org/units/999999/")
    assert r.status_code == 404 and "Traceback" not in r.content.decode()


def test_api_docs_require_sign_in_in_production(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    assert Client().get("/api/v1/docs").status_code == 302
    assert Client().get("/api/v1/openapi.json").status_code == 302
    assert login_as("staff").get("/api/v1/docs").status_code == 200


def test_check_deploy_clean_with_production_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIJUN_")}
    env.update({"KIJUN_DATA_DIR": str(tmp_path), "KIJUN_SECRET_KEY": "p" * 20 + os.urandom(24).hex(),
                "KIJUN_ALLOWED_HOSTS": "kijun.example.go.jp", "DJANGO_SETTINGS_MODULE": "kijun.web.settings"})
    res = subprocess.run([sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],  # noqa: S603
                         env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_server_errors_are_logged_with_debug_off(demo, login_as, caplog, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from kijun.core import views_org

    def boom(*a, **k):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom\nforged line")

    monkeypatch.setattr(views_org, "render", boom)
    c = login_as("admin")
    c.raise_request_exception = False
    with caplog.at_level("ERROR", logger="kijun.security"):
        r = c.get("/")
    assert r.status_code == 500 and "boom" not in r.content.decode()
    events = [rec.getMessage() for rec in caplog.records if rec.name == "kijun.security"]
    assert "unhandled_exception" in events and "server_error" in events


def test_log_lines_escape_control_characters() -> None:
    import logging

    from kijun.web.logging import JsonFormatter

    rec = logging.LogRecord("kijun.security", logging.INFO, __file__, 1, "login_failed", None, None)
    rec.kijun = {"username": "eve\r\n{\"forged\": true}"}
    line = JsonFormatter().format(rec)
    assert "\n" not in line and "\r" not in line and "\\r\\n" in line
