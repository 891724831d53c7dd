"""Regressions for parser crashes found by the fuzz harness (tests/fuzz).

Log parsers never raise on a bad line (it is counted as malformed); file loaders raise DiscoveryError.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kijun.discovery.catalog import load_catalog
from kijun.discovery.engine import LogInput, ScanOptions, scan
from kijun.discovery.model import DiscoveryError, ParseStats
from kijun.discovery.parsers import ParserOptions, parser_class
from kijun.discovery.register import load_register
from kijun.discovery.timeparse import TimeParser

_BIG_DAY = "Wed May 99999999999999999999 10:00:00 2024"


@pytest.mark.parametrize("text", [_BIG_DAY, "Wed May 1 10:00:00 99999999999999999999", "Wed May 1 10:00:00 0"])
def test_ctime_out_of_range_is_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        TimeParser().ctime(text)


def test_nss_line_with_overflowing_day_is_malformed_not_raised() -> None:
    good = "time=Wed May 01 10:00:00 2024\tlogin=a\tproto=HTTPS\teurl=x.example.com/\n"
    bad = f"time={_BIG_DAY}\tlogin=a\tproto=HTTPS\teurl=x.example.com/\n"
    stats = ParseStats("<test>")
    events = list(parser_class("nss")(ParserOptions()).parse([good, bad, good], stats))
    assert len(events) == 2
    assert stats.malformed == 1


def test_csv_line_with_overflowing_day_is_malformed_not_raised() -> None:
    lines = ["timestamp,user,src_ip,url\n", f"{_BIG_DAY},a,10.0.0.1,https://x.example.com/\n"]
    stats = ParseStats("<test>")
    assert list(parser_class("csv")(ParserOptions()).parse(lines, stats)) == []
    assert stats.malformed == 1


def test_scan_survives_overflowing_day() -> None:
    line = f"time={_BIG_DAY}\tlogin=a\tproto=HTTPS\teurl=x.example.com/\n".encode()
    try:
        scan([LogInput(io.BytesIO(line * 3), name="up.log")], catalog=load_catalog(),
             options=ScanOptions(pause_gc=False), now=datetime(2026, 1, 1, tzinfo=UTC))
    except DiscoveryError:
        pass  # "no parseable lines" is a documented, clear error; OverflowError is not


@pytest.mark.parametrize(("data", "match"), [(b"a: [", "not valid YAML"), (b"\xff", "catalog is not UTF-8"),
                                             (b"- 1\n", "expected a mapping")])
def test_bad_app_catalog_file_is_discovery_error(tmp_path: Path, data: bytes, match: str) -> None:
    p = tmp_path / "apps.yaml"
    p.write_bytes(data)
    with pytest.raises(DiscoveryError, match=f"apps.yaml: {match}"):
        load_catalog(p)
    with pytest.raises(DiscoveryError, match=match):
        load_catalog(extra=[p])


def test_csv_register_with_lone_cr_line_ends(tmp_path: Path) -> None:
    p = tmp_path / "register.csv"
    p.write_bytes(b"domain,status\rbox.com,approved\rdropbox.com,prohibited\r")
    reg = load_register(p)
    assert [(e.domain, e.status) for e in reg.entries] == [("box.com", "approved"), ("dropbox.com", "prohibited")]


def test_csv_register_lone_cr_inside_row_never_escapes_csv_error(tmp_path: Path) -> None:
    p = tmp_path / "register.csv"
    p.write_bytes(b"status,a\rb")
    try:
        load_register(p)
    except DiscoveryError as exc:
        assert "register.csv" in str(exc)
