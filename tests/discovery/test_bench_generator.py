"""The discovery benchmark's log generator writes every format as the engine reads it.

A benchmark over lines the engine rejects would measure the malformed-line path, not parsing, so
each generated format must be auto-detected as itself and parse without a malformed line, and the
catalog services the generator plants (tenant subdomains) must reach the report. The generators live
in benchmarks/discovery_logs.py; the benchmark script is loaded by path, as ``make bench`` runs it,
and the module it imported is the one tested.
"""

from __future__ import annotations

import gzip
import importlib.util
import re
import sys
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
    "squid-gz",
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


@pytest.fixture(scope="module")
def logs(bench: ModuleType) -> ModuleType:
    """The generator module, as the benchmark imported it (benchmarks/ is not a package)."""
    module = sys.modules[bench.generate.__module__]
    assert Path(module.__file__ or "") == BENCH.with_name("discovery_logs.py")
    return module


def _text(path: Path) -> str:
    with path.open("rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.decompress(path.read_bytes()).decode() if gz else path.read_text(encoding="utf-8")


def _tenants(report: Report, app_id: str, pattern: str) -> list[str]:
    """Hosts of one catalog app's row that look like planted tenant subdomains."""
    rows = [a for a in report.apps if a.app_id == app_id]
    return [h.host for row in rows for h in row.hosts if re.fullmatch(pattern, h.host)]


def _check_planted(report: Report) -> None:
    assert _tenants(report, "cybozu-cloud", r"agency\d+\.cybozu\.com")
    assert _tenants(report, "sharepoint-online", r"agency\d+-my\.sharepoint\.com")
    assert _tenants(report, "slack", r"t\d+\.slack\.com")
    assert report.totals.unknown_domains > 0  # the long tail of unknown sites


def test_generator_covers_every_format(logs: ModuleType) -> None:
    """A new parser needs a writer here, or the benchmark silently stops covering the engine."""
    assert set(logs.FORMATS.values()) == {p.name for p in PARSERS}
    assert set(logs.WRITERS) | set(logs.GZIP) == set(logs.FORMATS) == set(NAMES)
    assert set(logs.GZIP.values()) <= set(logs.WRITERS)


@pytest.mark.parametrize("name", NAMES)
def test_each_format_is_detected_and_parses_cleanly(
    logs: ModuleType, catalog: Catalog, tmp_path: Path, name: str
) -> None:
    path = tmp_path / logs.file_name(name)
    extra = logs.generate(path, name, LINES)
    assert extra == logs.extra_lines(name)
    assert _text(path).count("\n") == LINES + extra

    report = scan([path], catalog=catalog)  # default options: format and compression auto-detected

    (source,) = report.sources
    assert source.format == logs.FORMATS[name]
    assert source.compressed is (name in logs.GZIP)
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


def test_gzip_variant_holds_the_plain_layouts_lines(logs: ModuleType, tmp_path: Path) -> None:
    """Same seed, same lines: the squid and squid-gz rows differ by the gunzip alone."""
    for gz_name, plain in logs.GZIP.items():
        logs.generate(tmp_path / "gz", gz_name, LINES)
        logs.generate(tmp_path / "plain", plain, LINES)
        assert (tmp_path / "gz").read_bytes()[:2] == b"\x1f\x8b"
        assert gzip.decompress((tmp_path / "gz").read_bytes()) == (tmp_path / "plain").read_bytes()


def test_generated_timestamps_advance_through_one_day(
    logs: ModuleType, catalog: Catalog, tmp_path: Path
) -> None:
    for name in ("squid-common", "bind", "nss", "csv"):  # local-time and zone-less layouts
        path = tmp_path / f"{name}.log"
        logs.generate(path, name, LINES)
        report = scan([path], catalog=catalog)
        seen = [a.first_seen for a in report.apps if a.first_seen] + [
            a.last_seen for a in report.apps if a.last_seen
        ]
        assert min(seen) >= "2024-05-01T00:00:00", name
        assert max(seen) < "2024-05-02T00:00:00", name
        assert max(seen) > "2024-05-01T20:00:00", name


def test_mixed_directory_is_one_scan(
    bench: ModuleType, logs: ModuleType, catalog: Catalog, tmp_path: Path
) -> None:
    target = bench.prepare(tmp_path, "mixed", LINES * 3)
    files = sorted(target.path.iterdir())
    assert len(files) == len(logs.FORMATS)
    assert target.files == [str(f) for f in files]
    assert bench.run_duckdb_raw(target.files)["lines"] == LINES * 3 + target.extra  # gunzips the .gz

    report = scan([target.path], catalog=catalog)

    by_name = {Path(s.source).name: s for s in report.sources}
    assert len(by_name) == len(files)
    for name, fmt in logs.FORMATS.items():
        (source,) = [s for file, s in by_name.items() if file == logs.file_name(name)]
        assert source.format == fmt, name
        assert source.compressed is (name in logs.GZIP), name
        assert source.malformed == 0, (name, source.malformed_samples[:3])
    assert sum(s.events for s in report.sources) == report.totals.events == LINES * 3
    assert report.totals.malformed == 0
    assert report.totals.lines == LINES * 3 + target.extra
    _check_planted(report)


def test_kept_files_are_reused_only_with_the_right_line_count(bench: ModuleType, tmp_path: Path) -> None:
    """``--keep``: a 10 M line file is generated once; a short, grown or truncated one is redone."""
    first = bench.prepare(tmp_path, "squid-gz", LINES)
    assert first.reused == 0
    assert bench.run_duckdb_raw(first.files, True)["lines"] == LINES
    inode = first.path.stat().st_ino

    again = bench.prepare(tmp_path, "squid-gz", LINES)
    assert again.reused == 1
    assert again.path.stat().st_ino == inode

    other = bench.prepare(tmp_path, "squid-gz", LINES + 1)
    assert other.reused == 0
    assert _text(other.path).count("\n") == LINES + 1

    data = other.path.read_bytes()
    other.path.write_bytes(data[: len(data) // 2])  # a truncated gzip
    redone = bench.prepare(tmp_path, "squid-gz", LINES + 1)
    assert redone.reused == 0
    assert redone.path.read_bytes() == data  # seeded: the same bytes again
    assert sorted(p.name for p in tmp_path.iterdir()) == ["squid-gz.log.gz"]  # no partial file left


def test_a_stray_file_in_the_kept_mixed_directory_stops_the_run(bench: ModuleType, tmp_path: Path) -> None:
    """The mixed directory is scanned whole: a file the benchmark did not write would be counted."""
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "notes.txt").write_text("not a log\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="notes.txt"):
        bench.prepare(tmp_path, "mixed", LINES)
