"""The rollup as SQL in DuckDB over Arrow batches (or Parquet files).

Events are buffered, turned into an Arrow table every ``batch_size`` rows and pre-aggregated per
(host, user, source IP) with ``PARTIAL_SQL``; ``ROLLUP_SQL`` merges the partials after the distinct
hosts are matched in Python (a few thousand lookups, not one per line). The statements use only
standard aggregates, so the same text runs on Spark SQL or Trino over Parquet.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from kijun.discovery.aggregate import HostRow, Rollup, RollupRow
from kijun.discovery.matcher import Matcher
from kijun.discovery.model import LogEvent

EVENT_SCHEMA = pa.schema(
    [
        ("ts", pa.float64()),
        ("user", pa.string()),
        ("src_ip", pa.string()),
        ("host", pa.string()),
        ("bytes_up", pa.int64()),
        ("bytes_down", pa.int64()),
    ]
)

PARTIAL_SQL = """
SELECT host, "user", src_ip, count(*) AS n, sum(bytes_up) AS up, sum(bytes_down) AS down,
       min(ts) AS first_ts, max(ts) AS last_ts
FROM {source}
GROUP BY host, "user", src_ip
"""

ROLLUP_SQL = """
SELECT m.key, p."user", p.src_ip, sum(p.n) AS n, sum(p.up) AS up, sum(p.down) AS down,
       min(p.first_ts) AS first_ts, max(p.last_ts) AS last_ts
FROM partial p JOIN hostmap m ON p.host = m.host
GROUP BY m.key, p."user", p.src_ip
"""

HOSTS_SQL = """
SELECT host, sum(n) AS n, sum(up) AS up, sum(down) AS down FROM partial GROUP BY host
"""

_PARTIAL_DDL = """
CREATE TABLE partial (host VARCHAR, "user" VARCHAR, src_ip VARCHAR, n BIGINT, up HUGEINT,
                      down HUGEINT, first_ts DOUBLE, last_ts DOUBLE)
"""


COMPACT_ROWS = 2_000_000
_COMPACT_SQL = """
CREATE OR REPLACE TABLE partial AS
SELECT host, "user", src_ip, sum(n) AS n, sum(up) AS up, sum(down) AS down, min(first_ts) AS first_ts,
       max(last_ts) AS last_ts
FROM partial GROUP BY ALL
"""


class DuckDBAggregator:
    """SQL aggregation in an in-process DuckDB database (memory-limited, spills to temp files)."""

    def __init__(self, matcher: Matcher, batch_size: int = 250_000, memory_limit: str = "1GB") -> None:
        self.matcher = matcher
        self.batch_size = batch_size
        spill = str(Path(tempfile.gettempdir()) / "kijun-discovery-duckdb")
        # no statement here relies on insertion order (every ordered read says ORDER BY): letting
        # DuckDB drop it saves memory and lets parallel inserts run unordered
        self.con = duckdb.connect(
            ":memory:",
            config={"memory_limit": memory_limit, "temp_directory": spill, "preserve_insertion_order": False},
        )
        self.con.execute(_PARTIAL_DDL)
        self._buf: list[LogEvent] = []
        self._since_compact = 0
        self._appends = 0
        self._after_compact = 0

    def added(self, rows: int) -> None:
        """Note ``rows`` appended to ``partial``; merge duplicates once many accumulated.

        Each batch (and each SQL-parsed file) appends its own groups, so the same (host, user,
        IP) recurs once per append; merging keeps memory proportional to the distinct groups
        (measured: 10 M lines in 250k-line batches left 6 M partial rows without it). A merge
        runs once at least two appends added ``COMPACT_ROWS`` rows and as many as the table held
        after the previous merge, so its cost stays proportional to the rows appended."""
        self._since_compact += rows
        self._appends += 1
        if self._appends > 1 and self._since_compact >= max(COMPACT_ROWS, self._after_compact):
            self.con.execute(_COMPACT_SQL)
            self._after_compact = int(self.con.execute("SELECT count(*) FROM partial").fetchall()[0][0])
            self._since_compact = 0
            self._appends = 0

    def flush(self, final: bool = False) -> None:
        """Aggregate the buffered events into ``partial`` (``final``: the report follows, which
        groups ``partial`` anyway, so no merge)."""
        if not self._buf:
            return
        ts, user, ip, host, _m, _s, up, down, _f = zip(*self._buf, strict=True)
        batch = pa.Table.from_arrays(
            [pa.array(ts, pa.float64()), pa.array(user, pa.string()), pa.array(ip, pa.string()),
             pa.array(host, pa.string()), pa.array(up, pa.int64()), pa.array(down, pa.int64())],
            schema=EVENT_SCHEMA,
        )  # fmt: skip
        self._buf = []
        self.con.register("batch", batch)
        self.con.execute("INSERT INTO partial " + PARTIAL_SQL.format(source="batch"))
        self.con.unregister("batch")
        if not final:
            self.added(len(ts))

    def consume(self, events: Iterable[LogEvent]) -> int:
        buf = self._buf
        size = self.batch_size
        n = 0
        for ev in events:
            buf.append(ev)
            n += 1
            if len(buf) >= size:
                self.flush()
                buf = self._buf
        return n

    def add_parquet(self, paths: str | Path | list[str]) -> None:
        """Aggregate event Parquet files (``EVENT_SCHEMA`` columns) with the same SQL."""
        self.flush()
        files = [str(p) for p in paths] if isinstance(paths, list) else [str(paths)]
        self.con.execute(
            "INSERT INTO partial " + PARTIAL_SQL.format(source="read_parquet($files)"), {"files": files}
        )

    def result(self) -> Rollup:
        self.flush()
        out = Rollup()
        hosts = self.con.execute(HOSTS_SQL).fetchall()
        keys: list[str] = []
        for host, *_ in hosts:
            m = self.matcher.match(host)
            out.matches.setdefault(m.key, m)
            keys.append(m.key)
        hostmap = pa.table({"host": [h[0] for h in hosts], "key": keys})
        self.con.register("hostmap", hostmap)
        for (host, n, up, down), key in zip(hosts, keys, strict=True):
            out.hosts.append(HostRow(host, key, int(n), _int(up), _int(down)))
        for key, user, ip, n, up, down, first, last in self.con.execute(ROLLUP_SQL).fetchall():
            out.rows.append(RollupRow(key, user, ip, int(n), _int(up), _int(down), first, last))
        self.con.unregister("hostmap")
        self.con.close()
        return out


def _int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]
