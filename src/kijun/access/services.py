"""Authoring and publishing access-control policy sets (R7 §7.3.1(3), §7.3.2(1)).

Shared by the pages and the API. Every change checks ACCESS_MANAGE in the set's unit, raises the
set's ``version`` (optimistic concurrency: a stale editor gets ConflictError) and writes its audit
entry in the same transaction. The policy itself is built by the pure engine modules: rules.py
validates and generates Cedar, policy.py validates against the shipped schema, bundle.py signs.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from pydantic import ValidationError

from kijun.core import audit
from kijun.core.models import OrgUnit, User
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.services import ConflictError, PermissionDeniedError

from .bundle import build_bundle, generate_keypair, key_id, load_private_key
from .engine import Engine, PreparedPolicy
from .model import AccessRequest, Decision
from .models import PolicyRevision, PolicyRule, PolicySet, ProtectedResource
from .policy import PolicyError, PolicySource, shipped_default_rules, shipped_schema, validate_source
from .rules import Rule, RuleError, RuleSet, load_rules, ruleset_to_cedar

RULE_FIELDS = ("rule_id", "outcome", "step_up_to", "description", "references", "roles", "actions",
               "conditions", "enabled", "position")
RESOURCE_FIELDS = ("resource_id", "name", "path_prefix", "confidentiality", "integrity", "availability",
                   "handling", "owner_unit")
SET_FIELDS = ("name", "code", "org_unit", "description")
RULES_FILE = "rules.cedar"
HAND_FILE = "hand.cedar"


class PublishError(ValueError):
    """The policy set cannot be published (invalid, or identical to the latest revision)."""


def _require(actor: User, perm: Perm, unit: OrgUnit | None) -> None:
    if not access_for(actor).has(perm, unit):
        raise PermissionDeniedError(perm.value)


# ---------------------------------------------------------------- signing key

def signing_key_path() -> Path:
    """KIJUN_ACCESS_SIGNING_KEY (a PEM file path) or DATA_DIR/access_bundle_signing_key."""
    configured = getattr(settings, "KIJUN_ACCESS_SIGNING_KEY", None) or os.environ.get("KIJUN_ACCESS_SIGNING_KEY")
    return Path(configured) if configured else Path(settings.DATA_DIR) / "access_bundle_signing_key"


def signing_key() -> Ed25519PrivateKey:
    """The Ed25519 bundle-signing key; generated on first use with mode 0600 (never in the repository)."""
    path = signing_key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        private_pem, _public = generate_keypair()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker created it first
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(private_pem)
    return load_private_key(path.read_bytes())


def public_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization

    return signing_key().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


# ---------------------------------------------------------------- building the policy

@dataclass(frozen=True)
class Built:
    """The policy as it would be published now: generated Cedar, problems (empty: valid), source."""

    source: PolicySource
    rules_yaml: str
    generated: str
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.problems


def rules_document(rules: list[PolicyRule]) -> dict[str, Any]:
    return {"rules": [r.as_rule() for r in rules if r.enabled]}


def routes_document(resources: list[ProtectedResource]) -> dict[str, Any]:
    routes = []
    for res in resources:
        if not res.path_prefix:
            continue
        resource: dict[str, Any] = {"id": res.resource_id, "confidentiality": res.confidentiality,
                                    "integrity": res.integrity, "availability": res.availability}
        if res.handling:
            resource["handling"] = list(res.handling)
        if res.owner_unit:
            resource["org_unit"] = res.owner_unit
        routes.append({"prefix": res.path_prefix, "resource": resource})
    return {"routes": routes}


def _dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)


def build(pset: PolicySet) -> Built:
    """Generate and validate the set's policy (rules → Cedar, hand-written Cedar, routes)."""
    rules = list(pset.rules.all())
    resources = list(pset.resources.all())
    rules_yaml = _dump(rules_document(rules))
    routes_doc = routes_document(resources)
    routes_yaml = _dump(routes_doc) if routes_doc["routes"] else ""
    problems: list[str] = []
    files: dict[str, str] = {}
    generated = ""
    try:
        generated = ruleset_to_cedar(load_rules(rules_yaml, "rules"), f"policy set {pset.code}")
    except RuleError as exc:
        problems.append(str(exc))
    if generated.strip() and "@id(" in generated:
        files[RULES_FILE] = generated
    if pset.hand_cedar.strip():
        files[HAND_FILE] = pset.hand_cedar
    if not files:
        problems.append("the policy set has no rules: every request would be denied")
    src = PolicySource(schema=shipped_schema(), files=files, routes=routes_yaml, sources={"rules.yaml": rules_yaml})
    source = PolicySource(src.schema, files, routes=routes_yaml, revision=src.digest(), sources=src.sources)
    if files:
        problems.extend(validate_source(source))
    if routes_yaml:
        from .pep import PepError, load_routes

        try:
            load_routes(routes_yaml)
        except PepError as exc:
            problems.append(str(exc).splitlines()[0])
    return Built(source, rules_yaml, generated, tuple(problems))


def check_rule(data: dict[str, Any], others: list[str]) -> str | None:
    """Validation message for one rule (rules.Rule) and its id's uniqueness, or None when fine."""
    try:
        rule = Rule.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    if rule.id in others:
        return f"duplicate rule id {rule.id!r}"
    return None


def check_cedar(text: str) -> list[str]:
    """Problems of hand-written Cedar on its own, against the shipped schema."""
    if not text.strip():
        return []
    return validate_source(PolicySource(schema=shipped_schema(), files={HAND_FILE: text}))


def decide(pset: PolicySet, request: AccessRequest) -> Decision:
    """Decide one request with the set's current (unpublished) policy: the "test this policy" form."""
    built = build(pset)
    if not built.valid:
        raise PolicyError("; ".join(built.problems))
    result: Any = Engine(PreparedPolicy.compile(built.source)).decide(request)
    # the engine may answer with a lazy verdict (engine.py); the pages and the API show a Decision
    return result.to_decision() if hasattr(result, "to_decision") else result  # type: ignore[no-any-return]


# ---------------------------------------------------------------- changes

def _bump(pset: PolicySet, expected_version: int | None) -> PolicySet:
    current = PolicySet.objects.select_for_update().get(pk=pset.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError("policy set")
    current.version += 1
    current.save(update_fields=["version", "updated_at"])
    pset.version = current.version
    return current


def create_set(actor: User, *, name: str, code: str, unit: OrgUnit, description: str = "",
               seed_default: bool = True, request: HttpRequest | None = None) -> PolicySet:
    """A new policy set, seeded with the shipped default rules (marked as needing review)."""
    _require(actor, Perm.ACCESS_MANAGE, unit)
    return seed_set(actor, name=name, code=code, unit=unit, description=description, seed_default=seed_default,
                    request=request)


def seed_set(actor: User | None, *, name: str, code: str, unit: OrgUnit, description: str = "",
             seed_default: bool = True, request: HttpRequest | None = None,
             actor_label: str | None = None) -> PolicySet:
    """create_set without the permission check (callers check; the demo loader has no actor)."""
    with transaction.atomic():
        pset = PolicySet.objects.create(name=name, code=code, org_unit=unit, description=description,
                                        seeded_from_default=seed_default, created_by=actor)
        count = 0
        if seed_default:
            rules = load_rules(shipped_default_rules(), "default_rules.yaml").rules
            PolicyRule.objects.bulk_create([_row(pset, i, r) for i, r in enumerate(rules)])
            count = len(rules)
        audit.record("access.policy_set.create", "access_policy_set", pset.pk, str(pset), actor=actor,
                     request=request, actor_label=actor_label,
                     after={**audit.snapshot(pset, SET_FIELDS), "seeded_rules": count})
    return pset


def _row(pset: PolicySet, position: int, rule: Rule) -> PolicyRule:
    data = rule.model_dump(mode="json", by_alias=True, exclude_none=True)
    return PolicyRule(policy_set=pset, position=position * 10, rule_id=rule.id, outcome=rule.outcome,
                      step_up_to=rule.step_up_to or "", description=rule.description,
                      references=list(rule.references), roles=list(rule.roles), actions=list(rule.actions),
                      conditions=data.get("when", []))


def update_set(actor: User, pset: PolicySet, *, request: HttpRequest | None = None,
               expected_version: int | None = None) -> PolicySet:
    """Save name/description/hand-written Cedar (validated by the form before)."""
    _require(actor, Perm.ACCESS_MANAGE, pset.org_unit)
    with transaction.atomic():
        current = _bump(pset, expected_version)
        before = {**audit.snapshot(current, SET_FIELDS), "hand_cedar": current.hand_cedar}
        pset.save()
        audit.record("access.policy_set.update", "access_policy_set", pset.pk, str(pset), actor=actor,
                     request=request, before=before,
                     after={**audit.snapshot(pset, SET_FIELDS), "hand_cedar": pset.hand_cedar})
    return pset


def mark_reviewed(actor: User, pset: PolicySet, *, request: HttpRequest | None = None,
                  expected_version: int | None = None) -> None:
    """Record that the agency reviewed the standard-derived default (§7.3.2(1))."""
    _require(actor, Perm.ACCESS_MANAGE, pset.org_unit)
    with transaction.atomic():
        current = _bump(pset, expected_version)
        current.reviewed_by, current.reviewed_at = actor, timezone.now()
        current.save(update_fields=["reviewed_by", "reviewed_at"])
        audit.record("access.policy_set.review", "access_policy_set", pset.pk, str(pset), actor=actor,
                     request=request, after={"reviewed_at": current.reviewed_at})


def save_rule(actor: User, pset: PolicySet, rule: PolicyRule, *, request: HttpRequest | None = None,
              expected_version: int | None = None) -> PolicyRule:
    """Create or update one rule; the rule must already have passed check_rule (the form does)."""
    _require(actor, Perm.ACCESS_MANAGE, pset.org_unit)
    with transaction.atomic():
        _bump(pset, expected_version)
        before = None
        if rule.pk:
            old = PolicyRule.objects.select_for_update().get(pk=rule.pk, policy_set=pset)
            before = audit.snapshot(old, RULE_FIELDS)
            rule.version = old.version + 1
        else:
            last = PolicyRule.objects.filter(policy_set=pset).aggregate(m=Max("position"))["m"]
            rule.position = (last or 0) + 10 if not rule.position else rule.position
        rule.policy_set = pset
        rule.save()
        audit.record("access.rule.update" if before else "access.rule.create", "access_rule", rule.pk,
                     f"{pset.code}:{rule.rule_id}", actor=actor, request=request, before=before,
                     after=audit.snapshot(rule, RULE_FIELDS))
    return rule


def delete_rule(actor: User, pset: PolicySet, rule: PolicyRule, *, request: HttpRequest | None = None,
                expected_version: int | None = None) -> None:
    _require(actor, Perm.ACCESS_MANAGE, pset.org_unit)
    with transaction.atomic():
        _bump(pset, expected_version)
        before = audit.snapshot(rule, RULE_FIELDS)
        pk = rule.pk
        rule.delete()
        audit.record("access.rule.delete", "access_rule", pk, f"{pset.code}:{before['rule_id']}", actor=actor,
                     request=request, before=before)


def save_resource(actor: User, pset: PolicySet, res: ProtectedResource, *, request: HttpRequest | None = None,
                  expected_version: int | None = None) -> ProtectedResource:
    _require(actor, Perm.ACCESS_MANAGE, pset.org_unit)
    with transaction.atomic():
        _bump(pset, expected_version)
        before = None
        if res.pk:
            old = ProtectedResource.objects.select_for_update().get(pk=res.pk, policy_set=pset)
            before = audit.snapshot(old, RESOURCE_FIELDS)
            res.version = old.version + 1
        res.policy_set = pset
        res.save()
        audit.record("access.resource.update" if before else "access.resource.create", "access_resource",
                     res.pk, f"{pset.code}:{res.resource_id}", actor=actor, request=request, before=before,
                     after=audit.snapshot(res, RESOURCE_FIELDS))
    return res


def delete_resource(actor: User, pset: PolicySet, res: ProtectedResource, *, request: HttpRequest | None = None,
                    expected_version: int | None = None) -> None:
    _require(actor, Perm.ACCESS_MANAGE, pset.org_unit)
    with transaction.atomic():
        _bump(pset, expected_version)
        before = audit.snapshot(res, RESOURCE_FIELDS)
        pk = res.pk
        res.delete()
        audit.record("access.resource.delete", "access_resource", pk, f"{pset.code}:{before['resource_id']}",
                     actor=actor, request=request, before=before)


def import_rules(actor: User, pset: PolicySet, text: str, *, origin: str = "rules.yaml",
                 request: HttpRequest | None = None, expected_version: int | None = None) -> int:
    """Replace the set's rules with a rules YAML document (the format of ``kijun access compile``).

    The document is validated as a whole first (RuleError names the rule and field); nothing is
    changed unless every rule is valid. Returns the number of rules imported.
    """
    _require(actor, Perm.ACCESS_MANAGE, pset.org_unit)
    rules = load_rules(text, origin).rules
    with transaction.atomic():
        _bump(pset, expected_version)
        before = list(pset.rules.values_list("rule_id", flat=True))
        pset.rules.all().delete()
        PolicyRule.objects.bulk_create([_row(pset, i, r) for i, r in enumerate(rules)])
        audit.record("access.rules.import", "access_policy_set", pset.pk, str(pset), actor=actor, request=request,
                     before={"rules": before}, after={"rules": [r.id for r in rules], "origin": origin[:200]})
    return len(rules)


# ---------------------------------------------------------------- publishing

def latest_revision(pset: PolicySet) -> PolicyRevision | None:
    return PolicyRevision.objects.filter(policy_set=pset).order_by("-number").first()


def publish(actor: User, pset: PolicySet, *, note: str = "", request: HttpRequest | None = None,
            expected_version: int | None = None) -> PolicyRevision:
    """Validate, sign and store a new bundle revision. Refused when invalid or unchanged."""
    _require(actor, Perm.ACCESS_MANAGE, pset.org_unit)
    return publish_unchecked(actor, pset, note=note, request=request, expected_version=expected_version)


def publish_unchecked(actor: User | None, pset: PolicySet, *, note: str = "", request: HttpRequest | None = None,
                      expected_version: int | None = None, actor_label: str | None = None) -> PolicyRevision:
    """publish without the permission check (callers check; the demo loader has no actor)."""
    key = signing_key()
    with transaction.atomic():
        current = _bump(pset, expected_version)
        built = build(current)
        if not built.valid:
            raise PublishError("; ".join(built.problems))
        latest = PolicyRevision.objects.select_for_update().filter(policy_set=current).order_by("-number").first()
        if latest is not None and latest.revision == built.source.revision:
            raise PublishError(f"nothing changed since revision {latest.number}")
        number = (latest.number if latest else 0) + 1
        data = build_bundle(built.source, timezone.now(), key)
        rev = PolicyRevision.objects.create(
            policy_set=current, number=number, revision=built.source.revision, bundle=data,
            bundle_sha256=hashlib.sha256(data).hexdigest(), cedar_text=built.source.cedar_text(),
            rules_yaml=built.rules_yaml, routes_yaml=built.source.routes, key_id=key_id(key.public_key()),
            note=note[:500], published_by=actor)
        audit.record("access.policy_set.publish", "access_policy_revision", rev.pk, str(rev), actor=actor,
                     request=request, actor_label=actor_label,
                     after={"number": number, "revision": rev.revision, "bundle_sha256": rev.bundle_sha256,
                            "key_id": rev.key_id, "size": len(data), "note": rev.note})
    return rev


def diff(old: PolicyRevision | None, new: PolicyRevision) -> list[tuple[str, str]]:
    """Unified diff of the published Cedar and routes: (css class, line) pairs for display."""
    def text(rev: PolicyRevision | None) -> list[str]:
        if rev is None:
            return []
        return (rev.cedar_text + ("\n// routes.yaml\n" + rev.routes_yaml if rev.routes_yaml else "")).splitlines()

    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(text(old), text(new), f"r{old.number if old else 0}", f"r{new.number}",
                                     lineterm="", n=3):
        kind = ("add" if line.startswith("+") and not line.startswith("+++") else
                "del" if line.startswith("-") and not line.startswith("---") else
                "hunk" if line.startswith("@@") else "ctx")
        out.append((kind, line))
    return out


__all__ = ["Built", "PublishError", "RuleSet", "build", "check_cedar", "check_rule", "create_set", "decide",
           "delete_resource", "delete_rule", "diff", "latest_revision", "mark_reviewed", "public_key_pem",
           "publish", "save_resource", "save_rule", "signing_key", "update_set"]
