"""The typer sub-app as users call it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kijun.discovery.cli import app

CASES = Path(__file__).resolve().parents[1] / "cases" / "discovery"
runner = CliRunner()


def test_scan_json_with_register_and_exports(tmp_path: Path) -> None:
    reg = tmp_path / "register.yaml"
    reg.write_text("services:\n  - {app: dropbox, status: approved}\n", encoding="utf-8")
    csv_out, xlsx_out = tmp_path / "a.csv", tmp_path / "a.xlsx"
    res = runner.invoke(
        app,
        ["scan", str(CASES / "squid_native.log"), str(CASES / "bluecoat_w3c.log"), "--sanctioned", str(reg),
         "--json", "--csv", str(csv_out), "--xlsx", str(xlsx_out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["schema_version"] == 1
    assert [s["format"] for s in doc["sources"]] == ["squid", "w3c"]
    apps = {a["key"]: a for a in doc["apps"]}
    assert apps["dropbox"]["status"] == "sanctioned" and apps["dropbox"]["transactions"] == 2
    assert apps["chatgpt"]["status"] == "unsanctioned"
    assert csv_out.exists() and xlsx_out.exists()


def test_scan_forced_format_and_window() -> None:
    res = runner.invoke(
        app,
        ["scan", str(CASES / "bind_query.log"), "--format", "bind", "--tz", "+09:00",
         "--since", "2024-05-01T10:00:01+09:00", "--until", "2024-05-01", "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["totals"]["events"] == 2
    assert {a["key"] for a in doc["apps"]} == {"chatgpt", "box"}


def test_scan_user_drilldown_and_table() -> None:
    res = runner.invoke(app, ["scan", str(CASES / "squid_native.log"), "--user", "tanaka", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["user"] == "tanaka" and {u["key"] for u in doc["usage"]} == {"dropbox", "chatgpt"}
    res = runner.invoke(app, ["scan", str(CASES / "squid_native.log")])
    assert res.exit_code == 0 and "Dropbox" in res.stdout and "2 malformed lines" in res.stdout


def test_scan_errors(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("just some text\nnothing like a log\n")
    res = runner.invoke(app, ["scan", str(notes), "--json"])
    assert res.exit_code == 2
    assert "could not detect the log format (tried: w3c, zeek, nss, csv, squid" in res.stderr
    assert res.stdout == ""
    res = runner.invoke(app, ["scan", str(notes), "--format", "apache"])
    assert res.exit_code == 2 and "unknown format 'apache'" in res.stderr
    res = runner.invoke(app, ["scan", str(tmp_path / "missing.log")])
    assert res.exit_code == 2 and "no such file" in res.stderr
    res = runner.invoke(app, ["scan", str(CASES / "squid_native.log"), "--tz", "JST"])
    assert res.exit_code == 2 and "time zone" in res.stderr
    res = runner.invoke(app, ["scan", str(CASES / "squid_native.log"), "--since", "yesterday"])
    assert res.exit_code == 2 and "bad date/time" in res.stderr
    res = runner.invoke(app, ["scan", str(CASES / "squid_native.log"), "--encoding", "klingon"])
    assert res.exit_code == 2 and "unknown text encoding" in res.stderr
    key = tmp_path / "short.key"
    key.write_bytes(b"short")
    res = runner.invoke(app, ["scan", str(CASES / "squid_native.log"), "--pseudonymise-key-file", str(key)])
    assert res.exit_code == 2 and "at least 16 bytes" in res.stderr


def test_unknown_domains_json() -> None:
    res = runner.invoke(
        app, ["unknown", str(CASES / "squid_native.log"), str(CASES / "zeek_ssl.json"), "--json"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["unknown_domains"] == []  # every host in these fixtures is in the catalog
    res = runner.invoke(app, ["unknown", str(CASES / "squid_common.log"), "--json"])
    assert json.loads(res.stdout)["unknown_domains"] == []


def test_unknown_lists_registrable_domains(tmp_path: Path) -> None:
    log = tmp_path / "dns.csv"
    log.write_text(
        "host,src_ip\na.new-saas.example.jp,10.0.0.1\nb.new-saas.example.jp,10.0.0.2\nzoom.us,10.0.0.1\n"
    )
    res = runner.invoke(app, ["unknown", str(log), "--json"])
    [row] = json.loads(res.stdout)["unknown_domains"]
    assert (row["domain"], row["transactions"], row["source_ips"]) == ("example.jp", 2, 2)
    assert sorted(row["hosts"]) == ["a.new-saas.example.jp", "b.new-saas.example.jp"]


def test_apps_list_and_show() -> None:
    res = runner.invoke(app, ["apps", "list", "--json"])
    doc = json.loads(res.stdout)
    assert doc["count"] >= 300 and doc["count"] == len(doc["apps"])
    res = runner.invoke(app, ["apps", "list", "--category", "e_signature", "--json"])
    assert {a["id"] for a in json.loads(res.stdout)["apps"]} >= {"cloudsign", "docusign"}
    res = runner.invoke(app, ["apps", "show", "line-works", "--json"])
    doc = json.loads(res.stdout)
    assert doc["domains"] == ["worksmobile.com", "line-works.com"] and doc["hq_country"] == "JP"
    res = runner.invoke(app, ["apps", "show", "nope"])
    assert res.exit_code == 2 and "unknown app id" in res.stderr
    res = runner.invoke(app, ["apps", "list", "--category", "nope"])
    assert res.exit_code == 2


NSS_TEMPLATE = "%s{time}|%s{login}|%s{cip}|%s{eurl}|%d{reqsize}|%d{respsize}|%s{action}"


def test_custom_nss_template_is_detected_in_auto_mode_and_a_bad_one_is_a_clear_error(tmp_path: Path) -> None:
    log = tmp_path / "zscaler.log"
    log.write_text(
        "Wed May  1 10:00:00 2024|tanaka|10.1.2.3|www.dropbox.com/home|1820|5123|Allowed\n"
        "Wed May  1 10:00:05 2024|suzuki|10.1.2.4|chatgpt.com/c/1|900|20000|Allowed\n",
        encoding="utf-8",
    )
    res = runner.invoke(app, ["scan", str(log), "--nss-template", NSS_TEMPLATE, "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["sources"][0]["format"] == "nss" and doc["totals"]["events"] == 2
    assert {"dropbox", "chatgpt"} <= {a["key"] for a in doc["apps"]}
    res = runner.invoke(app, ["scan", str(log), "--nss-template", "%s{1st}|%s{url}", "--json"])
    assert res.exit_code == 2 and "bad NSS feed template" in res.output and "Traceback" not in res.output
