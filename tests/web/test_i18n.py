"""Japanese by default, English on request, the choice remembered (cookie and account)."""

from __future__ import annotations

import pytest
from django.test import Client

from kijun.core.models import User

pytestmark = pytest.mark.django_db


def test_default_language_is_japanese() -> None:
    r = Client().get("/login/")
    assert 'lang="ja"' in r.content.decode() and "ログイン" in r.content.decode()


def test_switch_to_english_is_remembered(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("staff")
    r = c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert r.status_code == 302 and r.cookies["django_language"].value == "en"
    page = c.get("/").content.decode()
    assert "Dashboard" in page and "ダッシュボード" not in page
    assert User.objects.get(username="staff").language == "en"
    fresh = Client()  # a new browser: the account's language applies after sign-in
    fresh.post("/login/", {"username": "staff", "password": demo["passwords"]["staff"]})
    assert "Dashboard" in fresh.get("/").content.decode()


def test_unknown_language_ignored(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("staff")
    c.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert "ダッシュボード" in c.get("/").content.decode()


def test_open_redirect_refused() -> None:
    r = Client().post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert r["Location"] == "/"


def test_every_message_has_japanese() -> None:
    from pathlib import Path

    import polib

    import kijun

    po = polib.pofile(str(Path(kijun.__file__).parent / "locale" / "ja" / "LC_MESSAGES" / "django.po"))
    assert [e.msgid for e in po if not e.translated()] == []
