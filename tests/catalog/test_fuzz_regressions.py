"""Regressions for crashes found by the fuzz harness (tests/fuzz): bad files → OfficialTextError."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from kijun.catalog.import_official import OfficialTextError, parse_official_file, read_text


@pytest.mark.parametrize("data", [b"\x1f\x8b", gzip.compress("第1章\n".encode() * 40)[:-6],
                                  gzip.compress(b"x")[:10] + b"\x00" * 20])
def test_truncated_or_corrupt_gzip_is_official_text_error(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "official.txt.gz"
    p.write_bytes(data)
    with pytest.raises(OfficialTextError, match="official.txt.gz: truncated or corrupt gzip"):
        read_text(p)
    with pytest.raises(OfficialTextError):
        parse_official_file(p)


def test_valid_gzip_still_reads(tmp_path: Path) -> None:
    p = tmp_path / "ok.txt.gz"
    p.write_bytes(gzip.compress("本文\n".encode()))
    assert read_text(p) == "本文\n"
