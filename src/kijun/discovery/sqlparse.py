"""SQL-native parsing: DuckDB parses and aggregates the well-formed lines of a log, Python the rest.

Why: the Python parsers run at ~120k lines per CPU-second, far from the I/O floor; DuckDB's
vectorised string functions and hash aggregation run on every core. Why not everything in SQL:
line numbers, malformed-line samples, universal newlines, the CP932 fallback and the many corner
cases of each format must stay *exactly* as the Python parsers define them (golden files).

So each supported format has a strict RE2 ``pattern`` (definitions in ``sqlformats``): a line it
fully matches is one the Python parser accepts as an event, and ``columns`` computes from it
exactly the fields the parser would (tested line by line against the parser). Every other line —
blank, malformed, skipped, non-ASCII, over-long — goes through the format's own Python parser with
its true line number, so counts and samples are unchanged. In a real log nearly every line takes
the SQL path.

The pipeline for one file: a reader thread reads binary blocks cut at line ends, Arrow splits
each block into lines (C++) and decides per line with ``pattern`` (RE2, no GIL held); matching
lines stream as Arrow record batches into **one** DuckDB ``INSERT … SELECT … GROUP BY`` over the
whole file (one hash aggregation on every core: no per-block statements, no re-merging of
per-block partial aggregates), while the other lines are spooled with their line numbers and
parsed by Python after the statement, in file order.
"""

from __future__ import annotations

import gzip
import queue
import struct
import tempfile
import threading
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from kijun.discovery.model import LogEvent, MalformedSample, ParseStats
from kijun.discovery.parsers import Parser
from kijun.discovery.sqlformats import FAST_FORMATS as FAST_FORMATS  # re-exported: the engine reads it here
from kijun.discovery.sqlformats import FastFormat
from kijun.discovery.textio import MAX_LINE

BLOCK_BYTES = 16 * 1024 * 1024
SPOOL_MEMORY = 32 * 1024 * 1024
"""Bytes of lines for the Python parser kept in memory before the spool moves to a temp file."""
PYTHON_CHUNK = 50_000
_T = TypeVar("_T")


def supports(format_name: str) -> bool:
    return format_name in FAST_FORMATS


_EVENTS_SQL = "SELECT {columns} FROM (SELECT line, {tokens} AS p FROM lines_stream)"
_INSERT_SQL = """
INSERT INTO partial
SELECT host, "user", src_ip, count(*), sum(bytes_up), sum(bytes_down), min(ts), max(ts)
FROM ({events}) e GROUP BY host, "user", src_ip
"""
_STAGE_SQL = """
CREATE OR REPLACE TEMP TABLE stage AS
SELECT host, "user", src_ip, (ts >= $since AND ts < $until) AS inside, count(*) AS n,
       sum(bytes_up) AS up, sum(bytes_down) AS down, min(ts) AS first_ts, max(ts) AS last_ts
FROM ({events}) e GROUP BY ALL
"""
_COUNT_SQL = (
    "SELECT coalesce(sum(n) FILTER (WHERE inside), 0), coalesce(sum(n) FILTER (WHERE NOT inside), 0) FROM stage"
)
_KEEP_SQL = (
    'INSERT INTO partial SELECT host, "user", src_ip, n, up, down, first_ts, last_ts FROM stage WHERE inside'
)
_LINE_SCHEMA = pa.schema([("line", pa.large_string())])


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


READ_BYTES = 1 << 16


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _read(raw: _Readable, size: int) -> tuple[bytes, BaseException | None]:
    """Up to ``size`` bytes, read ``READ_BYTES`` at a time, and the read error that ended them early
    (a truncated gzip raises only after the bytes before the damage were decompressed)."""
    parts: list[bytes] = []
    got = 0
    while got < size:
        try:
            data = raw.read(min(READ_BYTES, size - got))
        except (OSError, EOFError, zlib.error) as exc:
            return b"".join(parts), exc
        if not data:
            break
        parts.append(data)
        got += len(data)
    return b"".join(parts), None


def _blocks(raw: _Readable, block_bytes: int) -> Iterator[pa.Array]:
    """Binary blocks cut after a line end, as line arrays. A line longer than ``_LONG`` bytes keeps
    only its start (the Python reader keeps its first ``MAX_LINE`` characters), so memory stays
    bounded even for a file without line ends."""
    carry = b""
    skipping = False
    while True:
        data, failure = _read(raw, block_bytes)
        if failure is not None:  # keep the complete lines read before it (the Python reader does)
            cut = _cut(carry + data) if not skipping else 0
            if cut:
                yield _split((carry + data)[:cut])
            raise failure
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


def _prefetched(it: Iterator[_T], depth: int = 2) -> Iterator[_T]:
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


class _Feed:
    """The reader side of one file: line blocks in, record batches of SQL-parsable lines out.

    Runs in a reader thread (``_prefetched``); the Arrow kernels it calls release the GIL, so it
    overlaps with DuckDB's threads. Lines that do not match go to ``spool`` as
    ``(line number, length, bytes)`` records, in file order: in memory up to ``SPOOL_MEMORY``,
    then in a temporary file, so a log where nothing matches still runs in bounded memory.
    """

    _REC = struct.Struct("<QI")

    def __init__(self, raw: _Readable, pattern: str, block_bytes: int, position: Callable[[], int]) -> None:
        self.raw = raw
        self.position = position
        self.read_error: str | None = None
        self.rx = f"^(?:{pattern})$"
        self.block_bytes = block_bytes
        self.spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 - closed by run()
        self.lines = 0
        self.matched = 0
        self.spooled = 0
        self.bytes_read = 0
        self.error: BaseException | None = None

    def batches(self) -> Generator[pa.RecordBatch, None, None]:
        """What DuckDB reads; a read error ends the stream and is kept in ``error`` for the caller."""
        try:
            yield from _prefetched(self._classify())
        except Exception as exc:  # re-raised by SqlFileScan.run once the statement has ended
            self.error = exc

    def _classify(self) -> Iterator[pa.RecordBatch]:
        # reading (and gunzipping) in one thread, splitting and matching in this one
        blocks = _prefetched(_blocks(self.raw, self.block_bytes))
        while True:
            try:
                lines = next(blocks)
            except StopIteration:
                return
            except (OSError, EOFError, zlib.error) as exc:
                # a truncated gzip (rotation in progress), a vanished network file: like the Python
                # reader, the input ends here and the lines read so far count
                self.read_error = f"input ended early: {exc}"
                return
            base = self.lines
            self.lines += len(lines)
            try:
                text = lines.cast(pa.large_string())
            except pa.ArrowInvalid:  # not valid UTF-8 somewhere: the Python decoder decides, per line
                self._spool(base, lines, None)
                self.bytes_read = self.position()
                continue
            ok = pc.and_(pc.match_substring_regex(text, self.rx), pc.less(pc.binary_length(lines), MAX_LINE))
            matched = pc.sum(ok).as_py() or 0
            if matched < len(lines):
                idx = pc.indices_nonzero(pc.invert(ok))
                self._spool(base, pc.take(lines, idx), idx.to_pylist())
            self.matched += matched
            self.bytes_read = self.position()
            if matched:
                good = pc.filter(text, ok)
                for chunk in good.chunks if isinstance(good, pa.ChunkedArray) else [good]:
                    if len(chunk):
                        yield pa.record_batch([chunk], schema=_LINE_SCHEMA)

    def _spool(self, base: int, lines: pa.Array | pa.ChunkedArray, idx: list[int] | None) -> None:
        rec = self._REC
        out = []
        for i, raw in enumerate(lines.to_pylist()):
            out.append(rec.pack(base + (idx[i] if idx is not None else i) + 1, len(raw)))
            out.append(raw)
        self.spool.write(b"".join(out))
        self.spooled += len(lines)

    def spooled_lines(self) -> Iterator[tuple[int, bytes]]:
        """The spooled ``(line number, raw line)`` pairs, in file order."""
        sp, rec = self.spool, self._REC
        sp.seek(0)
        while header := sp.read(rec.size):
            number, length = rec.unpack(header)
            yield number, sp.read(length)


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
        self.outside = 0
        events = _EVENTS_SQL.format(columns=fmt.columns, tokens=fmt.tokens)
        self._sql = _STAGE_SQL.format(events=events) if self.windowed else _INSERT_SQL.format(events=events)

    def run(
        self, path: str | Path, bom: bool, progress: Callable[[int], None] | None = None, *, compressed: bool = False
    ) -> None:
        """Scan the file (gzip-compressed if ``compressed``); ``progress`` gets the bytes of the
        file read so far about twice a second."""
        with open(path, "rb") as file, (gzip.GzipFile(fileobj=file, mode="rb") if compressed else file) as raw:
            if bom:
                raw.read(3)
            feed = _Feed(raw, self.fmt.pattern, self.block_bytes, file.tell)
            try:
                kept = self._statement(feed, progress)
                if feed.error is not None:
                    raise feed.error
                if feed.read_error is not None:
                    self.stats.error = feed.read_error
                st = self.stats
                if self.windowed:
                    inside, outside = (int(v) for v in self.con.execute(_COUNT_SQL).fetchall()[0])
                    kept = int(self.con.execute(_KEEP_SQL).fetchall()[0][0])
                    self.con.execute("DROP TABLE stage")
                else:
                    inside, outside = feed.matched, 0
                if self.added is not None:
                    self.added(kept)
                st.lines += inside + outside
                st.events += inside
                self.outside += outside
                self._python_spool(feed)
            finally:
                feed.spool.close()
        if progress is not None:
            progress(feed.bytes_read)
        if self.outside:  # the engine's window filter adds this reason once, after the file
            self.stats.skip("outside_window", self.outside)

    def _statement(self, feed: _Feed, progress: Callable[[int], None] | None) -> int:
        """Run the one aggregating statement over the stream in a worker thread, reporting progress
        from this one (the caller's callback may use thread-bound resources such as a DB connection)."""
        con = self.con
        batches = feed.batches()
        con.register("lines_stream", pa.RecordBatchReader.from_batches(_LINE_SCHEMA, batches))
        result: list[Any] = []

        def work() -> None:
            try:
                params = {"since": self.since, "until": self.until} if self.windowed else None
                rows = con.execute(self._sql, params).fetchall()
                result.append(int(rows[0][0]) if rows and not self.windowed else 0)
            except BaseException as exc:  # re-raised in the caller's thread
                result.append(exc)

        worker = threading.Thread(target=work, name="kijun-discovery-sql", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.5)
                if progress is not None and worker.is_alive():
                    progress(feed.bytes_read)
        except BaseException:
            con.interrupt()
            worker.join()
            raise
        finally:
            batches.close()  # stops the reader thread if DuckDB stopped reading early
            con.unregister("lines_stream")
        if isinstance(result[0], BaseException):
            raise result[0]
        return int(result[0])

    def _python_spool(self, feed: _Feed) -> None:
        numbers: list[int] = []
        texts: list[str] = []
        for number, raw in feed.spooled_lines():
            numbers.append(number)
            texts.append(raw.decode("utf-8", self.errors)[:MAX_LINE])
            if len(numbers) >= PYTHON_CHUNK:
                self._python(numbers, texts)
                numbers, texts = [], []
        if numbers:
            self._python(numbers, texts)

    def _python(self, numbers: list[int], texts: list[str]) -> None:
        """Parse lines with the Python parser, keeping their line numbers."""
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
