"""The scan entry point: inputs in, ``Report`` out. What the CLI and (later) the web view call.

``scan`` accepts paths (files or directories), binary file-like objects (an upload stream) or
already-decoded line iterables, each optionally wrapped in ``LogInput`` to name it or force its
format. Nothing is read whole into memory. The clock and the pseudonymisation key come in through
``ScanOptions``/arguments; there is no hidden state.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import io
import itertools
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import BinaryIO, Literal

from kijun.discovery.aggregate import Aggregator, PythonAggregator, Rollup
from kijun.discovery.catalog import Catalog, load_catalog
from kijun.discovery.matcher import Matcher
from kijun.discovery.model import DiscoveryError, LogEvent, ParseStats
from kijun.discovery.parsers import MIN_SHARE, NssParser, Parser, ParserOptions, detect_format, parser_class
from kijun.discovery.parsers.nss import template_share
from kijun.discovery.pyreport import build_report
from kijun.discovery.register import Register
from kijun.discovery.report import Report
from kijun.discovery.textio import OpenedLog, open_log

HEAD_LINES = 50
_CHUNK = 200_000

Source = str | os.PathLike[str] | BinaryIO | Iterable[str]


@dataclass(frozen=True)
class LogInput:
    """One log: a path, a binary stream or decoded lines, with a display name and format."""

    source: Source
    name: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class ScanOptions:
    format: str = "auto"
    since: datetime | None = None
    until: datetime | None = None
    """``since`` inclusive, ``until`` exclusive; events without a timestamp fall outside a window."""
    default_tz: tzinfo = UTC
    nss_template: str | None = None
    encoding: str | None = None
    backend: Literal["python", "duckdb"] = "duckdb"
    sample_limit: int = 20
    pseudonymise_key: bytes | None = None
    top_n: int = 20
    pause_gc: bool = True
    """Pause CPython's cyclic GC during the scan. The scan allocates millions of acyclic objects
    while its aggregates grow; each collection rescans them all (measured: ~40% of scan time)."""


@dataclass(frozen=True)
class ScanProgress:
    source: str
    index: int
    total_sources: int
    events: int
    bytes_read: int
    bytes_total: int | None
    done: bool = False


@dataclass
class _Window:
    since: float | None
    until: float | None
    outside: int = field(default=0)

    def filter(self, events: Iterable[LogEvent]) -> Iterator[LogEvent]:
        since, until = self.since, self.until
        for ev in events:
            ts = ev[0]
            if ts is None or (since is not None and ts < since) or (until is not None and ts >= until):
                self.outside += 1
                continue
            yield ev


def _guarded(lines: Iterable[str], stats: ParseStats) -> Iterator[str]:
    """End the line stream cleanly on a read error (a truncated gzip from a rotation in progress,
    a vanished network file) and record it: the lines read so far still count."""
    try:
        yield from lines
    except (OSError, EOFError, zlib.error) as exc:
        stats.error = f"input ended early: {exc}"


def expand_inputs(sources: Iterable[Source | LogInput]) -> list[LogInput]:
    """Wrap sources as ``LogInput``; a directory path becomes its files (recursive, sorted)."""
    out: list[LogInput] = []
    for src in sources:
        item = src if isinstance(src, LogInput) else LogInput(src)
        if isinstance(item.source, str | os.PathLike) and Path(item.source).is_dir():
            for p in sorted(Path(item.source).rglob("*")):
                if p.is_file() and not p.name.startswith("."):
                    out.append(LogInput(p, str(p), item.format))
        else:
            out.append(item)
    return out


def pseudonymise(user: str, key: bytes) -> str:
    """Keyed hash of a user name: stable for one key, unlinkable without it."""
    return "u-" + hmac.new(key, user.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _open(item: LogInput, options: ScanOptions) -> tuple[Iterable[str], ParseStats, OpenedLog | None]:
    src = item.source
    if isinstance(src, io.TextIOBase):  # an already-decoded text stream: read its lines as they are
        return src, ParseStats(item.name or str(getattr(src, "name", "<text>")), encoding="text"), None
    if isinstance(src, str | os.PathLike) or hasattr(src, "read"):
        name = item.name or str(src)
        try:
            opened = open_log(src, item.name, options.encoding)  # type: ignore[arg-type]
        except LookupError:
            raise DiscoveryError(f"unknown text encoding {options.encoding!r}") from None
        except (OSError, EOFError, zlib.error) as exc:
            raise DiscoveryError(f"{name}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
        stats = ParseStats(opened.name, encoding=opened.encoding, compressed=opened.compressed)
        return opened.iter_lines(), stats, opened
    if isinstance(src, Iterable):
        return src, ParseStats(item.name or "<lines>", encoding="text"), None
    raise DiscoveryError(f"unsupported log source {src!r}")


def _parser_for(item: LogInput, head: Sequence[str], name: str, options: ScanOptions) -> Parser:
    fmt = item.format or options.format
    popts = ParserOptions(default_tz=options.default_tz, nss_template=options.nss_template)
    try:
        if fmt == "auto" and options.nss_template and template_share(options.nss_template, head) >= MIN_SHARE:
            return NssParser(popts)  # a custom NSS feed format: only its template can recognise it
        cls = detect_format(head, name) if fmt == "auto" else parser_class(fmt)
        return cls(popts)
    except ValueError as exc:  # a template the NSS parser cannot compile
        raise DiscoveryError(f"bad NSS feed template: {exc}") from None


def detect(item: LogInput, options: ScanOptions | None = None) -> str:
    """The format ``scan`` would use for one input, from its first lines (a cheap check before a
    long background scan); ``DiscoveryError`` when it cannot be read or recognised."""
    opts = options or ScanOptions()
    lines, stats, opened = _open(item, opts)
    try:
        head = list(itertools.islice(_guarded(lines, stats) if opened is not None else lines, HEAD_LINES))
        if not head:
            return item.format or (opts.format if opts.format != "auto" else "")
        return _parser_for(item, head, stats.source, opts).name
    except UnicodeError as exc:
        raise DiscoveryError(f"{stats.source}: cannot decode as {stats.encoding}: {exc}") from None
    finally:
        if opened is not None:
            opened.close()


def _aggregator(matcher: Matcher, backend: str) -> Aggregator:
    if backend == "duckdb":
        try:
            from kijun.discovery.duck import DuckDBAggregator  # optional heavy import
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise DiscoveryError(f"the duckdb backend needs duckdb and pyarrow installed ({exc})") from None
        return DuckDBAggregator(matcher)
    if backend != "python":
        raise DiscoveryError(f"unknown backend {backend!r}; use python or duckdb")
    return PythonAggregator(matcher)


def scan(
    sources: Iterable[Source | LogInput],
    *,
    catalog: Catalog | None = None,
    register: Register | None = None,
    options: ScanOptions | None = None,
    progress: Callable[[ScanProgress], None] | None = None,
    now: datetime | None = None,
) -> Report:
    """Parse every source, match hosts to apps, aggregate, and build the report.

    Raises ``DiscoveryError`` (with the file name) for unreadable inputs or undetectable formats;
    malformed lines never raise, they are counted and sampled in ``Report.sources``.
    """
    opts = options or ScanOptions()
    paused = opts.pause_gc and gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _scan(sources, catalog, register, opts, progress, now)
    finally:
        if paused:
            gc.enable()


def _scan(
    sources: Iterable[Source | LogInput],
    catalog: Catalog | None,
    register: Register | None,
    opts: ScanOptions,
    progress: Callable[[ScanProgress], None] | None,
    now: datetime | None,
) -> Report:
    cat = catalog or load_catalog()
    matcher = Matcher(cat, register)
    agg = _aggregator(matcher, opts.backend)
    window = None
    if opts.since is not None or opts.until is not None:
        window = _Window(
            opts.since.timestamp() if opts.since else None, opts.until.timestamp() if opts.until else None
        )
    items = expand_inputs(sources)
    all_stats: list[ParseStats] = []
    for index, item in enumerate(items):
        lines, stats, opened = _open(item, opts)
        stats.sample_limit = opts.sample_limit
        try:
            it = iter(_guarded(lines, stats) if opened is not None else lines)
            head = list(itertools.islice(it, HEAD_LINES))
            if not head:  # an empty file is not an undetectable one
                stats.format = item.format or (opts.format if opts.format != "auto" else "")
                all_stats.append(stats)
                continue
            parser = _parser_for(item, head, stats.source, opts)
            stats.format = parser.name
            if _sql_path(item, opened, parser, agg):
                assert opened is not None
                opened.close()
                _scan_sql(item, opened, parser, stats, agg, opts, index, len(items), progress)
                all_stats.append(stats)
                continue
            events: Iterable[LogEvent] = parser.parse(itertools.chain(head, it), stats)
            before = window.outside if window else 0
            if window is not None:
                events = window.filter(events)
            ev_iter = iter(events)
            consumed = 0
            while True:
                n = agg.consume(itertools.islice(ev_iter, _CHUNK))
                consumed += n
                if progress is not None:
                    progress(
                        ScanProgress(
                            stats.source, index, len(items), consumed,
                            opened.consumed[0] if opened else 0, opened.size if opened else None, n == 0,
                        )
                    )  # fmt: skip
                if n == 0:
                    break
            if window is not None:
                outside = window.outside - before
                if outside:
                    stats.events -= outside
                    stats.skip("outside_window", outside)
        except UnicodeError as exc:  # only with a forced --encoding that does not fit
            raise DiscoveryError(f"{stats.source}: cannot decode as {stats.encoding}: {exc}") from None
        finally:
            if opened is not None:
                opened.close()
        all_stats.append(stats)
    if _is_duckdb(agg):
        return _sql_report(agg, matcher, cat, all_stats, opts, register, now)
    rollup = agg.result()
    if opts.pseudonymise_key:
        rollup = _pseudonymised(rollup, opts.pseudonymise_key)
    return build_report(
        rollup,
        cat,
        all_stats,
        generated_at=now or datetime.now(UTC),
        since=opts.since,
        until=opts.until,
        register_source=register.source if register else None,
        pseudonymised=bool(opts.pseudonymise_key),
        top_n=opts.top_n,
    )


def _is_duckdb(agg: Aggregator) -> bool:
    """The duckdb aggregator, without importing duckdb for the python backend."""
    return type(agg).__module__ == "kijun.discovery.duck"


def _sql_report(
    agg: Aggregator,
    matcher: Matcher,
    cat: Catalog,
    all_stats: list[ParseStats],
    opts: ScanOptions,
    register: Register | None,
    now: datetime | None,
) -> Report:
    """The duckdb backend builds the report in SQL (``sqlreport``) from the same aggregates."""
    from kijun.discovery.duck import DuckDBAggregator
    from kijun.discovery.sqlreport import sql_report

    assert isinstance(agg, DuckDBAggregator)
    agg.flush(final=True)
    aliases = None
    if opts.pseudonymise_key:
        key = opts.pseudonymise_key
        names = agg.con.execute('SELECT DISTINCT "user" FROM partial WHERE "user" IS NOT NULL').fetchall()
        aliases = {name: pseudonymise(name, key) for (name,) in names}
    try:
        return sql_report(
            agg.con, matcher, cat, all_stats, generated_at=now or datetime.now(UTC), since=opts.since,
            until=opts.until, register_source=register.source if register else None, aliases=aliases,
            top_n=opts.top_n,
        )  # fmt: skip
    finally:
        agg.con.close()


def _sql_path(item: LogInput, opened: OpenedLog | None, parser: Parser, agg: Aggregator) -> bool:
    """SQL parsing applies to UTF-8 files (plain or gzip) of a supported format (duckdb backend)."""
    if opened is None or opened.encoding not in ("utf-8", "utf-8-sig"):
        return False
    if not isinstance(item.source, str | os.PathLike) or not _is_duckdb(agg):
        return False
    from kijun.discovery import sqlparse

    return sqlparse.supports(parser.name)


def _scan_sql(
    item: LogInput,
    opened: OpenedLog,
    parser: Parser,
    stats: ParseStats,
    agg: Aggregator,
    opts: ScanOptions,
    index: int,
    total: int,
    progress: Callable[[ScanProgress], None] | None,
) -> None:
    from kijun.discovery import sqlparse
    from kijun.discovery.duck import DuckDBAggregator

    assert isinstance(agg, DuckDBAggregator) and isinstance(item.source, str | os.PathLike)
    fs = sqlparse.SqlFileScan(
        agg.con, sqlparse.FAST_FORMATS[parser.name], parser, stats, agg.consume, added=agg.added,
        since=opts.since.timestamp() if opts.since else None,
        until=opts.until.timestamp() if opts.until else None,
        errors=opened.lines.errors or "strict",
    )  # fmt: skip

    def report(done_bytes: int) -> None:
        if progress is not None:
            progress(ScanProgress(stats.source, index, total, stats.events, done_bytes, opened.size, False))

    try:
        fs.run(Path(item.source), opened.encoding == "utf-8-sig", report, compressed=opened.compressed)
    except OSError as exc:
        raise DiscoveryError(f"{stats.source}: cannot read: {exc.strerror or exc}") from None
    if progress is not None:
        progress(ScanProgress(stats.source, index, total, stats.events, opened.size or 0, opened.size, True))


def _pseudonymised(rollup: Rollup, key: bytes) -> Rollup:
    cache: dict[str, str] = {}

    def alias(user: str | None) -> str | None:
        if user is None:
            return None
        if user not in cache:
            cache[user] = pseudonymise(user, key)
        return cache[user]

    rows = [r._replace(user=alias(r.user)) for r in rollup.rows]
    return replace(rollup, rows=rows)
