"""Readable access rules (what the agency states in the UI) and their translation to Cedar.

A rule is: optional roles and actions it applies to, a list of conditions over a fixed vocabulary
of attributes (all must hold), and an outcome:

* ``allow``   -> ``permit``
* ``deny``    -> ``forbid`` annotated ``@outcome("deny")``
* ``step_up`` -> ``forbid`` annotated ``@outcome("step_up") @step_up("mfa"|"phishing_resistant")``

Conditions are written either as a short string ``"resource.confidentiality >= 2"`` or as a mapping
``{attr: ..., op: ..., value: ...}``; a value may name another attribute
(``"resource.org_unit == principal.org_unit"``). ``{any: [...]}`` and ``{not: ...}`` group them.
Every generated policy carries ``@id`` (the rule id) so decisions name the rule that decided.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .model import ACTIONS, HANDLING_RESTRICTIONS, NETWORKS

AttrType = Literal["bool", "int", "str", "set", "roles"]


@dataclass(frozen=True)
class Attribute:
    """One readable attribute: its Cedar expression, type and allowed values."""

    cedar: str
    type: AttrType
    values: tuple[Any, ...] = ()


VOCABULARY: dict[str, Attribute] = {
    "principal.roles": Attribute("principal", "roles"),
    "principal.org_unit": Attribute("principal.org_unit", "str"),
    "principal.disabled": Attribute("principal.disabled", "bool"),
    "authn.mfa": Attribute("context.authn.mfa", "bool"),
    "authn.phishing_resistant": Attribute("context.authn.phishing_resistant", "bool"),
    "device.managed": Attribute("context.device.managed", "bool"),
    "device.agency_furnished": Attribute("context.device.agency_furnished", "bool"),
    "device.edr_running": Attribute("context.device.edr_running", "bool"),
    "device.edr_healthy": Attribute("context.device.edr_healthy", "bool"),
    "device.os_patch_age_days": Attribute("context.device.os_patch_age_days", "int"),
    "device.disk_encrypted": Attribute("context.device.disk_encrypted", "bool"),
    "network": Attribute("context.network", "str", NETWORKS),
    "time.hour": Attribute("context.time.hour", "int", tuple(range(24))),
    "time.weekday": Attribute("context.time.weekday", "int", tuple(range(1, 8))),
    "resource.confidentiality": Attribute("resource.confidentiality", "int", (1, 2, 3)),
    "resource.integrity": Attribute("resource.integrity", "int", (1, 2)),
    "resource.availability": Attribute("resource.availability", "int", (1, 2)),
    "resource.handling": Attribute("resource.handling", "set", HANDLING_RESTRICTIONS),
    "resource.org_unit": Attribute("resource.org_unit", "str"),
    "action": Attribute("action", "str", ACTIONS),
}

OPS_BY_TYPE: dict[AttrType, tuple[str, ...]] = {
    "bool": ("==", "!="),
    "int": ("==", "!=", "<", "<=", ">", ">=", "in", "not_in"),
    "str": ("==", "!=", "in", "not_in"),
    "set": ("contains", "not_contains", "contains_any"),
    "roles": ("contains", "not_contains", "contains_any"),
}
_SHORT = re.compile(r"^\s*([a-z_.]+)\s+(==|!=|<=|>=|<|>|in|not_in|contains_any|contains|not_contains)\s+(.+?)\s*$")
_RULE_ID = r"^[A-Za-z][A-Za-z0-9_.-]{0,79}$"
_NAME = re.compile(r"^[^\x00-\x1f\x7f\"\\]{1,256}$")


class RuleError(ValueError):
    """A rule file or rule that cannot be turned into Cedar; the message names the place."""


class Comparison(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    attr: str
    op: str
    value: Any = None
    ref: str | None = None  # another attribute instead of a literal value

    @model_validator(mode="after")
    def _check(self) -> Comparison:
        spec = VOCABULARY.get(self.attr)
        if spec is None:
            raise ValueError(f"unknown attribute {self.attr!r}; known: {', '.join(sorted(VOCABULARY))}")
        if self.op not in OPS_BY_TYPE[spec.type]:
            raise ValueError(f"operator {self.op!r} does not apply to {self.attr} ({spec.type})")
        if self.ref is not None:
            other = VOCABULARY.get(self.ref)
            if other is None or other.type != spec.type or spec.type not in ("str", "int"):
                raise ValueError(f"{self.attr} cannot be compared with attribute {self.ref!r}")
            if self.op in ("in", "not_in"):
                raise ValueError("an attribute reference needs ==, !=, <, <=, > or >=")
            return self
        values = self.value if isinstance(self.value, list) else [self.value]
        if self.op in ("in", "not_in", "contains_any") and not isinstance(self.value, list):
            raise ValueError(f"operator {self.op} needs a list value")
        for item in values:
            _check_literal(self.attr, spec, item)
        return self


def _check_literal(attr: str, spec: Attribute, item: Any) -> None:
    kind = spec.type
    if kind == "bool" and not isinstance(item, bool):
        raise ValueError(f"{attr} takes true or false, not {item!r}")
    if kind == "int" and (isinstance(item, bool) or not isinstance(item, int)):
        raise ValueError(f"{attr} takes a whole number, not {item!r}")
    if kind in ("str", "set", "roles") and (not isinstance(item, str) or not _NAME.match(item)):
        raise ValueError(f"{attr} takes a plain text value, not {item!r}")
    if spec.values and kind != "int" and item not in spec.values:
        raise ValueError(f"{attr} value {item!r} is not one of {', '.join(map(str, spec.values))}")


class AnyOf(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    any: list[Condition] = Field(min_length=1)


class Not(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    not_: Condition = Field(alias="not")


Condition = Comparison | AnyOf | Not
AnyOf.model_rebuild()
Not.model_rebuild()


def _parse_condition(raw: Any) -> Any:
    """Turn the short string form into the mapping form; mappings pass through (recursively)."""
    if isinstance(raw, str):
        match = _SHORT.match(raw)
        if not match:
            raise ValueError(f"cannot read condition {raw!r}; write e.g. 'resource.confidentiality >= 2'")
        attr, op, text = match.groups()
        if text in VOCABULARY:
            return {"attr": attr, "op": op, "ref": text}
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"cannot read value {text!r} in {raw!r}") from exc
        return {"attr": attr, "op": op, "value": value}
    if isinstance(raw, dict) and "any" in raw and isinstance(raw["any"], list):
        return {"any": [_parse_condition(item) for item in raw["any"]]}
    if isinstance(raw, dict) and "not" in raw:
        return {"not": _parse_condition(raw["not"])}
    return raw


class Rule(BaseModel):
    """One agency rule. ``roles``/``actions`` empty means any; ``when`` conditions are ANDed."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=_RULE_ID)
    outcome: Literal["allow", "deny", "step_up"]
    description: str = Field(default="", max_length=500)
    references: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    actions: tuple[Literal["read", "write", "download", "upload", "delete", "share", "admin"], ...] = ()
    when: tuple[Condition, ...] = ()
    step_up_to: Literal["mfa", "phishing_resistant"] | None = None

    @field_validator("when", mode="before")
    @classmethod
    def _short_forms(cls, raw: Any) -> Any:
        if isinstance(raw, list):
            return [_parse_condition(item) for item in raw]
        return raw

    @field_validator("roles")
    @classmethod
    def _role_names(cls, roles: tuple[str, ...]) -> tuple[str, ...]:
        for role in roles:
            if not _NAME.match(role):
                raise ValueError(f"bad role name {role!r}")
        return roles

    @field_validator("description")
    @classmethod
    def _printable(cls, text: str) -> str:
        if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text):
            raise ValueError("description contains control characters")
        return text

    @model_validator(mode="after")
    def _step_up_level(self) -> Rule:
        if self.outcome == "step_up" and self.step_up_to is None:
            raise ValueError("a step_up rule needs step_up_to: mfa or phishing_resistant")
        if self.outcome != "step_up" and self.step_up_to is not None:
            raise ValueError("step_up_to applies only to step_up rules")
        return self


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> RuleSet:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
        return self


def load_rules(text: str, origin: str = "<rules>") -> RuleSet:
    """Parse a rules YAML document (``rules: [...]``); errors name the file and the rule field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or "rules" not in data:
        raise RuleError(f"{origin}: expected a mapping with a 'rules' list")
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RuleError(f"{origin}: {where}: {first['msg']}") from exc


def cedar_string(text: str) -> str:
    """A Cedar string literal (quotes, backslashes and newlines escaped)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return cedar_string(str(value))


_CEDAR_OPS = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _roles_expr(roles: list[str]) -> str:
    if len(roles) == 1:
        return f"principal in Role::{cedar_string(roles[0])}"
    return "principal in [" + ", ".join(f"Role::{cedar_string(r)}" for r in roles) + "]"


def _comparison(cond: Comparison) -> str:
    spec = VOCABULARY[cond.attr]
    lhs = spec.cedar
    if cond.ref is not None:
        return f"{lhs} {_CEDAR_OPS[cond.op]} {VOCABULARY[cond.ref].cedar}"
    if spec.type == "roles":
        roles = cond.value if isinstance(cond.value, list) else [cond.value]
        expr = _roles_expr(roles)
        return f"!({expr})" if cond.op == "not_contains" else expr
    if cond.attr == "action":
        values = cond.value if isinstance(cond.value, list) else [cond.value]
        if cond.op in ("in", "not_in"):
            expr = "action in [" + ", ".join(f"Action::{cedar_string(v)}" for v in values) + "]"
            return f"!({expr})" if cond.op == "not_in" else expr
        return f"action {cond.op} Action::{cedar_string(values[0])}"
    if spec.type == "bool":
        truth = bool(cond.value) if cond.op == "==" else not cond.value
        return lhs if truth else f"!{lhs}"
    if spec.type == "set":
        if cond.op == "contains_any":
            return f"{lhs}.containsAny([{', '.join(_literal(v) for v in cond.value)}])"
        expr = f"{lhs}.contains({_literal(cond.value)})"
        return f"!{expr}" if cond.op == "not_contains" else expr
    if cond.op in ("in", "not_in"):
        expr = f"[{', '.join(_literal(v) for v in cond.value)}].contains({lhs})"
        return f"!{expr}" if cond.op == "not_in" else expr
    return f"{lhs} {_CEDAR_OPS[cond.op]} {_literal(cond.value)}"


def condition_to_cedar(cond: Condition) -> str:
    if isinstance(cond, Comparison):
        return _comparison(cond)
    if isinstance(cond, AnyOf):
        return "(" + " || ".join(condition_to_cedar(c) for c in cond.any) + ")"
    return f"!({condition_to_cedar(cond.not_)})"


def rule_to_cedar(rule: Rule) -> str:
    """One rule as one Cedar policy with @id/@outcome (and @step_up, @description) annotations."""
    lines = [f"@id({cedar_string(rule.id)})", f"@outcome({cedar_string(rule.outcome)})"]
    if rule.step_up_to:
        lines.append(f"@step_up({cedar_string(rule.step_up_to)})")
    if rule.description:
        lines.append(f"@description({cedar_string(rule.description)})")
    if rule.references:
        lines.append(f"@references({cedar_string(', '.join(rule.references))})")
    effect = "permit" if rule.outcome == "allow" else "forbid"
    principal = "principal"
    conditions: list[str] = []
    if len(rule.roles) == 1:
        principal = f"principal in Role::{cedar_string(rule.roles[0])}"
    elif rule.roles:
        conditions.append(_roles_expr(list(rule.roles)))
    action = "action"
    if len(rule.actions) == 1:
        action = f"action == Action::{cedar_string(rule.actions[0])}"
    elif rule.actions:
        action = "action in [" + ", ".join(f"Action::{cedar_string(a)}" for a in rule.actions) + "]"
    conditions.extend(condition_to_cedar(c) for c in rule.when)
    head = f"{effect} ({principal}, {action}, resource)"
    if conditions:
        body = " &&\n  ".join(conditions)
        return "\n".join(lines) + f"\n{head}\nwhen {{\n  {body}\n}};\n"
    return "\n".join(lines) + f"\n{head};\n"


def ruleset_to_cedar(ruleset: RuleSet, origin: str = "") -> str:
    header = f"// Generated by kijun from {origin}. Edit the rules, not this file.\n" if origin else ""
    return header + "\n".join(rule_to_cedar(rule) for rule in ruleset.rules)


__all__ = [
    "VOCABULARY",
    "AnyOf",
    "Attribute",
    "Comparison",
    "Condition",
    "Not",
    "Rule",
    "RuleError",
    "RuleSet",
    "cedar_string",
    "condition_to_cedar",
    "load_rules",
    "rule_to_cedar",
    "ruleset_to_cedar",
]

