"""docs/classification.md documents every restriction code, guide question and CLI command."""

from __future__ import annotations

from pathlib import Path

from kijun.classification.cli import app
from kijun.classification.guide import load_guide
from kijun.classification.restrictions import load_vocabulary

DOC = (Path(__file__).resolve().parents[2] / "docs" / "classification.md").read_text(encoding="utf-8")


def test_restrictions_questions_and_commands_are_documented() -> None:
    assert [r.code for r in load_vocabulary().items if f"`{r.code}`" not in DOC] == []
    assert [q for q in load_guide().questions if f"`{q}`" not in DOC] == []
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    assert [n for n in names if f"`{n}" not in DOC] == []
