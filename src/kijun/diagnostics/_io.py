"""Small I/O helpers shared by the parsers: gzip by magic number, text decoding, hashing.

Parsers take bytes or paths; they never hold global state, so the CLI, the web import and the
future incremental ``sync`` can call them the same way.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import io
import json
import lzma
import zlib
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ..textcodec import decode_utf8_or_cp932

MAX_DECOMPRESSED = 4 * 1024**3  # refuse gzip bombs beyond 4 GiB


class FeedError(ValueError):
    """A feed or inventory file that cannot be read; the message names file and place."""


# What a truncated or corrupt .gz/.xz raises while being read (not at open: both formats are
# streamed, so the damage shows up only when the bad block is reached). Caught in one place.
DECOMPRESS_ERRORS: tuple[type[Exception], ...] = (EOFError, gzip.BadGzipFile, zlib.error, lzma.LZMAError)


def _corrupt(path: str | Path, e: Exception) -> FeedError:
    return FeedError(f"{path}: truncated or corrupt compressed file ({type(e).__name__}: {e})")


def obj(value: Any, where: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else FeedError naming the path (``file: a.b[2]``)."""
    if not isinstance(value, dict):
        raise FeedError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def arr(value: Any, where: str) -> list[Any]:
    """``value`` if it is a JSON array (``None`` counts as empty), else FeedError naming the path."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise FeedError(f"{where}: expected a JSON array, got {type(value).__name__}")
    return value


def objs(value: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, object) for each item of a JSON array of objects; a non-object item is a FeedError."""
    for i, item in enumerate(arr(value, where)):
        here = f"{where}[{i}]"
        yield here, obj(item, here)


def open_binary(path: str | Path) -> IO[bytes]:
    """Open a file for reading; gzip and xz (as NVD mirrors ship yearly files) by magic number."""
    p = Path(path)
    try:
        with p.open("rb") as probe:
            head = probe.read(6)
        if head[:2] == b"\x1f\x8b":
            return gzip.open(p, "rb")  # type: ignore[return-value]
        if head == b"\xfd7zXZ\x00":
            return lzma.open(p, "rb")
        return p.open("rb")
    except OSError as e:
        raise FeedError(f"{p}: cannot open ({e.strerror})") from e


def read_bytes(path: str | Path) -> bytes:
    try:
        with open_binary(path) as fh:
            data = fh.read(MAX_DECOMPRESSED + 1)
    except DECOMPRESS_ERRORS as e:
        raise _corrupt(path, e) from e
    if len(data) > MAX_DECOMPRESSED:
        raise FeedError(f"{path}: larger than {MAX_DECOMPRESSED} bytes after decompression")
    return data


def decode_text(data: bytes, where: str) -> str:
    """UTF-8 (with or without BOM) first, then CP932 (Shift_JIS as Windows writes it)."""
    try:
        return decode_utf8_or_cp932(data)
    except UnicodeDecodeError as e:
        raise FeedError(f"{where}: neither UTF-8 nor CP932 text (byte {e.start})") from e


def read_text(path: str | Path) -> str:
    return decode_text(read_bytes(path), str(path))


def read_json(path: str | Path) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise FeedError(f"{path}:{e.lineno}:{e.colno}: invalid JSON ({e.msg})") from e


def iter_lines(path: str | Path) -> Generator[tuple[int, str], None, None]:
    """Stream (line number, text) of a possibly gzipped UTF-8 text file."""
    with open_binary(path) as fh, io.TextIOWrapper(fh, encoding="utf-8-sig", errors="strict") as text:
        try:
            for n, raw in enumerate(text, 1):
                yield n, raw.rstrip("\r\n")
        except UnicodeDecodeError as e:
            raise FeedError(f"{path}: not UTF-8 text ({e.reason})") from e
        except DECOMPRESS_ERRORS as e:
            raise _corrupt(path, e) from e


def content_hash(obj: Any) -> str:
    """Stable SHA-256 of a JSON-able record, for change detection in incremental sync."""
    canon = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def expand_paths(paths: Iterable[str | Path], suffixes: tuple[str, ...]) -> list[Path]:
    """Files as given, and for directories every file below them with one of ``suffixes``."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.name.endswith(suffixes)))
        else:
            out.append(p)
    return out


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC while building large acyclic structures (millions of small objects).

    Generation-0 collections otherwise rescan everything built so far and dominate build time;
    the previous GC state is restored afterwards.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
