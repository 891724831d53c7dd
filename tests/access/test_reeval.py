"""Continuous re-evaluation, the session registry and the signal overlay; the decision log."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from kijun.access.decision_log import JsonLinesSink, MaskingRules, MemorySink, log_record
from kijun.access.engine import Engine
from kijun.access.reeval import (
    ActiveSession,
    SessionRegistry,
    Signal,
    SignalOverlay,
    apply_signal,
    reevaluate,
    signals_from_json,
    signals_from_set,
)

from .conftest import make_request


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 6, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _sessions() -> list[ActiveSession]:
    return [
        ActiveSession("s-alice", make_request(session_id="s-alice"), "allow"),
        ActiveSession("s-bob", make_request(principal__id="bob", context__device__id="pc-2", session_id="s-bob"), "allow"),
        ActiveSession("s-tele", make_request(context__network="telework", context__authn={"mfa": True},
                                             context__device__id="pc-3", session_id="s-tele"), "allow"),
    ]


def test_edr_alert_revokes_only_that_devices_sessions(engine: Engine) -> None:
    result = reevaluate(engine, _sessions(), Signal(kind="edr_alert", device_id="pc-1"))
    assert result.revoke == ["s-alice"] and result.keep == [] and result.step_up == []
    assert result.outcomes[0].decision is not None
    assert result.outcomes[0].decision.determining_policies == ("deny_edr_alert",)


def test_user_disabled_revokes_that_user(engine: Engine) -> None:
    assert reevaluate(engine, _sessions(), Signal(kind="user_disabled", user_id="bob")).revoke == ["s-bob"]


def test_posture_change_can_keep_or_revoke(engine: Engine) -> None:
    small = reevaluate(engine, _sessions(), Signal(kind="device_posture_changed", device_id="pc-3",
                                                   posture={"os_patch_age_days": 20}))
    assert small.keep == ["s-tele"]
    assert small.outcomes[0].updated_request.context.device.os_patch_age_days == 20
    unmanaged = reevaluate(engine, _sessions(), Signal(kind="device_posture_changed", device_id="pc-3",
                                                       posture={"managed": False}))
    assert unmanaged.revoke == ["s-tele"]


def test_session_revoked_signal(engine: Engine) -> None:
    result = reevaluate(engine, _sessions(), Signal(kind="session_revoked", session_id="s-bob"))
    assert result.revoke == ["s-bob"] and result.outcomes[0].decision is None


def test_unrelated_signal_touches_nothing(engine: Engine) -> None:
    assert reevaluate(engine, _sessions(), Signal(kind="edr_alert", device_id="other")).outcomes == ()


def test_apply_signal_is_pure() -> None:
    req = make_request()
    updated = apply_signal(Signal(kind="edr_alert", device_id="pc-1"), req)
    assert req.context.device.edr_healthy and not updated.context.device.edr_healthy


def test_registry_records_allowed_sessions_with_ttl_and_bound(engine: Engine) -> None:
    clock = Clock()
    reg = SessionRegistry(clock, max_sessions=2, ttl=timedelta(minutes=10))
    for sid in ("a", "b", "c"):
        req = make_request(session_id=sid)
        reg.record(req, engine.decide(req))
    assert [s.session_id for s in reg.sessions()] == ["b", "c"]  # oldest evicted
    reg.record(make_request(session_id="x"), engine.decide(make_request(session_id="x", action="admin")))
    assert len(reg) == 2  # denied sessions are not kept
    clock.now += timedelta(minutes=11)
    assert reg.sessions() == []


def test_registry_apply_drops_revoked(engine: Engine) -> None:
    reg = SessionRegistry(Clock())
    for session in _sessions():
        reg.record(session.request, engine.decide(session.request))
    assert len(reg) == 3
    reg.apply(reevaluate(engine, reg.sessions(), Signal(kind="edr_alert", device_id="pc-1")))
    assert sorted(s.session_id for s in reg.sessions()) == ["s-bob", "s-tele"]


def test_overlay_applies_alert_until_cleared() -> None:
    clock = Clock()
    overlay = SignalOverlay(clock, ttl=timedelta(hours=1))
    req = make_request()
    assert overlay.apply(req) is req
    overlay.record(Signal(kind="edr_alert", device_id="pc-1"))
    assert not overlay.apply(req).context.device.edr_healthy
    overlay.record(Signal(kind="edr_cleared", device_id="pc-1"))
    assert overlay.apply(req).context.device.edr_healthy
    overlay.record(Signal(kind="user_disabled", user_id="alice"))
    assert overlay.apply(req).principal.disabled
    clock.now += timedelta(hours=2)
    assert not overlay.apply(req).principal.disabled


def test_overlay_only_tightens() -> None:
    overlay = SignalOverlay(Clock())
    overlay.record(Signal(kind="device_posture_changed", device_id="pc-1",
                          posture={"managed": True, "disk_encrypted": False, "os_patch_age_days": 1}))
    bad_pep = make_request(context__device__managed=False, context__device__os_patch_age_days=40)
    applied = overlay.apply(bad_pep)
    assert applied.context.device.managed is False  # a signal cannot vouch for a device
    assert applied.context.device.disk_encrypted is False  # but it can take trust away
    assert applied.context.device.os_patch_age_days == 40  # the worse of the two


def test_caep_and_risc_sets_map_to_signals() -> None:
    caep = "https://schemas.openid.net/secevent/caep/event-type/"
    risc = "https://schemas.openid.net/secevent/risc/event-type/"
    signals = signals_from_set({"events": {
        caep + "session-revoked": {"subject": {"format": "opaque", "id": "sess-1"}},
        caep + "device-compliance-change": {"subject": {"device": {"format": "opaque", "id": "pc-7"}},
                                            "current_status": "compliant"},
        risc + "account-disabled": {"subject": {"format": "email", "email": "alice@example.go.jp"}},
        caep + "credential-change": {"subject": {"format": "opaque", "id": "x"}},
    }})
    assert [(s.kind, s.session_id or s.device_id or s.user_id) for s in signals] == [
        ("session_revoked", "sess-1"), ("edr_cleared", "pc-7"), ("user_disabled", "alice@example.go.jp")]
    assert signals_from_json({"kind": "edr_alert", "device_id": "d"})[0].kind == "edr_alert"
    with pytest.raises(ValueError, match="events"):
        signals_from_set({"events": []})


def test_log_record_fields_and_masking(engine: Engine) -> None:
    req = make_request(session_id="s1")
    decision = engine.decide(req)
    rec = log_record(req, decision, MaskingRules(principal_key=b"k", drop_org_unit=True), path="/v1/decide")
    assert rec["decision_id"] == decision.decision_id and rec["request_hash"] == decision.request_hash
    assert rec["result"]["decision"] == "allow" and rec["policy_revision"] == engine.revision
    assert rec["input"]["principal"].startswith("hmac:") and "alice" not in json.dumps(rec)
    assert rec["input"]["org_unit"] is None
    plain = log_record(req, decision)
    assert plain["input"]["principal"] == "alice"


def test_sinks_write_json_lines(engine: Engine) -> None:
    stream = io.StringIO()
    sink = JsonLinesSink(stream)
    req = make_request()
    sink.write(log_record(req, engine.decide(req)))
    sink.write(log_record(req, engine.decide(req)))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["decision_id"] == "d2"
    mem = MemorySink()
    mem.write({"a": 1})
    assert mem.records == [{"a": 1}]
