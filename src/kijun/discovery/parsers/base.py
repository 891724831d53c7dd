"""What every log parser shares: the interface, options and URL-to-host reduction.

A parser is one small module with one class whose ``name`` equals the ``--format`` value. It
loops over lines itself (one Python frame per file, not per line, is what keeps it fast) and
accounts for every line in ``ParseStats``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import ClassVar

from kijun.discovery.model import LogEvent, ParseStats
from kijun.discovery.timeparse import TimeParser


@dataclass(frozen=True)
class ParserOptions:
    """Knobs a parser may need: the zone for zone-less timestamps and a Zscaler NSS template."""

    default_tz: tzinfo = UTC
    nss_template: str | None = None


class Parser(ABC):
    """One log format. Instances are per input file (header-driven formats keep state)."""

    name: ClassVar[str]
    description: ClassVar[str]

    def __init__(self, options: ParserOptions | None = None) -> None:
        self.options = options or ParserOptions()
        self.times = TimeParser(self.options.default_tz)

    @classmethod
    @abstractmethod
    def sniff(cls, head: Sequence[str]) -> float:
        """Share (0..1) of the non-blank first lines this format recognises."""

    @abstractmethod
    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[LogEvent]:
        """Yield events; count every other line in ``stats``. Must never raise on bad lines."""


def share(head: Sequence[str], ok: int) -> float:
    """Fraction helper for ``sniff``: ``ok`` out of the non-blank head lines."""
    n = sum(1 for line in head if line.strip())
    return ok / n if n else 0.0


def host_from_url(url: str) -> str:
    """Host name of a URL, a ``host:port`` CONNECT target or a bare host; lower-cased, no dot at end.

    Returns ``""`` when nothing host-like is present; the caller counts that line as malformed.
    """
    start = url.find("://")
    s = url[start + 3 :] if start >= 0 else url
    for sep in "/?#":
        cut = s.find(sep)
        if cut >= 0:
            s = s[:cut]
    at = s.rfind("@")
    if at >= 0:
        s = s[at + 1 :]
    if s.startswith("["):  # [IPv6]:port
        end = s.find("]")
        return s[1:end].lower() if end > 0 else ""
    if s.count(":") == 1:
        s = s[: s.find(":")]
    s = s.strip().rstrip(".").lower()
    if not s or " " in s or "\t" in s or '"' in s:
        return ""
    return s


class HostCache:
    """Memoised ``host_from_url`` for path-less values (CONNECT targets, Host headers, cs-host).

    Those repeat millions of times in a proxy log; full URLs with paths are mostly unique and are
    not cached, so the cache stays small. Bounded: stops adding at ``limit`` entries.
    """

    __slots__ = ("_hosts", "limit")

    def __init__(self, limit: int = 200_000) -> None:
        self._hosts: dict[str, str] = {}
        self.limit = limit

    def __call__(self, value: str) -> str:
        host = self._hosts.get(value)
        if host is None:
            host = host_from_url(value)
            if "/" not in value and len(self._hosts) < self.limit:
                self._hosts[value] = host
        return host


def clean(value: str) -> str | None:
    """``-``, empty and Zeek's ``(empty)`` mean no value."""
    if not value or value == "-" or value == "(empty)":
        return None
    return value


def to_int(value: str | None) -> int | None:
    """Non-negative integer or ``None`` for a dash; ``ValueError`` for garbage."""
    if value is None or value == "-" or value == "" or value == "(empty)":
        return None
    n = int(value)
    if n < 0:
        raise ValueError(f"negative count {value!r}")
    return n
