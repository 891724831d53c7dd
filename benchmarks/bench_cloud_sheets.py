"""Spreadsheet import throughput of the cloud app: the pure read + row checks (CSV in CP932 and XLSX)
and, optionally, the database import (all rows or none, one audit entry per row).

Usage: .venv/bin/python benchmarks/bench_cloud_sheets.py [--rows 20000] [--db-rows 1000]
(``--db-rows`` needs KIJUN_SECRET_KEY/KIJUN_DATA_DIR and a migrated database; 0 skips it.)
"""

from __future__ import annotations

import argparse
import io
import os
import random
import time

from openpyxl import Workbook

from kijun.classification.restrictions import load_vocabulary
from kijun.cloud.sheets import ASSET_ALIASES, ASSET_REQUIRED, asset_rows, headers
from kijun.cloud.tabular import read_table

SEED = 20250701
LABELS = ["複製禁止", "持出禁止", "配付禁止", "暗号化必須", "読後廃棄", "関係者限り", ""]


def _rows(n: int, unit: str = "demo-policy-planning") -> list[list[object]]:
    rng = random.Random(SEED)
    return [[f"BENCH-{i:06d}", f"情報資産 {i}", "ベンチマーク用の説明文" * 3, unit, rng.choice([1, 2, 2, 3]),
             rng.choice([1, 2]), rng.choice([1, 2]), ";".join({rng.choice(LABELS), rng.choice(LABELS)} - {""}),
             "課室長の許可なく持ち出さない" if i % 5 == 0 else "", ""] for i in range(n)]


def _csv(rows: list[list[object]]) -> bytes:
    lines = [",".join(headers(ASSET_ALIASES))] + [",".join(str(c) for c in r) for r in rows]
    return ("\n".join(lines) + "\n").encode("cp932")


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(headers(ASSET_ALIASES))
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _timed(label: str, n: int, fn: object) -> None:
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    took = time.perf_counter() - start
    print(f"{label:<34} {n:>7} rows  {took:7.2f} s  {n / took:10.0f} rows/s  ({result})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--db-rows", type=int, default=0)
    args = ap.parse_args()
    vocab = load_vocabulary()
    rows = _rows(args.rows)
    csv_data, xlsx_data = _csv(rows), _xlsx(rows)
    print(f"CSV {len(csv_data) / 1e6:.1f} MB, XLSX {len(xlsx_data) / 1e6:.1f} MB")

    def check(data: bytes, name: str) -> str:
        table = read_table(data, name, ASSET_ALIASES, ASSET_REQUIRED)
        ok, errors = asset_rows(table, vocab)
        return f"{len(ok)} valid, {len(errors)} errors"

    _timed("read + check CSV (CP932)", args.rows, lambda: check(csv_data, "b.csv"))
    _timed("read + check XLSX", args.rows, lambda: check(xlsx_data, "b.xlsx"))
    if args.db_rows:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kijun.web.settings")
        import django

        django.setup()
        from kijun.cloud.info.services import import_assets, parse_assets
        from kijun.cloud.models import InformationAsset
        from kijun.core.demo import load_demo
        from kijun.core.models import User

        load_demo(domains=[])
        InformationAsset.objects.filter(code__startswith="BENCH-").delete()
        user = User.objects.get(username="head-iso")
        data = _csv(_rows(args.db_rows))
        _timed("database import (create)", args.db_rows,
               lambda: len(import_assets(user, parse_assets(data, "b.csv")).created))
        _timed("database import (unchanged)", args.db_rows,
               lambda: len(import_assets(user, parse_assets(data, "b.csv")).unchanged))


if __name__ == "__main__":
    main()
