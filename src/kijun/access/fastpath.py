"""Compiled fast path: the Cedar subset kijun generates, translated into Python source at load.

Cedar (via cedarpy) stays the reference evaluator. At bundle load the policy set's JSON form (EST)
is type-checked against kijun's shipped schema and translated into one Python function per action
(``exec`` of generated source: every literal is passed in as a named constant, never spliced into
the code, and attribute names come from the schema table below, so policy text cannot inject
code). A function reads the typed request's attributes directly (no request dump, no entity
objects) and returns a bit mask of the policies that match. If any policy leaves the subset,
``compile_fast`` returns None and the engine uses cedarpy for the whole set.

Why source generation rather than closures: one call with plain attribute loads and comparisons
costs about a tenth of a tree of nested closures, and the per-action split means a policy whose
action scope excludes the request is never looked at. Hard-deny forbids are tested first; when one
matches, the permits cannot change the outcome and are skipped.

Subset: scopes ``principal`` / ``principal in|== Entity``, ``action`` / ``action ==|in ...``,
``resource`` (any); conditions ``when``/``unless`` over literals, the four variables, attribute
access, ``== !=`` (same static type), ``< <= > >=`` (Long), ``&& || !``, ``in`` (entity or set of
entities, with the role hierarchy), ``.contains``/``.containsAny``/``.containsAll``, set literals.
Within a schema-validated policy set and a typed request these cannot raise a Cedar evaluation
error (no arithmetic, no optional attributes), which is why the subset stops there.
Differential tests (tests/access/test_fastpath*.py) hold it to cedarpy.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from .policy import PolicyInfo

Uid = tuple[str, str]
Matcher = Callable[[Any, Any, Any, Any, frozenset[str]], int]  # (principal, resource, context, time, roles)

# Attribute types of kijun's shipped schema (data/kijun.cedarschema); the fast path is only
# built for policy sets validated against exactly that schema.
SCHEMA_TYPES: dict[str, dict[str, str]] = {
    "User": {"org_unit": "String", "disabled": "Bool"},
    "Resource": {"confidentiality": "Long", "integrity": "Long", "availability": "Long",
                 "handling": "Set<String>", "org_unit": "String"},
    "Context": {"network": "String", "authn": "Authn", "device": "Device", "time": "Time"},
    "Authn": {"mfa": "Bool", "phishing_resistant": "Bool"},
    "Device": {"id": "String", "managed": "Bool", "agency_furnished": "Bool", "edr_running": "Bool",
               "edr_healthy": "Bool", "os_patch_age_days": "Long", "disk_encrypted": "Bool"},
    "Time": {"hour": "Long", "weekday": "Long"},
}
_PRIMITIVE = {"Bool": bool, "Long": int, "String": str}
_SHORTCUTS = {("Context", "device"): "D", ("Context", "authn"): "A", ("Context", "time"): "T"}


class Unsupported(Exception):
    """A construct outside the compiled subset (the caller falls back to cedarpy)."""


class Expr(NamedTuple):
    """Generated Python for one Cedar expression, its static type and, for literals, the value."""

    code: str
    type: str  # Bool Long String Set<..> User Resource Action Entity Context Authn Device Time
    const: Any = None  # literal value (entity uid, frozenset, primitive) when known at compile time
    known: bool = False


class _Gen:
    """Translates the EST of one policy for one action into a Python boolean expression."""

    def __init__(self, action: str, consts: dict[str, Any]) -> None:
        self.action = action
        self.consts = consts

    def const(self, value: Any) -> str:
        name = f"K{len(self.consts)}"
        self.consts[name] = value
        return name

    def literal(self, value: Any) -> Expr:
        if isinstance(value, dict) and "__entity" in value:
            ent = value["__entity"]
            uid = (str(ent["type"]), str(ent["id"]))
            return Expr(self.const(uid), "Entity", uid, True)
        for cedar_type, py_type in _PRIMITIVE.items():
            if type(value) is py_type:  # repr of a bool/int/str is an exact, inert Python literal
                return Expr(repr(value), cedar_type, value, True)
        raise Unsupported(f"literal {value!r}")

    def expr(self, node: Any) -> Expr:
        if not isinstance(node, dict) or len(node) != 1:
            raise Unsupported(f"node {node!r}")
        ((kind, body),) = node.items()
        if kind == "Value":
            return self.literal(body)
        if kind == "Var":
            return self.var(body)
        if kind == ".":
            return self.attr(self.expr(body["left"]), str(body["attr"]))
        if kind == "!":
            arg = self.boolean(body["arg"])
            return Expr(f"(not {arg.code})", "Bool")
        if kind == "Set":
            return self.set_literal([self.expr(item) for item in body])
        if kind in ("&&", "||"):
            left, right = self.boolean(body["left"]), self.boolean(body["right"])
            return Expr(f"({left.code} {'and' if kind == '&&' else 'or'} {right.code})", "Bool")
        if kind in ("==", "!="):
            left, right = self.expr(body["left"]), self.expr(body["right"])
            if kind == "!=" and left.type in _PRIMITIVE and left.type == right.type:
                return Expr(f"({left.code} != {right.code})", "Bool")
            eq = self.equals(left, right)
            return eq if kind == "==" else Expr(f"(not {eq.code})", "Bool")
        if kind in ("<", "<=", ">", ">="):
            left, right = self.expr(body["left"]), self.expr(body["right"])
            if left.type != "Long" or right.type != "Long":
                raise Unsupported(f"{kind} on {left.type}, {right.type}")
            return Expr(f"({left.code} {kind} {right.code})", "Bool")
        if kind == "in":
            return self.entity_in(self.expr(body["left"]), self.expr(body["right"]))
        if kind in ("contains", "containsAny", "containsAll"):
            return self.set_op(kind, self.expr(body["left"]), self.expr(body["right"]))
        raise Unsupported(f"expression kind {kind}")

    def boolean(self, node: Any) -> Expr:
        value = self.expr(node)
        if value.type != "Bool":
            raise Unsupported(f"not a boolean: {value.type}")
        return value

    def var(self, name: Any) -> Expr:
        if name == "principal":
            return Expr("P", "User")
        if name == "resource":
            return Expr("S", "Resource")
        if name == "context":
            return Expr("C", "Context")
        if name == "action":  # known per generated function: a constant
            uid = ("Action", self.action)
            return Expr(self.const(uid), "Entity", uid, True)
        raise Unsupported(f"variable {name}")

    def attr(self, obj: Expr, name: str) -> Expr:
        fields = SCHEMA_TYPES.get(obj.type)
        if fields is None or name not in fields:
            raise Unsupported(f"attribute {name} of {obj.type}")
        shortcut = _SHORTCUTS.get((obj.type, name))
        return Expr(shortcut or f"{obj.code}.{name}", fields[name])

    def set_literal(self, items: list[Expr]) -> Expr:
        if not all(item.known for item in items):
            raise Unsupported("set literal with non-literal elements")
        types = {item.type for item in items}
        if len(types) > 1:
            raise Unsupported("set literal of mixed types")
        elem = types.pop() if types else "Empty"
        value = frozenset(item.const for item in items)
        return Expr(self.const(value), f"Set<{elem}>", value, True)

    def uid_of(self, value: Expr) -> tuple[str, str] | None:
        """Static entity uid of a literal/action; None for the principal or resource variables."""
        if value.type == "Entity":
            return tuple(value.const) if value.known else None
        if value.type in ("User", "Resource"):
            return None
        raise Unsupported(f"not an entity: {value.type}")

    def entity_eq(self, var: Expr, uid: tuple[str, str]) -> str:
        if var.type != uid[0]:
            return "False"  # a User is never equal to an entity of another type
        return f"({var.code}.id == {self.const(uid[1])})"

    def equals(self, left: Expr, right: Expr) -> Expr:
        if left.type in _PRIMITIVE and left.type == right.type:
            return Expr(f"({left.code} == {right.code})", "Bool")
        if left.type.startswith("Set<") and right.type.startswith("Set<"):
            if left.type == "Set<Entity>" or right.type == "Set<Entity>":
                raise Unsupported("equality of entity sets")
            return Expr(f"(frozenset({left.code}) == frozenset({right.code}))", "Bool")
        if left.type in ("Entity", "User", "Resource") and right.type in ("Entity", "User", "Resource"):
            a, b = self.uid_of(left), self.uid_of(right)
            if a is not None and b is not None:
                return Expr("True" if a == b else "False", "Bool")
            if a is None and b is None:
                raise Unsupported("equality of two entity variables")
            var, uid = (left, b) if a is None else (right, a)
            assert uid is not None
            return Expr(self.entity_eq(var, uid), "Bool")
        raise Unsupported(f"== on {left.type}, {right.type}")

    def entity_in(self, left: Expr, right: Expr) -> Expr:
        """``left in right``: left equals one of the targets or has it as an ancestor."""
        if right.type == "Entity" and right.known:
            targets = [tuple(right.const)]
        elif right.type == "Set<Entity>":
            targets = sorted(right.const)
        elif right.type == "Set<Empty>":
            targets = []
        else:
            raise Unsupported(f"in with {right.type} on the right")
        uid = self.uid_of(left)
        if uid is not None:  # constant (the action): no action groups in the shipped schema
            return Expr("True" if uid in targets else "False", "Bool")
        parts: list[str] = []
        own = sorted(str(t[1]) for t in targets if t[0] == left.type)
        if own:
            parts.append(f"({left.code}.id in {self.const(frozenset(own))})")
        roles = sorted(str(t[1]) for t in targets if t[0] == "Role")
        if roles and left.type == "User":  # users are in roles (and roles in roles); resources in nothing
            parts.append(f"(not {self.const(frozenset(roles))}.isdisjoint(R))" if len(roles) > 1
                         else f"({self.const(roles[0])} in R)")
        return Expr("(" + " or ".join(parts) + ")" if parts else "False", "Bool")

    def set_op(self, kind: str, left: Expr, right: Expr) -> Expr:
        if not left.type.startswith("Set<"):
            raise Unsupported(f"{kind} on {left.type}")
        elem = left.type[4:-1]
        if kind == "contains" and left.known and right.known and elem in ("Entity", "Empty"):
            return Expr("True" if right.const in left.const else "False", "Bool")  # [...].contains(action)
        if kind == "contains":
            if right.type == elem or elem == "Empty":
                if right.type not in _PRIMITIVE:
                    raise Unsupported(f"contains of {right.type}")
                return Expr(f"({right.code} in {left.code})", "Bool") if elem != "Empty" else Expr("False", "Bool")
            raise Unsupported(f"contains {right.type} in {left.type}")
        if not right.type.startswith("Set<") or "Entity" in (elem, right.type[4:-1]):
            raise Unsupported(f"{kind} on {left.type}, {right.type}")
        if kind == "containsAny":
            return Expr(f"(not frozenset({left.code}).isdisjoint({right.code}))", "Bool")
        return Expr(f"frozenset({right.code}).issubset({left.code})", "Bool")

    def scope(self, var: str, scope: dict[str, Any]) -> str | None:
        """The principal scope as a condition (None: no constraint)."""
        op = scope.get("op")
        if op == "All":
            return None
        subject = self.var(var)
        if op == "==" and "entity" in scope:
            return self.equals(subject, self.literal({"__entity": scope["entity"]})).code
        if op == "in" and "entity" in scope:
            return self.entity_in(subject, self.literal({"__entity": scope["entity"]})).code
        raise Unsupported(f"{var} scope {scope!r}")


def _action_ids(scope: dict[str, Any]) -> frozenset[str] | None:
    op = scope.get("op")
    if op == "All":
        return None
    entities = [scope["entity"]] if "entity" in scope else scope.get("entities")
    if op not in ("==", "in") or not entities or any(e.get("type") != "Action" for e in entities):
        raise Unsupported(f"action scope {scope!r}")
    return frozenset(str(e["id"]) for e in entities)


def _condition(gen: _Gen, body: dict[str, Any]) -> str:
    """The whole policy (principal scope and conditions) as one Python boolean expression."""
    if body.get("resource", {}).get("op") != "All":
        raise Unsupported("resource scope")
    checks: list[str] = []
    principal = gen.scope("principal", body["principal"])
    if principal is not None:
        checks.append(principal)
    for cond in body.get("conditions", []):
        expr = gen.boolean(cond["body"])
        if cond["kind"] == "when":
            checks.append(expr.code)
        elif cond["kind"] == "unless":
            checks.append(f"(not {expr.code})")
        else:
            raise Unsupported(f"condition kind {cond['kind']}")
    return " and ".join(checks) if checks else "True"


def role_closure(entities_json: str) -> dict[Uid, frozenset[Uid]]:
    """Transitive parents of every entity in a Cedar entities document (the role hierarchy)."""
    parents: dict[Uid, set[Uid]] = {}
    for entity in json.loads(entities_json):
        uid = (str(entity["uid"]["type"]), str(entity["uid"]["id"]))
        parents[uid] = {(str(p["type"]), str(p["id"])) for p in entity.get("parents", [])}
    closure: dict[Uid, frozenset[Uid]] = {}

    def walk(uid: Uid, seen: frozenset[Uid]) -> frozenset[Uid]:
        if uid in closure:
            return closure[uid]
        result: set[Uid] = set()
        for parent in parents.get(uid, ()):
            if parent not in seen:
                result |= {parent} | walk(parent, seen | {parent})
        closure[uid] = frozenset(result)
        return closure[uid]

    for uid in parents:
        walk(uid, frozenset({uid}))
    return closure


@dataclass(frozen=True)
class FastPolicySet:
    """The generated decision procedure of one policy set (immutable; built once per bundle).

    ``matchers[action](principal, resource, context, time, roles)`` returns the bit mask of
    matching policies (bit i = ``policies[i]``, Cedar positional order) where ``roles`` is the
    principal's role ids with their ancestors (``roles_of``). When a hard-deny forbid matches,
    the mask holds only hard-deny forbids: the permits and step-up forbids cannot change that
    outcome and are not evaluated.
    """

    policies: tuple[PolicyInfo, ...]
    matchers: dict[str, Matcher]
    role_parents: dict[str, frozenset[str]]
    source: str  # the generated Python, for inspection and debugging

    def roles_of(self, roles: tuple[str, ...]) -> frozenset[str]:
        found: set[str] = set(roles)
        for role in roles:
            found |= self.role_parents.get(role, frozenset())
        return frozenset(found)

    def matching(self, request: Any, time: Any) -> list[PolicyInfo]:
        """The matching policies in Cedar order (the mask decoded; for tests and the benchmark)."""
        mask = self.matchers[request.action](request.principal, request.resource, request.context, time,
                                             self.roles_of(request.principal.roles))
        return [info for bit, info in enumerate(self.policies) if mask >> bit & 1]


def _generate(policies: list[tuple[PolicyInfo, frozenset[str] | None, dict[str, Any]]],
              actions: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    consts: dict[str, Any] = {}
    lines: list[str] = []
    order = {"deny": 0, "step_up": 1, "allow": 2}
    for action in actions:
        gen = _Gen(action, consts)
        tests = [(order[info.outcome], bit, _condition(gen, body))
                 for bit, (info, scope, body) in enumerate(policies) if scope is None or action in scope]
        lines.append(f"def match_{action}(P, S, C, T, R):")
        lines.append("    D = C.device; A = C.authn; m = 0")
        hard_done = False
        for rank, bit, code in sorted(tests, key=lambda t: (t[0], t[1])):
            if rank > 0 and not hard_done:
                if any(t[0] == 0 for t in tests):
                    lines.append("    if m: return m")
                hard_done = True
            if code != "False":
                lines.append(f"    if {code}: m |= {1 << bit}")
        lines.append("    return m")
    return "\n".join(lines) + "\n", consts


def compile_fast(
    est: dict[str, Any], infos: dict[str, PolicyInfo], entities_json: str, actions: tuple[str, ...]
) -> FastPolicySet | None:
    """Translate a whole policy set, or return None if any policy is outside the subset.

    Only call this for policy sets validated against kijun's shipped schema (no action groups,
    no optional attributes); the engine does so.
    """
    if est.get("templates"):
        return None
    try:
        ordered = sorted(est.get("staticPolicies", {}).items(), key=lambda kv: _order(kv[0]))
        policies = [(infos[pid], _action_ids(body["action"]), body) for pid, body in ordered]
        if any(not action.isidentifier() for action in actions):
            raise Unsupported("action names must be identifiers")
        source, consts = _generate(policies, actions)
        namespace: dict[str, Any] = dict(consts)
        exec(compile(source, "<kijun-fastpath>", "exec"), namespace)  # noqa: S102 - generated, literals as constants
        closure = role_closure(entities_json)
        role_parents = {uid[1]: frozenset(p[1] for p in parents if p[0] == "Role")
                        for uid, parents in closure.items() if uid[0] == "Role"}
        matchers = {action: namespace[f"match_{action}"] for action in actions}
        return FastPolicySet(tuple(info for info, _, _ in policies), matchers, role_parents, source)
    except (Unsupported, KeyError, TypeError, ValueError, AttributeError, SyntaxError, RecursionError, MemoryError):
        return None  # too deep for Python's parser, or an EST shape we do not know: Cedar decides


def _order(cedar_id: str) -> tuple[int, str]:
    digits = cedar_id.removeprefix("policy")
    return (int(digits), cedar_id) if digits.isdigit() else (1 << 30, cedar_id)


__all__ = ["Expr", "FastPolicySet", "Matcher", "SCHEMA_TYPES", "Unsupported", "compile_fast", "role_closure"]
