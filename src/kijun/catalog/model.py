"""The catalog's data model: one :class:`Node` per provision of the standard.

Titles in English are facts taken from the official translation (``title_en_status: official``);
requirements and sub-items have no title in the standard, so theirs are short labels we wrote
(``own``).  Japanese titles are our translation (``unofficial``) until an official Japanese import
replaces them.  Summaries are always our own words; ``summary_status: draft`` marks those written
mechanically that still want a human pass.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .ids import IdError, NodeKind, kind_of


class Tags(BaseModel):
    """Queryable tags; both lists use the controlled words in :mod:`kijun.catalog.vocab`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    applies_to: tuple[str, ...] = ()
    lifecycle_phase: tuple[str, ...] = ()


class Node(BaseModel):
    """One provision: chapter, section, item, group, requirement, sub-item or definition."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: NodeKind
    parent: str | None = None
    title_en: str = Field(min_length=1)
    title_en_status: Literal["official", "own"] = "official"
    title_ja: str = Field(min_length=1)
    title_ja_status: Literal["unofficial", "official"] = "unofficial"
    summary_en: str = Field(min_length=1)
    summary_ja: str = Field(min_length=1)
    summary_status: Literal["reviewed", "draft"] = "reviewed"
    purpose_en: str | None = None
    purpose_ja: str | None = None
    responsible_roles: tuple[str, ...] = ()
    tags: Tags = Tags()
    related: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _id_syntax(cls, v: str) -> str:
        try:
            kind_of(v)
        except IdError as exc:
            raise ValueError(str(exc)) from None
        return v

    @property
    def chapter(self) -> str:
        """Chapter number as a string."""
        return self.id.split(".", 1)[0].split(":", 1)[0]


class ChapterFile(BaseModel):
    """One ``chNN.yaml`` file: the nodes of one chapter in document order."""

    model_config = ConfigDict(extra="forbid")

    edition: str
    chapter: str
    nodes: list[dict[str, object]]


class Edition(BaseModel):
    """``edition.yaml``: which edition of the standard the data describes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    title_ja: str
    title_en: str
    decided: str
    in_force: str
    source_en: str = ""
    notes: str = ""
