"""Our documented CSV log format (docs/discovery.md), for exports from any other product.

The first line is a header. Column names are case-insensitive; ``host`` or ``url`` is required,
the rest optional: ``timestamp`` (ISO 8601, epoch seconds or ms; zone-less values use ``--tz``),
``user``, ``src_ip``, ``method``, ``status``, ``bytes_up``, ``bytes_down``. Aliases: ``time``/``ts``,
``username``/``login``, ``client_ip``/``ip``, ``domain``, ``sent_bytes``, ``received_bytes``.
Comma, semicolon or tab separated; quoted fields follow RFC 4180 but must not contain newlines.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

from kijun.discovery.model import LogEvent, ParseStats
from kijun.discovery.parsers.base import Parser, clean, host_from_url, to_int

ALIASES: dict[str, str] = {
    "timestamp": "timestamp",
    "time": "timestamp",
    "ts": "timestamp",
    "datetime": "timestamp",
    "user": "user",
    "username": "user",
    "login": "user",
    "src_ip": "src_ip",
    "client_ip": "src_ip",
    "ip": "src_ip",
    "host": "host",
    "domain": "host",
    "url": "url",
    "method": "method",
    "status": "status",
    "bytes_up": "bytes_up",
    "sent_bytes": "bytes_up",
    "bytes_down": "bytes_down",
    "received_bytes": "bytes_down",
}
COLUMNS = ("timestamp", "user", "src_ip", "host", "url", "method", "status", "bytes_up", "bytes_down")


def _delimiter(header: str) -> str:
    return max((",", ";", "\t"), key=header.count)


def _header(line: str) -> dict[str, int] | None:
    """Column positions by canonical name, or None when this is not our header."""
    delim = _delimiter(line)
    names = [c.strip().strip('"').lstrip("\ufeff").lower() for c in line.strip().split(delim)]
    cols: dict[str, int] = {}
    for i, name in enumerate(names):
        canon = ALIASES.get(name)
        if canon and canon not in cols:
            cols[canon] = i
    if "host" not in cols and "url" not in cols:
        return None
    return cols


def _get(row: list[str], cols: dict[str, int], name: str) -> str | None:
    i = cols.get(name, -1)
    return clean(row[i].strip()) if 0 <= i < len(row) else None


class CsvParser(Parser):
    name = "csv"
    description = "kijun CSV log (header with host or url; see docs/discovery.md)"

    @classmethod
    def sniff(cls, head: Sequence[str]) -> float:
        first = next((line for line in head if line.strip()), "")
        cols = _header(first)
        return 1.0 if cols is not None and len(cols) >= 2 else 0.0

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[LogEvent]:
        any_time = self.times.any
        events = 0
        n = 0
        cols: dict[str, int] | None = None
        delim = ","
        for n, line in enumerate(lines, 1):  # noqa: B007
            line = line.rstrip("\r\n")
            if not line.strip():
                stats.skip("blank")
                continue
            if cols is None:
                cols = _header(line)
                delim = _delimiter(line)
                if cols is None:
                    stats.bad(n, "header names neither host nor url column", line)
                else:
                    stats.skip("header")
                continue
            try:
                row = next(csv.reader([line], delimiter=delim)) if '"' in line else line.split(delim)
                raw = _get(row, cols, "host") or _get(row, cols, "url")
                host = host_from_url(raw) if raw else ""
                if not host:
                    stats.bad(n, "empty host/url", line)
                    continue
                when = _get(row, cols, "timestamp")
                yield LogEvent(
                    any_time(when) if when else None,
                    _get(row, cols, "user"),
                    _get(row, cols, "src_ip"),
                    host,
                    _get(row, cols, "method"),
                    to_int(_get(row, cols, "status")),
                    to_int(_get(row, cols, "bytes_up")),
                    to_int(_get(row, cols, "bytes_down")),
                    "csv",
                )
                events += 1
            except (ValueError, KeyError, IndexError, csv.Error) as exc:
                stats.bad(n, f"bad field: {exc}", line)
        stats.lines += n
        stats.events += events
