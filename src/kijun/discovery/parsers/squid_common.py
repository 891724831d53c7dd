"""Squid (and Apache-style) common and combined log formats.

common:   ``%>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st``
combined: common + `` "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh``

Both parsers accept both layouts; they differ only in what auto-detection calls a match, so a
combined log is reported as combined. ``%<st`` is the reply size (download); no upload bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from kijun.discovery.model import LogEvent, ParseStats
from kijun.discovery.parsers.base import HostCache, Parser, clean, share, to_int

LINE = re.compile(
    r'(\S+) (\S+) (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}|-) (\d+|-)'
    r'(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?(?: ([A-Z_]+(?::[A-Z_]+)?))?\s*$'
)


def _sniff(head: Sequence[str], combined: bool) -> float:
    ok = 0
    for line in head:
        m = LINE.match(line)
        if m and (m.group(9) is not None) == combined:
            ok += 1
    return share(head, ok)


class SquidCommonParser(Parser):
    name = "squid-common"
    description = "Squid/Apache common log format"
    _label = "squid-common"

    @classmethod
    def sniff(cls, head: Sequence[str]) -> float:
        return _sniff(head, combined=False)

    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[LogEvent]:
        match = LINE.match
        clf = self.times.clf
        label = self._label
        host_of = HostCache()
        events = 0
        n = 0
        for n, line in enumerate(lines, 1):  # noqa: B007
            m = match(line)
            if m is None:
                if line.strip():
                    stats.bad(n, "does not match the common/combined layout", line)
                else:
                    stats.skip("blank")
                continue
            try:
                ip, _ident, user, when, request, status, size = m.group(1, 2, 3, 4, 5, 6, 7)
                req = request.split()
                if len(req) < 2:
                    stats.skip("no_host")  # e.g. "-" for a request that never arrived
                    continue
                host = host_of(req[1])
                if not host:
                    stats.bad(n, "no host in request URL (log without absolute URLs?)", line)
                    continue
                yield LogEvent(
                    clf(when),
                    clean(user),
                    ip,
                    host,
                    req[0],
                    to_int(status),
                    None,
                    to_int(size),
                    label,
                )
                events += 1
            except (ValueError, KeyError, IndexError) as exc:
                stats.bad(n, f"bad field: {exc}", line)
        stats.lines += n
        stats.events += events


class SquidCombinedParser(SquidCommonParser):
    name = "squid-combined"
    description = "Squid/Apache combined log format (common + Referer and User-Agent)"
    _label = "squid-combined"

    @classmethod
    def sniff(cls, head: Sequence[str]) -> float:
        return _sniff(head, combined=True)
