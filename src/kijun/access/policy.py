"""Policy sources: a policy directory (or bundle contents) -> validated Cedar text + schema.

A policy directory holds any of:

* ``*.cedar``              hand-written Cedar (every policy needs a unique ``@id``);
* ``*.rules.yaml`` / ``rules.yaml``  readable rules, compiled to Cedar here;
* ``schema.cedarschema``   optional; the shipped kijun schema is used when absent;
* ``entities.json``        optional Cedar entities (only ``Role`` entities: the role hierarchy);
* ``routes.yaml``          optional URL-prefix -> resource map used by the nginx/Envoy endpoints.

Validation runs every policy through Cedar's validator against the schema; errors name the file
and the policy @id.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import cedarpy

from .rules import RuleError, load_rules, ruleset_to_cedar

OUTCOME_ANNOTATION = "outcome"
STEP_UP_ANNOTATION = "step_up"
MAX_POLICY_FILE_BYTES = 4 * 1024 * 1024
MAX_NESTING = 64
"""Deepest bracket nesting (``( [ {``) accepted in Cedar text, and most ``if`` in one policy.
cedarpy's recursive-descent parser overflows the native stack (a segfault that kills the worker
process, not an exception) at about 1,000 nested brackets or 10,000 nested ``if``; real policies
and schemas stay far below these limits."""
MAX_IFS_PER_POLICY = 256


class PolicyError(ValueError):
    """A policy set that cannot be loaded or does not validate; the message says where."""


def shipped_schema() -> str:
    return resources.files("kijun.access").joinpath("data/kijun.cedarschema").read_text("utf-8")


def shipped_default_rules() -> str:
    return resources.files("kijun.access").joinpath("data/default_rules.yaml").read_text("utf-8")


@dataclass(frozen=True)
class PolicySource:
    """Everything a PDP needs, as text. ``files`` maps a file name to its Cedar text."""

    schema: str
    files: dict[str, str]
    entities: str = "[]"
    routes: str = ""
    revision: str = ""
    sources: dict[str, str] = field(default_factory=dict)  # original rule YAML, for display/bundles

    def cedar_text(self) -> str:
        return "\n".join(self.files[name] for name in sorted(self.files))

    def digest(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode() + b"\0" + self.files[name].encode() + b"\0")
        for part in (self.schema, self.entities, self.routes):
            h.update(part.encode() + b"\0")
        return "sha256:" + h.hexdigest()[:16]


def _read(path: Path) -> str:
    if path.stat().st_size > MAX_POLICY_FILE_BYTES:
        raise PolicyError(f"{path}: larger than {MAX_POLICY_FILE_BYTES} bytes")
    try:
        return path.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: not UTF-8 text") from exc


def compile_rules_text(text: str, origin: str) -> str:
    try:
        return ruleset_to_cedar(load_rules(text, origin), origin)
    except RuleError as exc:
        raise PolicyError(str(exc)) from exc


def default_source() -> PolicySource:
    """The shipped default policy (data/default_rules.yaml) with the shipped schema."""
    text = shipped_default_rules()
    files = {"default.rules.cedar": compile_rules_text(text, "default_rules.yaml")}
    src = PolicySource(schema=shipped_schema(), files=files, sources={"default_rules.yaml": text})
    return PolicySource(src.schema, src.files, revision=src.digest(), sources=src.sources)


def load_policy_dir(directory: Path) -> PolicySource:
    """Read a policy directory into a :class:`PolicySource` (not yet validated)."""
    if not directory.is_dir():
        raise PolicyError(f"{directory}: not a directory")
    files: dict[str, str] = {}
    sources: dict[str, str] = {}
    for path in sorted(directory.iterdir()):
        if path.name.endswith(".cedar"):
            files[path.name] = _read(path)
        elif path.name == "rules.yaml" or path.name.endswith(".rules.yaml"):
            text = _read(path)
            sources[path.name] = text
            files[path.name.removesuffix(".yaml") + ".cedar"] = compile_rules_text(text, str(path))
    if not files:
        raise PolicyError(f"{directory}: no *.cedar or *.rules.yaml files")
    schema_path = directory / "schema.cedarschema"
    schema = _read(schema_path) if schema_path.exists() else shipped_schema()
    entities_path, routes_path = directory / "entities.json", directory / "routes.yaml"
    entities = _read(entities_path) if entities_path.exists() else "[]"
    routes = _read(routes_path) if routes_path.exists() else ""
    src = PolicySource(schema, files, entities, routes, sources=sources)
    return PolicySource(schema, files, entities, routes, revision=src.digest(), sources=sources)


@dataclass(frozen=True)
class PolicyInfo:
    """What kijun knows about one policy: its @id, effect and outcome annotations."""

    cedar_id: str
    id: str
    effect: str
    outcome: str
    step_up: str | None
    description: str


def check_nesting(text: str, what: str) -> None:
    """Refuse Cedar text nested deeper than cedarpy can parse without crashing (``MAX_NESTING``).

    A small lexer: string literals (with escapes) and ``//`` comments are skipped, brackets are
    counted, and ``if`` keywords are counted per policy (``;`` at depth 0 ends one)."""
    depth = ifs = 0
    for m in _TOKENS.finditer(text):
        tok = m.group()
        if tok in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise PolicyError(f"{what}: brackets nested deeper than {MAX_NESTING} levels")
        elif tok in ")]}":
            depth = max(0, depth - 1)
        elif tok == ";":
            if depth == 0:
                ifs = 0
        elif tok == "if":
            ifs += 1
            if ifs > MAX_IFS_PER_POLICY:
                raise PolicyError(f"{what}: more than {MAX_IFS_PER_POLICY} if-expressions in one policy")


# string literals and comments (matched whole, so brackets inside them do not count), brackets, ';', 'if'
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|//[^\n]*|[()\[\]{};]|\bif\b', re.DOTALL)


def policy_infos(cedar_text: str) -> dict[str, PolicyInfo]:
    """Parse annotations of every policy; enforce @id presence/uniqueness and outcome coherence."""
    check_nesting(cedar_text, "policy")
    try:
        est = json.loads(cedarpy.policies_to_json_str(cedar_text))
    except ValueError as exc:
        raise PolicyError(f"Cedar parse error: {exc}") from exc
    if est.get("templates"):
        raise PolicyError("Cedar templates are not supported in kijun policy sets")
    infos: dict[str, PolicyInfo] = {}
    seen: set[str] = set()
    for cedar_id, body in est.get("staticPolicies", {}).items():
        ann: dict[str, Any] = body.get("annotations") or {}
        pid = ann.get("id")
        if not pid:
            raise PolicyError(f"policy {cedar_id} ({body.get('effect')}) has no @id annotation")
        if pid in seen:
            raise PolicyError(f"duplicate policy @id {pid!r}")
        seen.add(pid)
        effect = str(body.get("effect"))
        default_outcome = "allow" if effect == "permit" else "deny"
        outcome = str(ann.get(OUTCOME_ANNOTATION) or default_outcome)
        if effect == "permit" and outcome != "allow":
            raise PolicyError(f"policy {pid!r}: a permit can only have @outcome(\"allow\")")
        if effect == "forbid" and outcome not in ("deny", "step_up"):
            raise PolicyError(f"policy {pid!r}: a forbid needs @outcome(\"deny\") or @outcome(\"step_up\")")
        step_up = ann.get(STEP_UP_ANNOTATION)
        if outcome == "step_up" and step_up not in ("mfa", "phishing_resistant"):
            raise PolicyError(f"policy {pid!r}: step_up needs @step_up(\"mfa\"|\"phishing_resistant\")")
        infos[cedar_id] = PolicyInfo(cedar_id, str(pid), effect, outcome, step_up, str(ann.get("description", "")))
    return infos


def validate_source(src: PolicySource) -> list[str]:
    """All problems with a source, as readable lines (empty list: valid)."""
    problems: list[str] = []
    try:
        check_nesting(src.schema, "schema")
    except PolicyError as exc:
        return [str(exc)]
    try:
        schema = cedarpy.Schema.from_str(src.schema)
    except ValueError as exc:
        return [f"schema: {exc}"]
    for name in sorted(src.files):
        text = src.files[name]
        try:
            infos = policy_infos(text)
        except PolicyError as exc:
            problems.append(f"{name}: {exc}")
            continue
        result = cedarpy.validate_policies(text, schema)
        for err in result.errors:
            info = infos.get(err.policy_id)
            where = f"policy {info.id!r}" if info else (err.policy_id or "parse")
            problems.append(f"{name}: {where}: {err.error}")
    if not problems:
        try:
            policy_infos(src.cedar_text())
        except PolicyError as exc:
            problems.append(f"policy set: {exc}")
    try:
        cedarpy.Entities.from_json_str(src.entities, schema)
        for entity in json.loads(src.entities):
            if entity.get("uid", {}).get("type") != "Role":
                problems.append("entities.json: only Role entities belong in a policy set")
                break
    except (ValueError, AttributeError) as exc:
        problems.append(f"entities.json: {exc}")
    return problems


__all__ = [
    "PolicyError",
    "PolicyInfo",
    "PolicySource",
    "compile_rules_text",
    "default_source",
    "load_policy_dir",
    "policy_infos",
    "shipped_default_rules",
    "shipped_schema",
    "validate_source",
]
