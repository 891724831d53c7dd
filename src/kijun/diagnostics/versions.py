"""Version ordering per kind: deb, rpm, semver, PEP 440 and a careful generic vendor scheme.

Every comparator is expressed as a *sort key* (a tuple) so that ordering is a plain tuple
comparison: fast (done in C), and a total preorder by construction (antisymmetry and transitivity
hold on keys). Keys of different schemes must never be compared with each other.

The generic vendor scheme exists because NVD ranges use vendor versions and semver coercion gets
them wrong (univers' ``generic``): ``9.8p1`` is a *post* release of 9.8 (OpenSSH portable),
``1.0.2zf`` comes after ``1.0.2z`` and ``1.0.2`` (OpenSSL letter releases), ``2.8.123e`` after
``2.8.123`` (Dependency-Track #2803), and ``10.0.19045.3570`` keeps its fourth part.
See :func:`generic_key` for the exact rules.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache
from typing import Any

try:  # packaging is optional; without it PEP 440 versions fall back to the generic scheme
    from packaging.version import InvalidVersion as _InvalidVersion
    from packaging.version import Version as _PepVersion
except ImportError:  # pragma: no cover - packaging is installed in the dev environment
    _PepVersion = None  # type: ignore[assignment,misc]
    _InvalidVersion = ValueError  # type: ignore[assignment,misc]

VersionKey = tuple[Any, ...]


class Scheme(StrEnum):
    DEB = "deb"
    RPM = "rpm"
    SEMVER = "semver"
    PYPI = "pypi"
    GENERIC = "generic"


# ---------------------------------------------------------------- generic vendor versions
# Segment = (rank, text, number). Ranks decide what happens where two versions differ:
#   pre-release word < end of version < post-release word/letter < number
_PRE, _END, _POST, _NUM = 0, 1, 2, 3
_END_SEG: tuple[int, str, int] = (_END, "", 0)

# Pre-release words (with a number or alone) sort before the release. The digit prefix orders
# them among themselves: dev < alpha < beta < milestone < preview < rc.
_PRE_WORDS = {
    "dev": "0dev", "snapshot": "0dev", "nightly": "0dev",
    "alpha": "1a", "a": "1a",
    "beta": "2b", "b": "2b",
    "m": "3m", "milestone": "3m",
    "pre": "4pre", "preview": "4pre", "ea": "4pre",
    "rc": "5rc", "c": "5rc", "cr": "5rc",
}
# Single letters that are pre-release words only when a number follows ("1.0b2"); alone they are
# OpenSSL-style letter releases ("1.0.1b" comes after "1.0.1").
_LETTER_ONLY_WITH_NUMBER = {"a", "b", "c", "m"}
# Post-release / update words: "9.8p1", "5.0u1", "2019sp2", "1.2.3-patch4", "-r3", "build 7".
_POST_WORDS = {
    "p": "p", "pl": "p", "patch": "p", "post": "p",
    "u": "u", "update": "u", "upd": "u",
    "sp": "sp", "servicepack": "sp",
    "r": "r", "rev": "r", "revision": "r",
    "build": "build", "hotfix": "hotfix", "hf": "hotfix", "fix": "hotfix",
}
# Words that mean "the release itself" and are ignored.
_NEUTRAL_WORDS = {"final", "ga", "release", "stable", "lts", "v", "ver", "version"}

_TOKEN = re.compile(r"\d+|[a-z]+")


def _strip_zero_runs(segs: list[tuple[int, str, int]]) -> list[tuple[int, str, int]]:
    """Drop zeros at the end of each run of numbers: 1.0 == 1.0.0, 1.0rc1 == 1.0.0rc1."""
    out: list[tuple[int, str, int]] = []
    run: list[tuple[int, str, int]] = []
    for s in segs:
        if s[0] == _NUM:
            run.append(s)
            continue
        while len(run) > 1 and run[-1][2] == 0:
            run.pop()
        out.extend(run)
        run = []
        out.append(s)
    while len(run) > 1 and run[-1][2] == 0:
        run.pop()
    out.extend(run)
    return out


@lru_cache(maxsize=65536)
def generic_key(version: str) -> VersionKey:
    """Sort key for vendor versions as NVD uses them.

    Rules: case-insensitive; separators (``.-_+ ~``) only split; numbers compare numerically and
    any number of parts is kept; trailing zero parts are insignificant; ``alpha/beta/rc/pre/dev``
    (and ``a1``, ``b2``, ``c1``) are pre-releases; ``p1``, ``u2``, ``sp1``, ``patch``, ``r3``,
    ``build`` are post-releases; bare letters after a number (``1.0.2zf``, ``2.8.123e``) are
    letter releases after the number; at one position: pre < end < post/letter < number, so
    ``9.8 < 9.8p1 < 9.8.1`` and ``1.0rc1 < 1.0``. Dates such as ``2023.01`` or ``20231015`` are
    numbers and order naturally.
    """
    toks = _TOKEN.findall(version.lower())
    segs: list[tuple[int, str, int]] = []
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        if t.isdigit():
            segs.append((_NUM, "", int(t)))
            i += 1
            continue
        nxt_num = i + 1 < n and toks[i + 1].isdigit()
        if t in _NEUTRAL_WORDS:
            i += 1
            continue
        if t in _PRE_WORDS and (nxt_num or t not in _LETTER_ONLY_WITH_NUMBER):
            num = int(toks[i + 1]) if nxt_num else 0
            segs.append((_PRE, _PRE_WORDS[t], num))
            i += 2 if nxt_num else 1
            continue
        if t in _POST_WORDS:
            num = int(toks[i + 1]) if nxt_num else 0
            segs.append((_POST, _POST_WORDS[t], num))
            i += 2 if nxt_num else 1
            continue
        segs.append((_POST, t, 0))  # letter release / unknown qualifier: after the bare number
        i += 1
    return (*_strip_zero_runs(segs), _END_SEG)


# ---------------------------------------------------------------- Debian (dpkg verrevcmp)
def _deb_char(c: str) -> int:
    if c == "~":
        return -1
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


_DEB_SPLIT = re.compile(r"(\d+)")
_DEB_END: tuple[tuple[int, ...], int] = ((0,), 0)


def _deb_part(s: str) -> tuple[tuple[tuple[int, ...], int], ...]:
    pieces = _DEB_SPLIT.split(s)  # non-digit, digit, non-digit, digit, ..., non-digit
    pairs: list[tuple[tuple[int, ...], int]] = []
    for j in range(0, len(pieces), 2):
        nd = (*(_deb_char(c) for c in pieces[j]), 0)
        num = int(pieces[j + 1]) if j + 1 < len(pieces) else 0
        pairs.append((nd, num))
    while pairs and pairs[-1] == _DEB_END:
        pairs.pop()
    return (*pairs, _DEB_END)


@lru_cache(maxsize=65536)
def deb_key(version: str) -> VersionKey:
    """dpkg ordering: epoch, then upstream and revision with ``~`` before everything (even end)."""
    v = version.strip()
    epoch = 0
    if ":" in v:
        e, v = v.split(":", 1)
        epoch = int(e) if e.isdigit() else 0
    upstream, sep, revision = v.rpartition("-")
    if not sep:
        upstream, revision = v, ""
    return (epoch, _deb_part(upstream), _deb_part(revision))


# ---------------------------------------------------------------- RPM (rpmvercmp, EVR)
# At one position: ~ < end < ^ < alpha < number (rpm >= 4.15 semantics for ^).
_RPM_TOKEN = re.compile(r"~|\^|\d+|[A-Za-z]+")
_RPM_END = (1, 0, "")


def _rpm_part(s: str) -> tuple[tuple[int, int, str], ...]:
    segs: list[tuple[int, int, str]] = []
    for t in _RPM_TOKEN.findall(s):
        if t == "~":
            segs.append((0, 0, ""))
        elif t == "^":
            segs.append((2, 0, ""))
        elif t.isdigit():
            segs.append((4, int(t), ""))
        else:
            segs.append((3, 0, t))
    return (*segs, _RPM_END)


@lru_cache(maxsize=65536)
def rpm_key(evr: str) -> VersionKey:
    """rpm ordering of ``[epoch:]version[-release]``; a missing epoch is 0, a missing release is
    empty (sorts first)."""
    v = evr.strip()
    epoch = 0
    if ":" in v:
        e, v = v.split(":", 1)
        epoch = int(e) if e.isdigit() else 0
    version, sep, release = v.rpartition("-")
    if not sep:
        version, release = v, ""
    return (epoch, _rpm_part(version), _rpm_part(release))


# ---------------------------------------------------------------- SemVer 2.0
_SEMVER = re.compile(
    r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


@lru_cache(maxsize=65536)
def semver_key(version: str) -> VersionKey:
    """SemVer 2.0 precedence (build metadata ignored; missing minor/patch are 0).

    Strings that are not semver fall back to the generic key and sort before every valid semver.
    """
    m = _SEMVER.match(version.strip())
    if not m:
        return (0, generic_key(version))
    major, minor, patch, pre = m.groups()
    core = (int(major), int(minor or 0), int(patch or 0))
    if pre is None:
        return (1, core, (1,))
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (1, core, (0, ids))


# ---------------------------------------------------------------- PEP 440
@lru_cache(maxsize=65536)
def pypi_key(version: str) -> VersionKey:
    """PEP 440 ordering via ``packaging``; invalid versions sort before all valid ones."""
    if _PepVersion is not None:
        try:
            return (1, _PepVersion(version))
        except _InvalidVersion:
            pass
    return (0, generic_key(version))


_KEYS = {
    Scheme.DEB: deb_key,
    Scheme.RPM: rpm_key,
    Scheme.SEMVER: semver_key,
    Scheme.PYPI: pypi_key,
    Scheme.GENERIC: generic_key,
}


def version_key(scheme: Scheme | str, version: str) -> VersionKey:
    """The sort key of ``version`` under ``scheme``."""
    return _KEYS[Scheme(scheme)](version)


def compare_versions(scheme: Scheme | str, a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` is older than, equal to or newer than ``b``."""
    ka = version_key(scheme, a)
    kb = version_key(scheme, b)
    return (ka > kb) - (ka < kb)


_ECOSYSTEM_SCHEME = {
    "debian": Scheme.DEB, "ubuntu": Scheme.DEB,
    "red hat": Scheme.RPM, "redhat": Scheme.RPM, "almalinux": Scheme.RPM, "rocky linux": Scheme.RPM,
    "opensuse": Scheme.RPM, "suse": Scheme.RPM, "mageia": Scheme.RPM, "openeuler": Scheme.RPM,
    "pypi": Scheme.PYPI, "npm": Scheme.SEMVER, "crates.io": Scheme.SEMVER, "go": Scheme.SEMVER,
}


def scheme_for_ecosystem(ecosystem: str) -> Scheme:
    """The ordering of an OSV ecosystem (``Debian:12`` → deb); unknown ones are generic."""
    base = ecosystem.split(":", 1)[0].strip().lower()
    return _ECOSYSTEM_SCHEME.get(base, Scheme.GENERIC)
