"""Benchmark: the diagnostics database layer on SQLite (sync, ingest, rematch, SQL fan-out).

Run:  .venv/bin/python benchmarks/bench_diagnostics_db.py [--scale small|medium] [--seed N]

Uses the seeded NVD-shaped generator of bench_diagnostics.py on a fresh SQLite database in a
temporary directory and reports:

* ``kijun vuln sync`` of N CVEs (parse + insert), the same file again (every record unchanged, so
  nothing is written), and a daily delta (200 changed records among N);
* inventory ingest (host rows → distinct pairs) through the ORM;
* rematch: loading and compiling the stored feed, matching the distinct pairs, and the fan-out of
  findings to host rows with one ``INSERT ... SELECT`` — next to a straightforward per-row Python
  fan-out (read installed rows, look up matches in a dict, ``bulk_create`` findings) on the same data;
* the set-based remediation update (records per host/vulnerability opened and dated).

Times are CPU seconds of this process plus wall seconds (SQLite works in-process, so its work is
CPU time here; the VM is shared with other sessions).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

SCALES = {
    "small": {"cves": 20_000, "products": 6_000, "inv_products": 2_500, "hosts": 300, "per_host": 300},
    "medium": {"cves": 100_000, "products": 25_000, "inv_products": 6_000, "hosts": 2_000, "per_host": 300},
}


def timed(label: str, fn: Callable[[], Any]) -> tuple[Any, float, float]:
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    dt, dc = time.perf_counter() - t, time.process_time() - c
    print(f"  {label:<58} cpu {dc:8.2f} s  wall {dt:8.2f} s", file=sys.stderr)
    return out, dc, dt


def setup(tmp: Path) -> None:
    os.environ.update({"DJANGO_SETTINGS_MODULE": "kijun.web.settings", "KIJUN_DATA_DIR": str(tmp),
                       "KIJUN_SECRET_KEY": "bench", "KIJUN_DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}"})
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=list(SCALES), default="small")
    ap.add_argument("--seed", type=int, default=20261126)
    args = ap.parse_args()
    S = SCALES[args.scale]
    tmp = Path(tempfile.mkdtemp(prefix="kijun-bench-db-"))
    setup(tmp)

    from bench_diagnostics import make_feed, make_inventory, make_products
    from django.db import transaction

    from kijun.core.models import OrgUnit
    from kijun.diagnostics.inventory import Inventory
    from kijun.diagnostics.models import Finding, Installed, Match, Remediation
    from kijun.diagnostics.records import InventoryItem
    from kijun.diagnostics.services import _fan_out, ingest_inventory, rematch
    from kijun.diagnostics.store import parse_files, store_parsed

    print(f"kijun.diagnostics DB benchmark (SQLite), scale={args.scale}, seed={args.seed}", file=sys.stderr)
    r = random.Random(args.seed)
    prods = make_products(r, S["products"])
    raw = make_feed(r, prods, S["cves"])
    for c in raw:
        c["descriptions"] = [{"lang": "en", "value": f"generated record {c['id']}"}]
    nvd = tmp / "nvd.json"
    nvd.write_text(json.dumps({"vulnerabilities": [{"cve": c} for c in raw]}), encoding="utf-8")

    def sync(path: Path) -> dict[str, dict[str, int]]:
        return store_parsed(parse_files(nvd=[path]), actor_label="bench")

    first, t_sync1, w_sync1 = timed(f"sync {S['cves']:,} CVEs (parse + insert)", lambda: sync(nvd))
    again, t_sync2, w_sync2 = timed("sync the same file again (all unchanged)", lambda: sync(nvd))
    assert again["nvd"]["unchanged"] == S["cves"] and again["nvd"]["changed"] == 0
    changed = copy.deepcopy(raw)
    for c in r.sample(changed, 200):
        c["lastModified"] = "2026-11-26T00:00:00.000"
        c["descriptions"][0]["value"] += " (updated)"
    nvd2 = tmp / "nvd-delta.json"
    nvd2.write_text(json.dumps({"vulnerabilities": [{"cve": c} for c in changed]}), encoding="utf-8")
    delta, t_sync3, w_sync3 = timed("sync with 200 changed records", lambda: sync(nvd2))
    assert delta["nvd"]["changed"] == 200

    rows = make_inventory(r, prods[: S["inv_products"]], S["hosts"], S["per_host"])
    unit = OrgUnit.objects.create(code="bench", name="bench", kind="division")
    items = [InventoryItem(h, "bench", "cpe", c.product, c.version, cpe=c) for h, c in rows]
    inv = Inventory(items=items, hosts={h for h, _ in rows})
    ing, t_ing, w_ing = timed(f"ingest {len(items):,} host rows ({S['hosts']:,} hosts)",
                              lambda: ingest_inventory(inv, unit=unit, source="bench", actor_label="bench"))
    res, t_rem, w_rem = timed("rematch (load + compile + match + fan-out + remediation)",
                              lambda: rematch(actor_label="bench"))
    n_find = Finding.objects.count()

    # fan-out alone: the set-based INSERT ... SELECT vs a per-row Python loop, same data
    def sql_fan() -> int:
        with transaction.atomic():
            Finding.objects.all().delete()
            return _fan_out()

    n_sql, t_sql, w_sql = timed("fan-out: one INSERT ... SELECT", sql_fan)

    def python_fan() -> int:
        with transaction.atomic():
            Finding.objects.all().delete()
            from kijun.diagnostics.models import Host, Vulnerability

            hosts = {h.pk: h for h in Host.objects.all()}
            vulns = {v.pk: v for v in Vulnerability.objects.all()}
            by_sw: dict[int, list[Any]] = {}
            for m in Match.objects.filter(host_specific=False):
                by_sw.setdefault(m.software_id, []).append(m)
            out = []
            for host_id, sw in Installed.objects.exclude(software=None).values_list("host_id", "software_id").iterator(5000):
                for m in by_sw.get(sw, ()):
                    h, v = hosts[host_id], vulns[m.vuln_id]
                    o = {"high": v.outcome_high, "low": v.outcome_low}.get(h.mission, v.outcome_medium)
                    out.append(Finding(host_id=host_id, software_id=sw, vuln_id=m.vuln_id, match_id=m.pk,
                                       org_unit_id=h.org_unit_id, system_id=h.system_id, outcome=o))
            Finding.objects.bulk_create(out, batch_size=2000)
            return len(out)

    n_py, t_py, w_py = timed("fan-out baseline: per-row Python + bulk_create", python_fan)
    assert n_sql == n_py, (n_sql, n_py)
    n_inst = Installed.objects.count()

    print()
    print(f"| measure (SQLite, scale={args.scale}) | kijun | baseline | ratio |")
    print("|---|---|---|---|")
    print(f"| feed: CVEs | {S['cves']:,} | | |")
    print(f"| first sync: parse + insert | {w_sync1:.1f} s wall ({t_sync1:.1f} s cpu) | | |")
    print(f"| second sync, same data (0 written) | {w_sync2:.1f} s wall ({t_sync2:.1f} s cpu) | "
          f"first sync {w_sync1:.1f} s | {w_sync1 / w_sync2:.1f}x |")
    print(f"| delta sync, 200 changed | {w_sync3:.1f} s wall ({t_sync3:.1f} s cpu) | | |")
    print(f"| inventory: host rows / distinct pairs / hosts | {n_inst:,} / {ing.pairs:,} / {ing.hosts:,} | | |")
    print(f"| ingest (ORM bulk insert) | {w_ing:.1f} s wall ({t_ing:.1f} s cpu) | | |")
    print(f"| rematch end-to-end | {w_rem:.1f} s wall ({t_rem:.1f} s cpu) | | |")
    for k, v in res.timings.items():
        print(f"| — {k} (wall) | {v:.2f} s | | |")
    print(f"| findings / vulnerabilities / remediation records | {n_find:,} / {res.vulnerabilities:,} / "
          f"{Remediation.objects.count():,} | | |")
    print(f"| fan-out to host rows (SQL INSERT ... SELECT) | {w_sql:.2f} s wall ({t_sql:.2f} s cpu) for {n_sql:,} rows | "
          f"per-row Python {w_py:.2f} s wall ({t_py:.2f} s cpu) | {w_py / w_sql:.1f}x wall, {t_py / t_sql:.1f}x cpu |")


if __name__ == "__main__":
    main()
