"""Regressions for parser crashes found by the fuzz harness (tests/fuzz): bad input → FeedError."""

from __future__ import annotations

import gzip
import lzma
from pathlib import Path

import pytest

from kijun.diagnostics._io import FeedError, iter_lines, read_bytes
from kijun.diagnostics.epss import load_epss
from kijun.diagnostics.inventory import load_inventory
from kijun.diagnostics.kev import load_kev
from kijun.diagnostics.nvd import load_nvd


@pytest.mark.parametrize("data", [
    b"\x1f\x8b",  # gzip magic only
    gzip.compress(b"hello world\n" * 50)[:-10],  # truncated stream
    gzip.compress(b"x")[:10] + b"\x00" * 20,  # corrupt deflate data
    b"\xfd7zXZ\x00",  # xz magic only
    lzma.compress(b"hello\n" * 50)[:-8],
])
def test_truncated_or_corrupt_compressed_file_is_feed_error(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "feed.bin"
    p.write_bytes(data)
    with pytest.raises(FeedError, match="feed.bin: truncated or corrupt compressed file"):
        read_bytes(p)
    with pytest.raises(FeedError, match="feed.bin: truncated or corrupt"):
        list(iter_lines(p))


def test_loaders_report_truncated_gzip(tmp_path: Path) -> None:
    for name, load in (("nvd.json.gz", lambda p: load_nvd([p])), ("kev.json.gz", load_kev),
                       ("epss.csv.gz", load_epss), ("inv.csv.gz", lambda p: load_inventory([p]))):
        p = tmp_path / name
        p.write_bytes(b"\x1f\x8b")
        with pytest.raises(FeedError, match=name):
            load(p)
