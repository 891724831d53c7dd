"""The PDP over HTTP: JSON API, nginx auth_request and Envoy ext_authz contracts, fail-closed paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from kijun.access.decision_log import MemorySink
from kijun.access.pdp import PDP, dir_loader
from kijun.access.policy import PolicySource, default_source
from kijun.access.server import create_app

from .conftest import NOW, ids, make_request

ROUTES = """
routes:
  - prefix: /payroll/
    resource: {id: payroll, confidentiality: 3, integrity: 2, org_unit: jinji}
  - prefix: /wiki
    resource: {id: wiki, confidentiality: 1, org_unit: soumu}
  - prefix: /wiki/export
    action: download
    resource: {id: wiki-export, confidentiality: 2, org_unit: soumu, handling: [no_copy]}
  - prefix: /docs/
    resource: {id: docs, confidentiality: 2, org_unit: soumu}
    methods: {put: upload}
"""
GOOD = "managed,agency_furnished,edr_running,edr_healthy,disk_encrypted"


def _source() -> PolicySource:
    base = default_source()
    return PolicySource(base.schema, base.files, routes=ROUTES, revision="rev-1")


def _pdp(sink: MemorySink | None = None) -> PDP:
    pdp = PDP(_source, clock=lambda: NOW, new_id=ids(), sink=sink)
    assert pdp.reload(), pdp.last_error
    return pdp


def _identity(**extra: str) -> dict[str, str]:
    headers = {
        "X-Kijun-User": "alice", "X-Kijun-Roles": "staff", "X-Kijun-Org-Unit": "soumu",
        "X-Kijun-Network": "agency", "X-Kijun-Device-Id": "pc-1", "X-Kijun-Device-Posture": GOOD,
        "X-Kijun-Device-Patch-Age": "3",
    }
    headers.update(extra)
    return headers


def _nginx(client: TestClient, method: str, uri: str, **extra: str) -> Any:
    return client.get("/v1/authz/nginx", headers={"X-Original-Method": method, "X-Original-URI": uri,
                                                   **_identity(**extra)})


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def client(sink: MemorySink) -> TestClient:
    return TestClient(create_app(_pdp(sink)))


def test_decide_json(client: TestClient, sink: MemorySink) -> None:
    r = client.post("/v1/decide", json=make_request().model_dump(mode="json"))
    assert r.status_code == 200
    body = r.json()
    assert body["decision"] == "allow" and body["determining_policies"] == ["allow_staff_own_unit"]
    assert body["policy_revision"] == "rev-1" and body["evaluated_at"] == "2026-01-06T01:00:00Z"
    assert r.headers["x-kijun-decision"] == "allow"
    assert sink.records[-1]["decision_id"] == body["decision_id"]
    metrics = sink.records[-1]["metrics"]
    assert metrics["compiled_path"] == 1.0 and metrics["signal_overlay"] == 0.0 and metrics["timer_decide_us"] > 0


def test_decide_step_up_and_bad_input(client: TestClient) -> None:
    r = client.post("/v1/decide", json=make_request(context__network="telework").model_dump(mode="json"))
    assert r.json()["decision"] == "step_up" and r.json()["obligations"] == {"step_up": "mfa"}
    bad = client.post("/v1/decide", json={"principal": {"id": "x"}, "action": "fly"})
    assert bad.status_code == 400 and bad.json()["decision"] == "deny"
    assert client.post("/v1/decide", content=b"{not json").status_code == 400
    assert client.post("/v1/decide", content=b"x" * 70_000).status_code == 400

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while streaming
        for _ in range(100):
            yield b" " * 1024

    assert client.post("/v1/decide", content=chunks()).status_code == 400


def test_healthz_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "policy_revision": "rev-1", "last_error": None}
    client.post("/v1/decide", json=make_request().model_dump(mode="json"))
    text = client.get("/metrics").text
    assert 'kijun_access_decisions_total{decision="allow"} 1' in text
    assert "kijun_access_policy_loaded 1" in text


# ---------------------------------------------------------------- nginx auth_request

def test_nginx_allow(client: TestClient, sink: MemorySink) -> None:
    r = _nginx(client, "GET", "/wiki/page?q=1")
    assert r.status_code == 200
    assert r.headers["x-kijun-decision"] == "allow" and r.headers["x-kijun-policies"] == "allow_staff_own_unit,allow_staff_read_c1"
    assert sink.records[-1]["path"] == "/v1/authz/nginx"
    assert "authorization" not in str(sink.records[-1]).lower()


def test_nginx_unmanaged_device_403(client: TestClient) -> None:
    r = _nginx(client, "GET", "/docs/a", **{"X-Kijun-Network": "telework", "X-Kijun-Authn": "mfa",
                                             "X-Kijun-Device-Posture": "edr_running,edr_healthy"})
    assert r.status_code == 403
    assert "deny_c2_telework_unmanaged_device" in r.headers["x-kijun-policies"]


def test_nginx_step_up_401(client: TestClient) -> None:
    r = _nginx(client, "GET", "/docs/a", **{"X-Kijun-Network": "telework"})
    assert r.status_code == 401
    assert r.headers["x-kijun-step-up"] == "mfa"
    assert r.headers["www-authenticate"] == 'KijunStepUp level="mfa"'
    assert _nginx(client, "GET", "/docs/a", **{"X-Kijun-Network": "telework", "X-Kijun-Authn": "mfa"}).status_code == 200


def test_nginx_method_and_route_action_mapping(client: TestClient) -> None:
    assert _nginx(client, "POST", "/docs/a").status_code == 200  # write own unit
    assert _nginx(client, "DELETE", "/docs/a").status_code == 403  # staff may not delete
    r = _nginx(client, "GET", "/wiki/export/all.csv")  # longest prefix: download of a no_copy resource
    assert r.status_code == 403 and r.headers["x-kijun-policies"] == "deny_handling_no_copy"


def test_roles_keep_their_case(client: TestClient, sink: MemorySink) -> None:
    r = _nginx(client, "GET", "/docs/a", **{"X-Kijun-Roles": " Staff , staff"})
    assert r.status_code == 200 and sink.records[-1]["input"]["roles"] == ["Staff", "staff"]


def test_nginx_unauthenticated_401(client: TestClient) -> None:
    r = client.get("/v1/authz/nginx", headers={"X-Original-Method": "GET", "X-Original-URI": "/wiki/"})
    assert r.status_code == 401 and r.headers["x-kijun-decision"] == "unauthenticated"


@pytest.mark.parametrize("uri", ["/unmapped", "/wiki/../payroll/x", "/wiki/%2e%2e/payroll", "/wiki%2fx",
                                 "/wikipedia"])
def test_nginx_unmapped_or_tricky_paths_fail_closed(client: TestClient, uri: str) -> None:
    assert _nginx(client, "GET", uri).status_code == 403


def test_nginx_missing_original_headers_403(client: TestClient) -> None:
    assert client.get("/v1/authz/nginx", headers=_identity()).status_code == 403


def test_nginx_bad_header_values_403(client: TestClient) -> None:
    assert _nginx(client, "GET", "/wiki/", **{"X-Kijun-Network": "moon"}).status_code == 403
    assert _nginx(client, "GET", "/wiki/", **{"X-Kijun-Device-Patch-Age": "soon"}).status_code == 403


# ---------------------------------------------------------------- Envoy ext_authz (HTTP service)

def test_envoy_path_prefix_and_method(client: TestClient, sink: MemorySink) -> None:
    # Envoy sends the original method, with the original path appended to path_prefix.
    r = client.get("/v1/authz/envoy/wiki/page?x=1", headers=_identity())
    assert r.status_code == 200 and r.headers["x-kijun-decision"] == "allow"
    r = client.put("/v1/authz/envoy/docs/a", headers=_identity())  # routes.yaml maps PUT to upload
    assert r.status_code == 200 and sink.records[-1]["input"]["action"] == "upload"
    assert client.delete("/v1/authz/envoy/docs/a", headers=_identity()).status_code == 403
    r = client.get("/v1/authz/envoy/payroll/slip", headers=_identity(**{"X-Kijun-Org-Unit": "jinji"}))
    assert r.status_code == 401 and r.headers["x-kijun-step-up"] == "phishing_resistant"


def test_envoy_fail_closed(client: TestClient) -> None:
    assert client.get("/v1/authz/envoy/nowhere", headers=_identity()).status_code == 403
    assert client.get("/v1/authz/envoy", headers=_identity()).status_code == 403  # "/" is unmapped
    assert client.get("/v1/authz/envoy/wiki/", headers={}).status_code == 401


# ---------------------------------------------------------------- signals and policy lifecycle

def test_signal_revokes_session_and_next_request_denied(client: TestClient) -> None:
    assert _nginx(client, "GET", "/wiki/", **{"X-Kijun-Session": "sess-1"}).status_code == 200
    r = client.post("/v1/signals", json={"kind": "edr_alert", "device_id": "pc-1"})
    assert r.json() == {"signals": 1, "revoke": ["sess-1"], "step_up": [], "keep": []}
    denied = _nginx(client, "GET", "/wiki/")  # the PEP still says healthy; the PDP knows better
    assert denied.status_code == 403 and denied.headers["x-kijun-policies"] == "deny_edr_alert"
    assert client.post("/v1/signals", json={"kind": "nope"}).status_code == 400


def test_caep_set_payload_and_signal_token() -> None:
    pdp = _pdp()
    client = TestClient(create_app(pdp, signals_token="s3cret"))
    assert _nginx(client, "GET", "/wiki/", **{"X-Kijun-Session": "sess-9"}).status_code == 200
    payload = {
        "iss": "https://mdm.example.go.jp", "jti": "1", "iat": 1767661200,
        "events": {
            "https://schemas.openid.net/secevent/caep/event-type/device-compliance-change": {
                "subject": {"device": {"format": "opaque", "id": "pc-1"}},
                "current_status": "not-compliant", "previous_status": "compliant",
            },
            "https://schemas.openid.net/secevent/caep/event-type/unknown-thing": {"subject": {}},
        },
    }
    assert client.post("/v1/signals", json=payload).status_code == 401
    assert client.post("/v1/signals", json=payload, headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = client.post("/v1/signals", json=payload, headers={"Authorization": "Bearer s3cret"})
    assert r.status_code == 200 and r.json()["signals"] == 1 and r.json()["revoke"] == ["sess-9"]
    assert _nginx(client, "GET", "/wiki/").status_code == 403


def test_no_policy_fails_closed(tmp_path: Path) -> None:
    pdp = PDP(dir_loader(tmp_path / "missing"))
    assert not pdp.reload() and pdp.last_error
    client = TestClient(create_app(pdp))
    assert client.get("/healthz").status_code == 503
    r = client.post("/v1/decide", json=make_request().model_dump(mode="json"))
    assert r.status_code == 503 and r.json()["decision"] == "deny"
    assert _nginx(client, "GET", "/wiki/").status_code == 403
    assert client.get("/v1/authz/envoy/wiki/", headers=_identity()).status_code == 403
    assert client.post("/v1/signals", json={"kind": "edr_alert", "device_id": "x"}).status_code == 400


def test_broken_policy_reload_keeps_last_good(tmp_path: Path) -> None:
    (tmp_path / "p.cedar").write_text('@id("all") permit (principal, action, resource);')
    pdp = PDP(dir_loader(tmp_path), clock=lambda: NOW)
    assert pdp.reload()
    good = pdp.revision
    (tmp_path / "p.cedar").write_text('@id("all") permit (principal, action, resource) when { resource.x };')
    assert not pdp.reload()
    assert pdp.revision == good and "x" in (pdp.last_error or "")
    client = TestClient(create_app(pdp))
    assert client.post("/v1/decide", json=make_request().model_dump(mode="json")).json()["decision"] == "allow"
    assert client.get("/healthz").json()["last_error"]


def test_engine_exception_fails_closed(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    pdp = _pdp()
    assert pdp.engine is not None

    def boom(*_: object) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(pdp.engine, "decide", boom)
    c = TestClient(create_app(pdp))
    assert c.post("/v1/decide", json=make_request().model_dump(mode="json")).status_code == 503
    assert _nginx(c, "GET", "/wiki/").status_code == 403
    assert "kijun_access_errors_total 2" in c.get("/metrics").text


def test_sighup_reloads(tmp_path: Path) -> None:
    import os
    import signal

    from kijun.access.server import install_sighup_reload

    (tmp_path / "p.cedar").write_text('@id("all") permit (principal, action, resource);')
    pdp = PDP(dir_loader(tmp_path), clock=lambda: NOW)
    assert pdp.reload()
    first = pdp.revision
    (tmp_path / "p.cedar").write_text('@id("none") forbid (principal, action, resource);')
    previous = install_sighup_reload(pdp)
    try:
        os.kill(os.getpid(), signal.SIGHUP)
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert pdp.revision != first
