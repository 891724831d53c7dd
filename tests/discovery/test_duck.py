"""The SQL path over Parquet gives the same rollup as the streaming aggregator."""

from __future__ import annotations

from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("duckdb")

from kijun.discovery.aggregate import PythonAggregator  # noqa: E402
from kijun.discovery.catalog import Catalog  # noqa: E402
from kijun.discovery.duck import EVENT_SCHEMA, DuckDBAggregator  # noqa: E402
from kijun.discovery.matcher import Matcher  # noqa: E402
from kijun.discovery.model import LogEvent  # noqa: E402

EVENTS = [
    LogEvent(1714525200.0, "tanaka", "10.0.0.1", "www.dropbox.com", "GET", 200, 10, 100, "csv"),
    LogEvent(1714525300.0, "tanaka", "10.0.0.1", "dl.dropboxusercontent.com", "GET", 200, None, 50, "csv"),
    LogEvent(None, None, "10.0.0.2", "agency.cybozu.com", None, None, None, None, "bind"),
    LogEvent(1714525100.0, "sato", None, "files.example.co.jp", "PUT", 201, 7, None, "csv"),
]


def _norm(rollup: object) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    rows = sorted((tuple(r) for r in rollup.rows), key=repr)  # type: ignore[attr-defined]
    hosts = sorted((tuple(h) for h in rollup.hosts), key=repr)  # type: ignore[attr-defined]
    return rows, hosts


def test_parquet_sql_matches_python(catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    cols = list(zip(*EVENTS, strict=True))
    table = pa.Table.from_arrays(
        [pa.array(cols[i], EVENT_SCHEMA.field(j).type) for j, i in enumerate((0, 1, 2, 3, 6, 7))],
        schema=EVENT_SCHEMA,
    )
    pq.write_table(table, path)
    duck = DuckDBAggregator(Matcher(catalog), batch_size=2)
    duck.add_parquet(path)
    py = PythonAggregator(Matcher(catalog))
    py.consume(EVENTS)
    d_rows, d_hosts = _norm(duck.result())
    p_rows, p_hosts = _norm(py.result())
    assert d_rows == p_rows and d_hosts == p_hosts
    dropbox = [r for r in p_rows if r[0] == "dropbox"]
    assert dropbox == [("dropbox", "tanaka", "10.0.0.1", 2, 10, 150, 1714525200.0, 1714525300.0)]
    assert ("?example.co.jp", "sato", None, 1, 7, None, 1714525100.0, 1714525100.0) in p_rows
