"""Shadow-IT discovery throughput: our scan end to end vs a naive baseline and DuckDB's raw read.

Generates seeded, realistic logs (Zipf-distributed hosts: catalog services with tenant subdomains
and a long tail of unknown sites; thousands of users), then measures in separate processes (so
each peak RSS is its own):

* ``kijun scan``       — ``kijun.discovery.engine.scan`` (parse + match + aggregate + report),
                         the default duckdb engine (SQL parsing of Squid lines, SQL report) and the
                         pure-python backend;
* ``naive``            — a regex per line and a linear scan over every catalog suffix per line,
                         the obvious first implementation (run on a prefix: it is slow);
* ``duckdb read_csv``  — DuckDB's own ``read_csv`` + ``count(*)`` over the same file, one column per
                         line: the I/O and line-splitting floor.

Usage: .venv/bin/python benchmarks/bench_discovery.py [--lines 1000000] [--naive-lines 50000]
"""

from __future__ import annotations

import argparse
import bisect
import multiprocessing as mp
import random
import re
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kijun.discovery.catalog import load_catalog

SEED = 20240501
START = 1714521600.0  # 2024-05-01T00:00:00Z


def _hosts(rng: random.Random) -> list[str]:
    """Catalog hosts (with tenant subdomains) interleaved with a long tail of unknown sites."""
    cat = load_catalog()
    known: list[str] = []
    for app in cat.apps.values():
        for d in app.domains:
            known += [d, f"www.{d}", f"api.{d}"]
    for i in range(300):
        known += [f"agency{i}.cybozu.com", f"agency{i}-my.sharepoint.com", f"t{i}.slack.com"]
    unknown = []
    tlds = ["com", "jp", "co.jp", "net", "org", "go.jp", "lg.jp", "io"]
    for i in range(6000):
        base = f"site{i}.{rng.choice(tlds)}" if i % 3 else f"news{i}.example.{rng.choice(tlds)}"
        unknown += [base, f"cdn.{base}", f"img{i % 7}.{base}"]
    rng.shuffle(known)
    rng.shuffle(unknown)
    out = []
    for k, u in zip(known, unknown, strict=False):
        out += [k, u]
    return out + unknown[len(known) :]


def _zipf_cum(n: int, s: float = 1.1) -> list[float]:
    total, cum = 0.0, []
    for r in range(1, n + 1):
        total += 1.0 / r**s
        cum.append(total)
    return cum


def generate(path: Path, fmt: str, lines: int, users: int = 4000) -> None:
    rng = random.Random(SEED)
    hosts = _hosts(rng)
    cum = _zipf_cum(len(hosts))
    names = [f"user{u:05d}" for u in range(users)]
    ips = [f"10.{u // 65536 % 256}.{u // 256 % 256}.{u % 256}" for u in range(users)]
    ucum = _zipf_cum(users, 0.6)
    step = 86400.0 / lines
    agents = [
        '"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0"',
        '"Microsoft Office/16.0"',
    ]
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as f:
        if fmt == "w3c":
            f.write(
                "#Software: SGOS 7.3.10.1\n#Version: 1.0\n#Fields: date time time-taken c-ip cs-username "
                "cs-auth-group x-exception-id sc-filter-result cs-categories sc-status s-action cs-method "
                "cs-uri-scheme cs-host cs-uri-port cs-uri-path cs(User-Agent) s-ip sc-bytes cs-bytes\n"
            )
        done = 0
        while done < lines:
            k = min(100_000, lines - done)
            hs = rng.choices(hosts, cum_weights=cum, k=k)
            us = [bisect.bisect_left(ucum, rng.random() * ucum[-1]) for _ in range(k)]
            buf = []
            for j in range(k):
                ts = START + (done + j) * step
                u = us[j]
                user = names[u] if u % 10 else "-"
                size = rng.randint(200, 200_000)
                if fmt == "squid":
                    if j % 4:
                        buf.append(
                            f"{ts:.3f} {rng.randint(1, 3000):6d} {ips[u]} TCP_TUNNEL/200 {size} CONNECT "
                            f"{hs[j]}:443 {user} HIER_DIRECT/203.0.113.{j % 250} -\n"
                        )
                    else:
                        buf.append(
                            f"{ts:.3f} {rng.randint(1, 3000):6d} {ips[u]} TCP_MISS/200 {size} GET "
                            f"http://{hs[j]}/p/{j % 977}.html {user} HIER_DIRECT/203.0.113.{j % 250} text/html\n"
                        )
                else:
                    sec = int(ts)
                    hh, mm, ss = sec // 3600 % 24, sec // 60 % 60, sec % 60
                    buf.append(
                        f"2024-05-01 {hh:02d}:{mm:02d}:{ss:02d} {rng.randint(1, 3000)} {ips[u]} {user} - - "
                        f'OBSERVED "Technology/Internet" 200 TCP_TUNNELED CONNECT tcp {hs[j]} 443 / '
                        f"{agents[j % 2]} 192.0.2.10 {size} {rng.randint(100, 5000)}\n"
                    )
            f.write("".join(buf))
            done += k


def run_kijun(path: str, backend: str) -> dict[str, Any]:
    from kijun.discovery.engine import ScanOptions, scan

    r = scan([path], options=ScanOptions(backend=backend))  # type: ignore[arg-type]
    return {"lines": r.totals.lines, "apps": r.totals.apps, "unknown": r.totals.unknown_domains}


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


def run_duckdb_raw(path: str) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    sql = (
        "SELECT count(*) FROM read_csv($p, delim='\x1f', header=false, quote='', escape='', "
        "columns={'line': 'VARCHAR'}, auto_detect=false)"
    )
    (count,) = con.execute(sql, {"p": path}).fetchone()  # type: ignore[misc]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--naive-lines", type=int, default=50_000)
    ap.add_argument("--formats", default="squid,w3c")
    ap.add_argument("--no-python-backend", action="store_true", help="skip the slow pure-python backend")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-discovery-") as tmp:
        for fmt in args.formats.split(","):
            path = Path(tmp) / f"{fmt}.log"
            t0 = time.perf_counter()
            generate(path, fmt, args.lines)
            size = path.stat().st_size
            print(
                f"generated {fmt}: {args.lines:,} lines, {size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s",
                file=sys.stderr,
            )
            raw = measure(run_duckdb_raw, str(path))
            rows.append((fmt, "duckdb read_csv+count(*)", raw))
            ours = measure(run_kijun, str(path), "duckdb")
            rows.append((fmt, "kijun scan (duckdb)", ours))
            if not args.no_python_backend:
                rows.append((fmt, "kijun scan (python)", measure(run_kijun, str(path), "python")))
            if fmt == "squid":
                rows.append(
                    (
                        fmt,
                        f"naive (first {args.naive_lines:,} lines)",
                        measure(run_naive, str(path), args.naive_lines),
                    )
                )
    print(
        f"\n{'format':7} {'method':32} {'lines':>10} {'wall s':>7} {'cpu s':>7} {'lines/s':>10} "
        f"{'lines/cpu-s':>11} {'peak RSS':>9}"
    )
    wall: dict[tuple[str, str], float] = {}
    cpu: dict[tuple[str, str], float] = {}
    for fmt, name, r in rows:
        wall[(fmt, name)] = r["lines"] / r["seconds"]
        cpu[(fmt, name)] = r["lines"] / max(r["cpu"], 1e-9)
        print(
            f"{fmt:7} {name:32} {r['lines']:>10,} {r['seconds']:>7.2f} {r['cpu']:>7.2f} "
            f"{wall[(fmt, name)]:>10,.0f} {cpu[(fmt, name)]:>11,.0f} {r['max_rss_mb']:>7.0f}MB"
        )
    print("\nratios (wall / cpu):")
    for fmt in args.formats.split(","):
        ours = (fmt, "kijun scan (duckdb)")
        raw = (fmt, "duckdb read_csv+count(*)")
        print(f"{fmt}: kijun / duckdb raw read = {wall[ours] / wall[raw]:.3f} / {cpu[ours] / cpu[raw]:.3f}"
              "  (1.0 = parsing as fast as reading)")  # fmt: skip
        py = (fmt, "kijun scan (python)")
        if py in wall:
            print(f"{fmt}: duckdb engine / python backend = {wall[ours] / wall[py]:.2f}x / {cpu[ours] / cpu[py]:.2f}x")
        naive = [k for k in wall if k[0] == fmt and k[1].startswith("naive")]
        if naive:
            print(f"{fmt}: kijun / naive baseline = {wall[ours] / wall[naive[0]]:.1f}x / "
                  f"{cpu[ours] / cpu[naive[0]]:.1f}x faster")  # fmt: skip
        print(f"{fmt}: projected 10M lines at this rate: {10_000_000 / wall[ours]:.0f} s wall, "
              f"{10_000_000 / cpu[ours]:.0f} s of one core")  # fmt: skip


if __name__ == "__main__":
    main()
