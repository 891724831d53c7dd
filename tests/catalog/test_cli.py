"""`kijun catalog …` through typer's CliRunner against the sub-app."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kijun.catalog.cli import app
from kijun.catalog.loader import default_data_dir

from .conftest import FIXTURES

runner = CliRunner()


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_list_chapter_json() -> None:
    doc = _json(["list", "--chapter", "7", "--json"])
    ids = [n["id"] for n in doc["nodes"]]
    assert ids[0] == "7" and "7.3.1(3)(a)" in ids and all(i.startswith("7") for i in ids)
    assert doc["count"] == len(ids)
    reqs = _json(["list", "--kind", "requirement", "--json"])
    assert all(n["kind"] == "requirement" for n in reqs["nodes"])


def test_list_text_and_errors() -> None:
    res = runner.invoke(app, ["list", "--chapter", "4"])
    assert res.exit_code == 0 and "4.2.1  " in res.stdout
    bad = runner.invoke(app, ["list", "--chapter", "12"])
    assert bad.exit_code == 1 and "no chapter '12'" in bad.stderr and bad.stdout == ""
    bad = runner.invoke(app, ["list", "--kind", "article"])
    assert bad.exit_code == 1 and "unknown kind" in bad.stderr


def test_show_json_and_text() -> None:
    doc = _json(["show", "4.2.1(1)(a)", "--json"])
    assert doc["id"] == "4.2.1(1)(a)" and doc["kind"] == "requirement"
    assert [a["id"] for a in doc["ancestors"]] == ["4", "4.2", "4.2.1", "4.2.1(1)"]
    assert [c["id"] for c in doc["children"]][:1] == ["4.2.1(1)(a)(i)"]
    assert set(doc) >= {"title_en", "title_ja", "summary_en", "summary_ja", "responsible_roles", "tags", "related"}
    res = runner.invoke(app, ["show", "7.3.1"])
    assert res.exit_code == 0 and "目的・趣旨" in res.stdout
    for bad, msg in (("9.9.9", "no such id"), ("4.2.1(a)", "bad id syntax")):
        r = runner.invoke(app, ["show", bad])
        assert r.exit_code == 1 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_search_japanese() -> None:
    doc = _json(["search", "テレワーク", "--json"])
    assert doc["count"] > 0 and any(h["id"] == "8.1.3" for h in doc["hits"])
    assert {"id", "kind", "title_ja", "title_en", "field", "snippet"} <= set(doc["hits"][0])
    res = runner.invoke(app, ["search", "存在しない語句ですよ"])
    assert res.exit_code == 0 and "no matches" in res.stderr


def test_export_formats(tmp_path: Path) -> None:
    doc = _json(["export", "--format", "json"])
    assert doc["edition"]["code"] == "r7" and len(doc["nodes"]) == sum(doc["counts"].values())
    out = tmp_path / "c.csv"
    res = runner.invoke(app, ["export", "--format", "csv", "--out", str(out)])
    assert res.exit_code == 0 and res.stdout == ""
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "ID [id]" and len(rows) == len(doc["nodes"]) + 1
    xlsx = tmp_path / "c.xlsx"
    res = runner.invoke(app, ["export", "--format", "xlsx", "--out", str(xlsx)])
    assert res.exit_code == 0 and xlsx.read_bytes()[:2] == b"PK"
    res = runner.invoke(app, ["export", "--format", "xlsx"])
    assert res.exit_code == 1 and "--out" in res.stderr
    xlsx.unlink()
    oscal = _json(["export", "--format", "oscal"])
    assert oscal["catalog"]["metadata"]["oscal-version"] == "1.1.2"
    with_stm = _json(["export", "--format", "oscal", "--official", str(FIXTURES / "en_sample.txt")])
    text = json.dumps(with_stm, ensure_ascii=False)
    assert "The imaginary head shall name one person in charge" in text and '"name": "statement"' in text
    bad = runner.invoke(app, ["export", "--format", "xml", "--out", str(tmp_path / "x.xml")])
    assert bad.exit_code == 1 and "unknown format" in bad.stderr and not (tmp_path / "x.xml").exists()
    assert list(tmp_path.iterdir()) == [out]  # no temp files left behind


def test_profile_command(tmp_path: Path) -> None:
    pol = tmp_path / "policy.yaml"
    pol.write_text(
        "agency: 架空省\ntitle: 架空省対策基準\nexclude: ['2.1.1(1)(b)']\n"
        "parameters:\n  - {control: '2.3.1(1)(a)', id: freq, label: 頻度, value: 年1回}\n",
        encoding="utf-8",
    )
    doc = _json(["profile", str(pol)])
    assert doc["profile"]["metadata"]["title"] == "架空省対策基準"
    pol.write_text("agency: x\ntitle: y\ninclude: ['9.9.9(1)(a)']\n", encoding="utf-8")
    res = runner.invoke(app, ["profile", str(pol)])
    assert res.exit_code == 1 and "9.9.9(1)(a)" in res.stderr
    pol.write_bytes("agency: 架空省\ntitle: 対策基準\n".encode("cp932"))
    assert _json(["profile", str(pol)])["profile"]["metadata"]["props"][0]["value"] == "架空省"
    pol.write_text("agency: x\n", encoding="utf-8")
    res = runner.invoke(app, ["profile", str(pol)])
    assert res.exit_code == 1 and "title" in res.stderr


def test_import_official_fixture_json() -> None:
    doc = _json(["import-official", str(FIXTURES / "en_sample.txt"), "--json"])
    assert doc["layout"] == "en-tentative-translation"
    assert doc["counts"]["requirement"] == 10
    assert any("out of sequence" in b["reason"] and b["line_start"] > 0 for b in doc["unplaced"])
    assert "text" not in doc["nodes"][0]
    cov = doc["coverage"]
    assert cov["with_official_text"] < cov["catalog_requirements"] and cov["not_in_catalog"]
    with_text = _json(["import-official", str(FIXTURES / "ja_sample.txt"), "--json", "--with-text"])
    assert with_text["layout"] == "ja-official"
    assert any(n["text"] == "決めた日" for n in with_text["nodes"])
    bad = runner.invoke(app, ["import-official", str(FIXTURES / "nope.txt"), "--json"])
    assert bad.exit_code == 1 and "nope.txt" in bad.stderr


def test_import_official_reference(ref_text_path: Path) -> None:
    doc = _json(["import-official", str(ref_text_path), "--json"])
    cov = doc["coverage"]
    assert cov["ratio"] >= 0.99 and cov["missing_in_import"] == [] and cov["not_in_catalog"] == []


def test_diff_command(tmp_path: Path) -> None:
    new = tmp_path / "new"
    shutil.copytree(default_data_dir(), new)
    p = new / "ch8.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("title_en: Teleworking\n", "title_en: Remote work\n"),
                 encoding="utf-8")
    doc = _json(["diff", str(default_data_dir()), str(new), "--json"])
    assert doc["summary"]["retitled"] == 1
    assert doc["changes"] == [{"type": "retitled", "id": "8.1.3", "old_id": None, "kind": "item",
                               "title_a": "Teleworking", "title_b": "Remote work", "fields": [],
                               "similarity": None}]
    doc = _json(["diff", str(FIXTURES / "en_sample.txt"), str(FIXTURES / "en_sample.txt"), "--json"])
    assert doc["changes"] == []
    cites = tmp_path / "cites.yaml"
    cites.write_text("テレワーク実施要領: ['8.1.3']\n台帳要領: ['2.1.2(1)(a)']\n", encoding="utf-8")
    doc = _json(["diff", str(default_data_dir()), str(new), "--citations", str(cites), "--json"])
    assert [r["document"] for r in doc["review"]] == ["テレワーク実施要領"]
    res = runner.invoke(app, ["diff", str(default_data_dir()), str(new), "--citations", str(cites)])
    assert res.exit_code == 0 and "documents to review: 1/2" in res.stdout
    cites.write_text("- just a list\n", encoding="utf-8")
    bad = runner.invoke(app, ["diff", str(default_data_dir()), str(new), "--citations", str(cites)])
    assert bad.exit_code == 1 and "mapping of document name" in bad.stderr
    mixed = runner.invoke(app, ["diff", str(new), str(FIXTURES / "en_sample.txt"), "--json"])
    assert mixed.exit_code == 0 and "warning: comparing a catalog" in mixed.stderr
    bad = runner.invoke(app, ["diff", str(tmp_path / "missing"), str(new)])
    assert bad.exit_code == 1 and "no such file" in bad.stderr


@pytest.mark.parametrize("as_json", [True, False])
def test_validate(tmp_path: Path, as_json: bool) -> None:
    args = ["validate"] + (["--json"] if as_json else [])
    res = runner.invoke(app, args)
    assert res.exit_code == 0
    broken = tmp_path / "r7"
    shutil.copytree(default_data_dir(), broken)
    p = broken / "ch2.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("- ciso\n", "- cisco\n", 1), encoding="utf-8")
    res = runner.invoke(app, [*args, "--data", str(broken)])
    assert res.exit_code == 1
    if as_json:
        issues = json.loads(res.stdout)["issues"]
        assert any("unknown role code 'cisco'" in i["message"] and i["file"].endswith("ch2.yaml") for i in issues)
    else:
        assert "cisco" in res.stderr
