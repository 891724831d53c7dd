"""Compile once, evaluate many: the access decision engine on top of Cedar (cedarpy).

``PreparedPolicy.compile(source)`` validates the policy set against the schema and parses it once
into immutable cedarpy handles (two ``PolicySet`` s and a base ``Entities`` store) and, when the
policies stay in the subset kijun generates, into a compiled Python evaluator (``fastpath.py``).
``Engine.decide`` then only builds the per-request data and evaluates: with the compiled path by
default, or with Cedar (``fast=False``, or automatically for policies outside the subset), the
per-request user and resource entities added to the base store without rebuilding it.

Precedence (Cedar itself only answers allow/deny; forbid overrides permit, default deny):

1. Cedar allows                          -> ``allow`` (determining: the permits that matched)
2. Cedar denies and some matching forbid is a hard deny (``@outcome("deny")``)
                                          -> ``deny``  (determining: those hard forbids)
3. Cedar denies, every matching forbid is ``@outcome("step_up")``, and the same request is allowed
   by the policy set without the step-up forbids
                                          -> ``step_up`` (determining: the step-up forbids;
                                             obligation ``step_up`` = strongest level they ask for)
4. anything else (no permit matched)      -> ``deny`` (default deny, no determining policy)

Any Cedar evaluation error denies: Cedar skips a policy whose evaluation errors, which for a forbid
would fail open, so the engine refuses to trust such a result.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import partial
from typing import Any

import cedarpy

from .fastpath import FastPolicySet, compile_fast
from .model import ACTIONS, AccessRequest, RequestTime
from .policy import PolicyError, PolicyInfo, PolicySource, policy_infos, shipped_schema, validate_source
from .verdict import Issuer, Outcome, Verdict, request_digest

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]
JST = timezone(timedelta(hours=9), "JST")
_LEVEL_ORDER = {"mfa": 1, "phishing_resistant": 2}


system_clock: Clock = partial(datetime.now, UTC)  # one C call: the clock is read on every decision


def random_id() -> str:
    """A uuid4 hex id (about 3 µs; by default engines number their verdicts, see ``verdict.Verdict``)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class PreparedPolicy:
    """A validated policy set parsed into reusable cedarpy handles. Immutable; swap whole on reload."""

    revision: str
    source: PolicySource
    infos: dict[str, PolicyInfo]  # by Cedar positional id (policy0, ...)
    full: cedarpy.PolicySet
    without_step_up: cedarpy.PolicySet
    base_entities: cedarpy.Entities
    schema: cedarpy.Schema
    fast: FastPolicySet | None = None  # None: the set uses Cedar outside the compiled subset

    @classmethod
    def compile(cls, source: PolicySource) -> PreparedPolicy:
        problems = validate_source(source)
        if problems:
            raise PolicyError("; ".join(problems))
        text = source.cedar_text()
        infos = policy_infos(text)
        est = json.loads(cedarpy.policies_to_json_str(text))
        # The compiled fast path is only trusted with kijun's own schema (see fastpath.py).
        fast = compile_fast(est, infos, source.entities, ACTIONS) if source.schema == shipped_schema() else None
        est["staticPolicies"] = {
            pid: body for pid, body in est["staticPolicies"].items() if infos[pid].outcome != "step_up"
        }
        schema = cedarpy.Schema.from_str(source.schema)
        return cls(
            revision=source.revision or source.digest(),
            source=source,
            infos=infos,
            full=cedarpy.PolicySet.from_str(text),
            without_step_up=cedarpy.PolicySet.from_json_str(json.dumps(est)),
            base_entities=cedarpy.Entities.from_json_str(source.entities, schema),
            schema=schema,
            fast=fast,
        )

    def by_id(self, policy_id: str) -> PolicyInfo | None:
        for info in self.infos.values():
            if info.id == policy_id:
                return info
        return None


def canonical_request(request: AccessRequest) -> dict[str, Any]:
    return request.model_dump(mode="json")


def request_hash(request: AccessRequest) -> str:
    """SHA-256 of the canonical request JSON (what the decision log keeps instead of secrets)."""
    return request_digest(request)


@dataclass(frozen=True)
class CedarCall:
    """The Cedar request and per-request entity delta built from an :class:`AccessRequest`."""

    request: dict[str, Any]
    entities: str


def _cedar_from_data(data: dict[str, Any]) -> CedarCall:
    p, r, ctx = data["principal"], data["resource"], data["context"]
    user = {"type": "User", "id": p["id"]}
    res = {"type": "Resource", "id": r["id"]}
    delta = [
        {
            "uid": user,
            "attrs": {"org_unit": p["org_unit"], "disabled": p["disabled"]},
            "parents": [{"type": "Role", "id": role} for role in p["roles"]],
        },
        {
            "uid": res,
            "attrs": {
                "confidentiality": r["confidentiality"],
                "integrity": r["integrity"],
                "availability": r["availability"],
                "handling": list(r["handling"]),
                "org_unit": r["org_unit"],
            },
            "parents": [],
        },
    ]
    cedar_request = {
        "principal": user,
        "action": {"type": "Action", "id": data["action"]},
        "resource": res,
        "context": ctx,
    }
    return CedarCall(cedar_request, json.dumps(delta))


def to_cedar(request: AccessRequest) -> CedarCall:
    """Map the typed request onto the shipped schema (dict-form entity ids: no Cedar re-escaping).

    ``context.time`` must be set (see :meth:`Engine.with_time`).
    """
    data = request.model_dump()
    assert data["context"]["time"] is not None
    return _cedar_from_data(data)


class Engine:
    """Decides requests against one :class:`PreparedPolicy`. Clock and id source are injected.

    ``decide`` returns a slotted :class:`Verdict` (the attributes and ``model_dump`` /
    ``model_dump_json`` of the pydantic ``Decision``; ``to_decision()`` converts). Per engine
    (that is, per bundle) two bounded caches hold what repeats between requests: the principal's role set with
    its ancestors (keyed by the roles tuple) and the meaning of each set of matching policies.
    Neither depends on signals, which reach the engine as changed request attributes.
    """

    CACHE_LIMIT = 4096

    def __init__(
        self,
        prepared: PreparedPolicy,
        *,
        clock: Clock = system_clock,
        new_id: IdFactory | None = None,
        tz: tzinfo = JST,
        fast: bool = True,
    ) -> None:
        self.prepared = prepared
        self._fast = prepared.fast if fast else None
        self._clock = clock
        self._new_id = new_id
        self._sequence = itertools.count(1)
        self._tz = tz
        self._issuer = Issuer(prepared.revision)
        self._roles: dict[tuple[str, ...], frozenset[str]] = {}
        self._outcomes: dict[int, Outcome] = {}

    @property
    def revision(self) -> str:
        return self.prepared.revision

    @property
    def compiled(self) -> bool:
        """True when decisions use the compiled fast path rather than Cedar."""
        return self._fast is not None

    def local_time(self, now: datetime) -> RequestTime:
        local = now.astimezone(self._tz)
        return RequestTime.model_construct(hour=local.hour, weekday=local.isoweekday())

    def with_time(self, request: AccessRequest, now: datetime) -> AccessRequest:
        """Fill ``context.time`` from ``now`` in the agency time zone when the PEP did not send it."""
        if request.context.time is not None:
            return request
        when = self.local_time(now)
        return request.model_copy(update={"context": request.context.model_copy(update={"time": when})})

    def _authorize(self, call: CedarCall, entities: cedarpy.Entities, policies: cedarpy.PolicySet) -> Any:
        return cedarpy.is_authorized(call.request, policies, entities)

    def decide(self, request: AccessRequest) -> Verdict:
        """Decide one request (fail closed: any evaluation error is a deny)."""
        now = self._clock()
        when = request.context.time
        filled = None
        if when is None:
            filled = when = self.local_time(now)
        fast = self._fast
        try:
            if fast is not None:
                principal = request.principal
                roles = self._roles.get(principal.roles)
                if roles is None:
                    roles = self._remember_roles(fast, principal.roles)
                mask = fast.matchers[request.action](principal, request.resource, request.context, when, roles)
                outcome = self._outcomes.get(mask) or self._outcome_for(fast, mask)
            else:
                outcome = self._cedar_outcome(request, filled)
        except Exception as exc:  # noqa: BLE001 - fail closed on anything the evaluation raises
            outcome = Outcome("deny", (), (f"evaluation error: {exc}",), {})
        new_id = self._new_id
        return Verdict(outcome, now, self._issuer, new_id() if new_id else next(self._sequence), request, filled)

    def _remember_roles(self, fast: FastPolicySet, roles: tuple[str, ...]) -> frozenset[str]:
        if len(self._roles) >= self.CACHE_LIMIT:
            self._roles.clear()
        found = self._roles[roles] = fast.roles_of(roles)
        return found

    def _outcome_for(self, fast: FastPolicySet, mask: int) -> Outcome:
        matched = [info for bit, info in enumerate(fast.policies) if mask >> bit & 1]
        permits = [i for i in matched if i.effect == "permit"]
        forbids = [i for i in matched if i.effect == "forbid"]
        allowed = bool(permits) and not forbids
        outcome = _combine(allowed, permits if allowed else forbids, lambda: bool(permits))
        if len(self._outcomes) >= self.CACHE_LIMIT:
            self._outcomes.clear()
        self._outcomes[mask] = outcome
        return outcome

    def _cedar_outcome(self, request: AccessRequest, filled: RequestTime | None) -> Outcome:
        data = request.model_dump()
        if filled is not None:
            data["context"]["time"] = {"hour": filled.hour, "weekday": filled.weekday}
        call = _cedar_from_data(data)
        entities = self.prepared.base_entities.with_added_json_str(call.entities)
        result = self._authorize(call, entities, self.prepared.full)
        if result.diagnostics.errors:
            raise CedarEvaluationError("; ".join(result.diagnostics.errors))
        infos = [self.prepared.infos[pid] for pid in sorted(result.diagnostics.reasons, key=_position)]

        def allowed_without_step_up() -> bool:
            retry = self._authorize(call, entities, self.prepared.without_step_up)
            if retry.diagnostics.errors:
                raise CedarEvaluationError("; ".join(retry.diagnostics.errors))
            return bool(retry.allowed)

        return _combine(bool(result.allowed), infos, allowed_without_step_up)


class CedarEvaluationError(ValueError):
    """Cedar reported an error while evaluating a policy (the decision becomes deny)."""


def _combine(allowed: bool, infos: list[PolicyInfo], allowed_without_step_up: Callable[[], bool]) -> Outcome:
    """Apply kijun's precedence to Cedar's answer: deny > step_up > allow, default deny."""
    if allowed:
        return Outcome("allow", tuple(i.id for i in infos), tuple(_reason(i) for i in infos), {})
    hard = [i for i in infos if i.outcome == "deny"]
    if hard:
        return Outcome("deny", tuple(i.id for i in hard), tuple(_reason(i) for i in hard), {})
    if infos and allowed_without_step_up():  # only step-up forbids matched and a permit stands
        level = max((i.step_up or "mfa" for i in infos), key=lambda lv: _LEVEL_ORDER.get(lv, 0))
        return Outcome("step_up", tuple(i.id for i in infos), tuple(_reason(i) for i in infos), {"step_up": level})
    return Outcome("deny", (), ("no policy permits this request (default deny)",), {})


def _position(cedar_id: str) -> tuple[int, str]:
    digits = cedar_id.removeprefix("policy")
    return (int(digits), cedar_id) if digits.isdigit() else (1 << 30, cedar_id)


def _reason(info: PolicyInfo) -> str:
    return f"{info.id}: {info.description}" if info.description else info.id


def load_engine(source: PolicySource, **kwargs: Any) -> Engine:
    return Engine(PreparedPolicy.compile(source), **kwargs)


__all__ = [
    "JST",
    "CedarCall",
    "Clock",
    "Engine",
    "IdFactory",
    "Outcome",
    "Verdict",
    "PreparedPolicy",
    "canonical_request",
    "load_engine",
    "random_id",
    "request_hash",
    "system_clock",
    "to_cedar",
]
