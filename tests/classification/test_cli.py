from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kijun.classification.cli import app

runner = CliRunner()


def test_levels_json() -> None:
    result = runner.invoke(app, ["levels", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert len(doc["levels"]) == 7
    assert {r["code"] for r in doc["handling_restrictions"] if r["standard"]} == {
        "no_copy", "no_removal", "no_distribution", "encryption_required", "dispose_after_reading"}


def test_levels_text() -> None:
    result = runner.invoke(app, ["levels"])
    assert result.exit_code == 0 and "機密性3情報" in result.stdout and "読後廃棄" in result.stdout


def test_derive() -> None:
    result = runner.invoke(app, ["derive", "--c", "2", "--i", "2", "--a", "1", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["confidential"] and doc["integrity_critical"] and not doc["availability_critical"]
    assert doc["labels_ja"] == ["要機密情報", "要保全情報", "要保護情報"]
    text = runner.invoke(app, ["derive", "--c", "1", "--i", "1", "--a", "1"])
    assert "該当しない" in text.stdout


def test_derive_rejects_bad_levels() -> None:
    result = runner.invoke(app, ["derive", "--c", "4", "--i", "1", "--a", "1"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error:")


def test_guide(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_bytes("answers: {c_secret_document: いいえ, c_non_disclosure: はい, i_written_only: はい}\n"
                        "proposed: {confidentiality: 3}\n".encode("cp932"))
    result = runner.invoke(app, ["guide", "--answers", str(answers), "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["complete"] and doc["classification"]["confidentiality"] == 2
    assert [w["code"] for w in doc["warnings"]] == ["over_classification"]
    text = runner.invoke(app, ["guide", "--answers", str(answers)])
    assert "C2/I1/A1" in text.stdout and "過剰" in text.stderr


def test_guide_pending_and_errors(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("answers: {c_secret_document: no}\n", encoding="utf-8")
    result = runner.invoke(app, ["guide", "--answers", str(answers)])
    assert result.exit_code == 0 and "c_non_disclosure" in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("answers: [1, 2]\n", encoding="utf-8")
    result = runner.invoke(app, ["guide", "--answers", str(bad), "--json"])
    assert result.exit_code == 2 and result.stdout == "" and "bad.yaml" in result.stderr
    missing = runner.invoke(app, ["guide", "--answers", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr


def test_system_class() -> None:
    result = runner.invoke(app, ["system-class", "--c", "3", "--i", "1", "--a", "1", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["class_id"] == "A"
    bad = runner.invoke(app, ["system-class", "--c", "1", "--i", "1", "--a", "1", "--impact", "huge"])
    assert bad.exit_code == 2 and "--impact" in bad.stderr
