"""PDP state: bundle loaders (file and HTTP with ETag), atomic swap, last-good on failure."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kijun.access.bundle import build_bundle, generate_keypair, load_private_key, load_public_key
from kijun.access.pdp import PDP, HttpBundleLoader, file_bundle_loader
from kijun.access.policy import PolicySource, default_source, shipped_schema

from .conftest import NOW, make_request

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def _bundle(revision: str, key: bytes | None) -> bytes:
    src = default_source()
    src = PolicySource(src.schema, src.files, revision=revision, sources=src.sources)
    return build_bundle(src, WHEN, load_private_key(key) if key else None)


class _Server:
    def __init__(self) -> None:
        self.body = b""
        self.etag = '"0"'
        self.hits: list[str | None] = []


@pytest.fixture
def server() -> Iterator[tuple[_Server, str]]:
    state = _Server()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            match = self.headers.get("If-None-Match")
            state.hits.append(match)
            if match == state.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", state.etag)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{httpd.server_address[1]}/api/v1/access/bundle"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_http_loader_etag_and_swap(server: tuple[_Server, str]) -> None:
    state, url = server
    private, public = generate_keypair()
    state.body, state.etag = _bundle("rev-a", private), '"a"'
    pdp = PDP(HttpBundleLoader(url, load_public_key(public)), clock=lambda: NOW)
    assert pdp.reload() and pdp.revision == "rev-a"
    assert pdp.reload() and pdp.revision == "rev-a"  # 304: nothing to do
    assert state.hits == [None, '"a"']
    state.body, state.etag = _bundle("rev-b", private), '"b"'
    assert pdp.reload() and pdp.revision == "rev-b"
    state.body, state.etag = _bundle("rev-c", None), '"c"'  # unsigned: refused, rev-b stays
    assert not pdp.reload()
    assert pdp.revision == "rev-b" and "unsigned" in (pdp.last_error or "")
    assert pdp.decide(make_request()).policy_revision == "rev-b"


def test_http_loader_errors(server: tuple[_Server, str]) -> None:
    _, url = server
    assert url.startswith("http://127.0.0.1")
    pdp = PDP(HttpBundleLoader("ftp://example.invalid/b", None))
    assert not pdp.reload() and "http(s)" in (pdp.last_error or "")
    closed = PDP(HttpBundleLoader("http://127.0.0.1:1/bundle", None, timeout=1))
    assert not closed.reload() and "fetch failed" in (closed.last_error or "")


def test_file_bundle_loader(tmp_path: Path) -> None:
    private, public = generate_keypair()
    path = tmp_path / "b.tar.gz"
    path.write_bytes(_bundle("rev-f", private))
    pdp = PDP(file_bundle_loader(path, load_public_key(public)), clock=lambda: NOW)
    assert pdp.reload() and pdp.revision == "rev-f"
    other, _ = generate_keypair()
    path.write_bytes(_bundle("rev-g", other))
    assert not pdp.reload() and pdp.revision == "rev-f"


def test_decide_without_policy_raises() -> None:
    pdp = PDP(lambda: PolicySource(shipped_schema(), {"p.cedar": "not cedar"}))
    assert not pdp.reload()
    with pytest.raises(ValueError, match="no policy"):
        pdp.decide(make_request())
