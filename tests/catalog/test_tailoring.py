"""Pure tailoring rules, the tailored OSCAL profile validated by compliance-trestle, and the CLI
(`kijun catalog policy export`, `import-official --store --edition`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kijun.catalog.catalog import Catalog
from kijun.catalog.oscal import oscal_id, profile_to_oscal
from kijun.catalog.tailoring import (
    Clause,
    Param,
    check_clause,
    parse_parameters,
    policy_rows,
    to_agency_policy,
)

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_parse_parameters_reports_each_bad_line() -> None:
    params, problems = parse_parameters("review-period | 見直し周期 | 年1回\n\nbad line\n9x | a | b\nreview-period | x | y")
    assert params == [Param("review-period", "見直し周期", "年1回")]
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4", "line 5"]


def test_check_clause(catalog: Catalog) -> None:
    assert check_clause(catalog, Clause("4.2.1(2)(a)", wording_ja="x")) == []
    assert "reason" in check_clause(catalog, Clause("4.2.1(2)(a)", excluded=True))[0]
    assert "not in catalog" in check_clause(catalog, Clause("4.2.1(9)(a)"))[0]
    assert "section" in check_clause(catalog, Clause("4.2"))[0]
    add = Clause("DEMO-1", is_addition=True, anchor="4.2.1(2)", title="t", wording_ja="w")
    assert check_clause(catalog, add) == []
    assert "already used" in " ".join(check_clause(catalog, add, ["DEMO-1"]))
    assert "hyphen" in check_clause(catalog, Clause("4.2.1(9)", is_addition=True, anchor="4.2.1", title="t",
                                                    wording_ja="w"))[0]
    assert len(check_clause(catalog, Clause("X-1", is_addition=True, anchor="4.2"))) == 3


def test_tailored_profile_validates_with_trestle(catalog: Catalog) -> None:
    clauses = [
        Clause("2.5.1(1)(a)", excluded=True, reason="所管法人なし"),
        Clause("2.3.1(1)(a)", parameters=(Param("freq", "頻度", "年1回"), Param("month", "月", "10月"))),
        Clause("8.1.3(2)(b)", wording_ja="FIDO2必須", wording_en="FIDO2 required"),
        Clause("DEMO-1", is_addition=True, anchor="8.1.3(2)", title="画面ロック", wording_ja="5分", wording_en="5 min"),
    ]
    doc = profile_to_oscal(to_agency_policy("架空省", "架空省対策基準", "2026.1", clauses), catalog, NOW)
    prof = doc["profile"]
    ids = prof["imports"][0]["include-controls"][0]["with-ids"]
    assert oscal_id("2.5.1(1)(a)") not in ids and len(ids) == 384
    assert [s["param-id"] for s in prof["modify"]["set-parameters"]] == [
        f"{oscal_id('2.3.1(1)(a)')}_prm_freq", f"{oscal_id('2.3.1(1)(a)')}_prm_month"]
    by_control = {a["control-id"]: a for a in prof["modify"]["alters"]}
    clause_part = by_control[oscal_id("8.1.3(2)")]["adds"][0]["parts"][0]
    assert clause_part["id"] == "agency-DEMO-1" and clause_part["prose"] == "5分"
    tp = pytest.importorskip("trestle.oscal.profile")
    parsed = tp.Profile.parse_obj(json.loads(json.dumps(prof)))
    assert parsed.modify is not None and len(parsed.modify.set_parameters) == 2
    assert len(parsed.modify.alters) == 3
    rows = policy_rows(catalog, clauses)
    assert [r["clause_id"] for r in rows].index("DEMO-1") > [r["clause_id"] for r in rows].index("8.1.3(2)(b)")


@pytest.mark.django_db
def test_cli_policy_export_and_edition_store(demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kijun.catalog.models import OfficialText
    from kijun.cli.main import app

    runner = CliRunner()
    out = tmp_path / "profile.json"
    r = runner.invoke(app, ["catalog", "policy", "export", "--unit", "demo-policy-planning", "--format", "oscal",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    prof = json.loads(out.read_text(encoding="utf-8"))["profile"]
    assert prof["metadata"]["title"] == "デモ省情報セキュリティ対策基準"
    r = runner.invoke(app, ["catalog", "policy", "export", "--unit", "demo-ministry", "--format", "csv"])
    assert r.exit_code == 0 and "2.5.1(1)(a)" in r.stdout
    xlsx = tmp_path / "p.xlsx"
    assert runner.invoke(app, ["catalog", "policy", "export", "--unit", "demo-ministry", "--format", "xlsx",
                               "--out", str(xlsx)]).exit_code == 0 and xlsx.read_bytes()[:2] == b"PK"
    bad = runner.invoke(app, ["catalog", "policy", "export", "--unit", "nope"])
    assert bad.exit_code == 1 and "no organisation unit" in bad.stderr
    assert runner.invoke(app, ["catalog", "policy", "export", "--unit", "demo-ministry", "--format", "pdf"]).exit_code == 1
    r = runner.invoke(app, ["catalog", "import-official", str(FIXTURES / "en_sample.txt"), "--store",
                            "--edition", "t9", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["stored"]["edition"] == "t9"
    assert OfficialText.objects.filter(edition="t9", node_id="2.1.1(1)(c)").exists()  # new ids are kept
    assert runner.invoke(app, ["catalog", "import-official", str(FIXTURES / "en_sample.txt"), "--store",
                               "--edition", "Bad Code"]).exit_code == 1
