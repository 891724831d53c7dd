"""CPE 2.3 names: formatted-string parsing and NISTIR 7696 attribute comparison.

Why our own parser: the `cpe` library is LGPL, slow (~7k parses/s) and only compares WFN objects
correctly. NVD matching needs a fast, exact implementation of the few rules that matter:

* ``*`` alone is ANY (logical value), ``-`` alone is NA ("not applicable");
* ``\\`` quotes the next character (``xerces-c\\+\\+``); a quoted ``\\*`` is a literal asterisk;
* unquoted ``*`` / ``?`` at the beginning or end of a *source* value are wildcards;
* each attribute compares to SUPERSET, SUBSET, EQUAL, DISJOINT or UNDEFINED, and a source name
  matches a target when every attribute is SUPERSET or EQUAL (NISTIR 7696 §6.2).

Values are stored unquoted and lower-cased; ANY and NA are sentinel strings that no real value
can equal (they contain a NUL character).
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Final

ANY: Final = "\x00ANY"
NA: Final = "\x00NA"

ATTRIBUTES: Final = (
    "part", "vendor", "product", "version", "update", "edition", "language",
    "sw_edition", "target_sw", "target_hw", "other",
)
N_ATTR: Final = len(ATTRIBUTES)
IDX = {name: i for i, name in enumerate(ATTRIBUTES)}


class CpeError(ValueError):
    """A CPE string that cannot be parsed."""


class Relation(Enum):
    SUPERSET = "superset"
    SUBSET = "subset"
    EQUAL = "equal"
    DISJOINT = "disjoint"
    UNDEFINED = "undefined"


@dataclass(frozen=True, slots=True)
class Cpe:
    """One CPE name as eleven unquoted, lower-cased attribute values (ANY / NA sentinels).

    ``wild`` holds a compiled pattern for each attribute that carries an unquoted wildcard;
    such names can only act as the *source* of a comparison.
    """

    values: tuple[str, ...]
    wild: tuple[re.Pattern[str] | None, ...] = field(default=(None,) * N_ATTR, compare=False)

    @property
    def part(self) -> str:
        return self.values[0]

    @property
    def vendor(self) -> str:
        return self.values[1]

    @property
    def product(self) -> str:
        return self.values[2]

    @property
    def version(self) -> str:
        return self.values[3]

    @property
    def update(self) -> str:
        return self.values[4]

    def get(self, name: str) -> str:
        return self.values[IDX[name]]

    @property
    def has_wildcards(self) -> bool:
        return any(w is not None for w in self.wild)

    def replace(self, **changes: str) -> Cpe:
        vals = list(self.values)
        wild = list(self.wild)
        for k, v in changes.items():
            vals[IDX[k]] = v
            wild[IDX[k]] = None
        return Cpe(tuple(vals), tuple(wild))

    def to_fs(self) -> str:
        """Bind to a CPE 2.3 formatted string (quoting special characters again)."""
        out = []
        for v, w in zip(self.values, self.wild, strict=True):
            if v == ANY:
                out.append("*")
            elif v == NA:
                out.append("-")
            elif w is not None:
                out.append(v)  # wildcard values are stored in their quoted source form
            else:
                out.append(_quote(v))
        return "cpe:2.3:" + ":".join(out)

    def __str__(self) -> str:
        return self.to_fs()


_SPECIAL = re.compile(r"([^A-Za-z0-9_.\-])")


def _quote(v: str) -> str:
    s = _SPECIAL.sub(r"\\\1", v)
    # A lone "-" must stay quoted so that it is not read back as NA.
    return "\\-" if s == "-" else s


def _split_fs(body: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i + 1 >= len(body):
                raise CpeError("dangling escape at end of CPE")
            cur.append(body[i : i + 2])
            i += 2
            continue
        if c == ":":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


_PLAIN = re.compile(r"[^\\*?]*")


def _parse_value(raw: str, allow_wild: bool) -> tuple[str, re.Pattern[str] | None]:
    if raw == "*" or raw == "":
        return ANY, None
    if raw == "-":
        return NA, None
    if _PLAIN.fullmatch(raw):  # fast path: no quoting, no wildcards
        return raw.lower(), None
    logical: list[str] = []
    regex: list[str] = []
    wild = False
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c == "\\":
            ch = raw[i + 1].lower()
            logical.append(ch)
            regex.append(re.escape(ch))
            i += 2
            continue
        if c in "*?":
            # NISTIR 7695: unquoted * may appear only at the start or end; ? runs likewise.
            at_edge = i == 0 or i == n - 1 or all(x == c for x in raw[i:]) or all(x == c for x in raw[: i + 1])
            if not at_edge:
                raise CpeError(f"unquoted {c!r} inside value {raw!r}")
            if not allow_wild:
                raise CpeError(f"wildcard in value {raw!r} is allowed only in a source (criteria) CPE")
            wild = True
            regex.append(".*" if c == "*" else ".")
            logical.append(c)
            i += 1
            continue
        logical.append(c.lower())
        regex.append(re.escape(c.lower()))
        i += 1
    if wild:
        return raw.lower(), re.compile("".join(regex), re.DOTALL)
    return "".join(logical), None


_NO_WILD: Final = (None,) * N_ATTR


def parse_cpe(fs: str, *, allow_wildcards: bool = True) -> Cpe:
    """Parse a CPE 2.3 formatted string (``cpe:2.3:...``) or a 2.2 URI (``cpe:/...``).

    Results are memoised (names are immutable and NVD repeats the same criteria strings often).
    """
    return _parse_cached(fs, allow_wildcards)


@lru_cache(maxsize=262144)
def _parse_cached(fs: str, allow_wildcards: bool) -> Cpe:
    if fs.startswith("cpe:/"):
        return parse_cpe22(fs)
    if not fs.startswith("cpe:2.3:"):
        raise CpeError(f"not a CPE 2.3 formatted string: {fs!r}")
    body = fs[8:]
    if "\\" not in body:  # fast path: no quoting; only lone "*" may carry an asterisk
        comps = body.split(":")
        if len(comps) == N_ATTR and not any(("*" in c or "?" in c) and c != "*" for c in comps):
            vals = tuple(ANY if c in ("*", "") else NA if c == "-" else c.lower() for c in comps)
            if vals[0] not in ("a", "o", "h", ANY):
                raise CpeError(f"CPE part must be a, o or h: {fs!r}")
            return Cpe(vals, _NO_WILD)
    comps = _split_fs(body)
    if len(comps) != N_ATTR:
        raise CpeError(f"CPE has {len(comps)} attributes, expected {N_ATTR}: {fs!r}")
    values: list[str] = []
    wild: list[re.Pattern[str] | None] = []
    for raw in comps:
        v, w = _parse_value(raw, allow_wildcards)
        values.append(v)
        wild.append(w)
    if values[0] not in ("a", "o", "h", ANY):
        raise CpeError(f"CPE part must be a, o or h: {fs!r}")
    return Cpe(tuple(values), tuple(wild))


def parse_cpe22(uri: str) -> Cpe:
    """Parse a CPE 2.2 URI such as ``cpe:/a:toyota:global_tech_stream`` (JVN uses these).

    Missing trailing components are ANY; ``-`` is NA; percent-encoding is decoded; a packed
    edition (``~edition~sw_edition~target_sw~target_hw~other``) is unpacked.
    """
    if not uri.startswith("cpe:/"):
        raise CpeError(f"not a CPE 2.2 URI: {uri!r}")
    comps = uri[5:].split(":")
    if len(comps) > 7:
        raise CpeError(f"too many components in CPE 2.2 URI: {uri!r}")
    comps += [""] * (7 - len(comps))

    def dec(s: str) -> str:
        if s == "":
            return ANY
        if s == "-":
            return NA
        return urllib.parse.unquote(s).lower()

    vals = [dec(c) for c in comps[:5]]
    edition = comps[5]
    extra = [ANY] * 4
    if edition.startswith("~"):
        packed = edition[1:].split("~") + [""] * 5
        vals.append(dec(packed[0]))
        extra = [dec(p) for p in packed[1:5]]
    else:
        vals.append(dec(edition))
    vals.append(dec(comps[6]))  # language
    vals.extend(extra)  # sw_edition, target_sw, target_hw, other
    if vals[0] not in ("a", "o", "h", ANY):
        raise CpeError(f"CPE part must be a, o or h: {uri!r}")
    return Cpe(tuple(vals))


def make_cpe(part: str, vendor: str, product: str, version: str = ANY, **rest: str) -> Cpe:
    """Build a target CPE from already-unquoted values ("" or "*" mean ANY, "-" means NA)."""
    vals = [ANY] * N_ATTR
    for name, v in (("part", part), ("vendor", vendor), ("product", product), ("version", version), *rest.items()):
        vals[IDX[name]] = ANY if v in ("", "*") else NA if v == "-" else (v if v in (ANY, NA) else v.lower())
    return Cpe(tuple(vals))


def compare_attr(src: str, src_wild: re.Pattern[str] | None, tgt: str, tgt_wild: re.Pattern[str] | None) -> Relation:
    """NISTIR 7696 Table 6-2 for one attribute (source vs target)."""
    if tgt_wild is not None:
        return Relation.UNDEFINED
    if src == ANY:
        return Relation.EQUAL if tgt == ANY else Relation.SUPERSET
    if src == NA:
        if tgt == ANY:
            return Relation.SUBSET
        return Relation.EQUAL if tgt == NA else Relation.DISJOINT
    # src is a value, possibly with wildcards
    if tgt == ANY:
        return Relation.SUBSET
    if tgt == NA:
        return Relation.DISJOINT
    if src_wild is not None:
        return Relation.SUPERSET if src_wild.fullmatch(tgt) else Relation.DISJOINT
    return Relation.EQUAL if src == tgt else Relation.DISJOINT


def compare(source: Cpe, target: Cpe) -> tuple[Relation, ...]:
    """Attribute-wise relations of ``source`` to ``target``."""
    return tuple(
        compare_attr(s, sw, t, tw)
        for s, sw, t, tw in zip(source.values, source.wild, target.values, target.wild, strict=True)
    )


_OK = (Relation.SUPERSET, Relation.EQUAL)


def is_superset_or_equal(source: Cpe, target: Cpe) -> bool:
    """True when ``source`` (e.g. an NVD criteria) names a set that contains ``target``."""
    for s, sw, t, tw in zip(source.values, source.wild, target.values, target.wild, strict=True):
        if compare_attr(s, sw, t, tw) not in _OK:
            return False
    return True


def name_relation(source: Cpe, target: Cpe) -> Relation:
    """Name-level relation (NISTIR 7696 §6.2): EQUAL, SUPERSET, SUBSET, DISJOINT or UNDEFINED."""
    rels = compare(source, target)
    if Relation.UNDEFINED in rels:
        return Relation.UNDEFINED
    if Relation.DISJOINT in rels:
        return Relation.DISJOINT
    if all(r == Relation.EQUAL for r in rels):
        return Relation.EQUAL
    if all(r in _OK for r in rels):
        return Relation.SUPERSET
    if all(r in (Relation.SUBSET, Relation.EQUAL) for r in rels):
        return Relation.SUBSET
    return Relation.UNDEFINED  # mixed SUPERSET/SUBSET: neither contains the other
