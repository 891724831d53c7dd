from __future__ import annotations

import pytest

from kijun.discovery.catalog import Catalog, load_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def background_scans(settings):  # type: ignore[no-untyped-def]
    """Keep the real worker thread (``services.start``) for this test."""
    settings.KIJUN_DISCOVERY_BACKGROUND = True
    return settings


@pytest.fixture(autouse=True)
def _scans_inline(request: pytest.FixtureRequest) -> None:
    """Most web tests read the report right after submitting: run scans in the request's thread.
    Tests using ``background_scans`` (and browser walks) keep the real worker thread."""
    if "background_scans" in request.fixturenames or request.node.get_closest_marker("browser"):
        return
    request.getfixturevalue("settings").KIJUN_DISCOVERY_BACKGROUND = False


@pytest.fixture(autouse=True)
def _join_scan_threads():  # type: ignore[no-untyped-def]
    """Wait for background scan threads a test started (they hold a database connection until
    they end; PostgreSQL cannot drop the test database while one is open)."""
    yield
    import threading

    for t in threading.enumerate():
        if t.name.startswith("kijun-scan-"):
            t.join(60)
