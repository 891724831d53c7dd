"""The discovery benchmark's log generator writes every format as the engine reads it.

A benchmark over lines the engine rejects would measure the malformed-line path, not parsing, so
each generated format must be auto-detected as itself and parse without a malformed line, and the
catalog services the generator plants (tenant subdomains) must reach the report.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from kijun.discovery.catalog import Catalog
from kijun.discovery.engine import scan
from kijun.discovery.parsers import PARSERS
from kijun.discovery.report import Report

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_discovery.py"
LINES = 2_000
NAMES = (
    "squid",
    "squid-common",
    "squid-combined",
    "w3c",
    "zeek-http",
    "zeek-dns",
    "zeek-json",
    "bind",
    "nss",
    "csv",
)
NO_USERS = ("zeek-http", "zeek-dns", "zeek-json", "bind")  # network sensors and resolvers see no logins


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_discovery", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tenants(report: Report, app_id: str, pattern: str) -> list[str]:
    """Hosts of one catalog app's row that look like planted tenant subdomains."""
    rows = [a for a in report.apps if a.app_id == app_id]
    return [h.host for row in rows for h in row.hosts if re.fullmatch(pattern, h.host)]


def _check_planted(report: Report) -> None:
    assert _tenants(report, "cybozu-cloud", r"agency\d+\.cybozu\.com")
    assert _tenants(report, "sharepoint-online", r"agency\d+-my\.sharepoint\.com")
    assert _tenants(report, "slack", r"t\d+\.slack\.com")
    assert report.totals.unknown_domains > 0  # the long tail of unknown sites


def test_generator_covers_every_format(bench: ModuleType) -> None:
    """A new parser needs a writer here, or the benchmark silently stops covering the engine."""
    assert set(bench.FORMATS.values()) == {p.name for p in PARSERS}
    assert set(bench.WRITERS) == set(bench.FORMATS) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_format_is_detected_and_parses_cleanly(
    bench: ModuleType, catalog: Catalog, tmp_path: Path, name: str
) -> None:
    path = tmp_path / f"{name}.log"
    extra = bench.generate(path, name, LINES)
    assert path.read_text(encoding="utf-8").count("\n") == LINES + extra

    report = scan([path], catalog=catalog)  # default options: format auto-detected

    (source,) = report.sources
    assert source.format == bench.FORMATS[name]
    assert source.malformed == 0, source.malformed_samples[:3]
    assert source.events == LINES
    assert source.lines == LINES + extra
    assert source.skipped == ({"header": extra} if extra else {})
    if name in NO_USERS:
        assert report.totals.users == 0
    else:
        assert report.totals.users > 100
    assert report.totals.source_ips > 100
    _check_planted(report)


def test_generated_timestamps_advance_through_one_day(
    bench: ModuleType, catalog: Catalog, tmp_path: Path
) -> None:
    for name in ("squid-common", "bind", "nss", "csv"):  # local-time and zone-less layouts
        path = tmp_path / f"{name}.log"
        bench.generate(path, name, LINES)
        report = scan([path], catalog=catalog)
        seen = [a.first_seen for a in report.apps if a.first_seen] + [
            a.last_seen for a in report.apps if a.last_seen
        ]
        assert min(seen) >= "2024-05-01T00:00:00", name
        assert max(seen) < "2024-05-02T00:00:00", name
        assert max(seen) > "2024-05-01T20:00:00", name


def test_mixed_directory_is_one_scan(bench: ModuleType, catalog: Catalog, tmp_path: Path) -> None:
    directory = tmp_path / "mixed"
    extra = bench.generate_mixed(directory, LINES * 3)
    files = sorted(directory.iterdir())
    assert len(files) == len(bench.FORMATS)

    report = scan([directory], catalog=catalog)

    by_name = {Path(s.source).name: s for s in report.sources}
    assert len(by_name) == len(files)
    for name, fmt in bench.FORMATS.items():
        (source,) = [s for file, s in by_name.items() if file.startswith(f"{name}.")]
        assert source.format == fmt, name
        assert source.malformed == 0, (name, source.malformed_samples[:3])
    assert sum(s.events for s in report.sources) == report.totals.events == LINES * 3
    assert report.totals.malformed == 0
    assert report.totals.lines == LINES * 3 + extra
    _check_planted(report)
