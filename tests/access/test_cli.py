"""The `kijun access` CLI through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kijun.access.cli import app

from .conftest import make_request

runner = CliRunner()


def _request_file(tmp_path: Path, **overrides: object) -> Path:
    path = tmp_path / "req.json"
    path.write_text(make_request(**overrides).model_dump_json(), "utf-8")
    return path


def test_decide_json_default_policy(tmp_path: Path) -> None:
    result = runner.invoke(app, ["decide", "--input", str(_request_file(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["decision"] == "allow" and body["determining_policies"] == ["allow_staff_own_unit"]
    assert set(body) == {"decision", "determining_policies", "reasons", "obligations", "evaluated_at",
                         "policy_revision", "decision_id", "request_hash"}


def test_decide_text_shows_obligation(tmp_path: Path) -> None:
    result = runner.invoke(app, ["decide", "-i", str(_request_file(tmp_path, context__network="telework"))])
    assert result.exit_code == 0
    assert result.stdout.startswith("step_up") and "obligation step_up: mfa" in result.stdout


def test_decide_with_policy_dir(tmp_path: Path) -> None:
    pol = tmp_path / "pol"
    pol.mkdir()
    (pol / "p.cedar").write_text('@id("nobody") forbid (principal, action, resource);\n'
                                 '@id("all") permit (principal, action, resource);')
    result = runner.invoke(app, ["decide", "--policy", str(pol), "-i", str(_request_file(tmp_path)), "--json"])
    assert json.loads(result.stdout)["determining_policies"] == ["nobody"]


def test_decide_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"principal": {"id": "a"}, "action": "read"}')
    result = runner.invoke(app, ["decide", "-i", str(bad)])
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("error: ") and "resource" in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert "line 1" in runner.invoke(app, ["decide", "-i", str(broken)]).stderr
    missing = runner.invoke(app, ["decide", "-i", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1 and "No such file" in missing.stderr


def test_compile_prints_cedar(tmp_path: Path) -> None:
    rules = tmp_path / "r.rules.yaml"
    rules.write_text("rules:\n  - {id: c3_home, outcome: deny, when: ['resource.confidentiality == 3', "
                     "'network != agency']}\n")
    result = runner.invoke(app, ["compile", str(rules)])
    assert result.exit_code == 0
    assert '@id("c3_home")' in result.stdout and "forbid (principal, action, resource)" in result.stdout
    rules.write_text("rules:\n  - {id: x, outcome: deny, when: ['network == moon']}\n")
    bad = runner.invoke(app, ["compile", str(rules)])
    assert bad.exit_code == 1 and "moon" in bad.stderr


def test_validate(tmp_path: Path) -> None:
    (tmp_path / "p.cedar").write_text('@id("x") permit (principal, action, resource) when { resource.nope };')
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1 and "p.cedar: policy 'x'" in result.stderr
    as_json = runner.invoke(app, ["validate", str(tmp_path), "--json"])
    assert json.loads(as_json.stdout)["valid"] is False
    (tmp_path / "p.cedar").write_text('@id("x") permit (principal, action, resource);')
    ok = runner.invoke(app, ["validate", str(tmp_path)])
    assert ok.exit_code == 0 and ok.stdout.startswith("valid: 1 policy file")


def test_keygen_bundle_build_and_verify(tmp_path: Path) -> None:
    priv, pub = tmp_path / "k.pem", tmp_path / "k.pub"
    assert runner.invoke(app, ["keygen", "--private", str(priv), "--public", str(pub)]).exit_code == 0
    assert priv.stat().st_mode & 0o777 == 0o600
    again = runner.invoke(app, ["keygen", "--private", str(priv), "--public", str(pub)])
    assert again.exit_code == 1 and "overwrite" in again.stderr
    pol = tmp_path / "pol"
    pol.mkdir()
    (pol / "p.cedar").write_text('@id("all") permit (principal, action, resource);')
    out = tmp_path / "b.tar.gz"
    built = runner.invoke(app, ["bundle", "build", str(pol), "--key", str(priv), "--out", str(out),
                                "--revision", "2026-01-r1"])
    assert built.exit_code == 0 and "signed" in built.stdout and out.exists()
    verified = runner.invoke(app, ["bundle", "verify", str(out), "--public-key", str(pub)])
    assert verified.exit_code == 0 and "revision 2026-01-r1, verified" in verified.stdout
    other_priv, other_pub = tmp_path / "o.pem", tmp_path / "o.pub"
    runner.invoke(app, ["keygen", "--private", str(other_priv), "--public", str(other_pub)])
    wrong = runner.invoke(app, ["bundle", "verify", str(out), "--public-key", str(other_pub)])
    assert wrong.exit_code == 1 and "does not verify" in wrong.stderr


def test_keygen_default_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["keygen"])
    assert result.exit_code == 0
    assert (tmp_path / "kijun-bundle.key").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "kijun-bundle.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")


def test_bundle_build_refuses_invalid_policy(tmp_path: Path) -> None:
    (tmp_path / "p.cedar").write_text("permit (principal, action, resource);")
    result = runner.invoke(app, ["bundle", "build", str(tmp_path), "--out", str(tmp_path / "b.tgz")])
    assert result.exit_code == 1 and "no @id" in result.stderr
    assert not (tmp_path / "b.tgz").exists()


def test_serve_argument_errors(tmp_path: Path) -> None:
    both = runner.invoke(app, ["serve"])
    assert both.exit_code == 1 and "exactly one" in both.stderr
    missing = runner.invoke(app, ["serve", "--policy", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "cannot load policy" in missing.stderr
