"""Requirement ids exactly as the standard cites them, and how they nest.

The standard cites its provisions as ``4.2.1`` (item), ``4.2.1(2)`` (group), ``4.2.1(2)(c)``
(requirement) and ``4.2.1(1)(a)(iii)`` (sub-item).  Chapter 1 groups hang directly under a section
(``1.1(2)``).  Chapter 1 definitions are not cited by number in the standard, so they get an id of
their own form, ``1.3:cloud-services`` or ``1.2(1):confidentiality-class-3``: the part before the colon
is the provision that defines them, the part after is a slug of the English term.

Everything here is pure string work so that the loader, the official-text parser and the diff all
agree on one grammar.
"""

from __future__ import annotations

import re
from enum import StrEnum


class NodeKind(StrEnum):
    """The levels of the standard's structure (章・節・款・(1)・(a)・(i)) plus chapter-1 definitions."""

    CHAPTER = "chapter"
    SECTION = "section"
    ITEM = "item"
    GROUP = "group"
    REQUIREMENT = "requirement"
    SUBITEM = "subitem"
    DEFINITION = "definition"


ROMANS: tuple[str, ...] = (
    "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x",
    "xi", "xii", "xiii", "xiv", "xv", "xvi", "xvii", "xviii", "xix", "xx",
)
LETTERS: str = "abcdefghijklmnopqrstuvwxyz"

_ROMAN_ALT = "|".join(sorted(ROMANS, key=len, reverse=True))
_RE_CHAPTER = re.compile(r"^[1-9]$")
_RE_SECTION = re.compile(r"^[1-9]\.[1-9][0-9]?$")
_RE_ITEM = re.compile(r"^[1-9]\.[1-9][0-9]?\.[1-9][0-9]?$")
_HEAD = r"[1-9]\.[1-9][0-9]?(?:\.[1-9][0-9]?)?"
_RE_GROUP = re.compile(rf"^({_HEAD})\(([1-9][0-9]?)\)$")
_RE_REQ = re.compile(rf"^({_HEAD}\([1-9][0-9]?\))\(([a-z])\)$")
_RE_SUB = re.compile(rf"^({_HEAD}\([1-9][0-9]?\)\([a-z]\))\(({_ROMAN_ALT})\)$")
_RE_DEF = re.compile(rf"^({_HEAD}(?:\([1-9][0-9]?\))?):([a-z0-9]+(?:-[a-z0-9]+)*)$")


class IdError(ValueError):
    """An id that does not follow the standard's citation grammar."""


def kind_of(node_id: str) -> NodeKind:
    """Return the kind an id's syntax implies, or raise :class:`IdError` saying why it is malformed."""
    if _RE_CHAPTER.match(node_id):
        return NodeKind.CHAPTER
    if _RE_SECTION.match(node_id):
        return NodeKind.SECTION
    if _RE_ITEM.match(node_id):
        return NodeKind.ITEM
    if _RE_GROUP.match(node_id):
        return NodeKind.GROUP
    if _RE_REQ.match(node_id):
        return NodeKind.REQUIREMENT
    if _RE_SUB.match(node_id):
        return NodeKind.SUBITEM
    if _RE_DEF.match(node_id):
        return NodeKind.DEFINITION
    raise IdError(
        f"bad id syntax {node_id!r}: expected forms like '4', '4.2', '4.2.1', '4.2.1(2)', "
        "'4.2.1(2)(c)', '4.2.1(1)(a)(iii)' or '1.3:term-slug'"
    )


def is_valid(node_id: str) -> bool:
    """True when ``node_id`` follows the grammar."""
    try:
        kind_of(node_id)
    except IdError:
        return False
    return True


def parent_of(node_id: str) -> str | None:
    """The id this id nests under by syntax (``None`` for a chapter)."""
    kind = kind_of(node_id)
    if kind is NodeKind.CHAPTER:
        return None
    if kind in (NodeKind.SECTION, NodeKind.ITEM):
        return node_id.rsplit(".", 1)[0]
    if kind is NodeKind.DEFINITION:
        return node_id.split(":", 1)[0]
    return node_id[: node_id.rindex("(")]


def chapter_of(node_id: str) -> str:
    """The chapter number an id belongs to ("4" for "4.2.1(2)")."""
    kind_of(node_id)
    return node_id.split(".", 1)[0].split(":", 1)[0]


def slugify(term: str) -> str:
    """The slug used in definition ids: lower-case ASCII words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", re.sub(r"['’]", "", term.lower()))
    return "-".join(words)


def definition_id(provision: str, term: str) -> str:
    """Id of a definition of ``term`` given in ``provision`` (e.g. ``1.3``)."""
    return f"{provision}:{slugify(term)}"


def sort_key(node_id: str) -> tuple[tuple[int, int, str], ...]:
    """Document order: numbers numerically, then (1) groups, (a) letters, (i) roman numerals by value.

    Definitions sort after the provision that defines them, alphabetically by slug.
    """
    kind_of(node_id)
    head, _, term = node_id.partition(":")
    numbers, _, rest = head.partition("(")
    parts: list[tuple[int, int, str]] = [(0, int(n), "") for n in numbers.split(".")]
    tokens = re.findall(r"\(([^)]*)\)", "(" + rest) if rest else []
    for depth, tok in enumerate(tokens):
        if depth == 0:
            parts.append((1, int(tok), ""))
        elif depth == 1:
            parts.append((2, LETTERS.index(tok), ""))
        else:
            parts.append((3, ROMANS.index(tok), ""))
    if term:
        parts.append((4, 0, term))
    return tuple(parts)
