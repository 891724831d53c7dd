"""Compiled fast path: the Cedar subset kijun generates, translated into Python closures at load.

Cedar (via cedarpy) stays the reference evaluator. At bundle load, the policy set's JSON form (EST)
is translated node by node into closures; if any policy uses something outside the subset below,
``compile_fast`` returns None and the engine keeps using cedarpy for the whole set. Differential
tests (tests/access/test_fastpath.py) check identical decisions and determining policies against
cedarpy on every golden case and on generated requests.

Subset: scopes ``principal`` / ``principal in|== Entity``, ``action`` / ``action ==|in ...``,
``resource`` (any); conditions ``when``/``unless`` over literals, ``principal``/``action``/
``resource``/``context`` variables, attribute access, ``== != < <= > >=``, ``&& || !``, ``in``
(entity or set of entities, with the role hierarchy), ``.contains``, ``.containsAny``, set literals.
Within a schema-validated policy set and a typed request these cannot raise a Cedar evaluation
error (no arithmetic, no optional attributes), which is why the subset stops there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .policy import PolicyInfo

Env = dict[str, Any]
Node = Callable[[Env], Any]


class Unsupported(Exception):
    """A construct outside the compiled subset (the caller falls back to cedarpy)."""


@dataclass(frozen=True)
class Ent:
    """An entity value: type, id, attributes and its ancestors (transitive ``in``)."""

    type: str
    id: str
    attrs: dict[str, Any]
    ancestors: frozenset[tuple[str, str]] = frozenset()

    @property
    def uid(self) -> tuple[str, str]:
        return (self.type, self.id)


def _uid(value: Any) -> tuple[str, str]:
    if isinstance(value, Ent):
        return value.uid
    if isinstance(value, tuple):
        return value
    raise Unsupported(f"not an entity: {value!r}")


def _key(value: Any) -> Any:
    """A hashable, type-tagged form of a Cedar value (so 1 and true never compare equal)."""
    if isinstance(value, Ent):
        return ("entity", value.uid)
    if isinstance(value, list):
        return ("set", frozenset(_key(v) for v in value))
    if isinstance(value, dict):
        return ("record", tuple(sorted((k, _key(v)) for k, v in value.items())))
    if isinstance(value, tuple):
        return ("entity", value)
    return (type(value).__name__, value)


def _eq(a: Any, b: Any) -> bool:
    if type(a) is type(b) and isinstance(a, str | int):  # the hot path: same-type primitives
        return bool(a == b)
    return bool(_key(a) == _key(b))


def _literal(value: Any) -> Any:
    if isinstance(value, dict) and "__entity" in value:
        ent = value["__entity"]
        return (str(ent["type"]), str(ent["id"]))
    if isinstance(value, bool | int | str):
        return value
    raise Unsupported(f"literal {value!r}")


def _in(left: Any, right: Any) -> bool:
    targets = {_uid(x) for x in right} if isinstance(right, list) else {_uid(right)}
    if _uid(left) in targets:
        return True
    ancestors = left.ancestors if isinstance(left, Ent) else frozenset()
    return not targets.isdisjoint(ancestors)


def _binary(op: str, left: Node, right: Node) -> Node:
    if op == "&&":
        return lambda env: bool(left(env)) and bool(right(env))
    if op == "||":
        return lambda env: bool(left(env)) or bool(right(env))
    if op == "==":
        return lambda env: _eq(left(env), right(env))
    if op == "!=":
        return lambda env: not _eq(left(env), right(env))
    if op == "<":
        return lambda env: bool(left(env) < right(env))
    if op == "<=":
        return lambda env: bool(left(env) <= right(env))
    if op == ">":
        return lambda env: bool(left(env) > right(env))
    if op == ">=":
        return lambda env: bool(left(env) >= right(env))
    if op == "in":
        return lambda env: _in(left(env), right(env))
    if op == "contains":
        return lambda env: any(_eq(item, right(env)) for item in left(env))
    if op == "containsAny":
        return lambda env: any(_eq(a, b) for a in left(env) for b in right(env))
    raise Unsupported(f"operator {op}")


def _attr(obj: Any, name: str) -> Any:
    if isinstance(obj, Ent):
        return obj.attrs[name]
    return obj[name]


def _chain(node: Any) -> tuple[str, list[str]] | None:
    """``context.device.managed`` -> ("context", ["device", "managed"]); None if not a plain chain."""
    path: list[str] = []
    while isinstance(node, dict) and "." in node:
        path.append(str(node["."]["attr"]))
        node = node["."]["left"]
    if isinstance(node, dict) and node.get("Var") in ("principal", "action", "resource", "context"):
        return str(node["Var"]), path[::-1]
    return None


def _compile_chain(var: str, path: list[str]) -> Node:
    if var == "context":
        if len(path) == 1:
            a = path[0]
            return lambda env: env["context"][a]
        if len(path) == 2:
            a, b = path
            return lambda env: env["context"][a][b]
    elif path:
        first, rest = path[0], path[1:]
        if not rest:
            return lambda env: env[var].attrs[first]
        if len(rest) == 1:
            b = rest[0]
            return lambda env: env[var].attrs[first][b]

    def walk(env: Env) -> Any:
        value = env[var]
        for name in path:
            value = _attr(value, name)
        return value

    return walk


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}


def _with_literal(op: str, left: Node, value: Any) -> Node | None:
    """Specialised closures for ``expr OP literal`` (the common case in generated rules)."""
    if isinstance(value, bool | int | str) and op in ("==", "!="):
        kind = type(value)
        if op == "==":
            return lambda env: (x := left(env)) == value and type(x) is kind
        return lambda env: not ((x := left(env)) == value and type(x) is kind)
    if isinstance(value, int) and not isinstance(value, bool) and op in _COMPARE:
        if op == "<":
            return lambda env: bool(left(env) < value)
        if op == "<=":
            return lambda env: bool(left(env) <= value)
        if op == ">":
            return lambda env: bool(left(env) > value)
        return lambda env: bool(left(env) >= value)
    if op == "contains" and isinstance(value, str):
        return lambda env: value in left(env)
    return None


def compile_expr(node: Any) -> Node:
    if not isinstance(node, dict) or len(node) != 1:
        raise Unsupported(f"node {node!r}")
    (kind, body), = node.items()
    if kind == "Value":
        value = _literal(body)
        return lambda env: value
    if kind == "Var":
        if body not in ("principal", "action", "resource", "context"):
            raise Unsupported(f"variable {body}")
        name = str(body)
        return lambda env: env[name]
    if kind == ".":
        chain = _chain(node)
        if chain is not None:
            return _compile_chain(*chain)
        inner, attr = compile_expr(body["left"]), str(body["attr"])
        return lambda env: _attr(inner(env), attr)
    if kind == "!":
        arg = compile_expr(body["arg"])
        return lambda env: not arg(env)
    if kind == "Set":
        items = [compile_expr(item) for item in body]
        return lambda env: [item(env) for item in items]
    if kind in ("&&", "||", "==", "!=", "<", "<=", ">", ">=", "in", "contains", "containsAny"):
        left = compile_expr(body["left"])
        right_node = body["right"]
        if isinstance(right_node, dict) and "Value" in right_node and not isinstance(right_node["Value"], dict):
            special = _with_literal(kind, left, _literal(right_node["Value"]))
            if special is not None:
                return special
        return _binary(kind, left, compile_expr(right_node))
    raise Unsupported(f"expression kind {kind}")


def _scope(var: str, scope: dict[str, Any]) -> Node:
    op = scope.get("op")
    if op == "All":
        return lambda env: True
    if op == "==" and "entity" in scope:
        uid = _literal({"__entity": scope["entity"]})
        return lambda env: _uid(env[var]) == uid
    if op == "in" and "entity" in scope:
        uid = _literal({"__entity": scope["entity"]})
        return lambda env: _in(env[var], uid)
    if op == "in" and "entities" in scope:
        uids = [_literal({"__entity": e}) for e in scope["entities"]]
        return lambda env: _in(env[var], uids)
    raise Unsupported(f"{var} scope {scope!r}")


@dataclass(frozen=True)
class FastPolicy:
    info: PolicyInfo
    actions: frozenset[str] | None  # None: any action
    matches: Node


def _negate(expr: Node) -> Node:
    return lambda env: not expr(env)


def _all(checks: list[Node]) -> Node:
    if not checks:
        return lambda env: True
    if len(checks) == 1:
        return checks[0]
    head, rest = checks[0], _all(checks[1:])
    return lambda env: bool(head(env)) and bool(rest(env))


def _action_ids(scope: dict[str, Any]) -> frozenset[str] | None:
    op = scope.get("op")
    if op == "All":
        return None
    entities = [scope["entity"]] if "entity" in scope else scope.get("entities")
    if op not in ("==", "in") or not entities or any(e.get("type") != "Action" for e in entities):
        raise Unsupported(f"action scope {scope!r}")
    return frozenset(str(e["id"]) for e in entities)


def _compile_policy(body: dict[str, Any], info: PolicyInfo) -> FastPolicy:
    if body.get("resource", {}).get("op") != "All":
        raise Unsupported("resource scope")
    checks: list[Node] = []
    if body["principal"].get("op") != "All":
        checks.append(_scope("principal", body["principal"]))
    for cond in body.get("conditions", []):
        expr = compile_expr(cond["body"])
        if cond["kind"] == "when":
            checks.append(expr)
        elif cond["kind"] == "unless":
            checks.append(_negate(expr))
        else:
            raise Unsupported(f"condition kind {cond['kind']}")
    return FastPolicy(info, _action_ids(body["action"]), _all(checks))


def role_closure(entities_json: str) -> dict[tuple[str, str], frozenset[tuple[str, str]]]:
    """Transitive parents of every entity in a Cedar entities document (the role hierarchy)."""
    parents: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for entity in json.loads(entities_json):
        uid = (str(entity["uid"]["type"]), str(entity["uid"]["id"]))
        parents[uid] = {(str(p["type"]), str(p["id"])) for p in entity.get("parents", [])}
    closure: dict[tuple[str, str], frozenset[tuple[str, str]]] = {}

    def walk(uid: tuple[str, str], seen: frozenset[tuple[str, str]]) -> frozenset[tuple[str, str]]:
        if uid in closure:
            return closure[uid]
        result: set[tuple[str, str]] = set()
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
    policies: tuple[FastPolicy, ...]  # in Cedar positional order
    roles: dict[tuple[str, str], frozenset[tuple[str, str]]]
    by_action: dict[str, tuple[FastPolicy, ...]]

    @classmethod
    def build(cls, policies: tuple[FastPolicy, ...], roles: dict[tuple[str, str], frozenset[tuple[str, str]]],
              actions: tuple[str, ...]) -> FastPolicySet:
        by_action = {a: tuple(p for p in policies if p.actions is None or a in p.actions) for a in actions}
        return cls(policies, roles, by_action)

    def env(self, data: dict[str, Any]) -> Env:
        """Evaluation environment from a (time-filled) request dump."""
        p, r = data["principal"], data["resource"]
        ancestors: set[tuple[str, str]] = set()
        for role in p["roles"]:
            uid = ("Role", role)
            ancestors.add(uid)
            ancestors |= self.roles.get(uid, frozenset())
        principal = Ent("User", p["id"], {"org_unit": p["org_unit"], "disabled": p["disabled"]}, frozenset(ancestors))
        attrs = {k: r[k] for k in ("confidentiality", "integrity", "availability", "org_unit")}
        attrs["handling"] = list(r["handling"])
        return {
            "principal": principal,
            "action": Ent("Action", data["action"], {}),
            "resource": Ent("Resource", r["id"], attrs),
            "context": data["context"],
        }

    def matching(self, data: dict[str, Any]) -> list[PolicyInfo]:
        env = self.env(data)
        candidates = self.by_action.get(data["action"])
        if candidates is None:
            candidates = tuple(p for p in self.policies if p.actions is None or data["action"] in p.actions)
        return [policy.info for policy in candidates if policy.matches(env)]


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
        policies = tuple(_compile_policy(body, infos[pid]) for pid, body in ordered)
        return FastPolicySet.build(policies, role_closure(entities_json), actions)
    except (Unsupported, KeyError, TypeError, ValueError):
        return None


def _order(cedar_id: str) -> tuple[int, str]:
    digits = cedar_id.removeprefix("policy")
    return (int(digits), cedar_id) if digits.isdigit() else (1 << 30, cedar_id)


__all__ = ["Ent", "FastPolicy", "FastPolicySet", "Unsupported", "compile_expr", "compile_fast", "role_closure"]
