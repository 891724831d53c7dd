"""Loader validation: every problem named by file, id and what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from kijun.catalog.loader import CatalogError, default_data_dir, load_catalog


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "r7"
    shutil.copytree(default_data_dir(), dst)
    return dst


def _edit(directory: Path, chapter: int, fn: Any) -> None:
    p = directory / f"ch{chapter}.yaml"
    doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    fn(doc["nodes"])
    p.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _node(nodes: list[dict[str, Any]], node_id: str) -> dict[str, Any]:
    return next(n for n in nodes if n["id"] == node_id)


def _errors(directory: Path) -> list[str]:
    with pytest.raises(CatalogError) as ei:
        load_catalog(directory)
    return [str(i) for i in ei.value.issues]


def test_packaged_catalog_is_valid(catalog: Any) -> None:
    counts = catalog.counts()
    assert counts["chapter"] == 8
    assert all(v > 0 for v in counts.values())


def test_duplicate_id(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    _edit(d, 4, lambda ns: ns.append(dict(_node(ns, "4.2.1(2)(a)"))))
    errs = _errors(d)
    assert any("ch4.yaml: 4.2.1(2)(a): duplicate id" in e for e in errs), errs


def test_orphan_and_bad_syntax(tmp_path: Path) -> None:
    d = _copy(tmp_path)

    def f(ns: list[dict[str, Any]]) -> None:
        orphan = dict(_node(ns, "4.2.1(2)(a)"), id="4.2.1(9)(a)", parent="4.2.1(9)")
        bad = dict(_node(ns, "4.2.1(2)(a)"), id="4.2.1(2)(A)")
        ns.extend([orphan, bad])

    _edit(d, 4, f)
    errs = _errors(d)
    assert any("4.2.1(9)(a): orphan: parent '4.2.1(9)' does not exist" in e for e in errs), errs
    assert any("4.2.1(2)(A)" in e and "bad id syntax" in e for e in errs), errs


def test_unknown_role_tag_and_dangling_related(tmp_path: Path) -> None:
    d = _copy(tmp_path)

    def f(ns: list[dict[str, Any]]) -> None:
        n = _node(ns, "4.2.1(2)(a)")
        n["responsible_roles"] = ["ciso", "chief_cloud_wizard"]
        n["tags"] = {"applies_to": ["cloud", "clouds"], "lifecycle_phase": ["retirement"]}
        n["related"] = ["9.9.9(1)(a)"]

    _edit(d, 4, f)
    errs = _errors(d)
    assert any("4.2.1(2)(a): unknown role code 'chief_cloud_wizard'" in e for e in errs), errs
    assert any("unknown applies_to tag 'clouds'" in e for e in errs), errs
    assert any("unknown lifecycle_phase tag 'retirement'" in e for e in errs), errs
    assert any("dangling related id '9.9.9(1)(a)'" in e for e in errs), errs
    assert all("ch4.yaml" in e for e in errs)


def test_kind_parent_purpose_and_chapter_checks(tmp_path: Path) -> None:
    d = _copy(tmp_path)

    def f(ns: list[dict[str, Any]]) -> None:
        _node(ns, "4.2.1(2)")["kind"] = "requirement"
        _node(ns, "4.2.1(2)(b)")["parent"] = "4.2.1(1)"
        _node(ns, "4.2.2").pop("purpose_ja")
        ns.append(dict(_node(ns, "4.2.1(2)(a)"), id="5.9.9(1)(a)", parent="5.9.9(1)"))

    _edit(d, 4, f)
    errs = _errors(d)
    assert any("4.2.1(2): kind is 'requirement' but the id's form is a group" in e for e in errs), errs
    assert any("4.2.1(2)(b): parent is '4.2.1(1)', expected '4.2.1(2)'" in e for e in errs), errs
    assert any("4.2.2: item without purpose_en/purpose_ja" in e for e in errs), errs
    assert any("5.9.9(1)(a): belongs to chapter 5, file is chapter 4" in e for e in errs), errs


def test_schema_errors_name_field(tmp_path: Path) -> None:
    d = _copy(tmp_path)

    def f(ns: list[dict[str, Any]]) -> None:
        _node(ns, "4.2.1(2)(a)")["summary_ja"] = ""
        _node(ns, "4.2.1(2)(b)")["colour"] = "blue"

    _edit(d, 4, f)
    errs = _errors(d)
    assert any("4.2.1(2)(a): summary_ja" in e for e in errs), errs
    assert any("4.2.1(2)(b): colour" in e for e in errs), errs


def test_yaml_syntax_and_missing_files(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    (d / "ch3.yaml").write_text("nodes: [\n", encoding="utf-8")
    (d / "edition.yaml").unlink()
    errs = _errors(d)
    assert any("ch3.yaml" in e and "YAML syntax" in e for e in errs), errs
    assert any("missing edition.yaml" in e for e in errs), errs
    empty = tmp_path / "empty"
    empty.mkdir()
    assert any("no ch*.yaml files" in e for e in _errors(empty))
