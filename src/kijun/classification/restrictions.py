"""Handling restrictions (取扱制限, R7 §1.2(2)) as a validated vocabulary.

The standard names five kinds (複製禁止, 持出禁止, 配付禁止, 暗号化必須, 読後廃棄) and leaves
agencies to add their own. A vocabulary maps what users type (a code, the Japanese name or
the English name) to one stable code, so that stored records and rules compare codes only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kijun.classification.datafile import read_yaml, validate

SECTION = "1.2(2)"
STANDARD_CODES: frozenset[str] = frozenset(
    {"no_copy", "no_removal", "no_distribution", "encryption_required", "dispose_after_reading"}
)
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,47}$")


class RestrictionDef(BaseModel):
    """One label of the vocabulary."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name_ja: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    aspect: Literal["confidentiality", "integrity", "availability"]
    standard: bool = False
    description_en: str = ""

    @field_validator("code")
    @classmethod
    def _code_shape(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError("code must be lower_snake_case ascii, 2-48 characters")
        return value


class VocabularyError(ValueError):
    """Raised for an invalid vocabulary file or an unknown label."""


def _key(label: str) -> str:
    return unicodedata.normalize("NFKC", label).strip().casefold()


@dataclass(frozen=True)
class RestrictionVocabulary:
    """An immutable, validated set of restriction labels."""

    items: tuple[RestrictionDef, ...]

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for item in self.items:
            for key in (_key(item.code), _key(item.name_ja), _key(item.name_en)):
                if key in seen and seen[key] != item.code:
                    raise VocabularyError(f"label {key!r} is used by both {seen[key]} and {item.code}")
                seen[key] = item.code
        codes = {i.code for i in self.items}
        missing = STANDARD_CODES - codes
        if missing:
            raise VocabularyError(f"the standard's restrictions are missing: {sorted(missing)}")
        for item in self.items:
            if item.standard != (item.code in STANDARD_CODES):
                raise VocabularyError(f"{item.code}: only the standard's five labels may be standard: true")

    @cached_property
    def _index(self) -> dict[str, str]:
        """Normalised label → code, built once per vocabulary (resolve runs per cell on imports)."""
        index: dict[str, str] = {}
        for item in self.items:
            for key in (item.code, item.name_ja, item.name_en):
                index[_key(key)] = item.code
        return index

    def get(self, code: str) -> RestrictionDef:
        for item in self.items:
            if item.code == code:
                return item
        raise VocabularyError(f"unknown handling restriction code {code!r}")

    def resolve(self, label: str) -> str:
        """The code for a code, Japanese name or English name (case/width-insensitive)."""
        code = self._index.get(_key(label))
        if code is None:
            known = ", ".join(i.name_ja for i in self.items)
            raise VocabularyError(f"unknown handling restriction {label!r} (known: {known})")
        return code

    def resolve_all(self, labels: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted({self.resolve(label) for label in labels}))

    def is_standard(self, code: str) -> bool:
        return self.get(code).standard


def vocabulary_from_data(data: Any, source: str = "<data>") -> RestrictionVocabulary:
    """Build a vocabulary from parsed YAML (``{restrictions: [...]}``)."""
    if not isinstance(data, dict) or not isinstance(data.get("restrictions"), list):
        raise VocabularyError(f"{source}: expected a mapping with a 'restrictions' list")
    items = [validate(RestrictionDef, row, f"{source}: restriction #{n}", VocabularyError)
             for n, row in enumerate(data["restrictions"], start=1)]
    return RestrictionVocabulary(tuple(items))


def load_vocabulary(path: Path | None = None) -> RestrictionVocabulary:
    """Load the agency's vocabulary file, or the shipped default when ``path`` is None."""
    return vocabulary_from_data(*read_yaml(path, "kijun.classification", "data/handling_restrictions.yaml"))
