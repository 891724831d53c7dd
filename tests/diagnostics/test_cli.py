from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kijun.diagnostics.cli import app

from .conftest_shared import sample

runner = CliRunner()


def test_match_on_shared_samples() -> None:
    res = runner.invoke(app, [
        "match", "--inventory", str(sample("osquery_results_min.jsonl")), str(sample("cyclonedx_min.json")),
        "--nvd", str(sample("nvd_cve_api2_min.json")), "--kev", str(sample("kev_2025-08-25.json")),
        "--epss", str(sample("epss_min.csv")), "--jvn", str(sample("vuldef_getVulnDetailInfo_min.xml")),
        "--osv", str(sample("osv_min.json")), "--adp", str(sample("ssvc_vulnrichment_adp_min.json")), "--json",
    ])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["schema"] == "kijun.vuln.match/1"
    assert doc["summary"]["hosts"] == 4
    cves = {(f["host"], f["cve"], f["product"]) for f in doc["findings"]}
    assert ("host-001", "CVE-2024-6387", "openbsd:openssh") in cves
    assert ("host-001", "CVE-2024-6387", "canonical:ubuntu_linux") in cves
    f = next(f for f in doc["findings"] if f["product"] == "openbsd:openssh")
    assert f["reason"]["nvd"]["range"] == ">=8.6,<9.8"
    assert f["epss"]["score"] == 0.3812
    assert f["ssvc"]["outcome"] in ("Track", "Track*", "Attend", "Act")
    assert f["notes"]  # distro package matched on its upstream version is flagged


def test_match_with_generated_csv_and_mission(tmp_path: Path) -> None:
    inv = tmp_path / "inv.csv"
    inv.write_text("host,kind,name,version,publisher,cpe\npc1,program,Google Chrome,131.0.6778.69,Google LLC,\n"
                   "pc2,program,Secret Tool,1.0,Agency,\n", encoding="utf-8")
    nvd = tmp_path / "nvd.json"
    nvd.write_text(json.dumps({"vulnerabilities": [{"cve": {"id": "CVE-2024-11395", "configurations": [{"nodes": [
        {"operator": "OR", "negate": False, "cpeMatch": [{"vulnerable": True, "criteria": "cpe:2.3:a:google:chrome:*:*:*:*:*:*:*:*",
                                                           "versionEndExcluding": "131.0.6778.85"}]}]}],
        "metrics": {"cvssMetricV31": [{"type": "Primary", "cvssData": {"version": "3.1", "baseScore": 8.8,
                                        "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"}}]}}}]}))
    kev = tmp_path / "kev.json"
    kev.write_text(json.dumps({"vulnerabilities": [{"cveID": "CVE-2024-11395", "dueDate": "2025-01-01", "dateAdded": "2024-12-01"}]}))
    res = runner.invoke(app, ["match", "-i", str(inv), "--nvd", str(nvd), "--kev", str(kev), "--mission", "high", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    (f,) = doc["findings"]
    assert f["ssvc"]["outcome"] == "Act" and f["kev"]["due_date"] == "2025-01-01"
    assert f["reason"]["nvd"]["mapping"]["confidence"] == 0.95
    assert doc["unmapped"] == [{"name": "Secret Tool", "publisher": "Agency", "kind": "program", "hosts": 1, "versions": ["1.0"]}]
    mm = tmp_path / "mission.csv"
    mm.write_text("host,mission\npc1,low\n")
    low = json.loads(runner.invoke(app, ["match", "-i", str(inv), "--nvd", str(nvd), "--kev", str(kev),
                                         "--mission-map", str(mm), "--json"]).stdout)
    assert low["findings"][0]["ssvc"]["outcome"] == "Track"  # active/no (UI:R)/total with mission low
    mm.write_text("pc1,extreme\n")
    bad = runner.invoke(app, ["match", "-i", str(inv), "--nvd", str(nvd), "--mission-map", str(mm)])
    assert bad.exit_code == 2 and "mission.csv:1" in bad.stderr
    human = runner.invoke(app, ["match", "-i", str(inv), "--nvd", str(nvd)])
    assert human.exit_code == 0 and "'findings': 1" in human.stdout


def test_errors_are_one_line_and_nonzero(tmp_path: Path) -> None:
    res = runner.invoke(app, ["match", "--inventory", str(tmp_path / "missing.csv"), "--nvd", str(tmp_path), "--json"])
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "missing.csv" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    res = runner.invoke(app, ["match", "--nvd", str(tmp_path)])
    assert res.exit_code == 2 and "--inventory" in res.stderr
    res = runner.invoke(app, ["match", "-i", str(tmp_path / "x.csv"), "--nvd", str(tmp_path), "--mission", "huge"])
    assert res.exit_code == 2 and "mission" in res.stderr


def test_inventory_command() -> None:
    res = runner.invoke(app, ["inventory", str(sample("osquery_results_min.jsonl")), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["summary"] == {"hosts": 3, "items": 3, "unmapped": 0}
    chrome = next(i for i in doc["items"] if i["name"] == "Google Chrome")
    assert chrome["cpe"].startswith("cpe:2.3:a:google:chrome:131.0.6778.86")
    assert chrome["mapping"]["rule"] == "google-chrome:name+publisher"


def test_distro_cpe_flag_on_osquery_sample() -> None:
    args = ["match", "-i", str(sample("osquery_results_min.jsonl")), "--nvd", str(sample("nvd_cve_api2_min.json")), "--json"]
    plain = json.loads(runner.invoke(app, args).stdout)
    assert plain["summary"]["findings"] == 0
    res = runner.invoke(app, [*args, "--distro-cpe"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    (f,) = [f for f in doc["findings"] if f["host"] == "srv-001.example.go.jp"]
    assert f["cve"] == "CVE-2024-6387" and f["reason"]["nvd"]["mapping"]["rule"] == "distro:openssh"
    assert f["notes"] == ["upstream version matched; distribution backports not checked"]
