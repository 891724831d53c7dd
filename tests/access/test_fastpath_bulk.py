"""Bulk differential test: ≥ 100,000 generated requests per run, compiled path vs cedarpy.

Hypothesis draws the *shape* of each batch (a seed, how often each posture flag is true, the
network mix, which hours and patch ages occur); a seeded generator then produces the batch cheaply.
Users and resources come from per-batch tables (attributes fixed per id), so one Cedar
``Entities`` store holds them all and Cedar decides each batch with ``is_authorized_batch``.
Kijun's precedence is applied to Cedar's raw answers (allow → the permits; deny with a hard
forbid → the hard forbids; only step-up forbids and allowed without them → step-up; else default
deny), and the decision, determining policy ids, reasons and step-up obligation must equal the
compiled engine's for every request.

KIJUN_ACCESS_BULK_N sets the total (default 100,000; at least that many are always checked).
Cedar costs ≈ 140 µs per request against ≈ 3 µs for the compiled path; KIJUN_ACCESS_BULK_WORKERS=N
splits the Cedar side of each batch over N spawned worker processes (cedarpy holds the GIL, so
threads would not help). The default is 1 (in-process): on a busy shared machine the workers only
add pickling and start-up cost.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

import cedarpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kijun.access.engine import Engine, PreparedPolicy, _cedar_from_data, _combine, _position
from kijun.access.model import ACTIONS, HANDLING_RESTRICTIONS, NETWORKS, AccessRequest
from kijun.access.policy import PolicyInfo, PolicySource, shipped_schema

from .conftest import NOW

TOTAL = max(100_000, int(os.environ.get("KIJUN_ACCESS_BULK_N", "100000")))
ROLES = ["staff", "manager", "auditor", "sysadmin", "contractor", "guest", "director"]
UNITS = ["soumu", "jinji", "joho", "総務課", 'q"uote\\unit']
HIERARCHY = json.dumps([
    {"uid": {"type": "Role", "id": "director"}, "attrs": {}, "parents": [{"type": "Role", "id": "manager"}]},
    {"uid": {"type": "Role", "id": "manager"}, "attrs": {}, "parents": [{"type": "Role", "id": "staff"}]},
])
HAND_WRITTEN = (
    '@id("p1") permit (principal in Role::"staff", action in [Action::"read", Action::"write"], resource)\n'
    'unless { context.network == "external" };\n'
    '@id("p2") permit (principal, action == Action::"share", resource)\n'
    'when { resource.handling.containsAny(["no_copy", "encryption_required"]) || [1, 2].contains(resource.integrity) };\n'
    '@id("p3") permit (principal == User::"u7", action, resource) when { resource.org_unit == principal.org_unit };\n'
    '@id("p4") permit (principal, action, resource) when { (principal in Role::"director" || principal == User::"u3") && '
    '[Action::"download", Action::"upload"].contains(action) && context.time.weekday <= 5 };\n'
    '@id("f1") @outcome("deny") forbid (principal, action, resource)\n'
    'when { principal in [Role::"contractor", Role::"guest"] && '
    '!(context.device.managed && context.device.agency_furnished) };\n'
    '@id("f2") @outcome("deny") forbid (principal, action, resource) when { principal.disabled || '
    'resource.handling.containsAll(["no_copy", "no_takeout"]) && context.device.id != "pc1" };\n'
    '@id("s1") @outcome("step_up") @step_up("mfa") forbid (principal, action, resource)\n'
    'unless { context.authn.mfa || resource.confidentiality < 2 };\n'
    '@id("s2") @outcome("step_up") @step_up("phishing_resistant") forbid (principal, action, resource)\n'
    'when { resource.confidentiality == 3 && !context.authn.phishing_resistant && context.time.hour >= 18 };\n'
)


def batch_profiles() -> st.SearchStrategy[dict[str, Any]]:
    """The distribution of one batch: hypothesis explores skewed and boundary-heavy mixes."""
    prob = st.floats(0.0, 1.0)
    return st.fixed_dictionaries({
        "seed": st.integers(0, 2**63),
        "flags": st.fixed_dictionaries(dict.fromkeys((
            "mfa", "phishing_resistant", "managed", "agency_furnished", "edr_running", "edr_healthy",
            "disk_encrypted", "disabled"), prob)),
        "networks": st.lists(st.sampled_from(NETWORKS), min_size=1, max_size=4),
        "hours": st.lists(st.integers(0, 23), min_size=1, max_size=5) | st.just(list(range(24))),
        "patch_ages": st.lists(st.sampled_from([0, 29, 30, 31, 89, 90, 91, 365, 100_000]), min_size=1, max_size=4),
    })


def _tables(rng: random.Random, flags: dict[str, float]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    users = [{"id": f"u{k}", "roles": rng.sample(ROLES, rng.randrange(4)), "org_unit": rng.choice(UNITS),
              "disabled": rng.random() < flags["disabled"] * 0.2} for k in range(300)]
    resources = [{"id": f"r{k}", "confidentiality": rng.randint(1, 3), "integrity": rng.randint(1, 2),
                  "availability": rng.randint(1, 2), "handling": rng.sample(HANDLING_RESTRICTIONS, rng.randrange(4)),
                  "org_unit": rng.choice(UNITS)} for k in range(1000)]
    return users, resources


def generate(profile: dict[str, Any], n: int) -> list[AccessRequest]:
    rng = random.Random(profile["seed"])
    flags = profile["flags"]
    users, resources = _tables(rng, flags)
    out = []
    for _ in range(n):
        out.append(AccessRequest.model_validate({
            "principal": rng.choice(users),
            "action": rng.choice(ACTIONS),
            "resource": rng.choice(resources),
            "context": {
                "network": rng.choice(profile["networks"]),
                "authn": {"mfa": rng.random() < flags["mfa"], "phishing_resistant": rng.random() < flags["phishing_resistant"]},
                "device": {"id": rng.choice(["pc1", "pc2", "unknown"]), "managed": rng.random() < flags["managed"],
                           "agency_furnished": rng.random() < flags["agency_furnished"],
                           "edr_running": rng.random() < flags["edr_running"],
                           "edr_healthy": rng.random() < flags["edr_healthy"],
                           "os_patch_age_days": rng.choice(profile["patch_ages"]),
                           "disk_encrypted": rng.random() < flags["disk_encrypted"]},
                "time": {"hour": rng.choice(profile["hours"]), "weekday": rng.randint(1, 7)},
            },
        }))
    return out


def cedar_decisions(prepared: PreparedPolicy, requests: list[AccessRequest]) -> list[tuple[Any, ...]]:
    """Cedar's answers for a batch, with kijun's precedence applied (the reference result)."""
    calls: list[dict[str, Any]] = []
    entities: dict[tuple[str, str], Any] = {}
    for req in requests:
        p, r = req.principal, req.resource
        calls.append({"principal": {"type": "User", "id": p.id}, "action": {"type": "Action", "id": req.action},
                      "resource": {"type": "Resource", "id": r.id}, "context": req.context.model_dump()})
        if ("User", p.id) not in entities or ("Resource", r.id) not in entities:
            call = _cedar_from_data(req.model_dump())  # the engine's own mapping, once per id
            assert call.request == calls[-1]
            for entity in json.loads(call.entities):
                key = (entity["uid"]["type"], entity["uid"]["id"])
                assert entities.setdefault(key, entity) == entity  # attributes are fixed per id
    store = prepared.base_entities.with_added_json_str(json.dumps(list(entities.values())))
    raw = cedarpy.is_authorized_batch(calls, prepared.full, store)
    out: list[tuple[Any, ...]] = []
    retry_at: dict[int, int] = {}
    pending: list[tuple[bool, list[PolicyInfo]]] = []
    for index, result in enumerate(raw):
        assert not result.diagnostics.errors, result.diagnostics.errors
        infos = [prepared.infos[pid] for pid in sorted(result.diagnostics.reasons, key=_position)]
        if not result.allowed and infos and all(i.outcome == "step_up" for i in infos):
            retry_at[index] = len(retry_at)
        pending.append((bool(result.allowed), infos))
    retried = cedarpy.is_authorized_batch([calls[i] for i in retry_at], prepared.without_step_up, store) if retry_at else []
    for index, (allowed, infos) in enumerate(pending):

        def second(i: int = index) -> bool:  # asked only for the indices in retry_at
            return bool(retried[retry_at[i]].allowed)

        o = _combine(allowed, infos, second)
        out.append((o.decision, o.determining_policies, o.reasons, dict(o.obligations)))
    return out


_PREPARED: dict[str, PreparedPolicy] = {}


def cedar_reference(source: PolicySource, requests: list[AccessRequest]) -> list[tuple[Any, ...]]:
    """Worker-process entry: compile the source once per process (cedarpy handles do not pickle)."""
    key = source.digest()
    if key not in _PREPARED:
        _PREPARED[key] = PreparedPolicy.compile(source)
    return cedar_decisions(_PREPARED[key], requests)


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor | None]:
    workers = min(int(os.environ.get("KIJUN_ACCESS_BULK_WORKERS", "1")), os.cpu_count() or 1)
    if workers < 2:
        yield None
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


def check(prepared: PreparedPolicy, requests: list[AccessRequest], pool: Executor | None = None) -> set[str]:
    engine = Engine(prepared, clock=lambda: NOW)
    assert engine.compiled
    if pool is None:
        expected = cedar_decisions(prepared, requests)
    else:
        size = -(-len(requests) // 8)
        chunks = [requests[i:i + size] for i in range(0, len(requests), size)]
        expected = [d for part in pool.map(cedar_reference, [prepared.source] * len(chunks), chunks) for d in part]
    outcomes: set[str] = set()
    for req, want in zip(requests, expected, strict=True):
        got = engine.decide(req)
        assert (got.decision, got.determining_policies, got.reasons, got.obligations) == want, req.model_dump_json()
        outcomes.add(got.decision)
    return outcomes


def _run(source: PolicySource, examples: int, per_example: int, pool: Executor | None) -> tuple[int, set[str]]:
    prepared = PreparedPolicy.compile(source)
    checked: list[int] = []
    seen: set[str] = set()

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(profile=batch_profiles())
    def batch(profile: dict[str, Any]) -> None:
        requests = generate(profile, per_example)
        seen.update(check(prepared, requests, pool))
        checked.append(len(requests))

    batch()
    return sum(checked), seen


def test_default_policy_on_generated_requests(prepared: PreparedPolicy, pool: Executor | None) -> None:
    source = PolicySource(shipped_schema(), prepared.source.files, revision="bulk")
    total, seen = _run(source, 10, (TOTAL * 4 // 5) // 10, pool)
    assert total >= TOTAL * 4 // 5
    assert seen == {"allow", "deny", "step_up"}


def test_hand_written_policy_with_role_hierarchy_on_generated_requests(pool: Executor | None) -> None:
    source = PolicySource(shipped_schema(), {"h.cedar": HAND_WRITTEN}, entities=HIERARCHY)
    assert PreparedPolicy.compile(source).fast is not None
    total, seen = _run(source, 5, (TOTAL - TOTAL * 4 // 5) // 5, pool)
    assert total >= TOTAL - TOTAL * 4 // 5
    assert seen == {"allow", "deny", "step_up"}
