"""Readable rules -> Cedar: parsing, errors that name the place, and generated Cedar that validates."""

from __future__ import annotations

import cedarpy
import pytest

from kijun.access.policy import shipped_default_rules, shipped_schema
from kijun.access.rules import Rule, RuleError, load_rules, rule_to_cedar, ruleset_to_cedar


def _cedar(**rule: object) -> str:
    return rule_to_cedar(Rule.model_validate(rule))


def _valid(cedar: str) -> bool:
    return bool(cedarpy.validate_policies(cedar, cedarpy.Schema.from_str(shipped_schema())))


def test_allow_rule_becomes_permit_with_scope_and_annotations() -> None:
    cedar = _cedar(id="r1", outcome="allow", roles=["staff"], actions=["read", "download"],
                   when=["resource.org_unit == principal.org_unit"], description='say "hi"')
    assert cedar.startswith('@id("r1")\n@outcome("allow")\n')
    assert '@description("say \\"hi\\"")' in cedar
    assert 'permit (principal in Role::"staff", action in [Action::"read", Action::"download"], resource)' in cedar
    assert "resource.org_unit == principal.org_unit" in cedar
    assert _valid(cedar)


def test_step_up_rule_becomes_annotated_forbid() -> None:
    cedar = _cedar(id="s1", outcome="step_up", step_up_to="mfa", when=["authn.mfa == false", "network != agency"])
    assert '@outcome("step_up")\n@step_up("mfa")' in cedar
    assert "forbid (principal, action, resource)" in cedar
    assert "!context.authn.mfa" in cedar and 'context.network != "agency"' in cedar
    assert _valid(cedar)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("resource.confidentiality >= 2", "resource.confidentiality >= 2"),
        ("device.managed == true", "context.device.managed"),
        ("device.managed != true", "!context.device.managed"),
        ("network in [agency, telework]", '["agency", "telework"].contains(context.network)'),
        ("network not_in [external]", '!["external"].contains(context.network)'),
        ("resource.handling contains no_copy", 'resource.handling.contains("no_copy")'),
        ("resource.handling not_contains no_copy", '!resource.handling.contains("no_copy")'),
        ("resource.handling contains_any [no_copy, no_takeout]",
         'resource.handling.containsAny(["no_copy", "no_takeout"])'),
        ("principal.roles contains auditor", 'principal in Role::"auditor"'),
        ("principal.roles contains_any [auditor, staff]", 'principal in [Role::"auditor", Role::"staff"]'),
        ("principal.roles not_contains contractor", '!(principal in Role::"contractor")'),
        ("action in [write, delete]", 'action in [Action::"write", Action::"delete"]'),
        ("time.hour < 7", "context.time.hour < 7"),
        ("device.os_patch_age_days > 30", "context.device.os_patch_age_days > 30"),
    ],
)
def test_condition_forms(condition: str, expected: str) -> None:
    cedar = _cedar(id="c", outcome="deny", when=[condition])
    assert expected in cedar
    assert _valid(cedar)


def test_any_and_not_groups() -> None:
    cedar = _cedar(id="g", outcome="deny", when=[
        {"any": ["device.managed == false", "device.agency_furnished == false"]},
        {"not": "network == agency"},
    ])
    assert "(!context.device.managed || !context.device.agency_furnished)" in cedar
    assert '!(context.network == "agency")' in cedar
    assert _valid(cedar)


def test_multiple_roles_go_into_the_condition() -> None:
    cedar = _cedar(id="m", outcome="allow", roles=["staff", "auditor"], actions=["read"])
    assert 'when {\n  principal in [Role::"staff", Role::"auditor"]\n}' in cedar
    assert _valid(cedar)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"id": "x", "outcome": "deny", "when": ["device.colour == red"]}, "unknown attribute"),
        ({"id": "x", "outcome": "deny", "when": ["device.managed > 1"]}, "does not apply"),
        ({"id": "x", "outcome": "deny", "when": ["network == office"]}, "not one of"),
        ({"id": "x", "outcome": "deny", "when": ["resource.confidentiality == high"]}, "whole number"),
        ({"id": "x", "outcome": "deny", "when": ["network in agency"]}, "needs a list"),
        ({"id": "x", "outcome": "deny", "when": ["this is not a condition"]}, "cannot read condition"),
        ({"id": "x", "outcome": "step_up"}, "step_up_to"),
        ({"id": "x", "outcome": "deny", "step_up_to": "mfa"}, "only to step_up"),
        ({"id": "1bad", "outcome": "deny"}, "pattern"),
        ({"id": "x", "outcome": "deny", "actions": ["fly"]}, "actions"),
        ({"id": "x", "outcome": "deny", "roles": ['a"b']}, "bad role"),
    ],
)
def test_bad_rules_are_rejected_with_a_reason(rule: dict[str, object], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        load_rules(__import__("yaml").safe_dump({"rules": [rule]}), "agency.rules.yaml")


def test_errors_name_the_file_and_rule_index() -> None:
    with pytest.raises(RuleError, match=r"^agency.rules.yaml: rules.0.when"):
        load_rules("rules:\n  - {id: a, outcome: deny, when: ['device.nope == true']}\n", "agency.rules.yaml")


def test_duplicate_rule_ids_rejected() -> None:
    with pytest.raises(RuleError, match="duplicate rule id"):
        load_rules("rules:\n  - {id: a, outcome: deny}\n  - {id: a, outcome: allow}\n")


def test_not_yaml_and_wrong_shape() -> None:
    with pytest.raises(RuleError, match="not valid YAML"):
        load_rules("rules: [", "f.yaml")
    with pytest.raises(RuleError, match="'rules' list"):
        load_rules("- a\n", "f.yaml")


def test_default_rules_generate_valid_cedar_with_every_id() -> None:
    ruleset = load_rules(shipped_default_rules(), "default_rules.yaml")
    cedar = ruleset_to_cedar(ruleset, "default_rules.yaml")
    assert _valid(cedar)
    for rule in ruleset.rules:
        assert f'@id("{rule.id}")' in cedar
    outcomes = {rule.outcome for rule in ruleset.rules}
    assert outcomes == {"allow", "deny", "step_up"}
    assert len(ruleset.rules) >= 20


def test_japanese_description_survives_into_cedar() -> None:
    cedar = _cedar(id="j", outcome="deny", description="機密性3は庁内のみ", when=["network != agency"])
    assert '@description("機密性3は庁内のみ")' in cedar
    assert _valid(cedar)
