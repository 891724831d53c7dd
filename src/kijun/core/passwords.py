"""Password rules beyond Django's: long passphrases welcome, absurd input capped, breached passwords refused."""

from __future__ import annotations

import hashlib
import mmap
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_PASSWORD_LENGTH = 256


class MaximumLengthValidator:
    """Reject passwords over 256 characters (hashing cost), while 64+ character passphrases pass."""

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValidationError(
                _("The password is too long (at most %(max)d characters).") % {"max": MAX_PASSWORD_LENGTH},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        return _("Your password can be up to %(max)d characters; long passphrases are welcome.") % {
            "max": MAX_PASSWORD_LENGTH
        }


class BreachedPasswordValidator:
    """Reject passwords found in an offline breach corpus (ASVS 6.2.12), searched without loading it.

    Django's CommonPasswordValidator knows 20,000 common passwords; real breach corpora are far larger
    (Have I Been Pwned's downloadable "Pwned Passwords" list holds about a billion SHA-1 hashes, ~35 GB).
    Agencies without Internet access can download that list once and point ``KIJUN_BREACHED_PASSWORDS_FILE``
    at it: lines ``SHA1HEX:COUNT`` sorted by hash (the "ordered by hash" edition). The file is memory-mapped
    and binary-searched, so each check reads a few pages — no load time, no memory, any size.
    Only the SHA-1 of the candidate is compared; the password never leaves the process.
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path

    def _file(self) -> str | None:
        if self.path:
            return self.path
        from django.conf import settings

        return getattr(settings, "BREACHED_PASSWORDS_FILE", None) or None

    def validate(self, password: str, user: Any = None) -> None:
        path = self._file()
        if not path:
            return
        digest = hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).hexdigest().upper().encode()
        if breached_count(path, digest) > 0:
            raise ValidationError(
                _("This password appears in a list of passwords exposed in data breaches; choose another."),
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return _("Passwords exposed in known data breaches are refused.")


def _line_at(mm: mmap.mmap, pos: int) -> tuple[bytes, int]:
    """The first complete line starting at or after ``pos`` and the offset just past it."""
    if pos > 0:
        nl = mm.find(b"\n", pos - 1)
        if nl < 0:
            return b"", len(mm)
        pos = nl + 1
    end = mm.find(b"\n", pos)
    if end < 0:
        end = len(mm)
    return mm[pos:end].strip(), end + 1


def breached_count(path: str, sha1_hex_upper: bytes) -> int:
    """How often the hash occurs in the sorted ``HASH:COUNT`` file (0 when absent). Binary search over mmap."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            return 0
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            lo, hi = 0, size
            while lo < hi:
                mid = (lo + hi) // 2
                line, _next = _line_at(mm, mid)
                key = line.split(b":", 1)[0].upper()
                if not line or key >= sha1_hex_upper:
                    hi = mid
                else:
                    lo = mid + 1
            line, _next = _line_at(mm, lo)
            key, _sep, count = line.partition(b":")
            if key.upper() != sha1_hex_upper:
                return 0
            try:
                return max(int(count or b"1"), 1)
            except ValueError:
                return 1
