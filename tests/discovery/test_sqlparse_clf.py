"""The SQL fast path for Squid's common and combined formats gives exactly the Python parser's report,
including on lines built to hit every corner of its pattern (dates, offsets, requests, quoting)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kijun.discovery import sqlparse
from kijun.discovery.catalog import Catalog
from kijun.discovery.engine import ScanOptions, scan
from kijun.discovery.parsers.squid_common import SquidCommonParser

NOW = datetime(2024, 6, 1, tzinfo=UTC)
CASES = Path(__file__).resolve().parents[1] / "cases" / "discovery"

COMMON = '10.1.2.3 - tanaka [01/May/2024:10:00:00 +0900] "CONNECT www.dropbox.com:443 HTTP/1.1" 200 5123'
COMBINED = (
    '10.1.2.7 - kato [01/May/2024:10:00:30 +0900] "GET http://sansan.com/ja/ HTTP/1.1" 200 73100 '
    '"http://www.google.co.jp/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" TCP_MISS:HIER_DIRECT'
)
_UA = ' "-" "Mozilla/5.0 (X11; Linux x86_64)"'


def _c(
    user: str = "sato",
    when: str = "01/May/2024:10:00:00 +0900",
    req: str = "GET http://a.example.com/ HTTP/1.1",
    tail: str = " 200 10",
) -> bytes:
    """One common-layout line with the given parts."""
    return f'10.1.2.5 - {user} [{when}] "{req}"{tail}'.encode()


TRICKY: list[bytes] = [
    COMMON.encode(),
    COMBINED.encode(),
    # timestamps: months in any case, bad months, calendar edges, offsets, clock edges
    *(_c(when=f"01/{m}/2024:10:00:00 +0900") for m in ("jan", "FEB", "mAr", "Sept", "Mai", "Jux", "13", "")),
    *(
        _c(when=f"{d}/2024:12:00:00 +0000")
        for d in ("29/Feb", "30/Feb", "31/Apr", "31/Dec", "00/Jan", "32/Jan")
    ),
    *(
        _c(when=f"29/Feb/{y}:12:00:00 +0000")
        for y in ("2023", "1900", "2000", "2100", "2400", "1004", "0004")
    ),
    *(_c(when=f"01/Jan/{y}:00:00:00 -2359") for y in ("1000", "0999", "9999", "1970", "0000", "12345")),
    *(
        _c(when=f"31/Mar/2024:02:30:00 {z}")
        for z in ("+0530", "-0000", "+0000", "-0930", "+2359", "+2400", "+0960")
    ),
    *(
        _c(when=f"27/Oct/2024:{t} +0100")
        for t in ("23:59:60", "23:59:61", "24:00:00", "00:60:00", "1:02:03", "01:02:03.5")
    ),
    *(
        _c(when=w)
        for w in (
            "01/May/2024:10:00:00",
            "01/May/2024:10:00:00 +09:00",
            "01/May/2024:10:00:00 Z",
            "01/May/2024:10:00:00 +09",
            "01/May/2024:10:00:00 0900",
            "01/May/2024:10:00:00  +0900",
            "01/May/2024:10:00:00 +0900 x",
            "1/May/2024:10:00:00 +0900",
            "01-May-2024:10:00:00 +0900",
        )
    ),
    # requests: missing, "-", relative, CONNECT, odd URLs, odd protocols, quotes
    *(
        _c(req=r)
        for r in (
            "",
            "-",
            "GET",
            "GET /relative/path HTTP/1.1",
            "CONNECT slack.com:443 HTTP/1.1",
            "CONNECT slack.com HTTP/1.0",
            "CONNECT 203.0.113.9:443 HTTP/1.1",
            "CONNECT ...:443 HTTP/1.1",
            "CONNECT trailing.example.jp.: HTTP/1.1",
            "GET HTTPS://Files.Example.COM.:8443/a?b#c HTTP/1.1",
            "GET http://host.example.com?x=/y HTTP/1.1",
            "GET http://user:pw@secret.example.com/ HTTP/1.1",
            "GET http://[2001:db8::1]:80/ HTTP/1.1",
            "GET host.example.net/path/a://b HTTP/1.1",
            "GET http://a.example.com/ HTTP/2",
            "GET http://a.example.com/ HTTP/2.0",
            "GET http://a.example.com/",
            "GET http://a.example.com/ HTTP/1.1 extra",
            "get http://lower.example.com/ HTTP/1.1",
            "GET  http://two.example.com/ HTTP/1.1",
            "GET\thttp://tab.example.com/ HTTP/1.1",
            "GET http://a.example.com/[x]\\y HTTP/1.1",
            "GET http://-.example.com/ HTTP/1.1",
            "GET - HTTP/1.1",
            "GET http://a.example.com:x/ HTTP/1.1",
            "GET http://[x HTTP/1.1",
        )
    ),
    _c(req='GET http://q.example.com/"x" HTTP/1.1'),
    # users: dash, (empty), non-ASCII, brackets, quotes, backslash
    *(_c(user=u) for u in ("-", "(empty)", "田中", "a[b", "a]b", 'a"b', "CORP\\sato", "()", "abe\xa0x")),
    # status and size
    *(
        _c(tail=t)
        for t in (
            " 200 -",
            " - 10",
            " - -",
            " 20 10",
            " 2000 10",
            " 200 0005",
            " 200 -1",
            " 200 1234567890123456789",
            " 200 123456789012345678",
            " 200 10   ",
            " 200 10\t",
            " 200  10",
            " 200 10 x",
            " 200 10 TCP_MISS",
            " 200 10 TCP_MISS:HIER_DIRECT",
            " 200 10 tcp_miss",
            " 200 10 TCP_MISS:HIER:X",
            " 200 ",
        )
    ),
    # referer and user agent
    *(
        _c(tail=" 200 10" + t)
        for t in (
            _UA,
            _UA + " TCP_MISS:HIER_DIRECT",
            ' "" ""',
            ' "a \\"quoted\\" agent" "ua"',
            ' "x" "back\\\\slash"',
            ' "x" "unterminated',
            ' "only-one"',
            ' "x"  "y"',
            ' "x" "y" "z"',
            ' "田" "ua"',
            ' "x" "tab\there"',
            _UA + "  ",
            _UA + " TCP_MISS extra",
        )
    ),
    b'10.1.2.5\t-\tsato\t[01/May/2024:10:00:00 +0900]\t"GET http://tabs.example.com/ HTTP/1.1"\t200\t10',
    b"   " + _c(),
    b'10.1.2.5 - [01/May/2024:10:00:00 +0900] "GET http://a.example.com/ HTTP/1.1" 200 10',
    b'10.1.2.5 - sato [01/May/2024:10:00:00 +0900] "GET http://nul.example.com/ HTTP/1.1" 200 1\x00',
    b"",
    b"   ",
    b"this line is not a CLF line",
]


def _write(path: Path, lines: list[bytes], end: bytes = b"\n", tail: bytes = b"\n") -> Path:
    path.write_bytes(end.join(lines) + tail)
    return path


def _both(paths: list[Path], catalog: Catalog, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    a = scan(paths, catalog=catalog, options=ScanOptions(backend="python", **kw), now=NOW)
    b = scan(paths, catalog=catalog, options=ScanOptions(backend="duckdb", **kw), now=NOW)
    return a.to_dict(), b.to_dict()


def _python_lines(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The lines the Python parser gets from now on."""
    seen: list[str] = []
    orig = SquidCommonParser.parse

    def spy(self: SquidCommonParser, lines: Any, stats: Any) -> Any:
        lines = list(lines)
        seen.extend(lines)
        return orig(self, lines, stats)

    monkeypatch.setattr(SquidCommonParser, "parse", spy)
    return seen


@pytest.mark.parametrize("fmt", ["squid-common", "squid-combined"])
@pytest.mark.parametrize("block", [64, 4096, sqlparse.BLOCK_BYTES])
@pytest.mark.parametrize(("end", "tail"), [(b"\n", b"\n"), (b"\r\n", b""), (b"\r", b"\r"), (b"\n", b"")])
def test_tricky_lines_agree(
    tmp_path: Path,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    block: int,
    end: bytes,
    tail: bytes,
) -> None:
    monkeypatch.setattr(sqlparse, "BLOCK_BYTES", block)
    log = _write(tmp_path / "access.log", TRICKY * 2, end, tail)
    a, b = _both([log], catalog, sample_limit=500, format=fmt)
    assert b == a
    src = a["sources"][0]
    assert (
        src["format"] == fmt
        and src["events"] > 100
        and src["malformed"] > 50
        and src["skipped"]["no_host"] > 0
    )


def test_tricky_lines_agree_when_detected_and_windowed(tmp_path: Path, catalog: Catalog) -> None:
    common = _write(tmp_path / "common.log", [COMMON.encode()] * 200 + TRICKY)
    combined = _write(tmp_path / "combined.log", [COMBINED.encode()] * 200 + TRICKY)
    a, b = _both([common, combined], catalog, sample_limit=500)
    assert b == a
    assert [s["format"] for s in a["sources"]] == ["squid-common", "squid-combined"]
    window = {"since": datetime(2024, 3, 1, tzinfo=UTC), "until": datetime(2024, 5, 1, 1, 0, 1, tzinfo=UTC)}
    a, b = _both([common, combined], catalog, sample_limit=500, **window)
    assert b == a
    assert a["sources"][0]["skipped"]["outside_window"] > 0 and a["sources"][0]["events"] > 0


def test_timestamps_are_the_python_values(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each line its own user, so the report's per-user first/last times pin every line's ts."""
    seen = _python_lines(monkeypatch)
    whens = [
        f"{d}/{y}:{t} {z}"
        for d in ("01/Jan", "29/Feb", "31/Mar", "30/Jun", "27/Oct", "31/Dec")
        for y in ("1001", "1969", "1970", "2000", "2024", "9998")  # 1000 and 9999 go to Python
        for t in ("00:00:00", "02:30:00", "23:59:60")
        for z in ("+0530", "-0000", "+0000", "-2359", "+2359", "-0930")
        if d != "29/Feb" or y in ("2000", "2024")
    ]
    lines = [_c(user=f"u{i}", when=w) for i, w in enumerate(whens)]
    log = _write(tmp_path / "times.log", lines)
    a = scan([log], catalog=catalog, options=ScanOptions(backend="python", format="squid-common"), now=NOW)
    seen.clear()
    b = scan([log], catalog=catalog, options=ScanOptions(backend="duckdb", format="squid-common"), now=NOW)
    assert b.to_dict() == a.to_dict() and a.totals.events == len(whens) and not seen


def test_clean_lines_never_reach_the_python_parser(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _python_lines(monkeypatch)
    clean = [
        COMMON,
        COMBINED,
        '10.1.2.6 - - [01/May/2024:01:02:03 +0000] "CONNECT slack.com:443 HTTP/1.1" 200 -',
        '10.1.2.6 - (empty) [29/Feb/2024:23:59:60 -0530] "POST https://Up.Example.COM.:8443/a?b#c HTTP/2.0" - 0',
        '10.1.2.6 - CORP\\sato [31/dec/1999:00:00:00 +1400] "GET http://x.example.com/ HTTP/1.0" 304 7 "" "" NONE',
        '10.1.2.6 ident (x) [01/MAY/2024:10:00:00 -0000] "GET http://x.example.com/%22 HTTP/1.1" 200 1 TCP_HIT:NONE',
    ]
    lines = [line.encode() for line in clean] * 100 + [b"garbage"]
    for fmt in ("squid-common", "squid-combined"):
        seen.clear()
        log = _write(tmp_path / f"{fmt}.log", lines)
        r = scan([log], catalog=catalog, options=ScanOptions(backend="duckdb", format=fmt), now=NOW)
        assert r.totals.events == 600 and r.totals.malformed == 1
        assert r.sources[0].malformed_samples[0].line == 601
        assert seen == ["garbage"]


def test_golden_corpus_agrees(catalog: Catalog) -> None:
    logs = sorted(CASES.glob("squid_com*.log"))
    a, b = _both(logs, catalog, sample_limit=100)
    assert b == a and [s["format"] for s in a["sources"]] == ["squid-combined", "squid-common"]


_CATALOG: list[Catalog] = []


@pytest.fixture(autouse=True)
def _catalog_for_hypothesis(catalog: Catalog) -> None:
    if not _CATALOG:
        _CATALOG.append(catalog)


_chars = list('aZ09._-:/?#@[]+()"\\ \t') + ["田", "\xa0"]
_tok = st.text(alphabet=st.sampled_from(_chars), min_size=0, max_size=10)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(["squid-common", "squid-combined"]),
    st.lists(
        st.tuples(
            st.sampled_from(["-", "sato", "(empty)", "", "a b", "田"]),
            st.sampled_from(["01", "29", "30", "31", "00", "1"]),
            st.sampled_from(["Jan", "feb", "APR", "Dec", "Foo", "02"]),
            st.sampled_from(["2024", "2023", "2000", "1900", "0999", "1000", "9998", "9999"]),
            st.sampled_from(["00:00:00", "23:59:60", "24:00:00", "12:3:00"]),
            st.sampled_from([" +0900", " -0000", " +0530", " -2359", " +2400", "", " +09:00", "  +0900"]),
            st.sampled_from(["GET ", "CONNECT ", "", "-", "get ", "GET  "]),
            st.sampled_from(["http://", "https://", "", "ftp://", "/"]),
            _tok,
            st.sampled_from([" HTTP/1.1", "", " HTTP/2", " HTTP/1.1 x"]),
            st.sampled_from([" 200 12", " - -", " 200 -", " 20 1", " 200 -1", " 200 12 ", " 200  12"]),
            st.one_of(st.just(""), st.tuples(_tok, _tok).map(lambda t: f' "{t[0]}" "{t[1]}"')),
            st.sampled_from(["", " TCP_MISS:HIER_DIRECT", " TCP_MISS", " x", " "]),
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_random_lines_agree(tmp_path: Path, fmt: str, rows: list[tuple[str, ...]]) -> None:
    """Years 1000 and 9999 go to Python, which refuses times an offset moves out of range."""
    lines = [
        f'10.0.0.1 - {user} [{day}/{mon}/{year}:{clock}{zone}] "{method}{scheme}{url}{proto}"{tail}{quoted}{code}'.encode()
        for user, day, mon, year, clock, zone, method, scheme, url, proto, tail, quoted, code in rows
    ]
    log = _write(tmp_path / "random.log", [COMMON.encode(), *lines])
    a, b = _both([log], _CATALOG[0], format=fmt, sample_limit=100)
    assert b == a


@pytest.mark.parametrize("backend", ["python", "duckdb"])
def test_a_time_past_year_9999_is_a_malformed_line_not_a_failed_scan(
    tmp_path: Path, catalog: Catalog, backend: str
) -> None:
    """``31/Dec/9999:23:00:00 -0500`` is in year 10000: the report cannot print it (it crashed the
    whole scan); the line is malformed, like any other unreadable time."""
    lines = [
        _c(when="31/Dec/9999:23:00:00 -0500"),
        _c(when="01/Jan/1000:00:30:00 +0100"),
        _c(when="31/Dec/9999:23:00:00 +0000"),
        COMMON.encode(),
    ]
    log = _write(tmp_path / "edge.log", lines)
    r = scan([log], catalog=catalog, options=ScanOptions(backend=backend, format="squid-common"), now=NOW)
    s = r.sources[0]
    assert (s.events, s.malformed) == (2, 2)
    assert {m.line for m in s.malformed_samples} == {1, 2}
    assert all("out of range" in m.reason for m in s.malformed_samples)
