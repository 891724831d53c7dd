"""The administrator's log directory: list it and resolve a user's choice without leaving it.

Proxy logs are often already on the server (a syslog or NFS drop). An administrator names one
directory (``KIJUN_DISCOVERY_LOG_DIR``); people allowed to run scans pick files from it instead of
uploading gigabytes through the browser. Every name coming back from a browser is untrusted:
``resolve`` accepts only a relative path whose *real* path (symlinks followed) is a regular file
inside the real directory, so ``..``, absolute paths, NUL bytes and symlinks pointing outside
are all refused. Listing shows only what ``resolve`` would accept.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

MAX_DEPTH = 4
MAX_ENTRIES = 5000


class LogDirError(ValueError):
    """A file name that is not a readable file inside the log directory."""


@dataclass(frozen=True)
class LogFile:
    path: str
    """Relative to the directory, with ``/`` separators (what the form posts back)."""
    size: int
    modified: datetime
    mtime_ns: int

    @property
    def fingerprint(self) -> str:
        return f"file:{self.path}:{self.size}:{self.mtime_ns}"


def _root(directory: str | os.PathLike[str]) -> Path:
    root = Path(directory).resolve()
    if not root.is_dir():
        raise LogDirError(f"the log directory {directory} does not exist")
    return root


def _entry(root: Path, real: Path, rel: str) -> LogFile | None:
    try:
        if not real.is_relative_to(root):
            return None
        st = real.stat()
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode) or not os.access(real, os.R_OK):
        return None
    return LogFile(rel, st.st_size, datetime.fromtimestamp(st.st_mtime, UTC), st.st_mtime_ns)


def list_files(directory: str | os.PathLike[str]) -> list[LogFile]:
    """Readable regular files below ``directory`` (hidden names skipped, at most ``MAX_DEPTH`` levels
    and ``MAX_ENTRIES`` files), newest first. Symlinks are listed only when they stay inside."""
    root = _root(directory)
    out: list[LogFile] = []
    stack: list[tuple[Path, str, int]] = [(root, "", 0)]
    while stack and len(out) < MAX_ENTRIES:
        here, prefix, depth = stack.pop()
        try:
            names = sorted(os.listdir(here))
        except OSError:
            continue
        for name in names:
            if name.startswith("."):
                continue
            rel = f"{prefix}{name}"
            full = here / name
            try:
                real = full.resolve(strict=True)
            except (OSError, RuntimeError):
                continue
            if not real.is_relative_to(root):
                continue
            if real.is_dir():
                if depth + 1 < MAX_DEPTH and not full.is_symlink():
                    stack.append((full, rel + "/", depth + 1))
                continue
            entry = _entry(root, real, rel)
            if entry is not None:
                out.append(entry)
                if len(out) >= MAX_ENTRIES:
                    break
    out.sort(key=lambda f: (-f.mtime_ns, f.path))
    return out


def resolve(directory: str | os.PathLike[str], name: str) -> tuple[Path, LogFile]:
    """The real path and listing entry of ``name`` (relative, as listed); ``LogDirError`` otherwise."""
    root = _root(directory)
    if not name or "\x00" in name or "\\" in name or len(name) > 1000:
        raise LogDirError(f"not a file of the log directory: {name[:100]!r}")
    rel = PurePosixPath(name)
    if rel.is_absolute() or any(part in ("..", ".", "") for part in rel.parts) or any(
        part.startswith(".") for part in rel.parts
    ):
        raise LogDirError(f"not a file of the log directory: {name[:100]!r}")
    try:
        real = (root / Path(*rel.parts)).resolve(strict=True)
    except (OSError, RuntimeError):
        raise LogDirError(f"no such file in the log directory: {name[:100]!r}") from None
    entry = _entry(root, real, str(rel))
    if entry is None:
        raise LogDirError(f"not a readable file inside the log directory: {name[:100]!r}")
    return real, entry
