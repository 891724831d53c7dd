"""Upload handling: limits before writing, magic bytes, bombs, random names, full disk (ASVS 5.x)."""

from __future__ import annotations

import errno
import gzip
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kijun.core import uploads as up

TEXT = up.UploadPolicy("log", max_bytes=10_000, allowed_types=frozenset({"text", "gzip"}))


def chunks(data: bytes, n: int = 1000) -> list[bytes]:
    return [data[i:i + n] for i in range(0, len(data), n)] or [b""]


def test_store_streams_to_random_name(tmp_path: Path) -> None:
    s = up.store(chunks(b"hello\nworld\n"), TEXT, tmp_path, display_name="../../etc/passwd")
    assert s.path.parent == tmp_path and len(s.path.name) == 32 and s.path.read_bytes() == b"hello\nworld\n"
    assert s.display_name == "passwd" and s.size == 12 and s.detected_type == "text"
    assert list(tmp_path.iterdir()) == [s.path]


def test_declared_length_refused_before_reading() -> None:
    with pytest.raises(up.UploadTooLarge):
        up.check_declared_length("10001", TEXT)
    up.check_declared_length("10000", TEXT)
    up.check_declared_length(None, TEXT)


def test_oversize_stream_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(up.UploadTooLarge) as ei:
        up.store(chunks(b"x" * 10_001), TEXT, tmp_path)
    assert ei.value.status == 413 and list(tmp_path.iterdir()) == []


def test_magic_bytes_not_extension(tmp_path: Path) -> None:
    with pytest.raises(up.UploadRejected):
        up.store(chunks(b"PK\x03\x04" + b"\x00" * 50), TEXT, tmp_path, display_name="log.txt")
    assert list(tmp_path.iterdir()) == []


def test_gzip_bomb_refused(tmp_path: Path) -> None:
    bomb = gzip.compress(b"\x00" * 5_000_000)
    policy = up.UploadPolicy("log", max_bytes=100_000, allowed_types=frozenset({"gzip"}), max_ratio=50)
    with pytest.raises(up.ArchiveBomb):
        up.store(chunks(bomb), policy, tmp_path)
    assert list(tmp_path.iterdir()) == []
    ok = gzip.compress(b"line\n" * 100)
    assert up.store(chunks(ok), policy, tmp_path).detected_type == "gzip"


def test_zip_bomb_refused_by_declared_and_actual_size(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", b"\x00" * 3_000_000)
    policy = up.UploadPolicy("xlsx", max_bytes=1_000_000, allowed_types=frozenset({"zip"}), max_ratio=100,
                             max_unpacked_bytes=1_000_000)
    with pytest.raises(up.ArchiveBomb):
        up.store(chunks(buf.getvalue()), policy, tmp_path)
    with pytest.raises(up.UploadRejected):
        up.store(chunks(b"PK\x03\x04garbage"), policy, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_full_disk_is_507_and_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_open = builtins.open

    class FullDisk(io.FileIO):
        written = 0

        def write(self, b):  # type: ignore[no-untyped-def, override]
            FullDisk.written += len(b)
            if FullDisk.written > 3000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return super().write(b)

    def fake_open(path, mode="r", *a, **k):  # type: ignore[no-untyped-def]
        if mode == "xb":
            return FullDisk(path, "x")
        return real_open(path, mode, *a, **k)

    monkeypatch.setattr(builtins, "open", fake_open)
    with pytest.raises(up.StorageFull) as ei:
        up.store(chunks(b"y" * 9000), TEXT, tmp_path)
    assert ei.value.status == 507
    monkeypatch.setattr(builtins, "open", real_open)
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.binary(max_size=4000))
def test_store_never_crashes_and_keeps_no_junk(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        try:
            s = up.store(chunks(data, 97), TEXT, Path(d))
        except up.UploadError as exc:
            assert exc.status in (413, 415, 422) and list(Path(d).iterdir()) == []
        else:
            assert s.path.read_bytes() == data
