from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from kijun.classification.guide import GuideError, answers_from_data, guide_from_data, load_guide, walk

CASES = sorted((Path(__file__).resolve().parents[1] / "cases" / "classification").glob("*.yaml"))


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 8


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_golden_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    answers, proposed = answers_from_data(case, str(path))
    result = walk(load_guide(), answers, proposed)
    expect = case["expect"]
    assert [s.question_id for s in result.steps] == expect["path"]
    assert sorted(w.code for w in result.warnings) == sorted(expect["warnings"])
    if expect["classification"] is None:
        assert result.classification is None
        assert result.pending == expect["pending"]
        return
    cls = result.classification
    assert cls is not None and result.pending is None
    got = {"confidentiality": cls.confidentiality, "integrity": cls.integrity, "availability": cls.availability}
    assert got == expect["classification"]
    assert cls.flags.labels_ja() == expect["flags"]
    # every explanation names the section it rests on
    assert all(s.section == "1.2(1)" and s.explain_en and s.explain_ja for s in result.steps)


def test_class_3_is_reachable_only_through_the_secret_document_question() -> None:
    tree = load_guide()
    setters = [(qid, ans) for qid, q in tree.questions.items() for ans in ("yes", "no")
               if getattr(q, ans).set.get("confidentiality") == 3]
    assert setters == [("c_secret_document", "yes")]
    assert "秘密文書" in tree.questions["c_secret_document"].question_ja


def _tree() -> dict[str, Any]:
    return copy.deepcopy(load_guide().model_dump())


def test_tree_checks_catch_missing_aspects_loops_and_dangling_links() -> None:
    bad = _tree()
    bad["questions"]["a_negligible"]["yes"]["set"] = {}
    with pytest.raises(GuideError, match="without setting"):
        guide_from_data(bad)
    bad = _tree()
    bad["questions"]["a_negligible"]["yes"]["next"] = "a_harm"
    with pytest.raises(GuideError, match="loop|second time"):
        guide_from_data(bad)
    bad = _tree()
    bad["questions"]["i_harm"]["no"]["next"] = "nowhere"
    with pytest.raises(GuideError, match="unknown question 'nowhere'"):
        guide_from_data(bad)
    bad = _tree()
    bad["questions"]["c_non_disclosure"]["yes"]["set"] = {"confidentiality": 4}
    with pytest.raises(GuideError, match="out of range"):
        guide_from_data(bad)


def test_unquoted_yes_no_keys_are_accepted() -> None:
    data = _tree()
    for q in data["questions"].values():
        q[True] = q.pop("yes")
        q[False] = q.pop("no")
    assert guide_from_data(data).root == "c_secret_document"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"answers": {"c_secret_document": "maybe"}}, "yes or no"),
        ({"answers": {}, "proposed": {"secrecy": 2}}, "unknown aspect"),
        ({"answers": {}, "proposed": {"integrity": 3}}, "level must be 1-2"),
        ({"nothing": 1}, "answers"),
    ],
)
def test_bad_answers_files(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(GuideError, match=message):
        answers_from_data(doc, "a.yaml")


def test_unknown_question_ids_are_rejected() -> None:
    with pytest.raises(GuideError, match="unknown questions"):
        walk(load_guide(), {"c_typo": True})
