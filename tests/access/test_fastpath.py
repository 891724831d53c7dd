"""Differential tests: the compiled fast path must decide exactly like Cedar (cedarpy).

Compared on every golden case, on seeded random requests against the default policy (full engine
pair, request hash included), and on hypothesis-generated rule sets (random conditions over the
whole vocabulary) with random requests; test_fastpath_bulk.py adds ≥ 100,000 generated requests
per run in Cedar batches. KIJUN_ACCESS_DIFF_N raises the number of seeded requests here
(default 2,000; the benchmark checks agreement on all of its requests too).
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kijun.access.engine import Engine, PreparedPolicy
from kijun.access.model import ACTIONS, HANDLING_RESTRICTIONS, NETWORKS, AccessRequest
from kijun.access.policy import PolicySource, compile_rules_text, shipped_schema
from kijun.access.rules import OPS_BY_TYPE, VOCABULARY

from .conftest import NOW, ids

CASES_DIR = Path(__file__).resolve().parents[1] / "cases" / "access"
ROLES = ["staff", "manager", "auditor", "sysadmin", "contractor"]
UNITS = ["soumu", "jinji", "joho"]


def _pair(prepared: PreparedPolicy) -> tuple[Engine, Engine]:
    assert prepared.fast is not None
    return (Engine(prepared, clock=lambda: NOW, new_id=ids(), fast=True),
            Engine(prepared, clock=lambda: NOW, new_id=ids(), fast=False))


def _same(fast: Engine, cedar: Engine, request: AccessRequest) -> None:
    a, b = fast.decide(request), cedar.decide(request)
    assert (a.decision, a.determining_policies, a.obligations, a.reasons) == (
        b.decision, b.determining_policies, b.obligations, b.reasons), request.model_dump_json()
    assert a.request_hash == b.request_hash


def random_request(rng: random.Random) -> dict[str, Any]:
    return {
        "principal": {"id": f"u{rng.randrange(50)}", "roles": rng.sample(ROLES, rng.randrange(3)),
                      "org_unit": rng.choice(UNITS), "disabled": rng.random() < 0.05},
        "action": rng.choice(ACTIONS),
        "resource": {"id": f"r{rng.randrange(50)}", "confidentiality": rng.randint(1, 3),
                     "integrity": rng.randint(1, 2), "availability": rng.randint(1, 2),
                     "handling": rng.sample(HANDLING_RESTRICTIONS, rng.randrange(3)), "org_unit": rng.choice(UNITS)},
        "context": {
            "network": rng.choice(NETWORKS),
            "authn": {"mfa": rng.random() < 0.6, "phishing_resistant": rng.random() < 0.3},
            "device": {"id": f"pc{rng.randrange(30)}", "managed": rng.random() < 0.8,
                       "agency_furnished": rng.random() < 0.7, "edr_running": rng.random() < 0.95,
                       "edr_healthy": rng.random() < 0.95, "os_patch_age_days": rng.choice([0, 5, 30, 31, 60, 91, 400]),
                       "disk_encrypted": rng.random() < 0.9},
            "time": {"hour": rng.randrange(24), "weekday": rng.randint(1, 7)},
        },
    }


def test_default_policy_is_compiled(prepared: PreparedPolicy) -> None:
    assert prepared.fast is not None and len(prepared.fast.policies) == len(prepared.infos)


def test_every_golden_case_agrees(prepared: PreparedPolicy) -> None:
    fast, cedar = _pair(prepared)
    count = 0
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text("utf-8"))["cases"]:
            _same(fast, cedar, AccessRequest.model_validate(case["request"]))
            count += 1
    assert count >= 40


def test_seeded_random_requests_agree(prepared: PreparedPolicy) -> None:
    fast, cedar = _pair(prepared)
    rng = random.Random(20260106)
    n = int(os.environ.get("KIJUN_ACCESS_DIFF_N", "2000"))
    outcomes: set[str] = set()
    for _ in range(n):
        request = AccessRequest.model_validate(random_request(rng))
        _same(fast, cedar, request)
        outcomes.add(fast.decide(request).decision)
    assert outcomes == {"allow", "deny", "step_up"}  # the sample exercises every outcome


def test_role_hierarchy_agrees() -> None:
    src = PolicySource(
        shipped_schema(),
        {"p.cedar": compile_rules_text("rules:\n  - {id: staff_read, outcome: allow, roles: [staff], actions: [read]}\n"
                                       "  - {id: not_guest, outcome: deny, when: ['principal.roles contains guest']}\n",
                                       "r.yaml")},
        entities='[{"uid": {"type": "Role", "id": "manager"}, "attrs": {}, "parents": [{"type": "Role", "id": "staff"}]},'
                 ' {"uid": {"type": "Role", "id": "director"}, "attrs": {}, "parents": [{"type": "Role", "id": "manager"}]}]',
    )
    fast, cedar = _pair(PreparedPolicy.compile(src))
    rng = random.Random(7)
    for roles in (["director"], ["manager"], ["guest", "director"], ["guest"], []):
        data = random_request(rng)
        data["principal"]["roles"], data["action"] = roles, "read"
        _same(fast, cedar, AccessRequest.model_validate(data))
    data["principal"]["roles"] = ["director"]
    assert fast.decide(AccessRequest.model_validate(data)).decision in ("allow", "deny", "step_up")


@pytest.mark.parametrize(
    "cedar",
    [
        '@id("a") permit (principal, action, resource) when { context.device.os_patch_age_days + 1 > 2 };',
        '@id("h") permit (principal, action, resource) when { resource has org_unit };',
        '@id("l") permit (principal, action, resource) when { resource.org_unit like "so*" };',
        '@id("i") permit (principal, action, resource) when { if context.authn.mfa then true else false };',
        '@id("r") permit (principal, action, resource is Resource);',
    ],
)
def test_outside_the_subset_falls_back_to_cedar(cedar: str) -> None:
    prepared = PreparedPolicy.compile(PolicySource(shipped_schema(), {"p.cedar": cedar}))
    assert prepared.fast is None
    assert Engine(prepared, clock=lambda: NOW).decide(
        AccessRequest.model_validate(random_request(random.Random(1)))).decision in ("allow", "deny")


def test_custom_schema_uses_cedar() -> None:
    schema = shipped_schema().replace("entity Role in [Role];", "entity Role in [Role];\nentity Extra;")
    prepared = PreparedPolicy.compile(PolicySource(schema, {"p.cedar": '@id("a") permit (principal, action, resource);'}))
    assert prepared.fast is None


# ---------------------------------------------------------------- random rule sets


def _literal_for(attr: str, rng: random.Random) -> Any:
    spec = VOCABULARY[attr]
    if spec.type == "bool":
        return rng.random() < 0.5
    if spec.type == "int":
        return rng.choice(list(spec.values) or [0, 5, 30, 31, 90, 91])
    if spec.type == "roles":
        return rng.choice(ROLES)
    if spec.values:
        return rng.choice(list(spec.values))
    return rng.choice(UNITS)


def random_condition(rng: random.Random, depth: int = 0) -> Any:
    if depth < 2 and rng.random() < 0.15:
        return {"any": [random_condition(rng, depth + 1) for _ in range(rng.randint(1, 3))]}
    if depth < 2 and rng.random() < 0.1:
        return {"not": random_condition(rng, depth + 1)}
    attr = rng.choice(sorted(VOCABULARY))
    op = rng.choice(OPS_BY_TYPE[VOCABULARY[attr].type])
    if attr in ("principal.org_unit", "resource.org_unit") and op in ("==", "!=") and rng.random() < 0.5:
        other = "resource.org_unit" if attr == "principal.org_unit" else "principal.org_unit"
        return {"attr": attr, "op": op, "ref": other}
    if op in ("in", "not_in", "contains_any"):
        value: Any = sorted({_literal_for(attr, rng) for _ in range(rng.randint(1, 3))}, key=str)
    else:
        value = _literal_for(attr, rng)
    return {"attr": attr, "op": op, "value": value}


def random_rules(seed: int) -> str:
    rng = random.Random(seed)
    rules = []
    for index in range(rng.randint(2, 7)):
        outcome = rng.choice(["allow", "allow", "deny", "step_up"])
        rule: dict[str, Any] = {"id": f"r{index}", "outcome": outcome,
                                "when": [random_condition(rng) for _ in range(rng.randint(0, 3))]}
        if outcome == "step_up":
            rule["step_up_to"] = rng.choice(["mfa", "phishing_resistant"])
        if rng.random() < 0.5:
            rule["roles"] = rng.sample(ROLES, rng.randint(1, 2))
        if rng.random() < 0.5:
            rule["actions"] = rng.sample(list(ACTIONS), rng.randint(1, 3))
        rules.append(rule)
    return yaml.safe_dump({"rules": rules})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_random_rule_sets_agree(seed: int) -> None:
    src = PolicySource(shipped_schema(), {"r.cedar": compile_rules_text(random_rules(seed), "random.yaml")})
    fast, cedar = _pair(PreparedPolicy.compile(src))
    rng = random.Random(seed)
    for _ in range(40):
        _same(fast, cedar, AccessRequest.model_validate(random_request(rng)))


def test_hand_written_subset_agrees() -> None:
    cedar = (
        '@id("p1") permit (principal in Role::"staff", action in [Action::"read", Action::"write"], resource)\n'
        'unless { context.network == "external" };\n'
        '@id("p2") permit (principal, action == Action::"share", resource)\n'
        'when { resource.handling.containsAny(["no_copy", "encryption_required"]) || [1, 2].contains(resource.integrity) };\n'
        '@id("f1") @outcome("deny") forbid (principal, action, resource)\n'
        'when { principal in [Role::"contractor", Role::"guest"] && '
        '!(context.device.managed && context.device.agency_furnished) };\n'
        '@id("f2") @outcome("deny") forbid (principal == User::"u7", action, resource);\n'
        '@id("s1") @outcome("step_up") @step_up("mfa") forbid (principal, action, resource)\n'
        'unless { context.authn.mfa || resource.confidentiality < 2 };\n'
    )
    prepared = PreparedPolicy.compile(PolicySource(shipped_schema(), {"h.cedar": cedar}))
    fast, cedar_engine = _pair(prepared)
    rng = random.Random(99)
    for _ in range(1500):
        data = random_request(rng)
        data["principal"]["roles"] = rng.sample([*ROLES, "guest"], rng.randrange(3))
        _same(fast, cedar_engine, AccessRequest.model_validate(data))


# ---------------------------------------------------------------- the generated code itself


def test_generated_source_has_no_policy_text_and_checks_hard_denies_first(prepared: PreparedPolicy) -> None:
    assert prepared.fast is not None
    source = prepared.fast.source
    assert "def match_read(P, S, C, T, R):" in source and "if m: return m" in source
    read = source.split("def match_read")[1].split("def ")[0]
    lines = [line.strip() for line in read.splitlines()]
    early = lines.index("if m: return m")
    assert all("not D.edr_running" not in line for line in lines[early:])  # hard forbids come first
    assert "description" not in source and "allow_staff" not in source


def test_hostile_string_literals_stay_data() -> None:
    hostile = 'x"); import os; os.system("echo pwned"); ("'
    cedar = (
        f'@id("a") permit (principal, action, resource) when {{ principal.org_unit == "{hostile.replace(chr(34), chr(92) + chr(34))}" }};\n'
        '@id("b") permit (principal, action, resource) when { resource.org_unit == "\\n\\u{0}" };\n'
        '@id("c") forbid (principal, action, resource) when { context.device.id == "pc\\u{a}1" };\n'
    )
    prepared = PreparedPolicy.compile(PolicySource(shipped_schema(), {"h.cedar": cedar}))
    assert prepared.fast is not None and "os.system" not in prepared.fast.source.replace(repr(hostile), "")
    fast, cedar_engine = _pair(prepared)
    for unit in (hostile, "\\n\x00", "soumu"):
        data = random_request(random.Random(3))
        data["principal"]["org_unit"] = data["resource"]["org_unit"] = unit
        _same(fast, cedar_engine, AccessRequest.model_validate(data))
    data["principal"]["org_unit"] = hostile
    assert fast.decide(AccessRequest.model_validate(data)).determining_policies[:1] in (("a",), ())


def test_evaluation_error_fails_closed(prepared: PreparedPolicy, monkeypatch: pytest.MonkeyPatch) -> None:
    assert prepared.fast is not None
    engine = Engine(prepared, clock=lambda: NOW, new_id=ids())

    def broken(*_: object) -> int:
        raise AttributeError("no such attribute")

    monkeypatch.setitem(prepared.fast.matchers, "read", broken)
    verdict = engine.decide(AccessRequest.model_validate(random_request(random.Random(5)) | {"action": "read"}))
    assert verdict.decision == "deny" and verdict.determining_policies == ()
    assert verdict.reasons == ("evaluation error: no such attribute",)


def test_caches_are_bounded_and_stay_correct(prepared: PreparedPolicy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Engine, "CACHE_LIMIT", 8)
    fast, cedar = _pair(prepared)
    rng = random.Random(11)
    for k in range(60):
        data = random_request(rng)
        data["principal"]["roles"] = [f"x{k}", *rng.sample(ROLES, rng.randrange(3))]
        _same(fast, cedar, AccessRequest.model_validate(data))
    assert len(fast._roles) <= 8 and len(fast._outcomes) <= 8


def test_time_from_the_clock_when_the_pep_sends_none(prepared: PreparedPolicy) -> None:
    fast, cedar = _pair(prepared)
    data = random_request(random.Random(8))
    del data["context"]["time"]
    request = AccessRequest.model_validate(data)
    _same(fast, cedar, request)  # NOW is 10:00 JST on a Tuesday; the hash covers the filled time
    with_time = AccessRequest.model_validate(data | {"context": data["context"] | {"time": {"hour": 10, "weekday": 2}}})
    assert fast.decide(request).request_hash == fast.decide(with_time).request_hash


def test_deeply_nested_condition_agrees() -> None:
    cond = "context.authn.mfa || resource.confidentiality == 1"
    for level in range(30):  # Cedar's own JSON round trip stops a little deeper than this
        cond = f"!({cond})" if level % 2 else f"({cond}) && !principal.disabled"
    prepared = PreparedPolicy.compile(PolicySource(shipped_schema(), {
        "d.cedar": f'@id("deep") permit (principal, action, resource) when {{ {cond} }};'}))
    fast, cedar = _pair(prepared)  # asserts the compiled path exists
    rng = random.Random(21)
    for _ in range(200):
        _same(fast, cedar, AccessRequest.model_validate(random_request(rng)))
