"""Benchmark: kijun.diagnostics matcher vs straightforward baselines on generated NVD-shaped data.

Run:  .venv/bin/python benchmarks/bench_diagnostics.py [--scale small|medium|full] [--seed N]

* ``full`` is the issue's target shape: 400k CVEs (~1.3M cpeMatch criteria), 10k hosts and
  10M host-package rows collapsing to ~100k distinct (product, version) pairs.
* ``medium`` (default) is 1/4 of that feed and 3M rows; ``small`` is for a quick look.

Generated data is seeded and shaped like the real thing: products follow a Zipf law (a few
products such as browsers and kernels carry thousands of CVEs), versions mix 3-part, 4-part builds,
OpenSSL letter releases and OpenSSH ``pN`` updates; ~5% of configurations are AND/"running on".

Baselines, run in the same process on the same data:

* **naive**: for every inventory row, every criterion is checked (our parsed CPEs and version keys,
  but no product index, no dedupe, per-host AND evaluation) — measured on a sample of rows and
  extrapolated linearly, because the full run would take days;
* **per-check parsing** (if the ``cpe`` and ``univers`` libraries are installed): each check parses
  the criterion with ``cpe`` and the range with ``univers``, as a simple script would; sampled too.

Also compared: version-ordering accuracy and speed against univers' ``generic`` scheme on the
pitfall list from the research notes.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from kijun.diagnostics.cpe import Cpe, is_superset_or_equal, parse_cpe
from kijun.diagnostics.matcher import CompiledFeed, InventoryIndex, effective_version, match_nvd
from kijun.diagnostics.nvd import parse_cve, parse_cves
from kijun.diagnostics.records import CveRecord
from kijun.diagnostics.versions import compare_versions, generic_key

SCALES = {
    "small": {"cves": 20_000, "products": 6_000, "inv_products": 2_500, "hosts": 1_000, "per_host": 300},
    "medium": {"cves": 100_000, "products": 25_000, "inv_products": 6_000, "hosts": 10_000, "per_host": 300},
    "full": {"cves": 400_000, "products": 100_000, "inv_products": 12_000, "hosts": 10_000, "per_host": 1_000},
}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, fn: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``fn``; return its result and the CPU seconds it used.

    CPU time (not wall time) is what the table reports: this 2-core VM is shared with other
    sessions, and CPU time of this process is what stays comparable between runs. Wall time is
    printed alongside in the progress lines.
    """
    gc.collect()
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    dt, dc = time.perf_counter() - t, time.process_time() - c
    print(f"  {label:<46} cpu {dc:8.2f} s  wall {dt:8.2f} s  (peak RSS {rss_mb():,.0f} MB)", file=sys.stderr)
    return out, dc


# ------------------------------------------------------------------------------ generator
STYLES = ("semver", "semver", "semver", "four", "letter", "update", "date")


@dataclass
class Product:
    part: str
    vendor: str
    product: str
    style: str
    versions: list[str]  # ascending


def _versions(r: random.Random, style: str) -> list[str]:
    out: list[str] = []
    if style == "semver":
        for major in range(r.randint(1, 4), r.randint(5, 12)):
            for minor in range(r.randint(2, 8)):
                out += [f"{major}.{minor}.{p}" for p in range(r.randint(1, 6))]
    elif style == "four":
        for build in range(r.randint(3, 8)):
            out += [f"10.0.{19041 + build}.{rev}" for rev in range(1000, 1000 + 60 * r.randint(3, 10), 60)]
    elif style == "letter":
        for minor in range(r.randint(1, 3)):
            out.append(f"1.{minor}.2")
            out += [f"1.{minor}.2{chr(97 + i)}" for i in range(26)] + [f"1.{minor}.2z{chr(97 + i)}" for i in range(8)]
    elif style == "update":
        for major in range(r.randint(4, 7), 10):
            out += [f"{major}.{minor}p{u}" for minor in range(10) for u in (1, 2)]
    else:
        out = [f"{y}.{m:02d}" for y in range(2015, 2027) for m in range(1, 13, r.choice((1, 3, 6)))]
    return out


def make_products(r: random.Random, n: int) -> list[Product]:
    prods = []
    for i in range(n):
        style = r.choice(STYLES)
        part = "o" if style == "four" else ("h" if i % 97 == 0 else "a")
        prods.append(Product(part, f"vendor{i % (n // 3 + 1)}", f"product_{i}", style, _versions(r, style)))
    return prods


def zipf_index(r: random.Random, n: int) -> int:
    """Skewed pick over 0..n-1: low indexes (popular products) are chosen far more often."""
    return min(n - 1, int(n * r.random() ** 2.5))


def _criterion(r: random.Random, p: Product, vulnerable: bool = True) -> dict[str, Any]:
    upd = "*"
    crit: dict[str, Any] = {"vulnerable": vulnerable, "matchCriteriaId": f"{r.getrandbits(64):016X}"}
    vs = p.versions
    if r.random() < 0.35:  # exact version criteria
        v = r.choice(vs)
        if p.style == "update" and "p" in v:
            v, upd = v.split("p")[0], "p" + v.split("p")[1]
        crit["criteria"] = f"cpe:2.3:{p.part}:{p.vendor}:{p.product}:{v}:{upd}:*:*:*:*:*:*"
        return crit
    crit["criteria"] = f"cpe:2.3:{p.part}:{p.vendor}:{p.product}:*:*:*:*:*:*:*:*"
    j = r.randrange(1, len(vs))  # the fixed version: anywhere in the product's history
    i = max(0, j - r.randint(1, max(2, len(vs) // 8)))
    if r.random() < 0.8:
        crit["versionStartIncluding" if r.random() < 0.8 else "versionStartExcluding"] = vs[i]
    crit["versionEndExcluding" if r.random() < 0.7 else "versionEndIncluding"] = vs[j]
    return crit


def make_feed(r: random.Random, prods: list[Product], n: int, start: int = 0) -> list[dict[str, Any]]:
    out = []
    for k in range(n):
        p = prods[zipf_index(r, len(prods))]
        configs = []
        for _ in range(1 if r.random() < 0.8 else 2):
            if r.random() < 0.05:  # firmware AND hardware ("running on")
                hw = prods[zipf_index(r, len(prods))]
                configs.append({"operator": "AND", "nodes": [
                    {"operator": "OR", "negate": False, "cpeMatch": [_criterion(r, p)]},
                    {"operator": "OR", "negate": False, "cpeMatch": [
                        {"vulnerable": False, "criteria": f"cpe:2.3:h:{hw.vendor}:{hw.product}:-:*:*:*:*:*:*:*",
                         "matchCriteriaId": "HW"}]}]})
            else:
                configs.append({"nodes": [{"operator": "OR", "negate": False,
                                           "cpeMatch": [_criterion(r, p) for _ in range(r.choice((1, 2, 3, 3, 4, 5)))]}]})
        out.append({"id": f"CVE-2026-{start + k:07d}", "lastModified": "2026-10-01T00:00:00.000", "configurations": configs})
    return out


def make_inventory(r: random.Random, prods: list[Product], hosts: int, per_host: int) -> list[tuple[str, Cpe]]:
    """Host rows as (host, target CPE). Each product has a few popular versions (patch skew)."""
    catalog: list[list[Cpe]] = []
    for p in prods:
        tail = p.versions[-12:]
        cpes = []
        for v in tail:
            upd = "*"
            if p.style == "update":
                v, upd = v.split("p")[0], "p" + v.split("p")[1]
            cpes.append(parse_cpe(f"cpe:2.3:{p.part}:{p.vendor}:{p.product}:{v}:{upd}:*:*:*:*:*:*", allow_wildcards=False))
        catalog.append(cpes)
    rows: list[tuple[str, Cpe]] = []
    for h in range(hosts):
        name = f"host{h:05d}"
        chosen: set[int] = set()
        want = min(per_host, len(prods) // 2)
        while len(chosen) < want:
            chosen.add(zipf_index(r, len(prods)))
        for pi in chosen:
            cs = catalog[pi]
            rows.append((name, cs[len(cs) - 1 - int(len(cs) * r.random() ** 3)]))  # mostly recent versions
    return rows


# ------------------------------------------------------------------------------ baselines
def naive_match(records: list[CveRecord], rows: list[tuple[str, Cpe]]) -> int:
    """Every criterion for every row; AND configurations evaluated per host. Returns finding count."""
    by_host: dict[str, list[Cpe]] = {}
    for h, c in rows:
        by_host.setdefault(h, []).append(c)
    n = 0
    for _h, cpes in by_host.items():
        for rec in records:
            for conf in rec.configurations:
                res = []
                vuln = False
                for node in conf.nodes:
                    sat = []
                    for m in node.matches:
                        ok = any(_naive_ok(m, c) for c in cpes)
                        sat.append(ok)
                        vuln |= ok and m.vulnerable and not node.negate
                    res.append((all(sat) if node.operator == "AND" else any(sat)) != node.negate)
                if vuln and (all(res) if conf.operator == "AND" else any(res)):
                    n += 1
    return n


def _naive_ok(m: Any, t: Cpe) -> bool:
    if not is_superset_or_equal(m.cpe, t):
        return False
    if not m.has_range:
        return True
    ev = effective_version(t)
    if ev is None:
        return False
    k = generic_key(ev)
    return not ((m.start_including and k < generic_key(m.start_including))
                or (m.start_excluding and k <= generic_key(m.start_excluding))
                or (m.end_including and k > generic_key(m.end_including))
                or (m.end_excluding and k >= generic_key(m.end_excluding)))


def library_baseline(records: list[CveRecord], rows: list[tuple[str, Cpe]]) -> int | None:
    """Per-check parsing with the `cpe` library and univers (only plain OR configurations)."""
    try:
        from cpe.cpe2_3_fs import CPE2_3_FS
        from cpe.cpe2_3_wfn import CPE2_3_WFN
        from cpe.cpeset2_3 import CPESet2_3
        from univers.version_range import GenericVersionRange
        from univers.versions import GenericVersion
    except ImportError:
        return None
    n = 0
    for _h, t in rows:
        tw = CPE2_3_WFN(CPE2_3_FS(t.to_fs()).as_wfn())
        for rec in records:
            for conf in rec.configurations:
                for node in conf.nodes:
                    for m in node.matches:
                        sw = CPE2_3_WFN(CPE2_3_FS(m.criteria).as_wfn())
                        if not CPESet2_3.cpe_superset(sw, tw):
                            continue
                        if m.has_range:
                            cons = []
                            if m.start_including:
                                cons.append(f">={m.start_including}")
                            if m.start_excluding:
                                cons.append(f">{m.start_excluding}")
                            if m.end_including:
                                cons.append(f"<={m.end_including}")
                            if m.end_excluding:
                                cons.append(f"<{m.end_excluding}")
                            try:
                                rng = GenericVersionRange.from_string("vers:generic/" + "|".join(cons))
                                if GenericVersion(effective_version(t) or "0") not in rng:
                                    continue
                            except Exception:  # noqa: BLE001, S112 - univers rejects some vendor versions
                                continue
                        n += 1
    return n


class Row:
    """A host-package row (host, target CPE): the shape InventoryIndex needs, kept light for 10M rows."""

    __slots__ = ("cpe", "host")

    def __init__(self, host: str, cpe: Cpe) -> None:
        self.host = host
        self.cpe = cpe


PITFALLS = [  # (a, op, b) under vendor/NVD ordering; from the research notes and issue
    ("9.8p1", ">", "9.8"), ("9.8p1", "<", "9.8.1"), ("8.5p1", "<", "8.6"), ("1.0.2zf", ">", "1.0.2"),
    ("1.0.2zf", ">", "1.0.2z"), ("1.0.2zf", "<", "1.0.3"), ("1.0.2k", "<", "1.0.2zf"), ("2.8.123e", ">", "2.8.123"),
    ("2.8.123e", "<", "2.8.124"), ("10.0.19045.3570", "<", "10.0.19045.4000"), ("10.0.19045.4000", ">", "10.0.19045"),
    ("1.2.3.4.5", "<", "1.2.3.4.6"), ("3.8.2.0", "==", "3.8.2"), ("11.8", "<", "11.70.2"), ("2023.01", "<", "2023.10"),
    ("7.4.3a", ">", "7.4.3"), ("20H2", "<", "21H1"), ("1.0rc1", "<", "1.0"), ("10.2.9", "<", "10.2.9-h1"),
    ("2.0.0-rc1", "<", "2.0.0"), ("1.0", "==", "1.0.0"),
]


def version_accuracy() -> list[tuple[str, str, str, str]]:
    rows = []
    ours = sum(compare_versions("generic", a, b) == {"<": -1, "==": 0, ">": 1}[op] for a, op, b in PITFALLS)
    rows.append(("version ordering: pitfalls right", f"{ours}/{len(PITFALLS)}", "", ""))
    try:
        from univers.versions import GenericVersion
    except ImportError:
        rows.append(("  univers generic", "not installed", "", ""))
        return rows
    good = 0
    for a, op, b in PITFALLS:
        try:
            va, vb = GenericVersion(a), GenericVersion(b)
            got = "<" if va < vb else ("==" if va == vb else (">" if va > vb else "?"))
        except Exception:  # noqa: BLE001
            got = "error"
        good += got == op
    rows[-1] = ("version ordering: pitfalls right", f"{ours}/{len(PITFALLS)}", f"{good}/{len(PITFALLS)} univers", "")
    r = random.Random(1)
    vs = [f"{r.randint(0, 20)}.{r.randint(0, 99)}.{r.randint(0, 999)}{r.choice(['', 'p1', 'a', '.4'])}" for _ in range(30_000)]
    raw_key = generic_key.__wrapped__  # type: ignore[attr-defined]  # bypass the cache for a fair timing
    t = time.perf_counter()
    ks = [raw_key(v) for v in vs]
    n = sum(ks[i] < ks[i + 1] for i in range(len(ks) - 1))
    ours_t = time.perf_counter() - t
    t = time.perf_counter()
    us = []
    for v in vs:
        try:
            us.append(GenericVersion(v))
        except Exception:  # noqa: BLE001
            us.append(GenericVersion("0"))
    m = sum(us[i] < us[i + 1] for i in range(len(us) - 1))
    uni_t = time.perf_counter() - t
    _ = (n, m)
    rows.append(("version parse+compare /s", f"{len(vs) / ours_t:,.0f}", f"{len(vs) / uni_t:,.0f}",
                 f"{uni_t / ours_t:.1f}x"))
    return rows


def emit(directory: str, seed: int) -> None:
    """Write small generated inputs so `kijun vuln match` can be tried on generated data."""
    import csv
    import gzip
    import json
    from pathlib import Path

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    r = random.Random(seed)
    prods = make_products(r, 2_000)
    feed = make_feed(r, prods, 5_000)
    page = {"resultsPerPage": len(feed), "startIndex": 0, "totalResults": len(feed), "format": "NVD_CVE",
            "version": "2.0", "vulnerabilities": [{"cve": c} for c in feed]}
    (out / "nvd.json.gz").write_bytes(gzip.compress(json.dumps(page).encode()))
    with (out / "inventory.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["host", "kind", "name", "version", "publisher", "cpe"])
        for h, c in make_inventory(r, prods[:800], 50, 100):
            w.writerow([h, "", c.product, "", "", c.to_fs()])
    print(f"wrote {out / 'nvd.json.gz'} and {out / 'inventory.csv'}", file=sys.stderr)


def _parse_all(raw: list[dict[str, Any]]) -> list[CveRecord]:
    return parse_cves(raw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=list(SCALES), default="medium")
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--emit", metavar="DIR", help="only write a generated NVD page (.json.gz) and inventory CSV for the CLI")
    args = ap.parse_args()
    if args.emit:
        emit(args.emit, args.seed)
        return
    S = SCALES[args.scale]
    r = random.Random(args.seed)
    print(f"kijun.diagnostics benchmark, scale={args.scale}, seed={args.seed}", file=sys.stderr)

    prods, _ = timed("generate products", lambda: make_products(r, S["products"]))
    raw, _ = timed(f"generate {S['cves']:,} NVD-shaped CVE records", lambda: make_feed(r, prods, S["cves"]))
    records, t_parse = timed("parse records (nvd.parse_cve)", lambda: _parse_all(raw))
    raw.clear()
    n_crit = sum(len(n.matches) for rec in records for c in rec.configurations for n in c.nodes)
    feed, t_compile = timed("compile feed (index by part/vendor/product)", lambda: CompiledFeed(records))
    inv_prods = prods[: S["inv_products"]]
    host_rows, _ = timed("generate inventory rows", lambda: make_inventory(r, inv_prods, S["hosts"], S["per_host"]))
    rows = [Row(h, c) for h, c in host_rows]
    inv, t_dedupe = timed(f"dedupe {len(rows):,} rows + index", lambda: InventoryIndex(rows, keep_items=False))  # type: ignore[arg-type]
    matches, t_match = timed("full match (distinct pairs x full feed)", lambda: match_nvd(feed, inv))

    def fan_out() -> int:
        """(host, cve, target) finding rows in batches of 200k, as a bulk insert would consume them."""
        n = 0
        batch: list[tuple[str, str, int]] = []
        for m in matches:
            hs = m.hosts if m.hosts is not None else inv.hosts[m.target]
            cve, t = m.cve, m.target
            batch.extend(zip(hs, repeat(cve), repeat(t)))
            if len(batch) >= 200_000:
                n += len(batch)
                batch = []
        return n + len(batch)

    n_fanned, t_fan = timed("fan-out to host rows", fan_out)
    r2 = random.Random(args.seed + 1)

    delta_crit = 0

    def delta() -> int:
        nonlocal delta_crit
        recs = [parse_cve(c) for c in make_feed(r2, prods, 200, start=9_000_000)]
        delta_crit = sum(len(n.matches) for rec in recs for c in rec.configurations for n in c.nodes)
        return len(match_nvd(CompiledFeed(recs), inv))

    _, t_delta = timed("daily delta: 200 CVEs parse+compile+match", delta)

    # naive baseline on a sample, extrapolated (O(rows x criteria))
    sample_hosts = sorted({h for h, _ in host_rows})[:2]
    sample_rows = [(h, c) for h, c in host_rows if h in sample_hosts]
    sample_recs = records[:1500]
    s_crit = sum(len(n.matches) for rec in sample_recs for c in rec.configurations for n in c.nodes)
    _, t_naive_s = timed(f"naive on sample ({len(sample_rows)} rows x {s_crit} criteria)",
                         lambda: naive_match(sample_recs, sample_rows))
    # Per-check costs of the baselines; both are O(rows x criteria), so figures scale linearly.
    c_naive = t_naive_s / (len(sample_rows) * s_crit)
    lib_rows = sample_rows[:40]
    lib_recs = sample_recs[:300]
    l_crit = sum(len(n.matches) for rec in lib_recs for c in rec.configurations for n in c.nodes)
    lib, t_lib_s = timed(f"cpe+univers per-check on sample ({len(lib_rows)} x {l_crit})",
                         lambda: library_baseline(lib_recs, lib_rows))
    c_lib = t_lib_s / (len(lib_rows) * l_crit) if lib is not None else None
    n_rows, n_pairs = len(host_rows), len(inv.targets)

    def base(cost: float | None, checks: float) -> str:
        return "" if cost is None else f"{cost * checks:,.0f} s"

    def ratio(cost: float | None, checks: float, ours: float) -> str:
        return "" if cost is None else f"{cost * checks / ours:,.0f}x"

    ours_total = t_dedupe + t_match + t_fan
    table: list[tuple[str, str, str, str]] = [
        ("feed: CVEs / criteria (distinct)", f"{len(records):,} / {n_crit:,} ({feed.n_criteria:,})", "", ""),
        ("inventory: rows / distinct pairs / hosts", f"{n_rows:,} / {n_pairs:,} / {S['hosts']:,}", "", ""),
        ("parse NVD records (once per sync)", f"{t_parse:.2f} s", "", ""),
        ("compile feed (once)", f"{t_compile:.2f} s", "", ""),
        ("dedupe + index inventory", f"{t_dedupe:.2f} s", "", ""),
        ("full match: distinct pairs x feed [<10 s]", f"{t_match:.2f} s", base(c_naive, n_pairs * n_crit), ratio(c_naive, n_pairs * n_crit, t_match)),
        ("  same vs cpe+univers per check", "", base(c_lib, n_pairs * n_crit), ratio(c_lib, n_pairs * n_crit, t_match)),
        ("daily delta, 200 CVEs [<1 s]", f"{t_delta:.3f} s", base(c_naive, n_rows * delta_crit), ratio(c_naive, n_rows * delta_crit, t_delta)),
        ("  same vs cpe+univers per check", "", base(c_lib, n_rows * delta_crit), ratio(c_lib, n_rows * delta_crit, t_delta)),
        ("fan-out to host rows [<30 s]", f"{t_fan:.2f} s ({n_fanned:,} rows)", "", ""),
        ("end-to-end: every row x feed", f"{ours_total:.2f} s", base(c_naive, n_rows * n_crit), ratio(c_naive, n_rows * n_crit, ours_total)),
        ("  same vs cpe+univers per check", "", base(c_lib, n_rows * n_crit), ratio(c_lib, n_rows * n_crit, ours_total)),
    ]
    table += version_accuracy()
    table.append(("peak memory (RSS)", f"{rss_mb():,.0f} MB", "", ""))
    w = max(len(a) for a, *_ in table)
    print("\nCPU seconds of this process (the VM is shared; see the wall times on stderr)")
    print("baseline = naive loop (every criterion x every row, parsed once) or per-check cpe+univers;"
          " both measured on a sample in this run and scaled by the number of checks")
    print(f"{'measure':<{w}}  {'kijun':>34}  {'baseline':>30}  {'ratio':>13}")
    for a, b, c, d in table:
        print(f"{a:<{w}}  {b:>34}  {c:>30}  {d:>13}")


if __name__ == "__main__":
    main()
