"""Every golden log in tests/cases/discovery parses to its hand-written expectations."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kijun.discovery.model import ParseStats
from kijun.discovery.parsers import ParserOptions, detect_format, parser_class
from kijun.discovery.textio import open_log
from kijun.discovery.timeparse import parse_tz

CASES = Path(__file__).resolve().parents[1] / "cases" / "discovery"
GOLDEN = sorted(p for p in CASES.iterdir() if p.suffix in (".log", ".csv", ".json"))


def _expected(log: Path) -> dict:
    return yaml.safe_load(log.with_name(log.stem + ".expected.yaml").read_text("utf-8"))


def _parse(log: Path, fmt: str | None, tz: str) -> tuple[list, ParseStats, str]:
    opened = open_log(log)
    try:
        lines = list(opened.lines)
    finally:
        opened.close()
    cls = detect_format(lines[:50], str(log)) if fmt is None else parser_class(fmt)
    stats = ParseStats(str(log))
    events = list(cls(ParserOptions(default_tz=parse_tz(tz))).parse(lines, stats))
    return events, stats, cls.name


@pytest.mark.parametrize("log", GOLDEN, ids=lambda p: p.name)
def test_golden_file_auto_detected_and_parsed(log: Path) -> None:
    exp = _expected(log)
    events, stats, name = _parse(log, None, exp.get("tz", "UTC"))
    assert name == exp["format"]
    assert stats.lines == exp["lines"]
    assert stats.events == exp["events"] == len(events)
    assert stats.malformed == exp["malformed"]
    assert [s.line for s in stats.malformed_samples] == exp["malformed_lines"]
    assert stats.skipped == exp["skipped"]
    assert stats.lines == stats.events + stats.malformed + sum(stats.skipped.values())
    got = [[e.ts, e.user, e.src_ip, e.host, e.method, e.status, e.bytes_up, e.bytes_down] for e in events]
    assert len(got) == len(exp["expected_events"])
    for g, x in zip(got, exp["expected_events"], strict=True):
        assert g[0] == pytest.approx(x[0], abs=1e-6)
        assert g[1:] == [str(v) if isinstance(v, str) else v for v in x[1:]]


def test_golden_cases_cover_every_format() -> None:
    formats = {_expected(p)["format"] for p in GOLDEN}
    assert formats == {"squid", "squid-common", "squid-combined", "w3c", "zeek", "bind", "nss", "csv"}
