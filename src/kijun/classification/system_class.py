"""Information system classification (R7 §5.1): the agency's standard as editable data.

The standard requires each agency to set its own classification standard based on the
operational impact of incidents (5.1.1(1)(a)) and to have system owners classify their
systems by it (5.1.1(3)(a), 5.2.1(2)(a)). We ship a default as YAML and evaluate it here,
so the ledger UI, the CLI and the cloud engine all read the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kijun.classification.datafile import read_yaml, validate
from kijun.classification.levels import Classification, highest

Impact = Literal["low", "medium", "high"]
IMPACT_ORDER: dict[str, int] = {"low": 1, "medium": 2, "high": 3}
CITES: tuple[str, ...] = ("5.1.1(1)(a)", "5.1.1(3)(a)", "5.2.1(2)(a)")


class SystemClassError(ValueError):
    """Invalid classification standard."""


class Criterion(BaseModel):
    """Conditions that must all hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    confidentiality_at_least: int | None = Field(default=None, ge=1, le=3)
    integrity_at_least: int | None = Field(default=None, ge=1, le=2)
    availability_at_least: int | None = Field(default=None, ge=1, le=2)
    business_impact_at_least: Impact | None = None
    internet_facing: bool | None = None
    citizen_facing: bool | None = None

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.model_dump(exclude_none=True).items())


class SystemClassDef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=32)
    name_ja: str
    name_en: str
    description_en: str = ""
    any_of: tuple[Criterion, ...] = ()
    default: bool = False


class ClassificationStandard(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    classes: tuple[SystemClassDef, ...]

    @model_validator(mode="after")
    def _shape(self) -> ClassificationStandard:
        if not self.classes:
            raise ValueError("at least one class is needed")
        ids = [c.id for c in self.classes]
        if len(set(ids)) != len(ids):
            raise ValueError("class ids must be unique")
        defaults = [c for c in self.classes if c.default]
        if len(defaults) != 1 or not self.classes[-1].default:
            raise ValueError("exactly one class, the last, must be default: true")
        for c in self.classes[:-1]:
            if not c.any_of:
                raise ValueError(f"class {c.id} has no criteria and would hide the classes after it")
        return self


class SystemProfile(BaseModel):
    """What the classification looks at: the information handled and the business impact."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    information: tuple[Classification, ...] = Field(min_length=1)
    business_impact: Impact = "low"
    internet_facing: bool = False
    citizen_facing: bool = False


@dataclass(frozen=True, slots=True)
class SystemClassResult:
    class_id: str
    name_ja: str
    name_en: str
    highest: Classification
    matched: str  # the criterion that matched, or "default"
    cites: tuple[str, ...] = CITES


def _holds(c: Criterion, top: Classification, profile: SystemProfile) -> bool:
    checks = [
        c.confidentiality_at_least is None or top.confidentiality >= c.confidentiality_at_least,
        c.integrity_at_least is None or top.integrity >= c.integrity_at_least,
        c.availability_at_least is None or top.availability >= c.availability_at_least,
        c.business_impact_at_least is None
        or IMPACT_ORDER[profile.business_impact] >= IMPACT_ORDER[c.business_impact_at_least],
        c.internet_facing is None or profile.internet_facing == c.internet_facing,
        c.citizen_facing is None or profile.citizen_facing == c.citizen_facing,
    ]
    return all(checks)


def classify_system(standard: ClassificationStandard, profile: SystemProfile) -> SystemClassResult:
    """The first class whose criteria the system meets (classes are ordered high to low)."""
    top = highest(profile.information)
    for cls in standard.classes:
        for criterion in cls.any_of:
            if _holds(criterion, top, profile):
                return SystemClassResult(cls.id, cls.name_ja, cls.name_en, top, criterion.describe())
    last = standard.classes[-1]
    return SystemClassResult(last.id, last.name_ja, last.name_en, top, "default")


def standard_from_data(data: Any, source: str = "<data>") -> ClassificationStandard:
    return validate(ClassificationStandard, data, source, SystemClassError)


def load_standard(path: Path | None = None) -> ClassificationStandard:
    """The agency's standard, or the shipped default (data/system_classes.yaml)."""
    return standard_from_data(*read_yaml(path, "kijun.classification", "data/system_classes.yaml"))


def class_ids(standard: ClassificationStandard) -> Iterable[str]:
    return (c.id for c in standard.classes)
