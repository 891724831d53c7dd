"""Shared fixtures: the demo organisation, signed-in clients, and the reference folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared reference folder not present")
    return SHARED


@pytest.fixture(autouse=True)
def _isolated_data_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                       settings: object) -> None:
    """Keys and demo logins go to a per-session temp dir, never the developer's ./var."""
    d = tmp_path_factory.getbasetemp() / "kijun-data"
    d.mkdir(exist_ok=True)
    settings.DATA_DIR = d  # type: ignore[attr-defined]
    settings.KIJUN_AUDIT_SIGNING_KEY = str(d / "audit_signing_key")  # type: ignore[attr-defined]
    # The test client speaks plain HTTP; everything else stays as in production (DEBUG off).
    settings.SECURE_SSL_REDIRECT = False  # type: ignore[attr-defined]
    if request.node.get_closest_marker("argon2") is None:
        # Argon2 is deliberately slow; tests that are not about hashing use a fast hasher.
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def demo(db: None, request: pytest.FixtureRequest) -> dict[str, object]:
    """The demo organisation, plus the demo records of the domain under test (tests/<domain>/...) only.

    Loading every domain's demo data for every test would cost seconds per test; a test that needs
    another domain's demo records calls ``load_demo(domains=[...])`` itself.
    """
    from django.conf import settings

    from kijun.core.demo import load_demo
    from kijun.core.models import OrgUnit, User

    parts = Path(str(request.node.path)).resolve().relative_to(Path(__file__).resolve().parent).parts
    domains: list[str] | None = [parts[0]] if len(parts) > 1 and parts[0] in settings.DOMAIN_APPS else []
    if request.node.get_closest_marker("all_demo_data"):
        domains = None  # cross-domain tests (the permission matrix) see every domain's records
    logins = {d.username: d.password for d in load_demo(domains=domains)}
    return {
        "passwords": logins,
        "users": {u.username: u for u in User.objects.all()},
        "units": {u.code: u for u in OrgUnit.objects.all()},
    }


@pytest.fixture
def login_as(client, demo):  # type: ignore[no-untyped-def]
    def _login(username: str):  # type: ignore[no-untyped-def]
        client.force_login(demo["users"][username])  # type: ignore[index]
        return client

    return _login


#: Fixtures that put a test on the database; the second (PostgreSQL) pass of scripts/run_tests.sh runs only
#: those tests (KIJUN_TEST_DB_ONLY=1), because pure engine tests give the same answer on any database.
_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("KIJUN_TEST_DB_ONLY") != "1":
        return
    keep, drop = [], []
    for item in items:
        uses_db = bool(_DB_FIXTURES & set(getattr(item, "fixturenames", ())))
        marked = item.get_closest_marker("django_db") or item.get_closest_marker("postgres")
        (keep if uses_db or marked else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    return f"kijun database: {settings.DATABASES['default']['ENGINE']} ({os.environ.get('KIJUN_DATABASE_URL', 'sqlite default')})"


@pytest.fixture(scope="session", autouse=True)
def _end_stray_sessions_before_dropping_the_test_database(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Live-server threads keep a PostgreSQL session while a browser keep-alive socket stays idle, and a
    session still open when the run ends stops the test database from being dropped. At the very end
    (no test is running any more), end every other session of the test database. Doing this after each
    test instead would also kill connections that the next test still uses."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()")


CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture
def chromium(demo, live_server, settings):  # type: ignore[no-untyped-def]
    """Debian's headless chromium via Playwright, against the live server (plain HTTP, like `make run`).

    Skipped with one line when chromium is missing, except with CI=true where it is required.
    `demo` comes first: DB work must happen before Playwright starts its greenlets (own DB connections).
    """
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI: chromium is required for browser tests (.ci/run installs it)")
        pytest.skip("chromium not installed: browser tests skipped")
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = settings.LANGUAGE_COOKIE_SECURE = False
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
