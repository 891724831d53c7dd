"""First-stage aggregation: events → a small rollup per (report row, user, source IP) and per host.

Two interchangeable backends produce the same ``Rollup``: ``PythonAggregator`` (a streaming dict
aggregator, the default because it measured faster on this machine; see benchmarks) and
``duck.DuckDBAggregator`` (the same computation as SQL over Arrow batches, which is what moves to
Spark SQL/Trino when one machine is not enough). Report building works on the rollup only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from kijun.discovery.matcher import Match, Matcher
from kijun.discovery.model import LogEvent

_INF = float("inf")


class RollupRow(NamedTuple):
    key: str
    user: str | None
    src_ip: str | None
    transactions: int
    bytes_up: int | None
    bytes_down: int | None
    first_seen: float | None
    last_seen: float | None


class HostRow(NamedTuple):
    host: str
    key: str
    transactions: int
    bytes_up: int | None
    bytes_down: int | None


@dataclass
class Rollup:
    rows: list[RollupRow] = field(default_factory=list)
    hosts: list[HostRow] = field(default_factory=list)
    matches: dict[str, Match] = field(default_factory=dict)
    """Report key → the match that produced it (app id, scope, status)."""


class Aggregator(Protocol):
    def consume(self, events: Iterable[LogEvent]) -> int:
        """Aggregate events; return how many were consumed."""

    def result(self) -> Rollup: ...


def _opt(total: int, known: bool) -> int | None:
    return total if known else None


class PythonAggregator:
    """Streaming dict aggregation. Memory grows with distinct (app, user, IP) and hosts, not lines."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self._keys: dict[str, str] = {}
        # (key, user, ip) -> [n, up, down, first, last, up_known, down_known]
        self._rows: dict[tuple[str, str | None, str | None], list[float]] = {}
        # host -> [n, up, down, up_known, down_known]
        self._hosts: dict[str, list[int]] = {}

    def consume(self, events: Iterable[LogEvent]) -> int:
        keys = self._keys
        rows = self._rows
        hosts = self._hosts
        match: Callable[[str], Match] = self.matcher.match
        n = 0
        for ev in events:
            n += 1
            ts, user, ip, host, _m, _s, up, down, _f = ev
            key = keys.get(host)
            if key is None:
                key = keys[host] = match(host).key
            k = (key, user, ip)
            a = rows.get(k)
            if a is None:
                t0 = _INF if ts is None else ts
                t1 = -_INF if ts is None else ts
                rows[k] = [1, up or 0, down or 0, t0, t1, up is not None, down is not None]
            else:
                a[0] += 1
                if up is not None:
                    a[1] += up
                    a[5] = True
                if down is not None:
                    a[2] += down
                    a[6] = True
                if ts is not None:
                    if ts < a[3]:
                        a[3] = ts
                    if ts > a[4]:
                        a[4] = ts
            h = hosts.get(host)
            if h is None:
                hosts[host] = [1, up or 0, down or 0, up is not None, down is not None]
            else:
                h[0] += 1
                if up is not None:
                    h[1] += up
                    h[3] = True
                if down is not None:
                    h[2] += down
                    h[4] = True
        return n

    def result(self) -> Rollup:
        out = Rollup()
        for (key, user, ip), a in self._rows.items():
            first, last = a[3], a[4]
            out.rows.append(
                RollupRow(
                    key,
                    user,
                    ip,
                    int(a[0]),
                    _opt(int(a[1]), bool(a[5])),
                    _opt(int(a[2]), bool(a[6])),
                    None if first == _INF else first,
                    None if last == -_INF else last,
                )
            )
        for host, h in self._hosts.items():
            m = self.matcher.match(host)
            out.matches.setdefault(m.key, m)
            out.hosts.append(HostRow(host, m.key, h[0], _opt(h[1], bool(h[3])), _opt(h[2], bool(h[4]))))
        return out
