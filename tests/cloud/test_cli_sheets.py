"""``kijun cloud ledger|assets check|import``: offline checks (pure) and database imports as a user."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kijun.cloud.cli import app

runner = CliRunner()
ASSETS = ("管理番号,名称,所管組織,機密性,完全性,可用性,取扱制限\n"
          "CLI-1,名簿,demo-policy-planning,機密性2情報,1,1,複製禁止\n"
          "CLI-2,公表資料,demo-policy-planning,1,1,1,\n")


def test_assets_check_reports_rows_and_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "a.csv"
    good.write_bytes(ASSETS.encode("cp932"))
    r = runner.invoke(app, ["assets", "check", str(good), "--json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema_id"] == "kijun.cloud.assets-check/v1" and doc["valid_rows"] == 2 and doc["errors"] == []
    assert doc["assets"][0] == {"code": "CLI-1", "levels": "C2/I1/A1"}
    bad = tmp_path / "b.csv"
    bad.write_text(ASSETS + "CLI-3,x,u,1,1,1,極秘扱い\n", encoding="utf-8")
    r = runner.invoke(app, ["assets", "check", str(bad)])
    assert r.exit_code == 1 and "row 4 handling_restrictions" in r.stdout
    r = runner.invoke(app, ["assets", "check", str(tmp_path / "missing.csv")])
    assert r.exit_code == 2 and r.stderr.startswith("error:") and r.stdout == ""


def test_ledger_check_with_an_agency_standard(tmp_path: Path) -> None:
    ledger = tmp_path / "l.csv"
    ledger.write_text("台帳ID,システム名,所管組織,格付\nS-1,受付,u,H\nS-2,文書,u,A\n", encoding="utf-8")
    std = tmp_path / "std.yaml"
    std.write_text("version: 1\nclasses:\n  - {id: H, name_ja: 高, name_en: High, any_of: [{confidentiality_at_least: 2}]}\n"
                   "  - {id: L, name_ja: 低, name_en: Low, default: true}\n", encoding="utf-8")
    r = runner.invoke(app, ["ledger", "check", str(ledger), "--standard", str(std), "--json"])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert [(e["row"], e["field"]) for e in doc["errors"]] == [(3, "system_class")]
    r = runner.invoke(app, ["ledger", "check", str(ledger)])   # the shipped standard has A, not H
    assert r.exit_code == 1 and "row 2 system_class" in r.stdout


@pytest.mark.django_db
def test_assets_import_as_a_user(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kijun.cloud.models import InformationAsset
    from kijun.core.models import AuditEntry

    path = tmp_path / "a.csv"
    path.write_bytes(ASSETS.encode("cp932"))
    r = runner.invoke(app, ["assets", "import", str(path), "--as", "staff"])
    assert r.exit_code == 2 and "info.classify" in r.stderr
    r = runner.invoke(app, ["assets", "import", str(path), "--as", "nobody"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["assets", "import", str(path), "--as", "policy-iso", "--json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["created"] == ["CLI-1", "CLI-2"]
    assert InformationAsset.objects.get(code="CLI-1").handling_restrictions == ["no_copy"]
    assert AuditEntry.objects.filter(action="cloud.asset.import", actor="policy-iso").exists()
    # outside the user's scope: nothing written, exit 1
    path.write_text(ASSETS.replace("CLI-2,公表資料,demo-policy-planning", "CLI-9,x,demo-it-division"), encoding="utf-8")
    r = runner.invoke(app, ["assets", "import", str(path), "--as", "policy-iso"])
    assert r.exit_code == 1 and "nothing was saved" in r.stdout
    assert not InformationAsset.objects.filter(code="CLI-9").exists()


@pytest.mark.django_db
def test_ledger_import_as_a_user(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kijun.cloud.models import InformationSystem

    path = tmp_path / "l.csv"
    path.write_text("code,name,org_unit,system_class\nCLI-S,受付,demo-it-division,B\n", encoding="utf-8")
    assert runner.invoke(app, ["ledger", "import", str(path), "--as", "policy-iso"]).exit_code == 2
    r = runner.invoke(app, ["ledger", "import", str(path), "--as", "sysowner"])
    assert r.exit_code == 0, r.stderr
    assert InformationSystem.objects.get(code="CLI-S").system_class == "B"
