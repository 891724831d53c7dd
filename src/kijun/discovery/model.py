"""Typed records shared by every part of the discovery engine.

``LogEvent`` is a ``NamedTuple`` rather than a dataclass on purpose: tens of millions are created per
scan, and tuple construction is the cheapest typed record CPython offers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

FORMAT_NAMES: tuple[str, ...] = (
    "squid",
    "squid-common",
    "squid-combined",
    "w3c",
    "zeek",
    "bind",
    "nss",
    "csv",
)
"""Format names accepted by ``--format`` (besides ``auto``), in auto-detection order."""


class LogEvent(NamedTuple):
    """One web or DNS transaction reduced to what shadow-IT discovery needs.

    ``ts`` is seconds since the Unix epoch (UTC). ``bytes_up``/``bytes_down`` are ``None`` when the
    format does not carry them (e.g. Squid native has only the reply size, DNS logs carry none).
    """

    ts: float | None
    user: str | None
    src_ip: str | None
    host: str
    method: str | None
    status: int | None
    bytes_up: int | None
    bytes_down: int | None
    format: str


class DiscoveryError(Exception):
    """A problem the user must fix (unknown format, unreadable register, bad catalog)."""


class FormatDetectionError(DiscoveryError):
    """No parser recognised the first lines of a log; ``tried`` names every format attempted."""

    def __init__(self, source: str, tried: tuple[str, ...]) -> None:
        self.source = source
        self.tried = tried
        super().__init__(
            f"{source}: could not detect the log format (tried: {', '.join(tried)}); pass --format explicitly"
        )


@dataclass(frozen=True)
class MalformedSample:
    """A malformed line kept for the report: where it was, why it failed, and (cut) what it said."""

    line: int
    reason: str
    text: str


@dataclass
class ParseStats:
    """Per-source line accounting: ``lines == events + sum(skipped.values()) + malformed``.

    Nothing is dropped silently: a line is an event, a counted skip (header, blank, no host, reverse
    DNS, outside the time window) or a counted and sampled malformed line.
    """

    source: str
    format: str = ""
    encoding: str = ""
    compressed: bool = False
    lines: int = 0
    events: int = 0
    malformed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    malformed_samples: list[MalformedSample] = field(default_factory=list)
    error: str | None = None
    """Why reading stopped early (truncated gzip, I/O error); the lines before it are counted."""
    sample_limit: int = 20

    def bad(self, line_no: int, reason: str, text: str) -> None:
        """Count a malformed line and keep it as a sample while there is room."""
        self.malformed += 1
        if len(self.malformed_samples) < self.sample_limit:
            self.malformed_samples.append(MalformedSample(line_no, reason, text.rstrip("\r\n")[:300]))

    def skip(self, reason: str, n: int = 1) -> None:
        """Count a line that is well formed but carries no event (header, blank, no host...)."""
        self.skipped[reason] = self.skipped.get(reason, 0) + n
