"""Golden cases: tests/cases/cloud/*.yaml, each a request and the expected decision."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from kijun.cloud.engine import Assessment, Engine
from kijun.cloud.ismap import IsmapEntry
from kijun.cloud.ismap_diff import index
from kijun.cloud.policy import load_policy
from kijun.cloud.request import UseRequest
from kijun.cloud.rules import load_rules

CASES = sorted((Path(__file__).resolve().parents[1] / "cases" / "cloud").glob("*.yaml"))
ENGINE = Engine.default()


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def run_case(case: dict[str, Any]) -> Assessment:
    policy = load_policy().merged(case.get("policy") or {})
    listing = None
    if case.get("ismap_list") is not None:
        listing = index(IsmapEntry.model_validate(e) for e in case["ismap_list"])
    request = UseRequest.model_validate(case["request"])
    return ENGINE.assess(request, as_of=date.fromisoformat(str(case["as_of"])), listing=listing, policy=policy)


def test_enough_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case(path: Path) -> None:
    case = _load(path)
    expect = case["expect"]
    result = run_case(case)
    assert result.decision == expect["decision"]
    assert result.track == expect["track"]
    assert sorted(result.matched_rules) == sorted(expect["rules"])
    assert sorted(c.id for c in result.conditions) == sorted(expect.get("conditions", []))
    cited = {c for r in result.reasons for c in r.cites}
    assert set(expect.get("cites_include", [])) <= cited
    for phase, ids in (expect.get("duties_include") or {}).items():
        assert set(ids) <= {d.id for d in result.duties[phase]}, phase
    assert len(result.warnings) == expect.get("warnings", 0)
    if "first_reason" in expect:
        assert result.reasons[0].rule == expect["first_reason"]
    # the decision is always the most severe reason's decision
    assert result.reasons[0].decision == result.decision


def test_every_rule_and_condition_is_exercised_by_a_golden_case() -> None:
    expected_rules: set[str] = set()
    expected_conditions: set[str] = set()
    for path in CASES:
        expect = _load(path)["expect"]
        expected_rules.update(expect["rules"])
        expected_conditions.update(expect.get("conditions", []))
    rules = load_rules()
    assert {r.id for r in rules.rules} - expected_rules == set()
    assert set(rules.conditions) - expected_conditions == set()


def test_every_decision_value_appears() -> None:
    decisions = {_load(p)["expect"]["decision"] for p in CASES}
    assert decisions == {"permitted", "permitted_with_conditions", "needs_review", "needs_exception", "not_permitted"}
