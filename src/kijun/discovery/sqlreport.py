"""The report computed in SQL: per-app, per-user drill-down, per-IP and per-host rollups in DuckDB.

Why: the Python ``build_report`` walks every (row, user, source IP) aggregate — hundreds of
thousands for a million-line log — with dict and set operations. Here DuckDB computes the same
groupings in parallel from the aggregator's ``partial`` table; Python only matches the distinct
hosts (a few thousand catalog lookups) and turns the final, already-sorted rows into the
``Report`` dataclasses. ``pyreport.build_report`` defines the semantics; a test compares both.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from kijun.discovery.catalog import Catalog
from kijun.discovery.matcher import Match, Matcher
from kijun.discovery.model import ParseStats
from kijun.discovery.report import (
    AppUsage,
    HostUsage,
    IpUsage,
    Report,
    UsageRows,
    UserUsage,
    _describe,
    _Iso,
    _risks,
    assemble,
)

_HOSTS_SQL = 'SELECT host, sum(n) AS n, sum(up) AS up, sum(down) AS down FROM partial GROUP BY host'

_ROLLUP_SQL = """
CREATE OR REPLACE TEMP TABLE r AS
SELECT m.key, k.status, {user} AS "user", p.src_ip, sum(p.n) AS n, sum(p.up) AS up, sum(p.down) AS down,
       min(p.first_ts) AS first_ts, max(p.last_ts) AS last_ts
FROM partial p JOIN hostmap m ON p.host = m.host JOIN keyinfo k ON k.key = m.key {join}
GROUP BY ALL
"""

_APPS_SQL = """
SELECT key, sum(n), sum(up), sum(down), min(first_ts), max(last_ts), count(DISTINCT "user"),
       count(DISTINCT src_ip)
FROM r GROUP BY key
"""

_USER_IDS_SQL = """
CREATE OR REPLACE TEMP TABLE uid AS
SELECT "user", CAST(row_number() OVER (ORDER BY "user") - 1 AS INTEGER) AS id
FROM (SELECT DISTINCT "user" FROM r WHERE "user" IS NOT NULL)
"""

# Integers only (user and row ids, floor seconds): converting strings and HUGEINTs to Python
# objects was the slowest step of a large report.
_USER_APPS_SQL = """
CREATE OR REPLACE TEMP TABLE ua AS
SELECT u.id AS uid, k.kid, r.key, r.status, CAST(sum(r.n) AS BIGINT) AS n, CAST(sum(r.up) AS {bytes}) AS up,
       CAST(sum(r.down) AS {bytes}) AS down, CAST(floor(min(r.first_ts)) AS BIGINT) AS first_s,
       CAST(floor(max(r.last_ts)) AS BIGINT) AS last_s
FROM r JOIN uid u ON u."user" = r."user" JOIN keyinfo k ON k.key = r.key
GROUP BY u.id, k.kid, r.key, r.status
"""
# Byte sums fit BIGINT unless a log claims absurd sizes (a single line may say 10^18 bytes): the
# grand totals bound every per-user sum (sizes are never negative), so HUGEINT only then.
_BYTES_FIT_SQL = "SELECT coalesce(sum(up), 0) < 9e18 AND coalesce(sum(down), 0) < 9e18 FROM r"
# Each user's drill-down rendered as one compact JSON array in SQL (parallel, no Python object per
# row): ``frag`` holds the JSON-escaped key, name and status of a row id (escaped by Python's json,
# so the text is byte for byte what ``json.dumps`` writes); numbers and ISO seconds are rendered here.
def _iso_sql(col: str) -> str:
    """``_Iso``'s text (UTC, whole seconds) of an integer epoch-seconds column, as a JSON value."""
    return (
        f"CASE WHEN {col} IS NULL THEN 'null' ELSE '\"' || "
        f"strftime(make_timestamp({col} * 1000000), '%Y-%m-%dT%H:%M:%S') || '+00:00\"' END"
    )


def _num_sql(col: str) -> str:
    return f"coalesce(CAST({col} AS VARCHAR), 'null')"


_ROW_JSON_SQL = (
    f"""f.frag || CAST(n AS VARCHAR) || ',"bytes_up":' || {_num_sql("up")} || ',"bytes_down":' || """
    f"""{_num_sql("down")} || ',"first_seen":' || {_iso_sql("first_s")} || ',"last_seen":' || """
    f"""{_iso_sql("last_s")} || '}}'"""
)
_USER_TOTALS_SQL = """
SELECT uid, CAST(sum(n) AS BIGINT), CAST(sum(up) AS {bytes}), CAST(sum(down) AS {bytes}), min(first_s), max(last_s),
       count(*) FILTER (WHERE status <> 'unknown-domain'), count(*) FILTER (WHERE status = 'unsanctioned'),
       count(*) FILTER (WHERE status = 'unknown-domain'), count(*)
FROM ua GROUP BY uid ORDER BY uid
"""
# One JSON object per row, sorted; Python joins a user's rows (an ordered string_agg was 8x slower).
_USER_ROWS_SQL = (
    "SELECT encode(ROW_JSON) FROM ua JOIN frags f ON f.kid = ua.kid WHERE uid BETWEEN $lo AND $hi "
    "ORDER BY uid, n DESC, key"
).replace("ROW_JSON", _ROW_JSON_SQL)
USERS_PER_CHUNK_ROWS = 200_000
"""Drill-down rows fetched per statement (users taken in runs of about this many rows), so the
rendered JSON passes through Python memory a slice at a time."""

_IPS_SQL = """
SELECT src_ip, sum(n) AS n, count(DISTINCT key) FILTER (WHERE status <> 'unknown-domain') AS apps,
       count(DISTINCT key) FILTER (WHERE status = 'unsanctioned') AS unsanctioned
FROM r WHERE src_ip IS NOT NULL
GROUP BY src_ip
ORDER BY unsanctioned DESC, n DESC, src_ip
LIMIT $top
"""

_COUNT_IPS_SQL = 'SELECT count(DISTINCT src_ip), count(DISTINCT "user") FROM r'

_TOP_HOSTS_SQL = """
SELECT key, host, n, up, down FROM (
  SELECT m.key, h.host, h.n, h.up, h.down,
         row_number() OVER (PARTITION BY m.key ORDER BY h.n DESC, h.host) AS rank
  FROM hosts h JOIN hostmap m ON h.host = m.host)
WHERE rank <= $per_app
ORDER BY key, rank
"""


def _js(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def sql_report(
    con: duckdb.DuckDBPyConnection,
    matcher: Matcher,
    catalog: Catalog,
    sources: list[ParseStats],
    *,
    generated_at: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    register_source: str | None = None,
    aliases: dict[str, str] | None = None,
    top_n: int = 20,
    hosts_per_app: int = 20,
) -> Report:
    """The ``Report`` for the events in ``con``'s ``partial`` table (see ``duck.DuckDBAggregator``).

    ``aliases`` maps user names to pseudonyms (every user in the data must have one).
    """
    fmt = _Iso()
    con.execute(f"CREATE OR REPLACE TEMP TABLE hosts AS {_HOSTS_SQL}")
    host_names = [h for (h,) in con.execute("SELECT host FROM hosts").fetchall()]
    matches: dict[str, Match] = {}
    keys: list[str] = []
    for host in host_names:
        m = matcher.match(host)
        matches.setdefault(m.key, m)
        keys.append(m.key)
    con.register("hostmap", pa.table({"host": pa.array(host_names, pa.string()), "key": pa.array(keys, pa.string())}))
    key_list = list(matches)
    con.register(
        "keyinfo",
        pa.table(
            {
                "key": pa.array(key_list, pa.string()),
                "kid": pa.array(range(len(key_list)), pa.int32()),
                "status": pa.array([m.status for m in matches.values()], pa.string()),
            }
        ),
    )
    user_sql, join = 'p."user"', ""
    if aliases is not None:
        con.register("aliases", pa.table({"name": list(aliases), "alias": list(aliases.values())}))
        user_sql, join = "a.alias", 'LEFT JOIN aliases a ON a.name = p."user"'
    con.execute(_ROLLUP_SQL.format(user=user_sql, join=join))
    con.execute("DROP TABLE partial")  # memory: the per-host aggregates are in ``hosts`` and ``r`` now

    hosts_by_key: dict[str, list[HostUsage]] = defaultdict(list)
    for key, host, n, up, down in con.execute(_TOP_HOSTS_SQL, {"per_app": hosts_per_app}).fetchall():
        hosts_by_key[key].append(HostUsage(host, int(n), _int(up), _int(down)))

    apps: list[AppUsage] = []
    unknown: list[AppUsage] = []
    for key, n, up, down, first, last, users, ips in con.execute(_APPS_SQL).fetchall():
        m = matches[key]
        usage = AppUsage(
            key=key, app_id=m.app_id, status=m.status, register_status=m.register_status,
            scope_domain=m.scope, registrable_domain=m.registrable, users=int(users), source_ips=int(ips),
            transactions=int(n), bytes_up=_int(up), bytes_down=_int(down), first_seen=fmt(first),
            last_seen=fmt(last), risk_notes=_risks(m, catalog), hosts=hosts_by_key.get(key, []),
            **_describe(m, catalog),
        )  # fmt: skip
        (unknown if m.status == "unknown-domain" else apps).append(usage)
    order = lambda a: (-a.users, -a.source_ips, -a.transactions, a.key)  # noqa: E731
    apps.sort(key=order)
    unknown.sort(key=order)
    name_of = {a.key: a.name_ja for a in [*apps, *unknown]}

    ips = [
        IpUsage(ip, int(n), int(a), int(u))
        for ip, n, a, u in con.execute(_IPS_SQL, {"top": top_n}).fetchall()
    ]  # fmt: skip
    n_ips, _n_users = con.execute(_COUNT_IPS_SQL).fetchall()[0]
    users = _users(con, key_list, {k: matches[k].status for k in key_list}, name_of, fmt)
    for name in ("hostmap", "keyinfo", *(("aliases",) if aliases is not None else ())):
        con.unregister(name)
    return assemble(
        sources, apps, unknown, users, ips, int(n_ips), generated_at=generated_at, since=since, until=until,
        register_source=register_source, pseudonymised=aliases is not None, top_n=top_n,
    )  # fmt: skip


def _columns(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
    rel = con.sql(sql, params=params)
    table = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()  # DuckDB >= 1.4 / older
    return [c.to_pylist() for c in table.columns]


def _users(
    con: duckdb.DuckDBPyConnection, keys: list[str], status_of: dict[str, str], name_of: dict[str, str], fmt: _Iso
) -> list[UserUsage]:
    """Per-user drill-down: totals per user and each user's rows (as JSON text) in SQL."""
    con.execute(_USER_IDS_SQL)
    names = [u for (u,) in con.execute('SELECT "user" FROM uid ORDER BY id').fetchall()]
    bytes_type = "BIGINT" if con.execute(_BYTES_FIT_SQL).fetchall()[0][0] else "HUGEINT"
    con.execute(_USER_APPS_SQL.format(bytes=bytes_type))
    con.execute("DROP TABLE r")  # memory: only the drill-down is still needed
    frag = [
        f'{{"key":{_js(k)},"name":{_js(name_of[k])},"status":{_js(status_of[k])},"transactions":' for k in keys
    ]
    con.register("frags", pa.table({"kid": pa.array(range(len(keys)), pa.int32()), "frag": pa.array(frag, pa.string())}))
    totals = list(zip(*_columns(con, _USER_TOTALS_SQL.format(bytes=bytes_type)), strict=True))
    users: list[UserUsage] = []
    try:
        for lo, hi in _runs([(t[0], t[-1]) for t in totals], USERS_PER_CHUNK_ROWS):
            (rows,) = _columns(con, _USER_ROWS_SQL, {"lo": lo, "hi": hi})
            start = 0
            for uid, n, up, down, first, last, apps, unsanctioned, unknown, count in totals[lo : hi + 1]:
                end = start + count
                users.append(
                    UserUsage(
                        user=names[uid], transactions=n, bytes_up=_int(up), bytes_down=_int(down), apps=apps,
                        unsanctioned_apps=unsanctioned, unknown_domains=unknown, first_seen=fmt(first),
                        last_seen=fmt(last), usage=UsageRows(b"[" + b",".join(rows[start:end]) + b"]"),
                    )
                )  # fmt: skip
                start = end
    finally:
        con.unregister("frags")
    users.sort(key=lambda u: (-u.unsanctioned_apps, -u.transactions, u.user))
    return users


def _runs(counts: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """Consecutive ``(first, last)`` id ranges of about ``limit`` rows each (at least one id)."""
    runs: list[tuple[int, int]] = []
    start, total = None, 0
    for uid, n in counts:
        if start is None:
            start = uid
        total += n
        if total >= limit:
            runs.append((start, uid))
            start, total = None, 0
    if start is not None:
        runs.append((start, counts[-1][0]))
    return runs
