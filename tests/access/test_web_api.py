"""The PDP link end to end: authoring → publish → bundle API (PDP token, ETag/304) → the real PDP
app decides; decision logs shipped by the PDP's shipper are stored, filtered, shown and exported;
retention; the API's scope and token rules."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from starlette.testclient import TestClient

from kijun.access.bundle import HttpBundlePoller, load_public_key, read_bundle
from kijun.access.decision_log import HttpShipper, MaskingRules
from kijun.access.logstore import issue_pdp_token, purge
from kijun.access.models import DecisionLogEntry, PolicyRevision, PolicySet
from kijun.access.pdp import PDP
from kijun.access.server import app_from_settings, create_app
from kijun.access.services import public_key_pem, publish, save_rule, seed_set
from kijun.core.models import AuditEntry, User
from kijun.core.tokens import issue_token

GOOD = {"id": "pc-1", "managed": True, "agency_furnished": True, "edr_running": True, "edr_healthy": True,
        "os_patch_age_days": 3, "disk_encrypted": True}


def _request(**ctx: Any) -> dict[str, Any]:
    return {"principal": {"id": "alice", "roles": ["staff"], "org_unit": "soumu"}, "action": "read",
            "resource": {"id": "doc-1", "confidentiality": 2, "org_unit": "soumu"},
            "context": {"network": "agency", "device": dict(GOOD), "time": {"hour": 10, "weekday": 2}, **ctx}}


def _published(demo: dict[str, Any], code: str = "web-api") -> PolicySet:
    head = demo["users"]["head-iso"]
    pset = seed_set(head, name="API", code=code, unit=demo["units"]["demo-ministry"])
    publish(head, pset)
    return pset


def _pdp_token(demo: dict[str, Any], pset: PolicySet) -> str:
    return issue_pdp_token(demo["users"]["head-iso"], pset, "pdp-1", 30)[1]


@pytest.mark.django_db
def test_bundle_etag_and_auth(demo: dict[str, Any]) -> None:
    pset = _published(demo)
    raw = _pdp_token(demo, pset)
    c = Client()
    url = "/api/v1/access/bundle?policy_set=web-api"
    assert c.get(url).status_code == 401
    assert c.get(url, HTTP_AUTHORIZATION="Bearer kjp_nope_x").status_code == 401
    r = c.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200 and r["Content-Type"] == "application/gzip"
    rev = PolicyRevision.objects.get(policy_set=pset)
    assert r["ETag"] == f'"{rev.bundle_sha256}"' and r.content == bytes(rev.bundle)
    source, info = read_bundle(r.content, load_public_key(public_key_pem().encode()))
    assert info.verified and source.revision == rev.revision
    r304 = c.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_IF_NONE_MATCH=r["ETag"])
    assert r304.status_code == 304 and r304.content == b""
    # without ?policy_set the PDP token names its own set; another set's code is not found
    assert c.get("/api/v1/access/bundle", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    _published(demo, "other")
    assert c.get("/api/v1/access/bundle?policy_set=other", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 404
    # personal tokens: ACCESS_VIEW needed
    _t, auditor_tok = issue_token(demo["users"]["auditor"], "t", 1)
    _t, staff_tok = issue_token(demo["users"]["staff"], "t", 1)
    assert c.get(url, HTTP_AUTHORIZATION=f"Bearer {auditor_tok}").status_code == 200
    assert c.get(url, HTTP_AUTHORIZATION=f"Bearer {staff_tok}").status_code == 403
    # the PDP token is for PDP endpoints only, and a revoked token is refused
    assert c.get("/api/v1/access/policy-sets", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    token = pset.pdp_tokens.get()
    manager = Client()
    manager.force_login(demo["users"]["head-iso"])
    manager.post(reverse("access_token_revoke", args=[pset.pk, token.pk]))
    assert c.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert AuditEntry.objects.filter(action="access.pdp_token.revoke").exists()


@pytest.mark.django_db
def test_unpublished_set_has_no_bundle(demo: dict[str, Any]) -> None:
    pset = seed_set(demo["users"]["head-iso"], name="x", code="unpub", unit=demo["units"]["demo-ministry"])
    r = Client().get("/api/v1/access/bundle", HTTP_AUTHORIZATION=f"Bearer {_pdp_token(demo, pset)}")
    assert r.status_code == 404 and r.json()["code"] == "http_404"


@pytest.mark.django_db
def test_authoring_to_pdp_decision(demo: dict[str, Any], tmp_path: Path) -> None:
    """A rule added in the UI, published, loaded by the real PDP app from the API: it decides."""
    pset = _published(demo)
    manager = Client()
    manager.force_login(demo["users"]["head-iso"])
    pset.refresh_from_db()
    r = manager.post(reverse("access_rule_new", args=[pset.pk]), {
        "rule_id": "deny_telework_c2_lab", "outcome": "deny", "enabled": "on", "version": pset.version,
        "c0_attr": "network", "c0_op": "==", "c0_value": "telework",
        "c1_attr": "resource.confidentiality", "c1_op": ">=", "c1_value": "2"})
    assert r.status_code == 302
    pset.refresh_from_db()
    manager.post(reverse("access_set_publish", args=[pset.pk]), {"version": pset.version})
    bundle = Client().get("/api/v1/access/bundle?policy_set=web-api",
                          HTTP_AUTHORIZATION=f"Bearer {_pdp_token(demo, pset)}").content
    path = tmp_path / "bundle.tar.gz"
    path.write_bytes(bundle)
    key = tmp_path / "pub.pem"
    key.write_text(public_key_pem())
    app = app_from_settings({"BUNDLE": str(path), "PUBLIC_KEY": str(key)})
    with TestClient(app) as pdp:
        allow = pdp.post("/v1/decide", json=_request())
        assert allow.json()["decision"] == "allow", allow.json()
        assert allow.headers["X-Kijun-Policy-Revision"] == PolicyRevision.objects.get(policy_set=pset, number=2).revision
        deny = pdp.post("/v1/decide", json=_request(network="telework", authn={"mfa": True})).json()
        assert deny["decision"] == "deny" and "deny_telework_c2_lab" in deny["determining_policies"]
        step = pdp.post("/v1/decide", json={**_request(), "resource": {"id": "d", "confidentiality": 1},
                                            "context": {**_request()["context"], "network": "telework"}}).json()
        assert step["decision"] in ("allow", "step_up")


@pytest.mark.django_db(transaction=True)
def test_pdp_polls_and_ships_against_the_live_server(demo: dict[str, Any], live_server: Any,
                                                     tmp_path: Path) -> None:
    pset = _published(demo)
    raw = _pdp_token(demo, pset)
    key = load_public_key(public_key_pem().encode())
    poller = HttpBundlePoller(f"{live_server.url}/api/v1/access/bundle?policy_set=web-api", key, token=raw)
    source = poller()
    assert source is not None and source.revision == PolicyRevision.objects.get(policy_set=pset).revision
    assert poller() is None  # 304: unchanged
    masking = MaskingRules(principal_key=b"agency-secret")
    shipper = HttpShipper(f"{live_server.url}/api/v1/access/decision-logs?policy_set=web-api", raw, masking,
                          batch_size=3, flush_seconds=0.05)
    pdp = PDP(poller, sink=shipper, masking=masking)
    # the poller already consumed the bundle: a fresh one for the PDP's first load
    pdp._loader = HttpBundlePoller(poller.url, key, token=raw)  # noqa: SLF001 - test wiring
    assert pdp.reload()
    with TestClient(create_app(pdp)) as client:
        for ctx in ({}, {"network": "external"}, {"network": "telework"}, {"device": {"id": "x"}}):
            assert client.post("/v1/decide", json=_request(**ctx)).status_code == 200
    assert shipper.flush(10)
    shipper.close()
    assert shipper.counters["shipped"] == 4 and shipper.counters["failed"] == 0
    rows = list(DecisionLogEntry.objects.filter(policy_set=pset).order_by("timestamp", "id"))
    assert len(rows) == 4
    assert {r.decision for r in rows} == {"allow", "deny", "step_up"}
    assert all(r.principal == masking.principal("alice") for r in rows)
    assert "alice" not in json.dumps([r.record for r in rows])
    # the pages show them, filtered
    viewer = Client()
    viewer.force_login(demo["users"]["auditor"])
    page = viewer.get(reverse("access_log_list") + "?decision=deny").content.decode()
    assert page.count("decision-deny") >= 1 and "decision-allow" not in page.split("<tbody>")[1]
    deny = next(r for r in rows if r.decision == "deny")
    policy = deny.policy_list()[0]
    page = viewer.get(reverse("access_log_list") + f"?policy={policy}").content.decode()
    assert policy in page
    detail = viewer.get(reverse("access_log_detail", args=[deny.pk])).content.decode()
    assert deny.decision_id in detail and "hmac:" in detail
    csv_text = viewer.get(reverse("access_log_export") + "?decision=step_up").content.decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("timestamp,policy_set,decision") and len(lines) == 2 and ",step_up," in lines[1]
    xlsx = viewer.get(reverse("access_log_export") + "?decision=deny&format=xlsx")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content)).active
    cells = list(sheet.values)
    assert cells[0][0] == "日時" and len(cells) == 1 + sum(r.decision == "deny" for r in rows)
    api = viewer.get(f"/api/v1/access/decision-logs?principal={masking.principal('alice')[:12]}").json()
    assert api["count"] == 4
    # searching by a plain user id needs the masking key on the server too
    assert viewer.get("/api/v1/access/decision-logs?user=alice").json()["count"] == 0
    keyfile = tmp_path / "mask-key"
    keyfile.write_text("agency-secret\n")
    from django.test import override_settings

    with override_settings(KIJUN_ACCESS_MASK_KEY_FILE=str(keyfile)):
        assert viewer.get("/api/v1/access/decision-logs?user=alice").json()["count"] == 4
        assert viewer.get("/api/v1/access/decision-logs?user=bob").json()["count"] == 0
        assert 'id="f-user"' in viewer.get(reverse("access_log_list")).content.decode()
    # a newly published revision is picked up by the next poll
    head = demo["users"]["head-iso"]
    rule = pset.rules.get(rule_id="allow_staff_read_c1")
    rule.enabled = False
    save_rule(head, pset, rule)
    publish(head, pset)
    assert pdp.reload() and pdp.revision == PolicyRevision.objects.get(policy_set=pset, number=2).revision


def _event(i: int, **over: Any) -> dict[str, Any]:
    event = {"decision_id": f"e{i}", "timestamp": "2026-01-06T01:00:00Z", "policy_revision": "sha256:x",
             "path": "/v1/decide", "input": {"principal": "hmac:" + "a" * 32, "action": "read",
                                              "resource": {"id": "doc"}, "network": "agency"},
             "result": {"decision": "deny", "determining_policies": ["deny_x"], "obligations": {}}}
    event.update(over)
    return event


@pytest.mark.django_db
def test_ingest_validates_masks_and_is_idempotent(demo: dict[str, Any]) -> None:
    pset = _published(demo)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {_pdp_token(demo, pset)}"}
    c = Client()
    url = "/api/v1/access/decision-logs"
    r = c.post(url, {"events": [_event(1), _event(2)]}, content_type="application/json", **auth)
    assert r.status_code == 202 and r.json() == {"stored": 2, "duplicates": 0}
    r = c.post(url, {"events": [_event(2), _event(3)]}, content_type="application/json", **auth)
    assert r.json() == {"stored": 1, "duplicates": 1}
    unmasked = _event(4, input={"principal": "alice", "action": "read", "resource": {"id": "d"}})
    r = c.post(url, {"events": [_event(5), unmasked]}, content_type="application/json", **auth)
    assert r.status_code == 400 and "masked" in r.json()["detail"]
    assert not DecisionLogEntry.objects.filter(decision_id__in=["e4", "e5"]).exists()
    for bad in ([_event(6, timestamp="yesterday")], [_event(7, result={"decision": "maybe"})], "x",
                [_event(9, path="x" * 20000)],
                [_event(i) for i in range(1001)]):
        assert c.post(url, {"events": bad}, content_type="application/json", **auth).status_code == 400
    assert c.post(url, "{not json", content_type="application/json", **auth).status_code == 400
    big = {"events": [_event(i, path="x" * 15000) for i in range(150)]}
    assert c.post(url, big, content_type="application/json", **auth).status_code == 413
    # personal tokens and sessions cannot ship
    _t, tok = issue_token(demo["users"]["head-iso"], "t", 1)
    r = c.post(url, {"events": [_event(8)]}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {tok}")
    assert r.status_code == 401
    assert DecisionLogEntry.objects.filter(policy_set=pset).count() == 3


@pytest.mark.django_db
def test_purge_keeps_the_store_bounded(demo: dict[str, Any], settings: Any) -> None:
    from kijun.core.jobs import registry

    JOBS = registry()

    pset = _published(demo)
    now = timezone.now()
    DecisionLogEntry.objects.bulk_create([
        DecisionLogEntry(policy_set=pset, decision_id=f"p{i}", timestamp=now - dt.timedelta(days=i),
                         decision="allow", principal="hmac:x") for i in range(0, 200, 10)])
    settings.KIJUN_ACCESS_LOG_RETENTION_DAYS = 95
    settings.KIJUN_ACCESS_LOG_MAX_ROWS = 5
    assert purge(now) == 15
    assert sorted(DecisionLogEntry.objects.values_list("decision_id", flat=True)) == ["p0", "p10", "p20", "p30", "p40"]
    assert "access-log-purge" in JOBS and "purged 0" in JOBS["access-log-purge"].func()


@pytest.mark.django_db
def test_api_decide_and_detail(demo: dict[str, Any]) -> None:
    pset = _published(demo)
    c = Client()
    c.force_login(demo["users"]["auditor"])
    detail = c.get(f"/api/v1/access/policy-sets/{pset.pk}").json()
    assert detail["problems"] == [] and "@id(\"allow_staff_own_unit\")" in detail["generated_cedar"]
    assert len(detail["rules"]) == 28 and detail["needs_review"] is True
    revs = c.get(f"/api/v1/access/policy-sets/{pset.pk}/revisions").json()
    assert revs["count"] == 1 and revs["items"][0]["number"] == 1
    r = c.post(f"/api/v1/access/policy-sets/{pset.pk}/decide", _request(), content_type="application/json")
    assert r.status_code == 200 and r.json()["decision"] == "allow"
    r = c.post(f"/api/v1/access/policy-sets/{pset.pk}/publish", {"note": "x"}, content_type="application/json")
    assert r.status_code == 403  # auditors view, they do not publish
    c.force_login(demo["users"]["head-iso"])
    r = c.post(f"/api/v1/access/policy-sets/{pset.pk}/publish", {"note": "x"}, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "publish_refused"  # nothing changed since r1
    pset.refresh_from_db()
    r = c.post(f"/api/v1/access/policy-sets/{pset.pk}/publish", {"version": pset.version - 1},
               content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    rule = pset.rules.get(rule_id="allow_staff_read_c1")
    rule.enabled = False
    save_rule(demo["users"]["head-iso"], pset, rule)
    r = c.post(f"/api/v1/access/policy-sets/{pset.pk}/publish", {"note": "api", "version": pset.version},
               content_type="application/json")
    assert r.status_code == 201 and r.json()["number"] == 2
    outsider = User.objects.create(username="nobody")
    c.force_login(outsider)
    assert c.get(f"/api/v1/access/policy-sets/{pset.pk}").status_code == 403


class _FlakyServer:
    def __init__(self, statuses: list[int]) -> None:
        self.statuses, self.bodies = statuses, []

    def __call__(self, body: bytes) -> int:
        self.bodies.append(json.loads(body))
        return self.statuses.pop(0) if self.statuses else 202


def test_shipper_retries_rejects_drops_and_masks() -> None:
    masking = MaskingRules(principal_key=b"k")
    server = _FlakyServer([503, 0, 202])
    shipper = HttpShipper("http://127.0.0.1:9/x", "t", masking, post=server, backoff=0.001, flush_seconds=0.01)
    shipper.write({"decision_id": "a", "input": {"principal": "bob", "session_id": "cookie-value", "org_unit": "u"}})
    assert shipper.flush(5)
    assert shipper.counters["shipped"] == 1 and shipper.counters["retries"] == 2 and len(server.bodies) == 3
    sent = server.bodies[-1]["events"][0]["input"]
    assert sent["principal"] == masking.principal("bob") and sent["session_id"].startswith("hmac:")
    rejecting = _FlakyServer([400])
    shipper2 = HttpShipper("http://127.0.0.1:9/x", "t", masking, post=rejecting, flush_seconds=0.01)
    shipper2.write({"decision_id": "b", "input": {"principal": "hmac:already"}})
    assert shipper2.flush(5)
    assert shipper2.counters["rejected"] == 1 and len(rejecting.bodies) == 1
    assert rejecting.bodies[0]["events"][0]["input"]["principal"] == "hmac:already"
    shipper.close()
    shipper2.close()
    with pytest.raises(ValueError, match="masking key"):
        HttpShipper("http://127.0.0.1:9/x", "t", MaskingRules())


def test_shipper_never_blocks_and_drops_when_full() -> None:
    import threading
    import time

    gate = threading.Event()

    def stuck(body: bytes) -> int:
        gate.wait(5)
        return 202

    shipper = HttpShipper("http://127.0.0.1:9/x", "t", MaskingRules(principal_key=b"k"), post=stuck,
                          max_pending=10, batch_size=1, flush_seconds=0.01)
    started = time.perf_counter()
    for i in range(100):
        shipper.write({"decision_id": str(i), "input": {"principal": "u"}})
    assert time.perf_counter() - started < 0.5
    assert shipper.counters["dropped"] >= 80
    gate.set()
    assert shipper.flush(5)
    shipper.close()
    assert shipper.counters["shipped"] + shipper.counters["dropped"] == 100


def test_server_refuses_shipping_without_masking_key(tmp_path: Path) -> None:
    from kijun.access.bundle import build_bundle, generate_keypair, load_private_key
    from kijun.access.policy import default_source

    private, public = generate_keypair()
    bundle = tmp_path / "b.tar.gz"
    bundle.write_bytes(build_bundle(default_source(), timezone.now(), load_private_key(private)))
    token = tmp_path / "tok"
    token.write_text("kjp_x_y")
    base = {"BUNDLE": str(bundle), "SHIP_URL": "http://127.0.0.1:9/api/v1/access/decision-logs",
            "API_TOKEN_FILE": str(token)}
    with pytest.raises(RuntimeError, match="MASK_KEY_FILE"):
        app_from_settings(base)
    mask = tmp_path / "mask"
    mask.write_text("agency-secret")
    app = app_from_settings({**base, "MASK_KEY_FILE": str(mask)})
    with TestClient(app) as client:
        assert "kijun_access_decision_log_shipped_total 0" in client.get("/metrics").text


@pytest.mark.django_db
def test_exports_neutralise_formulas(demo: dict[str, Any]) -> None:
    pset = _published(demo)
    evil = _event(1, input={"principal": "hmac:" + "b" * 32, "action": "read", "network": "agency",
                            "resource": {"id": "=HYPERLINK(\"http://x\")"}})
    r = Client().post("/api/v1/access/decision-logs", {"events": [evil]}, content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {_pdp_token(demo, pset)}")
    assert r.status_code == 202
    viewer = Client()
    viewer.force_login(demo["users"]["csirt"])
    text = viewer.get(reverse("access_log_export")).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


@pytest.mark.django_db(transaction=True)
def test_serve_settings_poll_and_ship_against_the_live_server(demo: dict[str, Any], live_server: Any,
                                                              tmp_path: Path) -> None:
    """The wiring `kijun access serve` uses: KIJUN_ACCESS_* settings → poller with the PDP token,
    masked local log and shipper; the decision arrives on the server with a hashed user id."""
    pset = _published(demo)
    files = {"tok": _pdp_token(demo, pset), "mask": "agency-secret", "pub.pem": public_key_pem()}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    local_log = tmp_path / "decisions.jsonl"
    app = app_from_settings({
        "BUNDLE": f"{live_server.url}/api/v1/access/bundle?policy_set=web-api",
        "PUBLIC_KEY": str(tmp_path / "pub.pem"), "API_TOKEN_FILE": str(tmp_path / "tok"),
        "MASK_KEY_FILE": str(tmp_path / "mask"), "DECISION_LOG": str(local_log),
        "SHIP_URL": f"{live_server.url}/api/v1/access/decision-logs?policy_set=web-api"})
    with TestClient(app) as client:
        assert client.get("/healthz").json()["policy_revision"] == pset.revisions.get().revision
        assert client.post("/v1/decide", json=_request(network="external")).json()["decision"] == "deny"
    # leaving the client ran the app's shutdown: the shipper flushed before stopping
    entry = DecisionLogEntry.objects.get(policy_set=pset)
    hashed = MaskingRules(principal_key=b"agency-secret").principal("alice")
    assert entry.decision == "deny" and entry.principal == hashed
    local = json.loads(local_log.read_text().splitlines()[0])
    assert local["input"]["principal"] == hashed and local["decision_id"] == entry.decision_id


def test_pdp_modules_never_import_django() -> None:
    """The PDP side of the link (server, bundle poller, shipper) stays free of Django."""
    import subprocess
    import sys

    code = ("import sys, kijun.access.server, kijun.access.bundle, kijun.access.decision_log, kijun.access.pdp; "
            "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"
