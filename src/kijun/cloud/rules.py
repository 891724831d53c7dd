"""Decision rules as data (data/rules.yaml) and the small matcher that applies them.

A rule is ``when`` (fact -> value, or fact -> list of accepted values), a ``decision``,
the requirement ids it ``cites``, a reason in Japanese and English, and the ids of the
conditions it adds. Loading validates every fact name, value, condition reference and
text placeholder, so a typo in an agency's edited rules fails at load, not at review time.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kijun.classification.datafile import read_yaml, validate
from kijun.cloud.facts import FACT_VALUES, PARAMS, FactValue

Decision = Literal["permitted", "permitted_with_conditions", "needs_review", "needs_exception", "not_permitted"]
Phase = Literal["planning", "procurement", "construction", "operation", "end_of_use"]
DECISIONS: tuple[Decision, ...] = ("permitted", "permitted_with_conditions", "needs_review", "needs_exception",
                                   "not_permitted")
PHASES: tuple[Phase, ...] = ("planning", "procurement", "construction", "operation", "end_of_use")
SEVERITY: dict[str, int] = {d: n for n, d in enumerate(DECISIONS)}
REQ_ID = re.compile(r"^\d\.\d(\.\d)?(\(\d+\)(\([a-z]\)(\((i|ii|iii|iv|v|vi|vii|viii|ix|x)\))?)?)?$")


class RuleError(ValueError):
    """Invalid rule set."""


def check_cites(cites: tuple[str, ...]) -> None:
    for cite in cites:
        if not REQ_ID.match(cite):
            raise ValueError(f"requirement id {cite!r} is not shaped like 4.2.1(2)(b)(ii)")


def _check_placeholders(*texts: str) -> None:
    for text in texts:
        for _, name, _, _ in string.Formatter().parse(text):
            if name is not None and name not in PARAMS:
                raise ValueError(f"unknown placeholder {{{name}}} (known: {', '.join(PARAMS)})")


class ConditionDef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    phase: Phase
    cites: tuple[str, ...] = Field(min_length=1)
    text_ja: str = Field(min_length=1)
    text_en: str = Field(min_length=1)

    @model_validator(mode="after")
    def _valid(self) -> ConditionDef:
        check_cites(self.cites)
        _check_placeholders(self.text_ja, self.text_en)
        return self


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    when: dict[str, FactValue | list[FactValue]]
    decision: Decision
    cites: tuple[str, ...] = Field(min_length=1)
    reason_ja: str = Field(min_length=1)
    reason_en: str = Field(min_length=1)
    conditions: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _valid(self) -> Rule:
        check_cites(self.cites)
        _check_placeholders(self.reason_ja, self.reason_en)
        check_when(self.when)
        return self

    def matches(self, facts: Mapping[str, FactValue]) -> bool:
        return when_matches(self.when, facts)


When = dict[str, FactValue | list[FactValue]]


def _same(a: FactValue, b: FactValue) -> bool:
    # True == 1 in Python; a boolean fact must never match an integer rule value or back.
    return type(a) is type(b) and a == b


def check_when(when: When) -> None:
    """Every fact named exists and every value is one the fact can take."""
    for fact, expected in when.items():
        if fact not in FACT_VALUES:
            raise ValueError(f"unknown fact {fact!r}")
        values = expected if isinstance(expected, list) else [expected]
        for v in values:
            if not any(_same(v, allowed) for allowed in FACT_VALUES[fact]):
                raise ValueError(f"fact {fact!r} cannot be {v!r} (allowed: {FACT_VALUES[fact]})")


def when_matches(when: When, facts: Mapping[str, FactValue]) -> bool:
    """All facts equal the expected value (or one of the listed values)."""
    for fact, expected in when.items():
        value = facts[fact]
        options = expected if isinstance(expected, list) else [expected]
        if not any(_same(value, e) for e in options):
            return False
    return True


class RuleSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    conditions: dict[str, ConditionDef]
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _refs(self) -> RuleSet:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate rule ids: {dupes}")
        for rule in self.rules:
            for cid in rule.conditions:
                if cid not in self.conditions:
                    raise ValueError(f"rule {rule.id} refers to unknown condition {cid!r}")
            if rule.decision == "permitted_with_conditions" and not rule.conditions:
                raise ValueError(f"rule {rule.id} is permitted_with_conditions but names no condition")
        unused = sorted(set(self.conditions) - {c for r in self.rules for c in r.conditions})
        if unused:
            raise ValueError(f"conditions no rule uses: {unused}")
        return self


def rules_from_data(data: Any, source: str = "<data>") -> RuleSet:
    return validate(RuleSet, data, source, RuleError)


def load_rules(path: Path | None = None) -> RuleSet:
    """The agency's rules file, or the shipped default (data/rules.yaml)."""
    return rules_from_data(*read_yaml(path, "kijun.cloud", "data/rules.yaml"))
