"""W3C extended / ELFF logs (Blue Coat ProxySG, IIS, generic W3C), driven by the ``#Fields:`` line.

Field names are matched case-insensitively; the first present of each candidate list is used.
Values are space separated, may be double-quoted (quoted values may contain spaces), and ``-``
means empty. W3C times are UTC by definition.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC

from kijun.discovery.model import LogEvent, ParseStats
from kijun.discovery.parsers.base import HostCache, Parser, clean, host_from_url, to_int

TOKENS = re.compile(r'"([^"]*)"|(\S+)')

HOST_FIELDS = ("cs-host", "cs(host)", "r-host", "x-cs-host", "r-dns")
URL_FIELDS = ("cs-uri", "cs-url", "c-uri", "cs-uri-path")
USER_FIELDS = ("cs-username", "cs-userdn", "c-username", "x-username")
IP_FIELDS = ("c-ip", "x-forwarded-for", "c-dns")


def _tokens(line: str) -> list[str]:
    """Split on spaces, keeping double-quoted values whole (they may contain spaces).

    ``str.split('"')`` alternates outside/inside segments, so this stays in C for the common case;
    unbalanced or glued quotes fall back to the regex.
    """
    parts = line.split('"')
    if len(parts) % 2 == 0:
        return [q if q or not b else b for q, b in TOKENS.findall(line)]
    out: list[str] = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part)
        elif part and (i and not part[0].isspace() or i < len(parts) - 1 and not part[-1].isspace()):
            return [q if q or not b else b for q, b in TOKENS.findall(line)]
        else:
            out.extend(part.split())
    return out


def _index(fields: list[str], candidates: tuple[str, ...]) -> int:
    for name in candidates:
        if name in fields:
            return fields.index(name)
    return -1


class W3CParser(Parser):
    name = "w3c"
    description = "W3C extended / Blue Coat ELFF, described by its #Fields: line"

    @classmethod
    def sniff(cls, head: Sequence[str]) -> float:
        return 1.0 if any(line.lower().startswith("#fields:") for line in head) else 0.0

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[LogEvent]:
        date_time = self.times.date_time
        host_of = HostCache()
        events = 0
        n = 0
        fields: list[str] = []
        width = 0
        i_date = i_time = i_host = i_url = i_user = i_ip = i_method = i_status = i_down = i_up = -1
        for n, line in enumerate(lines, 1):  # noqa: B007
            if line.startswith("#"):
                stats.skip("header")
                if line[:8].lower() == "#fields:":
                    fields = [f.lower() for f in line[8:].split()]
                    width = len(fields)
                    i_date = _index(fields, ("date",))
                    i_time = _index(fields, ("time",))
                    i_host = _index(fields, HOST_FIELDS)
                    i_url = _index(fields, URL_FIELDS)
                    i_user = _index(fields, USER_FIELDS)
                    i_ip = _index(fields, IP_FIELDS)
                    i_method = _index(fields, ("cs-method",))
                    i_status = _index(fields, ("sc-status",))
                    i_down = _index(fields, ("sc-bytes",))
                    i_up = _index(fields, ("cs-bytes",))
                continue
            line = line.rstrip("\r\n")
            if not line.strip():
                stats.skip("blank")
                continue
            if not width:
                stats.bad(n, "data line before any #Fields: line", line)
                continue
            values = _tokens(line) if '"' in line else line.split()
            if len(values) != width:
                stats.bad(n, f"{len(values)} values for {width} fields", line)
                continue
            try:
                host = ""
                if i_host >= 0 and values[i_host] != "-":
                    host = host_of(values[i_host])
                if not host and i_url >= 0:
                    host = host_from_url(values[i_url])
                if not host:
                    stats.bad(n, "no host (cs-host / cs-uri empty)", line)
                    continue
                ts = date_time(values[i_date], values[i_time], UTC) if i_date >= 0 and i_time >= 0 else None
                yield LogEvent(
                    ts,
                    clean(values[i_user]) if i_user >= 0 else None,
                    clean(values[i_ip]) if i_ip >= 0 else None,
                    host,
                    clean(values[i_method]) if i_method >= 0 else None,
                    to_int(values[i_status]) if i_status >= 0 else None,
                    to_int(values[i_up]) if i_up >= 0 else None,
                    to_int(values[i_down]) if i_down >= 0 else None,
                    "w3c",
                )
                events += 1
            except (ValueError, KeyError, IndexError) as exc:
                stats.bad(n, f"bad field: {exc}", line)
        stats.lines += n
        stats.events += events
