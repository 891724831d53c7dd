"""Requirement ids present in the R7 English text (../shared/reference/standards), for tests.

A small structural parser: items like 4.2.1, groups (1), lettered requirements (a) and
roman sub-items (i), nested by indentation. It reads the reference at run time; nothing of
the standard's text is copied into the project.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
R7_TEXT = SHARED / "reference" / "standards" / "common-standards-r7-en.txt"
_ROMAN = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"}
_SECTION = re.compile(r"^(\d\.\d)\s+[A-Z]")
_ITEM = re.compile(r"^(\d\.\d\.\d)\s+[A-Z]")
_MARK = re.compile(r"^(\s*)\(([0-9]+|[a-z]+)\)\s")


@cache
def r7_ids() -> frozenset[str]:
    ids: set[str] = set()
    base = group = letter = None
    letter_indent = -1
    for line in R7_TEXT.read_text(encoding="utf-8").splitlines():
        if "....." in line:  # table of contents
            continue
        if m := _ITEM.match(line):
            base, group, letter = m[1], None, None
            ids.add(base)
            continue
        if m := _SECTION.match(line):
            base, group, letter = m[1], None, None
            ids.add(base)
            continue
        m = _MARK.match(line)
        if not m or base is None:
            continue
        indent, token = len(m[1]), m[2]
        if token.isdigit():
            group, letter = f"{base}({token})", None
            ids.add(group)
        elif group is not None and token in _ROMAN and letter is not None and indent > letter_indent + 1:
            ids.add(f"{letter}({token})")
        elif group is not None and len(token) == 1:
            letter, letter_indent = f"{group}({token})", indent
            ids.add(letter)
    return frozenset(ids)
