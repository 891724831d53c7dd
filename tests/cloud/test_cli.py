from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from kijun.cloud.cli import app

runner = CliRunner()
FIX = Path(__file__).parent / "fixtures"
CASES = Path(__file__).resolve().parents[1] / "cases" / "cloud"


def _request_file(tmp_path: Path, case: str, **extra: object) -> Path:
    doc = yaml.safe_load((CASES / case).read_text(encoding="utf-8"))
    body = {"as_of": doc["as_of"], **doc["request"], **extra}
    if doc.get("policy"):
        body["policy"] = doc["policy"]
    path = tmp_path / "request.yaml"
    path.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    return path


def test_assess_json_matches_the_golden_case(tmp_path: Path) -> None:
    path = _request_file(tmp_path, "004-tos-c2-unlisted.yaml")
    result = runner.invoke(app, ["assess", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["decision"] == "not_permitted" and doc["track"] == "confidential"
    assert doc["reasons"][0]["rule"] == "tos_confidential_unlisted"
    assert "4.2.1" in doc["cited_requirements"]


def test_assess_with_policy_in_request_and_text_output(tmp_path: Path) -> None:
    path = _request_file(tmp_path, "007-c3-policy-allows.yaml")
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 0
    assert "permitted_with_conditions" in result.stdout and "条件/construction" in result.stdout


def test_assess_with_policy_file_and_ismap_list(tmp_path: Path) -> None:
    path = _request_file(tmp_path, "001-c2-ismap-all-good.yaml")
    listed = runner.invoke(app, ["assess", str(path), "--ismap", str(FIX / "ismap_synthetic_utf8.csv"), "--json"])
    assert json.loads(listed.stdout)["decision"] == "needs_review"  # X99-0001-1 is not on that list
    policy = tmp_path / "policy.yaml"
    policy.write_text("allow_c3_in_cloud: true\n", encoding="utf-8")
    c3 = tmp_path / "c3.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["information"][0]["confidentiality"] = 3
    c3.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert json.loads(runner.invoke(app, ["assess", str(c3), "--json"]).stdout)["decision"] == "not_permitted"
    allowed = runner.invoke(app, ["assess", str(c3), "--policy", str(policy), "--json"])
    assert json.loads(allowed.stdout)["decision"] == "permitted_with_conditions"


def test_assess_errors_are_one_line_on_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("service: {name: S}\ninformation: [{confidentiality: 9, integrity: 1, availability: 1}]\n",
                   encoding="utf-8")
    result = runner.invoke(app, ["assess", str(bad), "--json"])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "confidentiality" in result.stderr
    label = tmp_path / "label.yaml"
    label.write_text("service: {name: S}\ninformation: [{confidentiality: 1, integrity: 1, availability: 1, "
                     "handling_restrictions: [社外秘]}]\n", encoding="utf-8")
    result = runner.invoke(app, ["assess", str(label)])
    assert result.exit_code == 2 and "社外秘" in result.stderr
    date_err = runner.invoke(app, ["assess", str(label), "--as-of", "yesterday"])
    assert date_err.exit_code == 2 and "--as-of" in date_err.stderr
    assert runner.invoke(app, ["assess", str(tmp_path / "none.yaml")]).exit_code == 2
    not_mapping = tmp_path / "list.yaml"
    not_mapping.write_text("- 1\n", encoding="utf-8")
    assert "expected a mapping" in runner.invoke(app, ["assess", str(not_mapping)]).stderr


def test_checklist(tmp_path: Path) -> None:
    path = _request_file(tmp_path, "001-c2-ismap-all-good.yaml")
    result = runner.invoke(app, ["checklist", str(path), "--start", "2025-07-01", "--end", "2027-03-31", "--json"])
    assert result.exit_code == 0, result.stderr
    items = {i["duty_id"]: i for i in json.loads(result.stdout)["items"]}
    assert items["dispose_accounts"]["due_on"] == "2027-03-31"
    assert items["access_rights_review"]["due_on"] == "2025-09-29"
    text = runner.invoke(app, ["checklist", str(path), "--start", "2025-07-01"])
    assert "end_of_use" in text.stdout
    assert "planning     2025-07-01 review_against_criteria" in text.stdout


def test_ismap_parse_and_import(tmp_path: Path) -> None:
    for command in ("parse", "import"):
        result = runner.invoke(app, ["ismap", command, str(FIX / "ismap_synthetic_utf8.csv"), "--json",
                                     "--as-of", "2025-07-01"])
        assert result.exit_code == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["counts"] == {"entries": 4, "errors": 5, "liu": 1}
        assert [w["registration_number"] for w in doc["expiry_warnings"]] == ["X21-0001-1", "X23-0003-1"]
    strict = runner.invoke(app, ["ismap", "parse", str(FIX / "ismap_synthetic_utf8.csv"), "--strict"])
    assert strict.exit_code == 1 and "row 9" in strict.stderr
    with_prev = runner.invoke(app, ["ismap", "import", str(FIX / "ismap_synthetic_cp932.csv"), "--previous",
                                    str(FIX / "ismap_synthetic_utf8.csv"), "--as-of", "2025-07-01", "--json"])
    diff = json.loads(with_prev.stdout)["diff"]
    assert [e["registration_number"] for e in diff["added"]] == ["X24-0010-1", "X24-0011-1"]
    assert len(diff["removed"]) == 4
    text_prev = runner.invoke(app, ["ismap", "import", str(FIX / "ismap_synthetic_cp932.csv"), "--previous",
                                    str(FIX / "ismap_synthetic_utf8.csv")])
    assert "2 added, 4 removed, 0 changed" in text_prev.stdout
    clean = runner.invoke(app, ["ismap", "parse", str(FIX / "ismap_synthetic_cp932.csv"), "--strict"])
    assert clean.exit_code == 0 and "2 entries" in clean.stdout
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n", encoding="utf-8")
    failed = runner.invoke(app, ["ismap", "parse", str(bad), "--json"])
    assert failed.exit_code == 2 and failed.stdout == ""


def test_ismap_diff(tmp_path: Path) -> None:
    old = FIX / "ismap_synthetic_utf8.csv"
    new = tmp_path / "new.csv"
    text = old.read_text(encoding="utf-8-sig").replace("X22-0002-1", "X22-0009-1").replace("2026-07-11", "2027-07-11")
    new.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["ismap", "diff", str(old), str(new), "--as-of", "2025-07-01", "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [e["registration_number"] for e in doc["added"]] == ["X22-0009-1"]
    assert [e["registration_number"] for e in doc["removed"]] == ["X22-0002-1"]
    assert [c["registration_number"] for c in doc["changed"]] == ["X21-0001-2"]
    assert [e["registration_number"] for e in doc["expired"]] == ["X21-0001-1"]
    assert doc["errors"] == {"old": 5, "new": 5}
    text_out = runner.invoke(app, ["ismap", "diff", str(old), str(new), "--as-of", "2025-07-01"])
    assert "added    X22-0009-1" in text_out.stdout


def _register(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "register.yaml"
    path.write_text("format: kijun.cloud.register/v1\nentries:\n" + body, encoding="utf-8")
    return path


GOOD = ("  - {service_id: files, service_name: Synthetic Files, status: approved, max_confidentiality: 2,\n"
        "     administrator: admin1, approved_on: 2025-06-01, domains: [files.example.com],\n"
        "     ismap_kind: ismap, ismap_registration_number: X21-0001-2, ismap_expires_on: 2026-07-11}\n")


def test_register_validate(tmp_path: Path) -> None:
    good = _register(tmp_path, GOOD)
    ok = runner.invoke(app, ["register", "validate", str(good), "--as-of", "2025-07-01", "--json"])
    assert ok.exit_code == 0, ok.stdout
    assert json.loads(ok.stdout)["valid"] is True
    linked = runner.invoke(app, ["register", "validate", str(good), "--as-of", "2025-07-01",
                                 "--ismap", str(FIX / "ismap_synthetic_utf8.csv"), "--json"])
    assert linked.exit_code == 0 and json.loads(linked.stdout)["issues"] == []
    bad = _register(tmp_path, GOOD + "  - {service_id: files, service_name: Dup, status: approved}\n")
    result = runner.invoke(app, ["register", "validate", str(bad), "--as-of", "2025-07-01"])
    assert result.exit_code == 1
    assert "register.yaml:2: error: files administrator" in result.stderr


def test_register_convert(tmp_path: Path) -> None:
    good = _register(tmp_path, GOOD)
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["register", "convert", str(good), str(out)])
    assert result.exit_code == 0 and out.read_text(encoding="utf-8").startswith("service_id,")
    back = tmp_path / "back.yaml"
    assert runner.invoke(app, ["register", "convert", str(out), str(back), "--as-of", "2025-07-01"]).exit_code == 0
    assert "generated_on: '2025-07-01'" in back.read_text(encoding="utf-8")
    (tmp_path / "b").mkdir()
    broken = _register(tmp_path / "b", "  - {service_id: X}\n")
    target = tmp_path / "never.csv"
    failed = runner.invoke(app, ["register", "convert", str(broken), str(target)])
    assert failed.exit_code == 2 and not target.exists() and "nothing written" in failed.stderr
