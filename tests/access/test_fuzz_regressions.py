"""Regressions for crashes found by the fuzz harness (tests/fuzz): bad request URIs → PepError."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from kijun.access.pep import PepError, normalise_path
from kijun.access.server import create_app

from .test_server import _nginx, _pdp


@pytest.mark.parametrize("uri", ["http://[", "http://[::1/x", "//[/a"])
def test_unparseable_uri_is_pep_error(uri: str) -> None:
    with pytest.raises(PepError, match="request URI: not a valid URI"):
        normalise_path(uri)


def test_server_denies_bad_uri_without_counting_an_internal_error() -> None:
    pdp = _pdp()
    client = TestClient(create_app(pdp))
    r = _nginx(client, "GET", "http://[")
    assert r.status_code == 403
    assert r.headers["x-kijun-decision"] == "deny"
    assert "not a valid URI" in r.headers["x-kijun-reason"]
    assert pdp.counters["errors"] == 0
