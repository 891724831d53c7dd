"""Shadow-IT discovery throughput, per log format: our scan vs a naive baseline and DuckDB's raw read.

Generates seeded, realistic logs (discovery_logs.py) in every format the engine parses, plus
``squid-gz`` (the Squid log gzip-compressed, as proxies rotate it) and ``mixed``, a directory with
one file of each format (the lines split between them) scanned in one call. Then measures in
separate processes (so each peak RSS is its own):

* ``kijun scan``       — ``kijun.discovery.engine.scan`` (parse + match + aggregate + report) with
                         the default duckdb engine, for every format; the pure-python backend for
                         Squid only unless ``--python-all`` (it is slow);
* ``naive``            — Squid only: a regex per line and a linear scan over every catalog suffix
                         per line, the obvious first implementation (run on a prefix: it is slow);
* ``duckdb read_csv``  — DuckDB's own ``read_csv`` + ``count(*)`` over the same file(s), one column
                         per line (gunzipping the .gz ones): the I/O and line-splitting floor,
                         measured in the same run.

The table shows events and malformed lines per scan: every generated line must be an event.

``--keep DIR`` writes the logs to DIR instead of a temporary directory and reuses a file already
there when its line count is the one wanted (files are written under a temporary name and renamed
when complete, so an interrupted run leaves no short file behind). Generating 10 M Squid lines takes
over a minute and 1.25 GB; a 10 M line run, repeatable without regenerating:

    .venv/bin/python benchmarks/bench_discovery.py --formats squid,squid-gz --lines 10000000 \
        --no-python-backend --keep /tmp/kijun-bench

Usage: .venv/bin/python benchmarks/bench_discovery.py [--lines 1000000] [--formats squid,csv,mixed]
       [--naive-lines 50000] [--python-all | --no-python-backend] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import multiprocessing as mp
import os
import re
import resource
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from kijun.discovery.catalog import load_catalog

# benchmarks/ is not a package: run as a script its directory is on sys.path already, loaded by path
# (the tests) it is not
if (_HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, _HERE)
from discovery_logs import FORMATS, GZIP, SEED, extra_lines, file_name, generate, mixed_parts  # noqa: E402


def run_kijun(path: str, backend: str) -> dict[str, Any]:
    from kijun.discovery.engine import ScanOptions, scan

    r = scan([path], options=ScanOptions(backend=backend))
    t = r.totals
    return {
        "lines": t.lines,
        "events": t.events,
        "malformed": t.malformed,
        "apps": t.apps,
        "unknown": t.unknown_domains,
        "formats": sorted({s.format for s in r.sources}),
    }


NAIVE_RE = re.compile(r"^(\d+\.\d+)\s+\d+\s+(\S+)\s+\S+/(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)")


def run_naive(path: str, limit: int) -> dict[str, Any]:
    """The obvious implementation: regex per line, linear longest-suffix scan over the catalog."""
    suffixes = sorted(load_catalog().suffixes().items())
    apps: dict[str, list[Any]] = {}
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if n >= limit:
                break
            n += 1
            m = NAIVE_RE.match(line)
            if not m:
                continue
            url = m.group(6)
            host = re.sub(r"^[a-z]+://", "", url).split("/")[0].split(":")[0].lower()
            best, best_len = None, 0
            for suffix, app_id in suffixes:
                if (host == suffix or host.endswith("." + suffix)) and len(suffix) > best_len:
                    best, best_len = app_id, len(suffix)
            key = best or "?" + ".".join(host.split(".")[-2:])
            acc = apps.setdefault(key, [0, 0, set()])
            acc[0] += 1
            acc[1] += int(m.group(4))
            acc[2].add(m.group(7))
    return {"lines": n, "apps": len(apps)}


def run_duckdb_raw(paths: list[str], gz: bool = False) -> dict[str, Any]:
    """``gz``: every file is gzip; otherwise DuckDB gunzips the files named ``*.gz`` (mixed)."""
    import duckdb

    con = duckdb.connect()
    sql = (
        "SELECT count(*) FROM read_csv($p, delim='\x1f', header=false, quote='', escape='', "
        "columns={'line': 'VARCHAR'}, auto_detect=false, compression=$c)"
    )
    (count,) = con.execute(sql, {"p": paths, "c": "gzip" if gz else "auto"}).fetchone()  # type: ignore[misc]
    return {"lines": int(count)}


def _child(q: Any, fn: Callable[..., dict[str, Any]], args: tuple[Any, ...]) -> None:
    t0 = time.perf_counter()
    out = fn(*args)
    out["seconds"] = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["max_rss_mb"] = usage.ru_maxrss / 1024
    out["cpu"] = usage.ru_utime + usage.ru_stime  # steadier than wall time on a shared machine
    q.put(out)


def measure(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(q, fn, args))
    p.start()
    out: dict[str, Any] = q.get()
    p.join()
    return out


def _count_lines(path: Path, gz: bool) -> int | None:
    """Lines in ``path`` (gunzipped if ``gz``); None if it cannot be read to its end."""
    try:
        with open(path, "rb") as file, gzip.GzipFile(fileobj=file, mode="rb") if gz else file as raw:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: raw.read(1 << 24), b""))
    except (OSError, EOFError, zlib.error):  # a truncated or damaged gzip
        return None


def _file(root: Path, directory: Path, fmt: str, lines: int, seed: int) -> tuple[Path, bool]:
    """``directory``'s file of ``fmt`` with ``lines`` events, and whether it was already there.

    A file is written under a temporary name in ``root`` (never inside a mixed directory, which is
    scanned whole) and renamed once complete, so a file found with the right line count is whole.
    """
    path = directory / file_name(fmt)
    if path.is_file() and _count_lines(path, fmt in GZIP) == lines + extra_lines(fmt):
        return path, True
    part = root / f".partial-{path.name}"
    generate(part, fmt, lines, seed=seed)
    os.replace(part, path)
    return path, False


class Target(NamedTuple):
    """What one benchmark row scans: a file, or the mixed directory and its files."""

    path: Path
    files: list[str]
    extra: int  # header/trailer lines: lines = events + extra
    reused: int  # files found in ``root`` (--keep) rather than generated


def prepare(root: Path, fmt: str, lines: int) -> Target:
    """The scan target of ``fmt`` under ``root``, generated unless already there with ``lines`` events."""
    t0 = time.perf_counter()
    if fmt == "mixed":
        path = root / "mixed"
        path.mkdir(parents=True, exist_ok=True)
        made = [_file(root, path, f, k, seed) for f, k, seed in mixed_parts(lines)]
        files = sorted(str(p) for p, _ in made)
        stray = sorted(p.name for p in path.iterdir() if str(p) not in files)
        if stray:  # they would be scanned with the rest
            raise SystemExit(f"{path} holds files this benchmark does not write: {', '.join(stray)}")
        extra = sum(extra_lines(f) for f, _, _ in mixed_parts(lines))
        reused = sum(r for _, r in made)
    else:
        file, was_there = _file(root, root, fmt, lines, SEED)
        path, files, extra, reused = file, [str(file)], extra_lines(fmt), int(was_there)
    size = sum(Path(p).stat().st_size for p in files)
    what = "reused" if reused == len(files) else f"generated ({reused} reused)" if reused else "generated"
    print(
        f"{what} {fmt}: {lines:,} lines, {size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    return Target(path, files, extra, reused)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000, help="events per format (mixed: in all)")
    ap.add_argument("--naive-lines", type=int, default=50_000)
    ap.add_argument("--formats", default=",".join([*FORMATS, "mixed"]), help="comma-separated; default: all")
    ap.add_argument(
        "--python-all", action="store_true", help="run the slow pure-python backend for every format"
    )
    ap.add_argument(
        "--no-python-backend", action="store_true", help="skip the pure-python backend (also Squid)"
    )
    ap.add_argument(
        "--keep",
        metavar="DIR",
        type=Path,
        help="write the logs to DIR (not a temporary directory) and reuse those already there",
    )
    args = ap.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS and f != "mixed"]
    if bad:
        ap.error(f"unknown format(s) {', '.join(bad)}; choose from {', '.join([*FORMATS, 'mixed'])}")
    if args.lines < len(FORMATS):
        ap.error(f"--lines must be at least {len(FORMATS)} (mixed writes one file per format)")
    rows = []
    problems = []
    with contextlib.ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            root = args.keep
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-discovery-")))
        for fmt in formats:
            target, files, extra, _ = prepare(root, fmt, args.lines)
            rows.append((fmt, "duckdb read_csv+count(*)", measure(run_duckdb_raw, files, fmt in GZIP)))
            got = measure(run_kijun, str(target), "duckdb")
            rows.append((fmt, "kijun scan (duckdb)", got))
            want = sorted(set(FORMATS.values())) if fmt == "mixed" else [FORMATS[fmt]]
            if got["malformed"] or got["events"] != args.lines or got["lines"] != args.lines + extra:
                problems.append(f"{fmt}: {got['events']:,} events, {got['malformed']:,} malformed")
            if got["formats"] != want:
                problems.append(f"{fmt}: detected {got['formats']}, expected {want}")
            if not args.no_python_backend and (fmt == "squid" or args.python_all):
                rows.append((fmt, "kijun scan (python)", measure(run_kijun, str(target), "python")))
            if fmt == "squid":
                rows.append(
                    (
                        fmt,
                        f"naive (first {args.naive_lines:,} lines)",
                        measure(run_naive, files[0], args.naive_lines),
                    )
                )
    print(
        f"\n{'format':14} {'method':32} {'lines':>10} {'wall s':>7} {'cpu s':>7} {'lines/s':>10} "
        f"{'lines/cpu-s':>11} {'peak RSS':>9} {'events':>10} {'malformed':>9}"
    )
    wall: dict[tuple[str, str], float] = {}
    cpu: dict[tuple[str, str], float] = {}
    for fmt, name, r in rows:
        wall[(fmt, name)] = r["lines"] / r["seconds"]
        cpu[(fmt, name)] = r["lines"] / max(r["cpu"], 1e-9)
        ev = f"{r['events']:>10,} {r['malformed']:>9,}" if "events" in r else f"{'-':>10} {'-':>9}"
        print(
            f"{fmt:14} {name:32} {r['lines']:>10,} {r['seconds']:>7.2f} {r['cpu']:>7.2f} "
            f"{wall[(fmt, name)]:>10,.0f} {cpu[(fmt, name)]:>11,.0f} {r['max_rss_mb']:>7.0f}MB {ev}"
        )
    print("\nratios (wall / cpu; kijun / raw read: 1.0 = parsing as fast as reading):")
    for fmt in formats:
        ours, raw = (fmt, "kijun scan (duckdb)"), (fmt, "duckdb read_csv+count(*)")
        print(f"{fmt:14} kijun / duckdb raw read = {wall[ours] / wall[raw]:.3f} / "
              f"{cpu[ours] / cpu[raw]:.3f}; 10M lines at this rate: {1e7 / wall[ours]:.0f} s wall, "
              f"{1e7 / cpu[ours]:.0f} s of one core")  # fmt: skip
        py = (fmt, "kijun scan (python)")
        if py in wall:
            print(f"{fmt:14} duckdb engine / python backend = {wall[ours] / wall[py]:.2f}x / "
                  f"{cpu[ours] / cpu[py]:.2f}x")  # fmt: skip
        naive = [k for k in wall if k[0] == fmt and k[1].startswith("naive")]
        if naive:
            print(f"{fmt:14} kijun / naive baseline = {wall[ours] / wall[naive[0]]:.1f}x / "
                  f"{cpu[ours] / cpu[naive[0]]:.1f}x faster")  # fmt: skip
    if problems:
        print("\nNOT PARSED CLEANLY:\n  " + "\n  ".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
