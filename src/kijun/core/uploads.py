"""Safe handling of uploaded files, reused by every feature that accepts files (ASVS 5.1–5.3).

- Size limits are checked against Content-Length before the body is read, and again while
  streaming, so an oversized upload never reaches the disk (413).
- Content is identified by magic bytes, not by the file name or the client's content type.
- Compressed input (gzip, zip) is expanded with a ratio and an absolute limit (bomb defence).
- Stored names are random; the user's file name is kept only as display metadata.
- A full disk (ENOSPC/EDQUOT) becomes :class:`StorageFull` (507) and leaves no partial file.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

CHUNK = 64 * 1024


class UploadError(Exception):
    status = 400
    code = "upload_error"


class UploadTooLarge(UploadError):
    status = 413
    code = "too_large"


class UploadRejected(UploadError):
    status = 415
    code = "unsupported_type"


class ArchiveBomb(UploadError):
    status = 422
    code = "archive_bomb"


class StorageFull(UploadError):
    status = 507
    code = "storage_full"


MAGIC: dict[str, tuple[bytes, ...]] = {
    "gzip": (b"\x1f\x8b",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),  # also XLSX/DOCX
    "xml": (b"<?xml", b"\xef\xbb\xbf<?xml"),
    "json": (b"{", b"[", b"\xef\xbb\xbf{", b"\xef\xbb\xbf["),
}


def sniff(head: bytes) -> str:
    """Best-effort type from the first bytes: gzip, zip, xml, json, text or binary."""
    for kind, sigs in MAGIC.items():
        if any(head.startswith(s) for s in sigs):
            return kind
    if head.lstrip()[:1] in (b"{", b"["):
        return "json"
    if b"\x00" in head[:4096]:
        return "binary"
    return "text"


@dataclass(frozen=True)
class UploadPolicy:
    """What one kind of upload may be (document it next to the feature that uses it)."""

    name: str
    max_bytes: int
    allowed_types: frozenset[str] = field(default_factory=lambda: frozenset({"text"}))
    max_unpacked_bytes: int = 512 * 1024 * 1024
    max_ratio: int = 100


@dataclass(frozen=True)
class StoredUpload:
    path: Path
    sha256: str
    size: int
    detected_type: str
    display_name: str


def check_declared_length(content_length: str | None, policy: UploadPolicy) -> None:
    """Refuse before reading when the client already tells us the body is too big."""
    if content_length and content_length.isdigit() and int(content_length) > policy.max_bytes:
        raise UploadTooLarge(f"{policy.name}: at most {policy.max_bytes} bytes")


def _is_disk_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def store(chunks: Iterable[bytes], policy: UploadPolicy, directory: Path, display_name: str = "") -> StoredUpload:
    """Stream ``chunks`` into ``directory`` under a random name, enforcing the policy.

    The file is written as ``.part`` and renamed only when complete and accepted, so readers
    never see a partial file and a failure leaves nothing behind.
    """
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / uuid.uuid4().hex
    part = final.with_suffix(".part")
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with open(part, "xb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > policy.max_bytes:
                    raise UploadTooLarge(f"{policy.name}: at most {policy.max_bytes} bytes")
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        kind = sniff(head)
        if kind not in policy.allowed_types:
            raise UploadRejected(f"{policy.name}: {kind} content is not accepted "
                                 f"(allowed: {', '.join(sorted(policy.allowed_types))})")
        if kind in ("gzip", "zip"):
            check_archive(part, kind, policy)
        os.replace(part, final)
    except OSError as exc:
        part.unlink(missing_ok=True)
        if _is_disk_full(exc):
            raise StorageFull("not enough disk space to store the upload") from exc
        raise
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    safe_display = "".join(c for c in os.path.basename(display_name) if c.isprintable())[:200]
    return StoredUpload(final, digest.hexdigest(), size, kind, safe_display)


def check_archive(path: Path, kind: str, policy: UploadPolicy) -> None:
    """Expand without storing: refuse when the output exceeds the ratio or the absolute limit."""
    compressed = max(path.stat().st_size, 1)
    limit = min(policy.max_unpacked_bytes, compressed * policy.max_ratio)
    total = 0
    if kind == "gzip":
        try:
            with gzip.open(path, "rb") as fh:
                for block in iter(lambda: fh.read(CHUNK), b""):
                    total += len(block)
                    if total > limit:
                        raise ArchiveBomb(f"{policy.name}: expands beyond {limit} bytes")
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise UploadRejected(f"{policy.name}: not a valid gzip file ({exc})") from exc
        return
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > limit:
                raise ArchiveBomb(f"{policy.name}: declared size exceeds {limit} bytes")
            for info in infos:
                with zf.open(info) as fh:
                    for block in iter(lambda: fh.read(CHUNK), b""):  # noqa: B023 - consumed at once
                        total += len(block)
                        if total > limit:
                            raise ArchiveBomb(f"{policy.name}: expands beyond {limit} bytes")
    except zipfile.BadZipFile as exc:
        raise UploadRejected(f"{policy.name}: not a valid zip file") from exc


def iter_file(fh: IO[bytes]) -> Iterator[bytes]:
    return iter(lambda: fh.read(CHUNK), b"")
