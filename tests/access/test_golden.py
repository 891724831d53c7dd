"""Golden cases (tests/cases/access/*.yaml) against the shipped default policy."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from kijun.access.engine import Engine, PreparedPolicy
from kijun.access.model import AccessRequest

from .conftest import NOW, ids

CASES_DIR = Path(__file__).resolve().parents[1] / "cases" / "access"


def _load() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text("utf-8"))
        for case in doc["cases"]:
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


CASES = _load()


def test_there_are_at_least_40_cases() -> None:
    assert len(CASES) >= 40


def test_case_names_are_unique() -> None:
    names = [p.id for p in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", CASES)
def test_golden(case: dict[str, Any], prepared: PreparedPolicy) -> None:
    now = datetime.fromisoformat(case["now"]) if "now" in case else NOW
    engine = Engine(prepared, clock=lambda: now, new_id=ids())
    decision = engine.decide(AccessRequest.model_validate(case["request"]))
    expect = case["expect"]
    assert decision.decision == expect["decision"], decision.reasons
    assert sorted(decision.determining_policies) == sorted(expect["policies"]), decision.reasons
    if "step_up" in expect:
        assert decision.obligations == {"step_up": expect["step_up"]}
    else:
        assert decision.obligations == {}
    for policy_id in expect["policies"]:
        assert prepared.by_id(policy_id) is not None, f"unknown policy id {policy_id}"
