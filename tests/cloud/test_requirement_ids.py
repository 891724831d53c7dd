"""Every requirement id the engines cite exists in the R7 reference text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kijun.classification.guide import load_guide
from kijun.classification.system_class import CITES as SYSTEM_CLASS_CITES
from kijun.cloud.lifecycle import load_duties
from kijun.cloud.rules import REQ_ID, load_rules
from tests.cloud.refids import R7_TEXT, r7_ids

SRC = Path(__file__).resolve().parents[2] / "src" / "kijun"
ANY_ID = re.compile(r"(?<![\d.])(\d\.\d(?:\.\d)?\(\d+\)(?:\([a-z]+\))*)")
DOCS = Path(__file__).resolve().parents[2] / "docs"

pytestmark = pytest.mark.skipif(not R7_TEXT.exists(), reason="../shared reference text not present")


def _all_cited() -> set[str]:
    rules = load_rules()
    cited = {c for r in rules.rules for c in r.cites}
    cited |= {c for cond in rules.conditions.values() for c in cond.cites}
    cited |= {c for d in load_duties().duties for c in d.cites}
    cited |= set(SYSTEM_CLASS_CITES)
    cited |= {q.section for q in load_guide().questions.values()}
    return cited


def _mentioned() -> set[str]:
    """Every id-shaped token in our code, data and docs (messages and prose included)."""
    paths = [p for pkg in ("cloud", "classification") for p in (SRC / pkg).rglob("*") if p.suffix in {".py", ".yaml"}]
    paths += [DOCS / "cloud.md", DOCS / "classification.md"]
    found: set[str] = set()
    for path in paths:
        found |= set(ANY_ID.findall(path.read_text(encoding="utf-8")))
    return found


def test_parser_sees_the_structure() -> None:
    ids = r7_ids()
    assert {"4.2.1(2)(b)(iii)", "4.2.2(3)(c)(ii)", "8.1.1(10)(a)", "2.2.2(2)(b)"} <= ids
    assert not {"4.2.1(5)", "4.2.3(2)(e)", "4.2.1(2)(b)(iv)", "8.1.1(11)"} & ids


def test_every_cited_id_exists_in_r7() -> None:
    cited = _all_cited()
    assert len(cited) > 40
    assert all(REQ_ID.match(c) for c in cited)
    assert sorted(cited - r7_ids()) == []


def test_every_id_mentioned_in_code_data_and_docs_exists_in_r7() -> None:
    mentioned = _mentioned()
    assert {"2.1.1(8)(a)(i)", "2.2.2(2)(b)", "4.2.2(1)(c)(iii)"} <= mentioned
    assert sorted(mentioned - r7_ids()) == []
