"""Log format parsers, one module per format, plus auto-detection.

``PARSERS`` is an immutable tuple in detection order: header-driven and structured formats first
(they are unambiguous), free-form line formats after.
"""

from __future__ import annotations

from collections.abc import Sequence

from kijun.discovery.model import DiscoveryError, FormatDetectionError
from kijun.discovery.parsers.base import Parser, ParserOptions, host_from_url
from kijun.discovery.parsers.bind import BindParser
from kijun.discovery.parsers.csvlog import CsvParser
from kijun.discovery.parsers.nss import NssParser
from kijun.discovery.parsers.squid import SquidParser
from kijun.discovery.parsers.squid_common import SquidCombinedParser, SquidCommonParser
from kijun.discovery.parsers.w3c import W3CParser
from kijun.discovery.parsers.zeek import ZeekParser

PARSERS: tuple[type[Parser], ...] = (
    W3CParser,
    ZeekParser,
    NssParser,
    CsvParser,
    SquidParser,
    SquidCombinedParser,
    SquidCommonParser,
    BindParser,
)
_BY_NAME: dict[str, type[Parser]] = {p.name: p for p in PARSERS}
MIN_SHARE = 0.5
"""A format is detected when it recognises at least half of the non-blank head lines."""


def parser_class(name: str) -> type[Parser]:
    """The parser for a ``--format`` name; ``DiscoveryError`` listing valid names otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise DiscoveryError(f"unknown format {name!r}; choose one of: auto, {', '.join(_BY_NAME)}") from None


def detect_format(head: Sequence[str], source: str = "<input>") -> type[Parser]:
    """Pick the format that recognises the largest share of ``head``; earlier in PARSERS wins ties."""
    head = [line[:4096] for line in head]  # sniffers need the start of a line, not a megabyte of it
    best: type[Parser] | None = None
    best_score = 0.0
    for cls in PARSERS:
        score = cls.sniff(head)
        if score > best_score:
            best, best_score = cls, score
        if score >= 1.0:
            break
    if best is None or best_score < MIN_SHARE:
        raise FormatDetectionError(source, tuple(p.name for p in PARSERS))
    return best


__all__ = [
    "PARSERS",
    "BindParser",
    "CsvParser",
    "NssParser",
    "Parser",
    "ParserOptions",
    "SquidCombinedParser",
    "SquidCommonParser",
    "SquidParser",
    "W3CParser",
    "ZeekParser",
    "detect_format",
    "host_from_url",
    "parser_class",
]
