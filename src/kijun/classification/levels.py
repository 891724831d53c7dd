"""Classification levels of information (R7 §1.2(1)) and the flags derived from them.

The standard classifies every piece of information on three aspects: confidentiality
(機密性 3/2/1), integrity (完全性 2/1) and availability (可用性 2/1). The group names
要機密情報 / 要保全情報 / 要安定情報 / 要保護情報 follow from the levels alone, so they are
computed on demand and never stored: storing them twice is how records drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: The section every level definition rests on.
SECTION = "1.2(1)"


class Confidentiality(IntEnum):
    """機密性 classes. Higher means more secret."""

    C1 = 1
    C2 = 2
    C3 = 3


class Integrity(IntEnum):
    """完全性 classes. 2 = 要保全 (critical information)."""

    I1 = 1
    I2 = 2


class Availability(IntEnum):
    """可用性 classes. 2 = 要安定 (vital information)."""

    A1 = 1
    A2 = 2


@dataclass(frozen=True, slots=True)
class LevelDef:
    """One row of the level table, in our own words (not the standard's text)."""

    aspect: str
    level: int
    name_ja: str
    name_en: str
    summary_ja: str
    summary_en: str
    section: str = SECTION


LEVELS: tuple[LevelDef, ...] = (
    LevelDef("confidentiality", 3, "機密性3情報", "Confidentiality class-3",
             "行政文書の管理に関するガイドラインにより秘密文書（極秘・秘）として取り扱うべき情報",
             "Information that must be handled as a secret document (極秘/秘) under the "
             "Document Management Guidelines"),
    LevelDef("confidentiality", 2, "機密性2情報", "Confidentiality class-2",
             "機密性3以外で、情報公開法第5条の不開示情報に該当する蓋然性の高い情報を含むもの",
             "Not class 3, but includes information likely to be non-disclosure information "
             "under Article 5 of the Information Disclosure Act"),
    LevelDef("confidentiality", 1, "機密性1情報", "Confidentiality class-1",
             "不開示情報を含まない情報", "Contains no non-disclosure information"),
    LevelDef("integrity", 2, "完全性2情報", "Integrity class-2",
             "改ざん・誤り・破損により国民の権利侵害又は行政事務の適確な遂行に支障（軽微を除く）のおそれがある情報",
             "Tampering, errors or damage could infringe citizens' rights or hamper proper "
             "administration (negligible cases excepted)"),
    LevelDef("integrity", 1, "完全性1情報", "Integrity class-1",
             "完全性2以外の情報", "Any other information"),
    LevelDef("availability", 2, "可用性2情報", "Availability class-2",
             "滅失・紛失・利用不能により国民の権利侵害又は行政事務の安定的な遂行に支障（軽微を除く）のおそれがある情報",
             "Loss or unavailability could infringe citizens' rights or stable administration "
             "(negligible cases excepted)"),
    LevelDef("availability", 1, "可用性1情報", "Availability class-1",
             "可用性2以外の情報", "Any other information"),
)


@dataclass(frozen=True, slots=True)
class DerivedFlags:
    """The standard's group names, computed from the levels (R7 §1.2(1))."""

    confidential: bool  # 要機密情報: 機密性2 or 3
    integrity_critical: bool  # 要保全情報: 完全性2
    availability_critical: bool  # 要安定情報: 可用性2
    protected: bool  # 要保護情報: any of the three

    def labels_ja(self) -> list[str]:
        """Japanese names of the flags that are set, in the standard's order."""
        pairs = ((self.confidential, "要機密情報"), (self.integrity_critical, "要保全情報"),
                 (self.availability_critical, "要安定情報"), (self.protected, "要保護情報"))
        return [name for on, name in pairs if on]


def derive_flags(c: int, i: int, a: int) -> DerivedFlags:
    """Flags for raw levels; raises ValueError on an out-of-range level."""
    conf, integ, avail = Confidentiality(c), Integrity(i), Availability(a)
    confidential = conf >= Confidentiality.C2
    ic = integ == Integrity.I2
    ac = avail == Availability.A2
    return DerivedFlags(confidential, ic, ac, confidential or ic or ac)


class Classification(BaseModel):
    """Levels plus handling restrictions of one piece of information.

    ``handling_restrictions`` holds vocabulary codes (see ``restrictions.py``); callers
    resolve user-typed labels through a ``RestrictionVocabulary`` before building this.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    confidentiality: Confidentiality = Field(description="機密性 1-3")
    integrity: Integrity = Field(description="完全性 1-2")
    availability: Availability = Field(description="可用性 1-2")
    handling_restrictions: tuple[str, ...] = ()

    @field_validator("handling_restrictions")
    @classmethod
    def _sorted_unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(value)))

    @property
    def flags(self) -> DerivedFlags:
        return derive_flags(self.confidentiality, self.integrity, self.availability)

    @property
    def short(self) -> str:
        """Compact notation used in lists and logs, e.g. ``C2/I2/A1``."""
        return f"C{int(self.confidentiality)}/I{int(self.integrity)}/A{int(self.availability)}"


def highest(items: Iterable[Classification]) -> Classification:
    """The high-water mark of several classifications: each level's maximum and the union
    of restrictions. A system or a service use is classified by the most demanding
    information it handles, so this is what the system-class and cloud engines consume."""
    rows = list(items)
    if not rows:
        raise ValueError("at least one classification is needed")
    restrictions: set[str] = set()
    for row in rows:
        restrictions.update(row.handling_restrictions)
    return Classification(
        confidentiality=max(r.confidentiality for r in rows),
        integrity=max(r.integrity for r in rows),
        availability=max(r.availability for r in rows),
        handling_restrictions=tuple(restrictions),
    )
