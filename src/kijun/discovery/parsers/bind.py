"""BIND 9 query log (``querylog yes;``), with or without the ``@0x...`` client handle (9.11+).

``06-Jul-2022 11:12:04.202 [queries: info: ]client [@0x7f..] 192.0.2.15#51530 (name): [view v: ]query:
name IN A +E(0)K (192.0.2.1)``. BIND prints local time without a zone: pass ``--tz`` for it.
Reverse lookups (``*.arpa``) are counted as skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from kijun.discovery.model import LogEvent, ParseStats
from kijun.discovery.parsers.base import Parser, share

LINE = re.compile(
    r"(\d{2}-[A-Za-z]{3}-\d{4}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) (?:[\w-]+: )*?client (?:@0x[0-9a-fA-F]+ )?"
    r"([0-9A-Fa-f:.]+)#\d+(?: \([^)]*\))?: (?:view [^:]+: )?query: (\S+) (\S+) (\S+)"
)


class BindParser(Parser):
    name = "bind"
    description = "BIND 9 query log"

    @classmethod
    def sniff(cls, head: Sequence[str]) -> float:
        return share(head, sum(1 for line in head if LINE.match(line)))

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[LogEvent]:
        match = LINE.match
        bind_time = self.times.bind
        events = 0
        n = 0
        for n, line in enumerate(lines, 1):  # noqa: B007
            m = match(line)
            if m is None:
                if line.strip():
                    stats.bad(n, "does not match the BIND query log layout", line)
                else:
                    stats.skip("blank")
                continue
            try:
                date, clock, ip, qname, _qclass, _qtype = m.groups()
                host = qname.rstrip(".").lower()
                if not host:
                    stats.skip("no_host")  # query for the root zone
                    continue
                if host.endswith(".arpa"):
                    stats.skip("reverse_dns")
                    continue
                yield LogEvent(bind_time(date, clock), None, ip, host, None, None, None, None, "bind")
                events += 1
            except (ValueError, KeyError) as exc:
                stats.bad(n, f"bad field: {exc}", line)
        stats.lines += n
        stats.events += events
