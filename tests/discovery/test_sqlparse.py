"""SQL-native parsing (``sqlparse``) and the SQL report (``sqlreport``) give exactly the Python
engine's report: same events, line accounting, malformed samples with their line numbers,
window, register and pseudonyms — including on lines built to hit every corner of the fast path."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kijun.discovery import sqlparse
from kijun.discovery.catalog import Catalog
from kijun.discovery.engine import ScanOptions, scan
from kijun.discovery.parsers.squid import SquidParser
from kijun.discovery.register import parse_register

NOW = datetime(2024, 6, 1, tzinfo=UTC)
CASES = Path(__file__).resolve().parents[1] / "cases" / "discovery"

GOOD = "1714525200.123    245 10.1.2.3 TCP_TUNNEL/200 5123 CONNECT www.dropbox.com:443 tanaka HIER_DIRECT/1.2.3.4 -"
TRICKY: list[bytes] = [
    GOOD.encode(),
    b"1714525201.456     88 10.1.2.4 TCP_MISS/200 18342 GET http://agency.cybozu.com/k/12/ suzuki HIER_DIRECT/1.1.1.1 text/html",
    b"1714525202.000 1 10.1.2.5 TCP_MISS/200 10 GET HTTPS://Files.Example.COM.:8443/a?b#c sato H/1 -",
    b"1714525202.000 1 10.1.2.5 TCP_MISS/200 10 GET http://host.example.com?x=/y sato H/1 -",
    b"1714525202.000 1 10.1.2.5 TCP_MISS/200 10 GET http://host.example.com#f sato H/1 -",
    b"1714525202.000 1 10.1.2.5 TCP_MISS/200 10 GET http://user:pw@secret.example.com/ sato H/1 -",
    b"1714525202.000 1 10.1.2.5 TCP_MISS/200 10 GET http://[2001:db8::1]:80/ sato H/1 -",
    b"1714525202.000 1 10.1.2.5 TCP_MISS/200 10 GET svn+ssh://repo.example.org/x sato H/1 -",
    b"1714525202.000 1 10.1.2.5 TCP_MISS/200 10 GET host.example.net/path/a://b sato H/1 -",
    b"1714525202.000 1 10.1.2.5 TCP_TUNNEL/200 10 CONNECT trailing.example.jp.: sato H/1 -",
    b"1714525202.000 1 10.1.2.5 TCP_TUNNEL/200 10 CONNECT ...:443 sato H/1 -",
    b"1714525202.000 1 10.1.2.5 TCP_TUNNEL/200 10 CONNECT -dash_host.example.com:443 sato H/1 -",
    b"1714525202.000 1 10.1.2.5 TCP_TUNNEL/200 10 CONNECT 203.0.113.9:443 sato H/1 -",
    b"1714525203.000 1 10.1.2.6 NONE_NONE/000 0 NONE error:transaction-end-before-headers - HIER_NONE/- -",
    b"1714525203.000 1 10.1.2.6 TCP_MISS/200 0 NONE http://none.example.com/ - HIER_NONE/- -",
    b"1714525203.000 1 10.1.2.6 TCP_MISS/200 0 NONEX http://nonex.example.com/ - HIER_NONE/- -",
    b"1714525203.000 1 10.1.2.6 TCP_MISS/200 0 NON http://non.example.com/ - HIER_NONE/- -",
    b"1714525204.000 1 10.1.2.7 TCP_MISS/200 -1 GET http://negative.example.com/ kato H/1 -",
    b"1714525204.000 1 10.1.2.7 TCP_MISS 12 GET http://noslash.example.com/ kato H/1 -",
    b"1714525204.000 1 10.1.2.7 TCP_MISS/abc 12 GET http://badstatus.example.com/ kato H/1 -",
    b"1714525204.000 1 10.1.2.7 TCP/MISS/200 12 GET http://twoslash.example.com/ kato H/1 -",
    b"1e9 1 10.1.2.7 TCP_MISS/200 12 GET http://exp-ts.example.com/ kato H/1 -",
    b"nan 1 10.1.2.7 TCP_MISS/200 12 GET http://nan.example.com/ kato H/1 -",
    b"99999999999.5 1 10.1.2.7 TCP_MISS/200 12 GET http://future.example.com/ kato H/1 -",
    b"1714525205.000\t1\t10.1.2.8\tTCP_MISS/200\t12\tGET\thttp://tabs.example.com/\tito\tH/1\t-",
    b"1714525205.000 1 10.1.2.8  TCP_MISS/200 12 GET http://twospaces.example.com/ ito H/1 -",
    b"   1714525205.000 1 10.1.2.8 TCP_MISS/200 12 GET http://leading.example.com/ ito H/1 -",
    b"1714525205.000 1 10.1.2.8 TCP_MISS/200 12 GET http://trailing.example.com/ ito H/1 -   ",
    b"1714525205.000 1 10.1.2.8 TCP_MISS/200 12 GET http://vt.example.com/ ito\x0bH/1 -",
    b"1714525205.000 1 10.1.2.8 TCP_MISS/200 12 GET http://seven.example.com/",
    b"1714525205.000 1 10.1.2.8 TCP_MISS/200 12 GET http://dashuser.example.com/ -",
    b"1714525205.000 1 10.1.2.8 TCP_MISS/200 12 GET http://many.example.com/ ito a b c d e f g",
    b"1714525205.000 1 10.1.2.8 TCP_MISS/200",
    "1714525206.000 1 10.1.2.9 TCP_MISS/200 12 GET http://utf8.example.com/ 田中 H/1 -".encode(),
    "1714525206.000 1 10.1.2.9 TCP_MISS/200 12 GET http://nbsp.example.com/ abe\xa0H/1 -".encode(),
    "1714525206.000 1 10.1.2.9 TCP_MISS/200 12 GET http://nel.example.com/ abe\x85H/1 -".encode(),
    b"1714525206.000 1 10.1.2.9 TCP_MISS/200 12 GET http://unit\x1fsep.example.com/ abe H/1 -",
    b"1714525206.000 1 10.1.2.9 TCP_MISS/200 12 GET http://nul.example.com/ a\x00be H/1 -",
    b"",
    b"   ",
    b"this line is not squid",
    b"1714525207.000 1 10.1.2.10 TCP_MISS/200 0005 GET http://zeros.example.com/ ueda H/1 -",
    b"1714525207.000 1 10.1.2.10 TCP_MISS/200 1234567890123456789 GET http://huge.example.com/ ueda H/1 -",
    b"0.0 1 10.1.2.10 TCP_MISS/200 1 GET http://epoch.example.com/ ueda H/1 -",
]


def _write(path: Path, lines: list[bytes], end: bytes = b"\n", tail: bytes = b"\n") -> Path:
    path.write_bytes(end.join(lines) + tail)
    return path


def _both(paths: list[Path], catalog: Catalog, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    register = kw.pop("register", None)
    a = scan(paths, catalog=catalog, register=register, options=ScanOptions(backend="python", **kw), now=NOW)
    b = scan(paths, catalog=catalog, register=register, options=ScanOptions(backend="duckdb", **kw), now=NOW)
    return a.to_dict(), b.to_dict()


@pytest.mark.parametrize("block", [64, 4096, sqlparse.BLOCK_BYTES])
@pytest.mark.parametrize(("end", "tail"), [(b"\n", b"\n"), (b"\r\n", b""), (b"\r", b"\r"), (b"\n", b"")])
def test_tricky_lines_agree(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch, block: int, end: bytes, tail: bytes
) -> None:
    monkeypatch.setattr(sqlparse, "BLOCK_BYTES", block)
    log = _write(tmp_path / "access.log", TRICKY * 3, end, tail)
    a, b = _both([log], catalog, sample_limit=50)
    assert b == a
    src = a["sources"][0]
    assert src["format"] == "squid"
    assert src["malformed"] > 0 and src["skipped"]["no_host"] == 6 and src["skipped"]["blank"] == 6


def test_invalid_utf8_long_lines_and_bom(tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlparse, "BLOCK_BYTES", 1 << 16)
    cp932_user = "1714525208.000 1 10.1.2.11 TCP_MISS/200 12 GET http://sjis.example.com/ 佐藤 H/1 -".encode("cp932")
    long_url = b"1714525208.000 1 10.1.2.11 TCP_MISS/200 12 GET http://long.example.com/" + b"a" * (1 << 21) + b" u H/1 -"
    lines = [GOOD.encode()] * 2000 + [cp932_user, long_url, b"\xef\xbb\xbf" + GOOD.encode(), GOOD.encode()]
    log = _write(tmp_path / "mixed.log", lines)
    bom = _write(tmp_path / "bom.log", [b"\xef\xbb\xbf" + GOOD.encode(), *TRICKY])
    a, b = _both([log, bom], catalog)
    assert b == a
    assert a["sources"][1]["encoding"] == "utf-8-sig"


def test_window_register_and_pseudonyms_agree(tmp_path: Path, catalog: Catalog) -> None:
    log = _write(tmp_path / "access.log", TRICKY)
    register = parse_register("services:\n  - {app: dropbox, status: prohibited}\n  - {app: cybozu-cloud, status: approved}\n")
    a, b = _both(
        [log, *sorted(CASES.glob("*.log"))],
        catalog,
        register=register,
        since=datetime(2024, 5, 1, 1, 0, 2, tzinfo=UTC),
        until=datetime(2024, 5, 1, 1, 0, 6, tzinfo=UTC),
        pseudonymise_key=b"0123456789abcdef0123",
    )
    assert b == a
    assert a["sources"][0]["skipped"]["outside_window"] > 0
    assert a["pseudonymised"] and all(u["user"].startswith("u-") for u in a["users"])


def test_golden_corpus_agrees(catalog: Catalog) -> None:
    logs = [p for p in sorted(CASES.iterdir()) if not p.name.endswith(".yaml")]
    a, b = _both(logs, catalog)
    assert b == a


def test_clean_lines_never_reach_the_python_parser(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    orig = SquidParser.parse

    def spy(self: SquidParser, lines: Any, stats: Any) -> Any:
        lines = list(lines)
        seen.extend(lines)
        return orig(self, lines, stats)

    monkeypatch.setattr(SquidParser, "parse", spy)
    log = _write(tmp_path / "clean.log", [GOOD.encode()] * 500 + [b"garbage"])
    r = scan([log], catalog=catalog, options=ScanOptions(backend="duckdb"), now=NOW)
    assert r.totals.events == 500 and r.totals.malformed == 1
    assert r.sources[0].malformed_samples[0].line == 501
    assert seen == ["garbage"]


_CATALOG: list[Catalog] = []


@pytest.fixture(autouse=True)
def _catalog_for_hypothesis(catalog: Catalog) -> None:
    if not _CATALOG:
        _CATALOG.append(catalog)


_tok = st.text(alphabet=st.sampled_from(list("aZ09._-:/?#@[]+ \t") + ["田", "\xa0"]), min_size=0, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["1714525200.5", "17.25", "1e3", "x", ""]),
            st.sampled_from([" ", "  ", "\t"]),
            st.sampled_from(["TCP_MISS/200", "X", "A/B", "/7"]),
            st.sampled_from(["0", "12", "-3", "z"]),
            st.sampled_from(["GET", "CONNECT", "NONE", "NONEX", "NON", "NOME", "xNONE", "NONe"]),
            st.sampled_from(["http://", "https://", "", "ftp://"]),
            _tok,
            st.sampled_from(["", " u1", " -", " u2 H/1 -", " "]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_random_lines_agree(tmp_path: Path, rows: list[tuple[str, ...]]) -> None:
    lines = [
        f"{ts}{sep}5 10.0.0.1 {code} {size} {method} {scheme}{url}{rest}".encode()
        for ts, sep, code, size, method, scheme, url, rest in rows
    ]
    log = _write(tmp_path / "random.log", [GOOD.encode(), *lines])
    a, b = _both([log], _CATALOG[0], format="squid")
    assert b == a


def test_many_python_lines_spool_to_disk_in_order(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines for the Python parser beyond the in-memory spool go to a temporary file and come back
    in file order, parsed in chunks, with their own line numbers."""
    monkeypatch.setattr(sqlparse, "SPOOL_MEMORY", 512)
    monkeypatch.setattr(sqlparse, "PYTHON_CHUNK", 7)
    monkeypatch.setattr(sqlparse, "BLOCK_BYTES", 1 << 12)
    log = _write(tmp_path / "access.log", TRICKY * 20)
    a, b = _both([log], catalog, sample_limit=40)
    assert b == a
    samples = b["sources"][0]["malformed_samples"]
    assert len(samples) == 40 and [s["line"] for s in samples] == sorted(s["line"] for s in samples)


def test_progress_is_reported_from_the_callers_thread(tmp_path: Path, catalog: Catalog) -> None:
    """The background scan writes progress through Django's (thread-bound) DB connection."""
    import threading

    threads: set[str] = set()
    log = _write(tmp_path / "access.log", [GOOD.encode()] * 2000)
    scan([log], catalog=catalog, progress=lambda p: threads.add(threading.current_thread().name), now=NOW)
    assert threads == {threading.current_thread().name}


def test_read_error_ends_the_input_early_like_the_python_reader(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_blocks = sqlparse._blocks

    def broken(raw: Any, size: int) -> Any:
        yield from itertools.islice(real_blocks(raw, 1 << 12), 2)
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(sqlparse, "_blocks", broken)
    log = _write(tmp_path / "access.log", [GOOD.encode()] * 2000)
    r = scan([log], catalog=catalog, now=NOW)
    s = r.sources[0]
    assert s.error is not None and "input ended early" in s.error and "Input/output error" in s.error
    assert 0 < s.events < 2000 and s.lines == s.events and r.app("dropbox").transactions == s.events  # type: ignore[union-attr]


@pytest.mark.parametrize("block", [4096, sqlparse.BLOCK_BYTES])
def test_gzip_logs_take_the_sql_path_and_agree(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    import gzip

    monkeypatch.setattr(sqlparse, "BLOCK_BYTES", block)
    seen: list[int] = []
    orig = sqlparse.SqlFileScan.run

    def spy(self: Any, *args: Any, **kw: Any) -> Any:
        seen.append(kw.get("compressed", False))
        return orig(self, *args, **kw)

    monkeypatch.setattr(sqlparse.SqlFileScan, "run", spy)
    plain = _write(tmp_path / "access.log", TRICKY * 30)
    gz = tmp_path / "access.log.1.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = _both([gz], catalog, sample_limit=50)
    assert b == a and seen == [True]
    src = b["sources"][0]
    assert src["compressed"] and src["error"] is None and src["malformed"] > 0
    plain_report = scan([plain], catalog=catalog, now=NOW).to_dict()
    assert plain_report["apps"] == b["apps"] and plain_report["users"] == b["users"]


def test_truncated_gzip_on_the_sql_path_keeps_whole_blocks(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip

    monkeypatch.setattr(sqlparse, "BLOCK_BYTES", 1 << 14)
    data = gzip.compress((GOOD + "\n").encode() * 20000)
    log = tmp_path / "rotating.log.gz"
    log.write_bytes(data[: len(data) // 2])
    r = scan([log], catalog=catalog, now=NOW)
    s = r.sources[0]
    assert s.compressed and s.error is not None and "ended early" in s.error
    assert 0 < s.events < 20000 and s.lines == s.events and r.app("dropbox").transactions == s.events  # type: ignore[union-attr]
