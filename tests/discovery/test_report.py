"""Report numbers on a small mixed corpus, checked against hand-computed values."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kijun.discovery.catalog import Catalog
from kijun.discovery.engine import LogInput, ScanOptions, ScanProgress, pseudonymise, scan
from kijun.discovery.register import parse_register

SQUID = [
    "1714525200.000 10 10.0.0.1 TCP_TUNNEL/200 1000 CONNECT www.dropbox.com:443 tanaka HIER_DIRECT/1.1.1.1 -",
    "1714525260.000 10 10.0.0.1 TCP_TUNNEL/200 5000 CONNECT dl.dropboxusercontent.com:443 tanaka HIER_DIRECT/1.1.1.1 -",
    "1714525300.000 10 10.0.0.2 TCP_TUNNEL/200 200 CONNECT www.dropbox.com:443 suzuki HIER_DIRECT/1.1.1.1 -",
    "1714525400.000 10 10.0.0.2 TCP_MISS/200 300 GET http://agency.cybozu.com/k/ suzuki HIER_DIRECT/1.1.1.1 text/html",
    "1714525500.000 10 10.0.0.3 TCP_MISS/200 50 GET http://other.cybozu.com/k/ sato HIER_DIRECT/1.1.1.1 text/html",
    "1714525600.000 10 10.0.0.4 TCP_TUNNEL/200 70 CONNECT files.unknown-saas.example.co.jp:443 - HIER_DIRECT/1.1.1.1 -",
    "1714525700.000 10 10.0.0.3 TCP_TUNNEL/200 30 CONNECT api.unknown-saas.example.co.jp:443 sato HIER_DIRECT/1.1.1.1 -",
    "garbage",
]
REGISTER = """
services:
  - {app: dropbox, status: prohibited, note: 個人アカウントでの利用禁止}
  - {app: cybozu-cloud, domain: agency.cybozu.com, status: approved}
  - {app: box, status: approved}
"""
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def _needs_duckdb(backend: str) -> None:
    if backend == "duckdb":
        pytest.importorskip("duckdb")
        pytest.importorskip("pyarrow")


def _scan(catalog: Catalog, backend: str = "python", **kw: object) -> object:
    return scan(
        [LogInput(SQUID, "mixed.log")],
        catalog=catalog,
        register=parse_register(REGISTER),
        options=ScanOptions(backend=backend, **kw),  # type: ignore[arg-type]
        now=NOW,
    )


@pytest.mark.parametrize("backend", ["python", "duckdb"])
def test_per_app_numbers(catalog: Catalog, backend: str) -> None:
    _needs_duckdb(backend)
    r = _scan(catalog, backend)
    assert [a.key for a in r.apps] == ["dropbox", "cybozu-cloud", "cybozu-cloud@agency.cybozu.com"]
    dropbox = r.app("dropbox")
    assert (dropbox.status, dropbox.register_status) == ("unsanctioned", "prohibited")
    assert (dropbox.users, dropbox.source_ips, dropbox.transactions) == (2, 2, 3)
    assert (dropbox.bytes_up, dropbox.bytes_down) == (None, 6200)
    assert (dropbox.first_seen, dropbox.last_seen) == (
        "2024-05-01T01:00:00+00:00",
        "2024-05-01T01:01:40+00:00",
    )
    assert [(h.host, h.transactions) for h in dropbox.hosts] == [
        ("www.dropbox.com", 2),
        ("dl.dropboxusercontent.com", 1),
    ]
    assert dropbox.risk_notes == ["prohibited", "no_ismap", "data_location_unknown", "foreign_hq"]
    tenant = r.app("cybozu-cloud@agency.cybozu.com")
    assert (tenant.status, tenant.users, tenant.transactions, tenant.bytes_down) == ("sanctioned", 1, 1, 300)
    assert tenant.scope_domain == "agency.cybozu.com"
    other = r.app("cybozu-cloud")
    assert (other.status, other.users, other.transactions, other.bytes_down) == ("unsanctioned", 1, 1, 50)
    [unknown] = r.unknown_domains
    assert (unknown.key, unknown.registrable_domain, unknown.status) == (
        "?example.co.jp",
        "example.co.jp",
        "unknown-domain",
    )
    assert (unknown.users, unknown.source_ips, unknown.transactions, unknown.bytes_down) == (1, 2, 2, 100)
    assert unknown.risk_notes == ["not_in_catalog"]


def test_totals_top_lists_and_drilldown(catalog: Catalog) -> None:
    r = _scan(catalog)
    t = r.totals
    assert (t.lines, t.events, t.malformed) == (8, 7, 1)
    assert (t.users, t.source_ips, t.apps, t.sanctioned_apps, t.unsanctioned_apps, t.unknown_domains) == (
        3, 4, 3, 1, 2, 1,
    )  # fmt: skip
    assert (t.bytes_up, t.bytes_down) == (None, 6650)
    assert r.top_unsanctioned_apps == ["dropbox", "cybozu-cloud"]
    assert r.top_users == ["sato", "suzuki", "tanaka"]
    suzuki = r.user("suzuki")
    assert suzuki is not None
    assert (suzuki.transactions, suzuki.apps, suzuki.unsanctioned_apps, suzuki.unknown_domains) == (
        2,
        2,
        1,
        0,
    )
    assert {(u.key, u.status, u.transactions) for u in suzuki.usage} == {
        ("dropbox", "unsanctioned", 1),
        ("cybozu-cloud@agency.cybozu.com", "sanctioned", 1),
    }
    sato = r.user("sato")
    assert (sato.unsanctioned_apps, sato.unknown_domains) == (1, 1)
    assert r.user("nobody") is None
    assert r.top_source_ips[0].src_ip in {"10.0.0.1", "10.0.0.2", "10.0.0.3"}
    doc = r.to_dict()
    assert list(doc)[0] == "schema_version" and doc["schema_version"] == 1
    assert doc["generated_at"] == "2024-06-01T00:00:00+00:00"
    assert doc["sources"][0]["malformed_samples"] == [
        {"line": 8, "reason": "fewer than 7 fields", "text": "garbage"}
    ]


@pytest.mark.parametrize("backend", ["python", "duckdb"])
def test_time_window(catalog: Catalog, backend: str) -> None:
    _needs_duckdb(backend)
    r = _scan(
        catalog,
        backend,
        since=datetime(2024, 5, 1, 1, 1, tzinfo=UTC),
        until=datetime(2024, 5, 1, 1, 5, tzinfo=UTC),
    )
    assert r.totals.events == 3
    assert r.sources[0].skipped == {"outside_window": 4}
    assert r.app("dropbox").transactions == 2
    assert r.app("cybozu-cloud") is None
    assert r.since == "2024-05-01T01:01:00+00:00"


def test_backends_agree_on_golden_corpus(catalog: Catalog) -> None:
    _needs_duckdb("duckdb")
    cases = Path(__file__).resolve().parents[1] / "cases" / "discovery"
    logs = [p for p in sorted(cases.iterdir()) if not p.name.endswith(".yaml")]
    a = scan(logs, catalog=catalog, options=ScanOptions(backend="python"), now=NOW).to_dict()
    b = scan(logs, catalog=catalog, options=ScanOptions(backend="duckdb"), now=NOW).to_dict()
    assert a == b
    found = {x["key"] for x in a["apps"]}
    assert {
        "dropbox",
        "chatgpt",
        "gigafile",
        "notion",
        "cybozu-cloud",
        "claude",
        "deepseek",
        "canva",
    } <= found
    assert {"google-drive", "line", "box", "sharepoint-online", "slack", "deepl", "sansan"} <= found


def test_pseudonymised_users(catalog: Catalog) -> None:
    key = b"0123456789abcdef-operator-key"
    r = _scan(catalog, pseudonymise_key=key)
    assert r.pseudonymised
    assert "tanaka" not in {u.user for u in r.users}
    alias = pseudonymise("tanaka", key)
    assert alias.startswith("u-") and len(alias) == 18
    assert r.user(alias) is not None and r.user(alias).transactions == 2
    assert pseudonymise("tanaka", b"another-key-0123456") != alias


def test_progress_callback(catalog: Catalog, tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("\n".join(SQUID) + "\n")
    seen: list[ScanProgress] = []
    scan([log], catalog=catalog, progress=seen.append, now=NOW)
    assert seen[-1].done and seen[-1].events == 7
    assert seen[-1].bytes_total == log.stat().st_size == seen[-1].bytes_read


def test_directory_input(catalog: Catalog, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.log").write_text("\n".join(SQUID[:3]) + "\n")
    (tmp_path / "b.log").write_text("\n".join(SQUID[3:5]) + "\n")
    r = scan([tmp_path], catalog=catalog, now=NOW)
    assert [s.source for s in r.sources] == [str(tmp_path / "b.log"), str(tmp_path / "sub" / "a.log")]
    assert r.totals.events == 5
