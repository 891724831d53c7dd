"""Japanese affected-version text from JVN iPedia (VULDEF ``VersionNumber``) → version ranges.

JVN writes affected versions as free text, for example ``3.4.6 より前のバージョン`` (< 3.4.6),
``ファームウエア 2.20 およびそれ以前`` (<= 2.20), ``1.0.0 から 1.2.3 まで`` ([1.0.0, 1.2.3]),
``2.0 以降 2.5 未満`` ([2.0, 2.5)), ``8.0 系 8.0.12 より前`` ([8.0, 8.0.12)) or ``すべてのバージョン``.
Text is NFKC-normalised first, so full-width digits and tildes work. Text we cannot read yields no
range and ``parsed=False``: such items are reported, never silently treated as "all versions".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from .records import VersionRange

LT, LE, GE, GT, FROM, SERIES = "lt", "le", "ge", "gt", "from", "series"

_OPS: Final = [  # longest phrases first
    ("およびそれ以前", LE), ("及びそれ以前", LE), ("ならびにそれ以前", LE), ("とそれ以前", LE),
    ("およびそれ以降", GE), ("及びそれ以降", GE), ("とそれ以降", GE),
    ("より前", LT), ("未満", LT), ("より古い", LT),
    ("以前", LE), ("以下", LE), ("まで", LE),
    ("以降", GE), ("以上", GE),
    ("より後", GT), ("より新しい", GT), ("を超える", GT), ("超", GT),
    ("から", FROM), ("〜", FROM), ("~", FROM), ("系", SERIES),
    ("and earlier", LE), ("and prior", LE), ("or earlier", LE), ("and later", GE), ("or later", GE),
    ("prior to", LT), ("before", LT), ("earlier than", LT),
]
_OP_RE = "|".join(re.escape(p) for p, _ in _OPS)
_OP_MAP = dict(_OPS)
_VER = r"\d+(?:[._]\d+)*(?:[a-zA-Z]{1,3}\d*)?(?:[-_.](?:p|rc|beta|alpha|build|r|sp|update)\d*)?"
_TOKEN = re.compile(
    rf"(?:(?P<pre>prior to|before|earlier than)\s*)?"
    rf"(?:v(?:er(?:sion)?)?\.?\s*)?(?P<v>{_VER})"
    rf"\s*(?:の)?\s*(?:バージョン|版|ver\.?)?\s*(?P<op>{_OP_RE})?",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\n|、|,|;|/|および(?!それ)|及び(?!それ)|ならびに(?!それ)|\band\b(?! (?:earlier|prior|later))")
_ALL = re.compile(r"すべて|全て|全バージョン|all versions", re.IGNORECASE)


def _bump(v: str) -> str:
    """The first version after a series: 8.0 → 8.1 (used for ``8.0 系`` alone)."""
    nums = v.split(".")
    if nums[-1].isdigit():
        nums[-1] = str(int(nums[-1]) + 1)
        return ".".join(nums)
    return v + ".99999999"


def _clause(text: str) -> list[VersionRange]:
    toks: list[tuple[str, str | None]] = []
    for m in _TOKEN.finditer(text):
        op = _OP_MAP.get(m.group("op").lower()) if m.group("op") else None
        if m.group("pre"):
            op = LT
        toks.append((m.group("v"), op))
    if not toks:
        return []
    if all(op is None for _, op in toks):
        # Several bare numbers ("Windows 10 版 3.1"): the last one is the product version.
        return [VersionRange(exact=toks[-1][0])]
    toks = [t for t in toks if t[1] is not None] + ([toks[-1]] if toks[-1][1] is None else [])
    out: list[VersionRange] = []
    i = 0
    while i < len(toks):
        v, op = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if op in (FROM, GE, GT, SERIES) and nxt is not None and nxt[1] in (LT, LE, None):
            end_incl = nxt[1] != LT
            out.append(VersionRange(start=v, start_inclusive=op != GT, end=nxt[0], end_inclusive=end_incl))
            i += 2
            continue
        if op == LT:
            out.append(VersionRange(end=v, end_inclusive=False))
        elif op == LE:
            out.append(VersionRange(end=v, end_inclusive=True))
        elif op in (GE, FROM):
            out.append(VersionRange(start=v, start_inclusive=True))
        elif op == GT:
            out.append(VersionRange(start=v, start_inclusive=False))
        elif op == SERIES:
            out.append(VersionRange(start=v, start_inclusive=True, end=_bump(v), end_inclusive=False))
        else:
            out.append(VersionRange(exact=v))
        i += 1
    return out


def parse_version_text(text: str) -> tuple[VersionRange, ...]:
    """All ranges named in one ``VersionNumber`` text; empty when nothing could be read."""
    norm = unicodedata.normalize("NFKC", text).strip()
    if not norm:
        return ()
    if _ALL.search(norm) and not re.search(r"\d", norm):
        return (VersionRange(),)
    ranges: list[VersionRange] = []
    for clause in _SPLIT.split(norm):
        if clause.strip():
            ranges.extend(_clause(clause))
    return tuple(dict.fromkeys(ranges))
