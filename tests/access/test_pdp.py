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


def test_webhook_notifier_posts_revocations(server: tuple[_Server, str]) -> None:
    import json as _json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from kijun.access.pdp import WebhookNotifier
    from kijun.access.reeval import Signal

    received: list[dict[str, object]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            received.append(_json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        notifier = WebhookNotifier(f"http://127.0.0.1:{httpd.server_address[1]}/revoked")
        pdp = PDP(lambda: default_source(), clock=lambda: NOW, on_revoke=notifier)
        assert pdp.reload()
        pdp.decide(make_request(session_id="s1"))
        pdp.signal(Signal(kind="edr_alert", device_id="pc-1"))
        pdp.signal(Signal(kind="edr_alert", device_id="nobody"))  # nothing to tell
        notifier.flush()
        assert received == [{"revoke": ["s1"], "step_up": []}] and notifier.sent == 1
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
    with pytest.raises(ValueError, match="http"):
        WebhookNotifier("file:///etc/passwd")


def test_decision_log_sampling() -> None:
    from kijun.access.decision_log import MemorySink

    sink = MemorySink()
    draws = iter([0.9, 0.1, 0.9])
    pdp = PDP(lambda: default_source(), clock=lambda: NOW, sink=sink, log_sample=0.5, rand=lambda: next(draws))
    assert pdp.reload()
    for _ in range(3):
        pdp.decide(make_request())  # allow: sampled (0.9 out, 0.1 in, 0.9 out)
    pdp.decide(make_request(action="admin"))  # deny: always logged
    assert [r["result"]["decision"] for r in sink.records] == ["allow", "deny"]


def test_app_from_settings(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from kijun.access.server import app_from_settings

    with pytest.raises(RuntimeError, match="POLICY or"):
        app_from_settings({})
    with pytest.raises(RuntimeError, match="cannot load policy"):
        app_from_settings({"POLICY": str(tmp_path)})
    (tmp_path / "p.cedar").write_text('@id("all") permit (principal, action, resource);')
    (tmp_path / "token").write_text("tok\n")
    app = app_from_settings({"POLICY": str(tmp_path), "SIGNALS_TOKEN_FILE": str(tmp_path / "token"),
                             "DECISION_LOG": str(tmp_path / "log.jsonl")})
    with TestClient(app) as client:  # the lifespan closes the decision log
        assert client.get("/healthz").json()["status"] == "ok"
        assert client.post("/v1/signals", json={"kind": "edr_alert", "device_id": "x"}).status_code == 401
        ok = client.post("/v1/signals", json={"kind": "edr_alert", "device_id": "x"},
                         headers={"Authorization": "Bearer tok"})
        assert ok.status_code == 200
        client.post("/v1/decide", json=make_request().model_dump(mode="json"))
    assert (tmp_path / "log.jsonl").read_text().count("\n") == 1


# ---------------------------------------------------------------- hot path and deferred log


def test_evaluate_and_decide_agree_and_log_the_same_records() -> None:
    from kijun.access.decision_log import MemorySink
    from kijun.access.logqueue import DeferredSink
    from kijun.access.verdict import Verdict

    from .conftest import ids

    plain, inner = MemorySink(), MemorySink()
    deferred = DeferredSink(inner, batch=3)
    sync_pdp = PDP(lambda: default_source(), clock=lambda: NOW, new_id=ids(), sink=plain)
    lazy_pdp = PDP(lambda: default_source(), clock=lambda: NOW, new_id=ids(), sink=deferred)
    assert sync_pdp.reload() and lazy_pdp.reload()
    requests = [make_request(), make_request(action="admin"), make_request(context__network="telework"),
                make_request(session_id="s1")] * 3
    for request in requests:
        assert isinstance(lazy_pdp.evaluate(request), Verdict)
        assert sync_pdp.decide(request).decision in ("allow", "deny", "step_up")
    assert deferred.flush()
    strip = [{**r, "metrics": {k: v for k, v in r["metrics"].items() if k != "timer_decide_us"}} for r in plain.records]
    got = [{**r, "metrics": {k: v for k, v in r["metrics"].items() if k != "timer_decide_us"}} for r in inner.records]
    assert got == strip and len(got) == len(requests)
    assert lazy_pdp.counters["decision_allow"] == 6 and len(lazy_pdp.sessions) == 1
    deferred.close()
    deferred.submit(inner.records[0])  # type: ignore[arg-type]
    assert deferred.dropped == 1  # closed: nothing more is accepted


def test_deferred_sink_bounds_its_queue() -> None:
    from kijun.access.decision_log import MaskingRules, MemorySink
    from kijun.access.logqueue import DeferredSink, LogEvent

    inner = MemorySink()
    sink = DeferredSink(inner, max_pending=5, batch=10_000, interval=60)
    pdp = PDP(lambda: default_source(), clock=lambda: NOW)
    assert pdp.reload()
    request = make_request(action="admin")
    for _ in range(9):
        sink.submit(LogEvent(request, pdp.evaluate(request), {}, "/v1/decide", MaskingRules(principal_key=b"k")))
    assert sink.dropped == 4
    assert sink.flush() and len(inner.records) == 5 and inner.records[0]["input"]["principal"].startswith("hmac:")
    sink.close()


def test_signal_version_in_the_log_and_no_clock_without_signals() -> None:
    from kijun.access.decision_log import MemorySink
    from kijun.access.reeval import Signal

    reads = []

    def clock() -> datetime:
        reads.append(1)
        return NOW

    sink = MemorySink()
    pdp = PDP(lambda: default_source(), clock=clock, sink=sink)
    assert pdp.reload()
    reads.clear()
    pdp.evaluate(make_request(action="admin"))
    assert len(reads) == 1  # the engine's clock reading only: the overlay is empty
    assert sink.records[-1]["metrics"]["signal_version"] == 0.0
    pdp.signal(Signal(kind="edr_alert", device_id="pc-1"))
    verdict = pdp.evaluate(make_request())
    assert verdict.decision == "deny" and "deny_edr_alert" in verdict.determining_policies
    assert sink.records[-1]["metrics"]["signal_version"] == 1.0 and sink.records[-1]["metrics"]["signal_overlay"] == 1.0
    pdp.signal(Signal(kind="edr_cleared", device_id="pc-1"))
    assert pdp.evaluate(make_request()).decision == "allow"
    assert "kijun_access_decision_log_dropped_total 0" in pdp.metrics_text()
