"""Decoding text that Japanese government staff hand us: UTF-8 (with or without BOM) or CP932.

Excel and Windows editors still write CP932 (Shift_JIS). Guessing wrong garbles Japanese silently,
so strict UTF-8 is tried first, then strict CP932; the caller turns the failure into its own error.
"""

from __future__ import annotations

BOM = b"\xef\xbb\xbf"


def decode_utf8_or_cp932(data: bytes) -> str:
    """Return the text; raise the CP932 attempt's ``UnicodeDecodeError`` when neither fits."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp932")
