"""Sign-in, throttling, TOTP, sessions (ASVS 6.2.9, 6.2.12, 6.3.1, 6.3.3, 7.2.4, 7.3, 7.4)."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client

from kijun.core.models import AuditEntry, User
from kijun.core.services import save_person

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": username, "password": password})


def test_login_success_rotates_session_and_audits(demo) -> None:  # type: ignore[no-untyped-def]
    c = Client()
    c.get("/login/")
    before = c.session.session_key
    r = _login(c, "staff", demo["passwords"]["staff"])
    assert r.status_code == 302 and r["Location"] == "/"
    assert c.session.session_key != before
    assert AuditEntry.objects.filter(action="auth.login", actor="staff").exists()
    assert c.get("/").status_code == 200


def test_wrong_password_is_generic_and_logged(demo) -> None:  # type: ignore[no-untyped-def]
    r = _login(Client(), "staff", "nope-nope-nope")
    assert r.status_code == 401
    assert "ユーザー名またはパスワードが正しくありません" in r.content.decode()
    r2 = _login(Client(), "no-such-user", "nope-nope-nope")
    assert r2.status_code == 401 and r2.content.decode().count("正しくありません") == 1
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 2


def test_lockout_after_repeated_failures(demo, settings) -> None:  # type: ignore[no-untyped-def]
    for _ in range(settings.KIJUN_LOGIN_MAX_FAILURES):
        assert _login(Client(), "staff", "wrong-password-x").status_code == 401
    r = _login(Client(), "staff", demo["passwords"]["staff"])  # right password, but locked
    assert r.status_code == 429
    assert AuditEntry.objects.filter(action="auth.login_locked").exists()
    assert _login(Client(), "ciso", demo["passwords"]["ciso"]).status_code == 302  # other accounts unaffected


def test_totp_second_factor_and_no_replay(demo) -> None:  # type: ignore[no-untyped-def]
    secret = pyotp.random_base32()
    User.objects.filter(username="staff").update(totp_secret=secret, totp_enabled=True)
    c = Client()
    r = _login(c, "staff", demo["passwords"]["staff"])
    assert r.status_code == 302 and r["Location"] == "/login/totp/"
    assert c.get("/").status_code == 302  # not signed in yet
    assert c.post("/login/totp/", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"}).status_code == 401
    code = pyotp.TOTP(secret).now()
    assert c.post("/login/totp/", {"code": code}).status_code == 302
    assert c.get("/").status_code == 200
    c2 = Client()
    _login(c2, "staff", demo["passwords"]["staff"])
    assert c2.post("/login/totp/", {"code": code}).status_code == 401  # replay of the same code


def test_totp_setup_page_enables_2fa(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("staff")
    page = c.get("/account/totp/")
    assert page.status_code == 200 and b"data:image/svg+xml" in page.content
    secret = c.session["kijun_totp_setup"]
    r = c.post("/account/totp/", {"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 302
    assert User.objects.get(username="staff").totp_enabled


def test_logout_invalidates_server_side(demo) -> None:  # type: ignore[no-untyped-def]
    c = Client()
    _login(c, "staff", demo["passwords"]["staff"])
    key = c.session.session_key
    assert c.get("/logout/").status_code == 405  # logout is POST only (CSRF-protected)
    c.post("/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    c.cookies["sessionid"] = key  # replaying the old cookie does not work
    assert c.get("/").status_code == 302


def test_disabling_account_kills_sessions(demo, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    c = Client()
    _login(c, "staff", demo["passwords"]["staff"])
    staff = User.objects.get(username="staff")
    staff.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        save_person(demo["users"]["admin"], staff)
    assert c.get("/").status_code == 302
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(staff.pk)]


def test_idle_timeout(demo, settings) -> None:  # type: ignore[no-untyped-def]
    c = Client()
    _login(c, "staff", demo["passwords"]["staff"])
    s = c.session
    s["kijun_seen"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    s.save()
    r = c.get("/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_absolute_timeout(demo, settings) -> None:  # type: ignore[no-untyped-def]
    c = Client()
    _login(c, "staff", demo["passwords"]["staff"])
    s = c.session
    s["kijun_started"] = int(time.time()) - settings.SESSION_ABSOLUTE_TIMEOUT - 5
    s.save()
    assert c.get("/").status_code == 302


def test_password_policy_long_ok_common_refused() -> None:
    validate_password("本日は晴天なり" * 10 + "-passphrase-with-more-than-64-characters")
    with pytest.raises(ValidationError):
        validate_password("password1234")
    with pytest.raises(ValidationError):
        validate_password("x" * 300)


@pytest.mark.argon2
def test_passwords_hashed_with_argon2(demo) -> None:  # type: ignore[no-untyped-def]
    assert User.objects.get(username="staff").password.startswith("argon2")
