"""Diffing two editions: added, removed, moved, retitled, changed text."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from kijun.catalog.diff import (
    diff_result_json,
    diff_snapshots,
    review_worklist,
    snapshot_of_catalog,
    snapshot_of_import,
)
from kijun.catalog.import_official import parse_official
from kijun.catalog.loader import default_data_dir, load_catalog

from .conftest import FIXTURES


def _by(res: Any, kind: str) -> dict[str, Any]:
    return {c.id: c for c in res.changes if c.type == kind}


def test_catalog_diff_detects_each_change(tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(default_data_dir(), new)
    p = new / "ch4.yaml"
    doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    nodes = doc["nodes"]
    idx = {n["id"]: k for k, n in enumerate(nodes)}
    nodes[idx["4.2.1(2)"]]["title_en"] = "Choosing cloud services"
    nodes[idx["4.2.1(2)(a)"]]["summary_en"] = "A rewritten summary."
    nodes[idx["4.3.1(1)(a)"]]["responsible_roles"] = ["ciso"]
    moved = dict(nodes[idx["4.2.3(2)(c)"]], id="4.2.3(2)(z)")
    nodes[idx["4.2.3(2)(c)"]] = moved
    nodes.append(dict(nodes[idx["4.2.1(2)(a)"]], id="4.2.1(2)(y)", summary_en="Brand new.", summary_ja="新設。"))
    p.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    old_cat, new_cat = load_catalog(), load_catalog(new)
    res = diff_snapshots(snapshot_of_catalog(old_cat, "old"), snapshot_of_catalog(new_cat, "new"))
    assert _by(res, "retitled")["4.2.1(2)"].title_b == "Choosing cloud services"
    changed = _by(res, "changed_text")
    assert changed["4.2.1(2)(a)"].fields == ("summary_en",)
    assert changed["4.3.1(1)(a)"].fields == ("responsible_roles",)
    mv = _by(res, "moved")["4.2.3(2)(z)"]
    assert mv.old_id == "4.2.3(2)(c)" and mv.similarity == 1.0
    assert "4.2.1(2)(y)" in _by(res, "added")
    assert not _by(res, "removed")
    assert res.counts["moved"] == 1 and res.counts["added"] == 1
    assert res.unchanged == len(old_cat) - 4
    doc_json = diff_result_json(res)
    assert doc_json["summary"]["retitled"] == 1 and doc_json["changes"][0].keys() >= {"type", "id", "old_id"}


def test_identical_catalogs_have_no_changes() -> None:
    cat = load_catalog()
    res = diff_snapshots(snapshot_of_catalog(cat), snapshot_of_catalog(cat))
    assert res.changes == () and res.unchanged == len(cat)


def test_official_text_diff_with_renumbering_and_edits() -> None:
    old_text = (FIXTURES / "en_sample.txt").read_text(encoding="utf-8")
    new_text = (
        old_text.replace("    (c) The person in charge shall keep the record for a test period.\n", "")
        .replace("(d) A fourth rule.", "(c) A fourth rule.").replace("(e) A fifth", "(d) A fifth")
        .replace("(f) A sixth", "(e) A sixth").replace("(g) A seventh", "(f) A seventh")
        .replace("(h) An eighth", "(g) An eighth")
        .replace("(i)   A ninth rule whose marker looks like a roman numeral.", "(h) A ninth rule, reworded slightly here.")
        .replace("(2) Reporting", "(2) Reporting duties")
        .replace("report once a year.", "report once a year in writing.")
    )
    a = snapshot_of_import(parse_official(old_text, "old.txt"))
    b = snapshot_of_import(parse_official(new_text, "new.txt"))
    res = diff_snapshots(a, b)
    moved = {c.old_id: c.id for c in res.changes if c.type == "moved"}
    assert moved == {f"2.1.1(1)({o})": f"2.1.1(1)({n})" for o, n in zip("defgh", "cdefg", strict=True)}
    # the deleted (c) and the heavily reworded ninth rule are removals; the new (h) is new text
    assert {c.id for c in res.changes if c.type == "removed"} == {"2.1.1(1)(c)", "2.1.1(1)(i)"}
    assert _by(res, "changed_text")["2.1.1(1)(h)"].fields == ("text",)
    assert _by(res, "retitled")["2.1.1(2)"].title_b == "Reporting duties"
    assert _by(res, "changed_text")["2.1.1(2)(a)"].fields == ("text",)


def test_review_worklist_marks_documents_citing_changed_ids() -> None:
    old_text = (FIXTURES / "en_sample.txt").read_text(encoding="utf-8")
    new_text = old_text.replace("report once a year.", "report twice a year.")
    res = diff_snapshots(snapshot_of_import(parse_official(old_text)), snapshot_of_import(parse_official(new_text)))
    citations = {
        "報告要領": ["2.1.1(2)(a)"],          # cites the changed requirement itself
        "体制規程": ["2.1.1"],                # cites the item: every change below it counts
        "台帳要領": ["2.1.2(1)(a)"],          # untouched
    }
    work = review_worklist(res, citations)
    assert set(work) == {"報告要領", "体制規程"}
    assert [c.id for c in work["報告要領"]] == ["2.1.1(2)(a)"]
    doc = diff_result_json(res, citations)
    assert [r["document"] for r in doc["review"]] == ["報告要領", "体制規程"]  # type: ignore[index]
