"""The decision engine: precedence, fail-closed behaviour, determinism, and properties."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kijun.access.engine import Engine, PreparedPolicy, request_hash, to_cedar
from kijun.access.model import ACTIONS, HANDLING_RESTRICTIONS, NETWORKS, AccessRequest
from kijun.access.policy import PolicyError, PolicySource, shipped_schema

from .conftest import NOW, ids, make_request


def _engine(cedar: str) -> Engine:
    src = PolicySource(schema=shipped_schema(), files={"t.cedar": cedar}, revision="test-rev")
    return Engine(PreparedPolicy.compile(src), clock=lambda: NOW, new_id=ids())


PERMIT_ALL = '@id("all") permit (principal, action, resource);\n'


def test_allow_names_the_permit(engine: Engine) -> None:
    d = engine.decide(make_request())
    assert (d.decision, d.determining_policies) == ("allow", ("allow_staff_own_unit",))
    assert d.reasons[0].startswith("allow_staff_own_unit: ")
    assert d.obligations == {}


def test_metadata_comes_from_injected_clock_and_ids(engine: Engine) -> None:
    d = engine.decide(make_request())
    assert d.evaluated_at == "2026-01-06T01:00:00Z"
    assert d.decision_id == "d1"
    assert engine.decide(make_request()).decision_id == "d2"
    assert d.policy_revision == engine.revision


def test_default_deny_has_no_determining_policy() -> None:
    d = _engine('@id("only_admin") permit (principal, action == Action::"admin", resource);').decide(make_request())
    assert d.decision == "deny" and d.determining_policies == ()
    assert "default deny" in d.reasons[0]


def test_deny_beats_step_up_beats_allow() -> None:
    cedar = PERMIT_ALL + (
        '@id("su") @outcome("step_up") @step_up("mfa") forbid (principal, action, resource) '
        "when { !context.authn.mfa };\n"
        '@id("no") @outcome("deny") forbid (principal, action, resource) when { context.network == "external" };'
    )
    eng = _engine(cedar)
    assert eng.decide(make_request(context__authn={"mfa": True})).decision == "allow"
    su = eng.decide(make_request())
    assert (su.decision, su.determining_policies, su.obligations) == ("step_up", ("su",), {"step_up": "mfa"})
    no = eng.decide(make_request(context__network="external"))
    assert (no.decision, no.determining_policies) == ("deny", ("no",))


def test_step_up_needs_a_permit_behind_it() -> None:
    cedar = ('@id("su") @outcome("step_up") @step_up("mfa") forbid (principal, action, resource) '
             "when { !context.authn.mfa };")
    d = _engine(cedar).decide(make_request())
    assert d.decision == "deny" and d.determining_policies == ()


def test_unannotated_forbid_is_a_hard_deny() -> None:
    d = _engine(PERMIT_ALL + '@id("f") forbid (principal, action, resource);').decide(make_request())
    assert (d.decision, d.determining_policies) == ("deny", ("f",))


def test_strongest_step_up_level_wins() -> None:
    cedar = PERMIT_ALL + (
        '@id("a") @outcome("step_up") @step_up("mfa") forbid (principal, action, resource);\n'
        '@id("b") @outcome("step_up") @step_up("phishing_resistant") forbid (principal, action, resource);'
    )
    d = _engine(cedar).decide(make_request())
    assert d.decision == "step_up" and set(d.determining_policies) == {"a", "b"}
    assert d.obligations == {"step_up": "phishing_resistant"}


def test_evaluation_error_fails_closed() -> None:
    # The forbid overflows Long arithmetic for a never-patched device; Cedar would skip the erroring
    # forbid and allow. The engine must deny instead.
    cedar = PERMIT_ALL + ('@id("overflow") forbid (principal, action, resource) '
                          "when { context.device.os_patch_age_days * 100000000000000 > 0 };")
    eng = _engine(cedar)
    ok = eng.decide(make_request(context__device__os_patch_age_days=0))
    assert ok.decision == "allow"
    bad = eng.decide(make_request(context__device__os_patch_age_days=100_000))
    assert bad.decision == "deny" and "evaluation error" in bad.reasons[0]


def test_compile_rejects_invalid_policy() -> None:
    with pytest.raises(PolicyError, match="colour"):
        _engine('@id("x") permit (principal, action, resource) when { resource.colour == 1 };')


def test_time_is_derived_in_jst_unless_given(engine: Engine) -> None:
    req = engine.with_time(make_request(), datetime(2026, 1, 4, 15, 30, tzinfo=UTC))  # Monday 00:30 JST
    assert req.context.time is not None
    assert (req.context.time.hour, req.context.time.weekday) == (0, 1)
    given_time = make_request(context__time={"hour": 12, "weekday": 3})
    assert engine.with_time(given_time, NOW) is given_time


def test_request_hash_is_stable_and_sensitive() -> None:
    a, b = make_request(), make_request()
    assert request_hash(a) == request_hash(b)
    assert request_hash(a) != request_hash(make_request(action="write"))
    assert request_hash(a).startswith("sha256:") and len(request_hash(a)) == 71


def test_cedar_mapping_uses_dict_ids_and_role_parents(engine: Engine) -> None:
    odd = 'User::"x" \\ 山田'
    req = engine.with_time(make_request(principal__roles=["staff", "manager"], principal__id=odd), NOW)
    call = to_cedar(req)
    assert call.request["principal"] == {"type": "User", "id": odd}
    assert call.request["context"]["time"] == {"hour": 10, "weekday": 2}
    assert '{"type": "Role", "id": "manager"}' in call.entities
    assert engine.decide(req).decision == "allow"  # an id that is not Cedar syntax still works


def test_role_hierarchy_from_entities() -> None:
    src = PolicySource(
        schema=shipped_schema(),
        files={"t.cedar": '@id("staff_read") permit (principal in Role::"staff", action == Action::"read", resource);'},
        entities='[{"uid": {"type": "Role", "id": "manager"}, "attrs": {}, "parents": [{"type": "Role", "id": "staff"}]}]',
    )
    eng = Engine(PreparedPolicy.compile(src), clock=lambda: NOW, new_id=ids())
    assert eng.decide(make_request(principal__roles=["manager"])).decision == "allow"
    assert eng.decide(make_request(principal__roles=["guest"])).decision == "deny"


def test_invalid_requests_are_rejected_by_the_model() -> None:
    for bad in ({"resource__confidentiality": 4}, {"context__network": "office"}, {"action": "fly"}):
        with pytest.raises(ValueError):
            make_request(**bad)


# ---------------------------------------------------------------- properties (default policy)

devices = st.fixed_dictionaries({
    "id": st.sampled_from(["pc-1", "pc-2"]),
    "managed": st.booleans(), "agency_furnished": st.booleans(), "edr_running": st.booleans(),
    "edr_healthy": st.booleans(), "os_patch_age_days": st.integers(0, 200), "disk_encrypted": st.booleans(),
})
requests = st.fixed_dictionaries({
    "principal": st.fixed_dictionaries({
        "id": st.sampled_from(["alice", "bob"]),
        "roles": st.lists(st.sampled_from(["staff", "manager", "auditor", "sysadmin", "contractor"]), max_size=2),
        "org_unit": st.sampled_from(["soumu", "jinji"]),
        "disabled": st.booleans(),
    }),
    "action": st.sampled_from(ACTIONS),
    "resource": st.fixed_dictionaries({
        "id": st.just("r"), "confidentiality": st.integers(1, 3), "integrity": st.integers(1, 2),
        "handling": st.lists(st.sampled_from(HANDLING_RESTRICTIONS), max_size=2, unique=True),
        "org_unit": st.sampled_from(["soumu", "jinji"]),
    }),
    "context": st.fixed_dictionaries({
        "network": st.sampled_from(NETWORKS),
        "authn": st.fixed_dictionaries({"mfa": st.booleans(), "phishing_resistant": st.booleans()}),
        "device": devices,
        "time": st.fixed_dictionaries({"hour": st.integers(0, 23), "weekday": st.integers(1, 7)}),
    }),
})

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(data=requests)
def test_step_up_is_lifted_by_the_requested_authentication(engine: Engine, data: dict[str, Any]) -> None:
    d = engine.decide(AccessRequest.model_validate(data))
    assert d.decision in ("allow", "deny", "step_up")
    if d.decision == "step_up":
        level = d.obligations["step_up"]
        data["context"]["authn"] = {"mfa": True, "phishing_resistant": level == "phishing_resistant"}
        again = engine.decide(AccessRequest.model_validate(data))
        assert again.decision in ("allow", "step_up")
        if again.decision == "step_up":  # only a stronger level can remain
            assert again.obligations["step_up"] == "phishing_resistant" and level == "mfa"


@_SETTINGS
@given(data=requests)
def test_worse_posture_never_helps(engine: Engine, data: dict[str, Any]) -> None:
    before = engine.decide(AccessRequest.model_validate(data)).decision
    data["context"]["device"].update(edr_healthy=False)
    after = engine.decide(AccessRequest.model_validate(data)).decision
    assert after == "deny"
    rank = {"deny": 0, "step_up": 1, "allow": 2}
    assert rank[after] <= rank[before]


# ---------------------------------------------------------------- the slotted result


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
_ID_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    pid=_ID_TEXT, unit=_TEXT.filter(lambda s: len(s) <= 256), roles=st.lists(_TEXT, max_size=3),
    handling=st.lists(st.sampled_from(HANDLING_RESTRICTIONS), max_size=3), session=st.none() | _ID_TEXT,
    device=_ID_TEXT, network=st.sampled_from(NETWORKS), bools=st.lists(st.booleans(), min_size=9, max_size=9),
    age=st.integers(0, 100_000), when=st.none() | st.tuples(st.integers(0, 23), st.integers(1, 7)),
)
def test_canonical_json_fast_is_byte_identical(pid: str, unit: str, roles: list[str], handling: list[str],
                                               session: str | None, device: str, network: str, bools: list[bool],
                                               age: int, when: tuple[int, int] | None) -> None:
    from kijun.access.model import RequestTime
    from kijun.access.verdict import FAST_CANONICAL, canonical_json_fast, canonical_json_reference

    assert FAST_CANONICAL
    request = AccessRequest.model_validate({
        "principal": {"id": pid, "roles": roles, "org_unit": unit, "disabled": bools[0]},
        "action": "read",
        "resource": {"id": pid, "confidentiality": 2, "handling": handling, "org_unit": unit},
        "context": {"network": network, "authn": {"mfa": bools[1], "phishing_resistant": bools[2]},
                    "device": {"id": device, "managed": bools[3], "agency_furnished": bools[4], "edr_running": bools[5],
                               "edr_healthy": bools[6], "os_patch_age_days": age, "disk_encrypted": bools[7]},
                    "time": {"hour": when[0], "weekday": when[1]} if when and bools[8] else None},
        "session_id": session,
    })
    assert canonical_json_fast(request) == canonical_json_reference(request)
    filled = RequestTime(hour=3, weekday=6)
    assert canonical_json_fast(request, filled) == canonical_json_reference(request, filled)


def test_verdict_matches_the_decision_model(engine: Engine) -> None:
    from kijun.access.model import Decision
    from kijun.access.verdict import Verdict

    verdict = engine.decide(make_request(context__network="telework"))
    assert isinstance(verdict, Verdict)
    decision = verdict.to_decision()
    assert decision == Decision.model_validate(decision.model_dump())  # a valid contract object
    assert verdict.model_dump(mode="json") == decision.model_dump(mode="json")
    assert verdict.model_dump_json() == decision.model_dump_json()
    assert (verdict.decision, verdict.obligations) == ("step_up", {"step_up": "mfa"})
    verdict.obligations["step_up"] = "tampered"  # a copy: the shared outcome is not changed
    assert engine.decide(make_request(context__network="telework")).obligations == {"step_up": "mfa"}
    assert verdict.evaluated_at == "2026-01-06T01:00:00Z" and verdict.request_hash.startswith("sha256:")
    with pytest.raises(AttributeError):
        verdict.extra = 1  # type: ignore[attr-defined]


def test_default_decision_ids_are_unique_per_engine(prepared: PreparedPolicy) -> None:
    a, b = Engine(prepared, clock=lambda: NOW), Engine(prepared, clock=lambda: NOW)
    ids_a = [a.decide(make_request()).decision_id for _ in range(100)]
    ids_b = [b.decide(make_request()).decision_id for _ in range(100)]
    assert len(set(ids_a + ids_b)) == 200
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids_a)
