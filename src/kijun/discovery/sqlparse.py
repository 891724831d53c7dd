"""SQL-native parsing: DuckDB parses and pre-aggregates the well-formed lines of a log, Python the rest.

Why: the Python parsers run at ~120k lines per CPU-second, far from the I/O floor; DuckDB's
vectorised string functions and hash aggregation run on every core. Why not everything in SQL:
line numbers, malformed-line samples, universal newlines, the CP932 fallback and the many corner
cases of each format must stay *exactly* as the Python parsers define them (golden files).

So each supported format has a strict RE2 ``pattern``: a line it fully matches is one the Python
parser accepts as an event, and ``events_sql`` computes from it exactly the fields the parser
would (tested line by line against the parser). Every other line — blank, malformed, skipped,
non-ASCII, over-long — goes through the format's own Python parser with its true line number, so
counts and samples are unchanged. In a real log nearly every line takes the SQL path.

The file is read in binary blocks cut at line ends; Arrow splits each block into lines (C++), and
DuckDB evaluates ``pattern`` and ``events_sql`` and aggregates per (host, user, source IP) into
the aggregator's ``partial`` table. A reader thread splits the next block while DuckDB works.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from kijun.discovery.model import LogEvent, MalformedSample, ParseStats
from kijun.discovery.parsers import Parser
from kijun.discovery.textio import MAX_LINE

BLOCK_BYTES = 32 * 1024 * 1024

_FIELD = "[!-~]+"  # one printable-ASCII token: what str.split() yields on such a line, nothing more
_HOST = "[A-Za-z0-9_-][A-Za-z0-9_.-]*"
# An absolute URL whose authority is a plain host (no user info, no IPv6 brackets) with an optional
# numeric port, or a bare ``host[:port]`` CONNECT target. For these, ``host_from_url`` reduces to
# "the host characters after ``://`` (or from the start), lower-cased, trailing dots removed".
_URL = f"(?:[A-Za-z][A-Za-z0-9+.-]*://{_HOST}(?::[0-9]*)?(?:[/?#][!-~]*)?|{_HOST}(?::[0-9]*)?)"
_HOST_SQL = (  # the host of a URL matched by _URL: authority before [/?#], port cut, lower case
    "rtrim(lower(split_part(CASE WHEN contains({u}, '://') THEN split_part(split_part(split_part("
    "split_part({u}, '://', 2), '/', 1), '?', 1), '#', 1) ELSE {u} END, ':', 1)), '.')"
)


@dataclass(frozen=True)
class FastFormat:
    """How DuckDB parses one line format.

    ``tokens`` is a SQL expression over ``line`` computed once per line (``p`` below); ``accept``
    is the predicate (over ``line`` and ``p``) of lines SQL parses — ``$rx`` is ``pattern``;
    ``columns`` selects ``ts, "user", src_ip, host, bytes_up, bytes_down`` from ``p``.
    """

    name: str
    pattern: str
    tokens: str
    accept: str
    columns: str


def _squid_native() -> FastFormat:
    # ts, padded duration, client, code/status (status digits after the first slash, or no
    # slash), size >= 0, method, URL, then user and anything else. Single spaces after the
    # duration, no trailing blanks. Method NONE (Squid's no-request record) is a parser skip.
    # ``p`` holds the tokens after the timestamp, so p[k] is the parser's parts[k].
    pattern = (
        f"[0-9]{{1,10}}\\.[0-9]{{1,9}} +{_FIELD} {_FIELD} (?:[!-.0-~]*/[0-9]{{1,9}}|[!-.0-~]+) "
        f"[0-9]{{1,18}} {_FIELD} {_URL}(?: {_FIELD})*"
    )
    tokens = "string_split(ltrim(substr(line, strpos(line, ' '))), ' ')"
    columns = f"""CAST(substr(line, 1, strpos(line, ' ') - 1) AS DOUBLE) AS ts,
       CASE WHEN len(p) > 6 AND p[7] <> '-' THEN p[7] END AS "user", p[2] AS src_ip,
       {_HOST_SQL.format(u="p[6]")} AS host, CAST(NULL AS BIGINT) AS bytes_up, CAST(p[4] AS BIGINT) AS bytes_down"""
    return FastFormat("squid", pattern, tokens, "regexp_full_match(line, $rx) AND p[5] <> 'NONE'", columns)


FAST_FORMATS: dict[str, FastFormat] = {f.name: f for f in (_squid_native(),)}


def supports(format_name: str) -> bool:
    return format_name in FAST_FORMATS


_STAGE_SQL = """
CREATE OR REPLACE TEMP TABLE stage AS
SELECT host, "user", src_ip, (ts >= $since AND ts < $until) AS inside, count(*) AS n,
       sum(bytes_up) AS up, sum(bytes_down) AS down, min(ts) AS first_ts, max(ts) AS last_ts
FROM (SELECT {columns} FROM (SELECT line, {tokens} AS p FROM blk)
      WHERE strlen(line) < {max_line} AND {accept}) e
GROUP BY ALL
"""
_COUNT_SQL = (
    "SELECT coalesce(sum(n) FILTER (WHERE inside), 0), coalesce(sum(n) FILTER (WHERE NOT inside), 0) FROM stage"
)
_KEEP_SQL = (
    'INSERT INTO partial SELECT host, "user", src_ip, n, up, down, first_ts, last_ts FROM stage WHERE inside'
)
_REST_SQL = """
SELECT ln FROM (SELECT ln, line, {tokens} AS p FROM blk2)
WHERE NOT coalesce(strlen(line) < {max_line} AND {accept}, false)
ORDER BY ln
"""


_CSV_PARSE = pcsv.ParseOptions(
    delimiter="\x1f", quote_char=False, escape_char=False, newlines_in_values=False, ignore_empty_lines=False
)
_CSV_CONVERT = pcsv.ConvertOptions(column_types={"line": pa.large_binary()}, strings_can_be_null=False)


def _split(block: bytes) -> pa.Array | pa.ChunkedArray:
    """Lines of a block that ends at a line end (or at end of file), with Python's universal
    newlines (``\r``, ``\n``, ``\r\n``). Arrow's multi-threaded CSV reader with one column does
    it; a block it refuses (a unit-separator byte in a line, a leading BOM it would drop) is split
    by a plain pattern split instead."""
    if not block.startswith(b"\xef\xbb\xbf"):
        try:
            table = pcsv.read_csv(
                pa.BufferReader(block),
                read_options=pcsv.ReadOptions(column_names=["line"], block_size=max(1 << 20, min(len(block) + 1, 1 << 26))),
                parse_options=_CSV_PARSE,
                convert_options=_CSV_CONVERT,
            )
            return table.column(0)
        except pa.ArrowInvalid:
            pass
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = pc.list_flatten(pc.split_pattern(pa.array([block], pa.large_binary()), pattern=b"\n"))
    if block.endswith(b"\n"):
        lines = lines.slice(0, len(lines) - 1)
    return lines


_LONG = 4 * MAX_LINE + 4
"""Bytes kept of a line without an end in sight: more than ``MAX_LINE`` characters in any encoding."""


def _cut(buf: bytes) -> int:
    """Offset after the last line end of ``buf``; a ``\r`` as the last byte may be half a ``\r\n``."""
    return max(buf.rfind(b"\n"), buf.rfind(b"\r", 0, len(buf) - 1)) + 1


def _blocks(raw: BinaryIO, block_bytes: int) -> Iterator[pa.Array]:
    """Binary blocks cut after a line end, as line arrays. A line longer than ``_LONG`` bytes keeps
    only its start (the Python reader keeps its first ``MAX_LINE`` characters), so memory stays
    bounded even for a file without line ends."""
    carry = b""
    skipping = False
    while True:
        data = raw.read(block_bytes)
        if not data:
            if carry:
                yield _split(carry)
            return
        if skipping:  # drop the rest of an over-long line, up to its line end
            ends = [i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0]
            if not ends:
                continue
            data = data[min(ends) :]
            skipping = False
        buf = carry + data if carry else data
        cut = _cut(buf)
        if cut == 0:
            if len(buf) > _LONG:
                carry, skipping = buf[:_LONG], True
            else:
                carry = buf
            continue
        carry = buf[cut:]
        yield _split(buf[:cut])


def _prefetched(it: Iterator[pa.Array], depth: int = 2) -> Iterator[pa.Array]:
    """Run ``it`` in a reader thread (file reads and Arrow kernels release the GIL)."""
    q: queue.Queue[tuple[str, Any]] = queue.Queue(depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in it:
                if stop.is_set():
                    return
                q.put(("item", item))
            q.put(("end", None))
        except BaseException as exc:  # handed to the consumer, re-raised there
            q.put(("error", exc))

    t = threading.Thread(target=work, name="kijun-discovery-reader", daemon=True)
    t.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        while t.is_alive():  # unblock a reader waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                t.join(0.05)


class SqlFileScan:
    """Scan one uncompressed file: SQL for matching lines, the Python ``parser`` for the others.

    ``consume`` receives the Python-parsed events (already filtered to the window); SQL events go
    straight into ``con``'s ``partial`` table. ``stats`` ends up exactly as the Python parser alone
    (followed by the engine's window filter) would leave it.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        fmt: FastFormat,
        parser: Parser,
        stats: ParseStats,
        consume: Callable[[Iterable[LogEvent]], int],
        *,
        added: Callable[[int], None] | None = None,
        since: float | None,
        until: float | None,
        errors: str,
        block_bytes: int | None = None,
    ) -> None:
        self.con = con
        self.fmt = fmt
        self.parser = parser
        self.stats = stats
        self.consume = consume
        self.added = added
        self.windowed = since is not None or until is not None
        self.since = -float("inf") if since is None else since
        self.until = float("inf") if until is None else until
        self.errors = errors
        self.block_bytes = block_bytes or BLOCK_BYTES
        self.lines = 0
        self.outside = 0
        self._sql = {
            "stage": _STAGE_SQL.format(columns=fmt.columns, tokens=fmt.tokens, accept=fmt.accept, max_line=MAX_LINE),
            "rest": _REST_SQL.format(tokens=fmt.tokens, accept=fmt.accept, max_line=MAX_LINE),
        }

    def run(self, path: str | Path, bom: bool, progress: Callable[[int], None] | None = None) -> None:
        """Scan the file; ``progress`` gets the bytes read so far after each block."""
        with open(path, "rb") as raw:
            if bom:
                raw.read(3)
            for lines in _prefetched(_blocks(raw, self.block_bytes)):
                self._block(lines)
                if progress is not None:
                    progress(raw.tell())
        if self.outside:  # the engine's window filter adds this reason once, after the file
            self.stats.skip("outside_window", self.outside)

    def _block(self, lines: pa.Array) -> None:
        base = self.lines
        n = len(lines)
        self.lines += n
        try:
            text = lines.cast(pa.large_string())
        except pa.ArrowInvalid:  # not valid UTF-8 somewhere: the Python decoder decides, per line
            self._python(range(n), lines, base)
            return
        blk = pa.table({"line": text})
        con = self.con
        rest: list[int] = []
        con.register("blk", blk)
        try:
            con.execute(self._sql["stage"], {"rx": self.fmt.pattern, "since": self.since, "until": self.until})
            inside, outside = con.execute(_COUNT_SQL).fetchall()[0]
            inside, outside = int(inside), int(outside)
            kept = con.execute(_KEEP_SQL).fetchall()[0][0]
            if inside + outside < n:
                con.register("blk2", blk.append_column("ln", pa.array(range(n), pa.int64())))
                try:
                    rest = [r[0] for r in con.execute(self._sql["rest"], {"rx": self.fmt.pattern}).fetchall()]
                finally:
                    con.unregister("blk2")
        finally:
            con.unregister("blk")
        if self.added is not None:
            self.added(int(kept))
        st = self.stats
        st.lines += inside + outside
        st.events += inside
        self.outside += outside
        if rest:
            self._python(rest, lines, base)

    def _python(self, idx: Iterable[int], lines: pa.Array, base: int) -> None:
        """Parse the given lines of a block with the Python parser, keeping their line numbers."""
        numbers: list[int] = []
        texts: list[str] = []
        for i in idx:
            raw: bytes = lines[i].as_py()
            numbers.append(base + i + 1)
            texts.append(raw.decode("utf-8", self.errors)[:MAX_LINE])
        st = self.stats
        tmp = ParseStats(st.source, sample_limit=max(0, st.sample_limit - len(st.malformed_samples)))
        events = list(self.parser.parse(texts, tmp))
        if self.windowed:
            since, until = self.since, self.until
            events = [ev for ev in events if ev[0] is not None and since <= ev[0] < until]
        self.outside += tmp.events - len(events)
        st.lines += tmp.lines
        st.events += len(events)
        st.malformed += tmp.malformed
        for reason, k in tmp.skipped.items():
            st.skip(reason, k)
        for s in tmp.malformed_samples:
            st.malformed_samples.append(MalformedSample(numbers[s.line - 1], s.reason, s.text))
        if events:
            self.consume(events)
