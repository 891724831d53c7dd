"""docs/cloud.md documents every rule, condition, duty, policy field and fact, and its example
request is a valid request."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import yaml

from kijun.cloud.engine import Engine
from kijun.cloud.facts import FACT_VALUES
from kijun.cloud.lifecycle import load_duties
from kijun.cloud.policy import UsePolicy
from kijun.cloud.request import UseRequest
from kijun.cloud.rules import load_rules

DOC = (Path(__file__).resolve().parents[2] / "docs" / "cloud.md").read_text(encoding="utf-8")


def test_every_rule_condition_and_duty_is_documented() -> None:
    rules = load_rules()
    names = [r.id for r in rules.rules] + list(rules.conditions) + [d.id for d in load_duties().duties]
    assert [n for n in names if f"`{n}`" not in DOC] == []


def test_every_policy_field_and_fact_is_documented() -> None:
    assert [f for f in UsePolicy.model_fields if f"`{f}`" not in DOC] == []
    assert [f for f in FACT_VALUES if f"`{f}`" not in DOC] == []


def test_example_request_is_valid() -> None:
    block = re.search(r"<!-- example-request -->\n```yaml\n(.*?)```", DOC, re.S)
    assert block is not None
    data = yaml.safe_load(block.group(1))
    overrides = data.pop("policy")
    engine = Engine.default()
    result = engine.assess(UseRequest.model_validate(data), as_of=date(2025, 7, 1),
                           policy=engine.policy.merged(overrides))
    assert result.decision == "permitted_with_conditions"
    assert {c.id for c in result.conditions} == {"encrypt_data", "integrity_controls"}


def test_every_cloud_page_and_api_operation_is_documented() -> None:
    """docs/cloud.md names every URL name of the cloud pages and every API path it serves."""
    import django

    django.setup()
    from kijun.cloud import urls
    from kijun.cloud.api import router

    pages = [p.name for p in urls.urlpatterns if p.name]
    assert [n for n in pages if f"`{n}`" not in DOC] == []
    paths: set[str] = set()
    for mount in router.build_routers(""):
        paths.update(mount.template.path_operations)
    short = {re.sub(r"\{[^}]+\}", "{id}", p.removeprefix("/cloud/")) for p in paths}
    undocumented = [p for p in sorted(short) if f"{p}" not in DOC]
    assert undocumented == []
