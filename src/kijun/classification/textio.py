"""Decoding user-supplied text: UTF-8 (with or without BOM) or CP932 (Shift_JIS).

Agency staff save files from Excel and Windows editors, which still produce CP932; a
decoder that guessed wrong would silently garble Japanese labels, so we try strict UTF-8
first and fall back to strict CP932, failing loudly when neither fits.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..textcodec import decode_utf8_or_cp932


class DecodeError(ValueError):
    """The bytes are neither UTF-8 nor CP932."""


def decode_text(data: bytes, source: str = "<input>") -> str:
    try:
        return decode_utf8_or_cp932(data)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"{source}: not UTF-8 or CP932 text (byte offset {exc.start})") from exc


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DecodeError(f"{path}: cannot read ({exc.strerror})") from exc
    return decode_text(data, str(path))


def first_error(exc: ValidationError) -> str:
    """``location: message`` of a pydantic error's first problem: the one line a user sees."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(document)"
    return f"{where}: {first['msg']}"
