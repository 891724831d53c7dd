"""Opening log inputs: paths or binary streams, gzip by magic bytes, UTF-8 or CP932 by sniffing.

Everything is streamed: a small head is read to decide compression and encoding, then re-attached
in front of the rest of the stream, so a multi-gigabyte log is never held in memory.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_BYTES = 256 * 1024
_BUFFER = 1024 * 1024
MAX_LINE = 1024 * 1024


class _PrefixedRaw(io.RawIOBase):
    """A raw stream that yields ``head`` and then the rest of ``stream``, counting bytes consumed."""

    def __init__(self, head: bytes, stream: BinaryIO, counter: list[int] | None = None) -> None:
        self._head = memoryview(head)
        self._stream = stream
        self._counter = counter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head.nbytes:
            n = min(len(buffer), self._head.nbytes)
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(buffer))
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        if self._counter is not None:
            self._counter[0] += n
        return n


_FALLBACK = "kijun-cp932-fallback"


def _cp932_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler: bytes that are not UTF-8 are tried as CP932 (one character)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    for width in (2, 1):
        try:
            return exc.object[exc.start : exc.start + width].decode("cp932"), exc.start + width
        except UnicodeDecodeError:
            continue
    return "\ufffd", exc.start + 1


def _errors_handler() -> str:
    """Register the fallback handler on first use (not at import)."""
    try:
        codecs.lookup_error(_FALLBACK)
    except LookupError:
        codecs.register_error(_FALLBACK, _cp932_fallback)
    return _FALLBACK


def _detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) when the head decodes as such, else CP932 (Shift_JIS family)."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sniff window is still UTF-8.
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    try:
        head.decode("cp932")
        return "cp932"
    except UnicodeDecodeError:
        return "utf-8"  # undecodable either way: keep UTF-8 and replace bad bytes


@dataclass
class OpenedLog:
    """A decoded line stream plus what was learned while opening it."""

    name: str
    lines: io.TextIOWrapper
    encoding: str
    compressed: bool
    size: int | None
    consumed: list[int]
    """``consumed[0]``: bytes read so far from the (possibly compressed) underlying stream."""
    owned: BinaryIO | None = None

    def iter_lines(self, max_line: int = MAX_LINE) -> Iterator[str]:
        """Lines as read, each at most ``max_line`` characters.

        A longer "line" (a binary file, a log without newlines) is cut at ``max_line`` and the rest
        of it skipped, so one bad input cannot exhaust memory and later line numbers stay right.
        """
        readline = self.lines.readline
        while True:
            line = readline(max_line)
            if not line:
                return
            if len(line) == max_line and not line.endswith("\n"):
                rest = line
                while len(rest) == max_line and not rest.endswith("\n"):
                    rest = readline(max_line)
            yield line

    def close(self) -> None:
        """Close the decoded stream and the file if ``open_log`` opened it (not a caller's stream)."""
        self.lines.close()
        if self.owned is not None:
            self.owned.close()


def open_log(
    source: str | os.PathLike[str] | BinaryIO, name: str | None = None, encoding: str | None = None
) -> OpenedLog:
    """Open a path or binary stream for line-by-line reading.

    Gzip is recognised from its magic bytes (not the file name); the text encoding is sniffed from
    the first 256 KiB unless ``encoding`` is given. Undecodable bytes become U+FFFD so a stray byte
    costs one malformed line at most, never the scan.
    """
    if encoding is not None:
        codecs.lookup(encoding)  # LookupError before any file is opened
    size: int | None = None
    owned: BinaryIO | None = None
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        raw: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed via OpenedLog.close
        size = path.stat().st_size
        owned = raw
        label = name or str(path)
    else:
        raw = source
        label = name or str(getattr(source, "name", "<stream>"))
    try:
        return _open_stream(raw, label, size, owned, encoding)
    except BaseException:
        if owned is not None:
            owned.close()
        raise


def _open_stream(
    raw: BinaryIO, label: str, size: int | None, owned: BinaryIO | None, encoding: str | None
) -> OpenedLog:
    counter = [0]
    head = raw.read(_SNIFF_BYTES)
    counter[0] += len(head)
    compressed = head[:2] == _GZIP_MAGIC
    stream: BinaryIO = io.BufferedReader(_PrefixedRaw(head, raw, counter), _BUFFER)
    if compressed:
        gz = gzip.GzipFile(fileobj=stream, mode="rb")
        ghead = gz.read(_SNIFF_BYTES)
        stream = io.BufferedReader(_PrefixedRaw(ghead, gz), _BUFFER)  # type: ignore[arg-type]
        head = ghead
    enc = encoding or _detect_encoding(head)
    # An all-ASCII head decides nothing: Japanese text may start later. Then bytes that are not
    # UTF-8 are read as CP932 instead of being replaced.
    errors = _errors_handler() if encoding is None and enc == "utf-8" and head.isascii() else "replace"
    text = io.TextIOWrapper(stream, encoding=enc, errors=errors, newline=None)
    return OpenedLog(label, text, enc, compressed, size, counter, owned)
