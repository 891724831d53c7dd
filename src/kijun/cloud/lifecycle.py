"""Lifecycle duties per service use (R7 §4.2.2 / §4.2.3) and a dated checklist.

The standard spreads the duties of a cloud use over its whole life, from selection to the
disposal of data and accounts at the end. Duties are data (data/lifecycle.yaml) selected by
the same facts as the decision rules; ``checklist`` turns them into dated items for the
per-service page, with recurring reviews spaced by the agency's policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kijun.classification.datafile import read_yaml, validate
from kijun.cloud.facts import FactValue
from kijun.cloud.policy import UsePolicy
from kijun.cloud.rules import PHASES, Phase, RuleError, When, check_cites, check_when, when_matches

DueKind = Literal["before_use", "recurring", "on_change", "at_end"]
Recurrence = Literal["settings_review_days", "access_review_days", "ismap_check_days"]


class DutyDef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    phase: Phase
    when: When = Field(default_factory=dict)
    owner_roles: tuple[str, ...] = Field(min_length=1)
    due: DueKind
    recurrence: Recurrence | None = None
    cites: tuple[str, ...] = Field(min_length=1)
    text_ja: str = Field(min_length=1)
    text_en: str = Field(min_length=1)

    @model_validator(mode="after")
    def _valid(self) -> DutyDef:
        check_cites(self.cites)
        check_when(self.when)
        if (self.due == "recurring") != (self.recurrence is not None):
            raise ValueError("recurrence is required exactly when due is recurring")
        return self


class DutySet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    duties: tuple[DutyDef, ...]

    @model_validator(mode="after")
    def _unique(self) -> DutySet:
        ids = [d.id for d in self.duties]
        if len(ids) != len(set(ids)):
            raise ValueError("duty ids must be unique")
        return self


class Duty(BaseModel):
    """A duty that applies to one assessed use, with its interval resolved from the policy."""

    model_config = ConfigDict(frozen=True)

    id: str
    phase: Phase
    owner_roles: tuple[str, ...]
    due: DueKind
    recurrence_days: int | None
    cites: tuple[str, ...]
    text_ja: str
    text_en: str


class ChecklistItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    duty_id: str
    phase: Phase
    owner_roles: tuple[str, ...]
    cites: tuple[str, ...]
    text_ja: str
    text_en: str
    due_kind: DueKind
    due_on: date | None
    recurrence_days: int | None
    status: Literal["open", "done", "not_applicable"] = "open"
    evidence: tuple[str, ...] = ()


def applicable_duties(duty_set: DutySet, facts: Mapping[str, FactValue], policy: UsePolicy) -> dict[Phase, list[Duty]]:
    """Duties whose ``when`` holds, grouped by phase in lifecycle order (empty phases kept)."""
    out: dict[Phase, list[Duty]] = {p: [] for p in PHASES}
    for d in duty_set.duties:
        if not when_matches(d.when, facts):
            continue
        days = getattr(policy, d.recurrence) if d.recurrence else None
        out[d.phase].append(Duty(id=d.id, phase=d.phase, owner_roles=d.owner_roles, due=d.due,
                                 recurrence_days=days, cites=d.cites, text_ja=d.text_ja, text_en=d.text_en))
    return out


def checklist(duties: Mapping[Phase, Iterable[Duty]], start: date, end_of_use: date | None = None) -> list[ChecklistItem]:
    """Dated items: before-use duties fall due on ``start``, recurring ones one interval after
    it, end-of-use ones on ``end_of_use`` (unknown: no date), event-driven ones undated."""
    items: list[ChecklistItem] = []
    for phase in PHASES:
        for d in duties.get(phase, ()):
            if d.due == "before_use":
                due: date | None = start
            elif d.due == "recurring" and d.recurrence_days is not None:
                due = start + timedelta(days=d.recurrence_days)
            elif d.due == "at_end":
                due = end_of_use
            else:
                due = None
            items.append(ChecklistItem(duty_id=d.id, phase=d.phase, owner_roles=d.owner_roles, cites=d.cites,
                                       text_ja=d.text_ja, text_en=d.text_en, due_kind=d.due, due_on=due,
                                       recurrence_days=d.recurrence_days))
    return items


def complete(item: ChecklistItem, done_on: date, evidence: Iterable[str] = ()) -> ChecklistItem:
    """Mark an item done; a recurring item instead rolls forward to its next due date."""
    ev = (*item.evidence, *evidence)
    if item.due_kind == "recurring" and item.recurrence_days is not None:
        return item.model_copy(update={"due_on": done_on + timedelta(days=item.recurrence_days), "evidence": ev})
    return item.model_copy(update={"status": "done", "evidence": ev})


def overdue(items: Iterable[ChecklistItem], as_of: date) -> list[ChecklistItem]:
    return [i for i in items if i.status == "open" and i.due_on is not None and i.due_on < as_of]


def duties_from_data(data: Any, source: str = "<data>") -> DutySet:
    return validate(DutySet, data, source, RuleError)


def load_duties(path: Path | None = None) -> DutySet:
    """The agency's duties file, or the shipped default (data/lifecycle.yaml)."""
    return duties_from_data(*read_yaml(path, "kijun.cloud", "data/lifecycle.yaml"))
