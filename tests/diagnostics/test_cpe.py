from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kijun.diagnostics.cpe import (
    ANY,
    NA,
    CpeError,
    Relation,
    compare_attr,
    make_cpe,
    name_relation,
    parse_cpe,
    parse_cpe22,
)


def test_parse_escapes_any_na() -> None:
    c = parse_cpe(r"cpe:2.3:a:apache:xerces-c\+\+:3.2.3:-:*:*:*:*:*:*")
    assert c.product == "xerces-c++"
    assert c.version == "3.2.3"
    assert c.update == NA
    assert c.get("edition") == ANY
    assert c.to_fs() == r"cpe:2.3:a:apache:xerces-c\+\+:3.2.3:-:*:*:*:*:*:*"


def test_escaped_colon_and_asterisk_are_literal() -> None:
    c = parse_cpe(r"cpe:2.3:a:vendor:prod\:uct:1\*:*:*:*:*:*:*:*")
    assert c.product == "prod:uct"
    assert c.version == "1*"
    assert not c.has_wildcards


@pytest.mark.parametrize("bad", [
    "cpe:2.3:a:v:p:1",  # too few
    "cpe:2.3:x:v:p:1:*:*:*:*:*:*:*",  # bad part
    "cpe:2.3:a:v:p*q:1:*:*:*:*:*:*:*",  # wildcard inside
    "cpe:2.2:a:v:p",
    "cpe:2.3:a:v:p:1:*:*:*:*:*:*:\\",
])
def test_parse_errors(bad: str) -> None:
    with pytest.raises(CpeError):
        parse_cpe(bad)


def test_wildcards_only_in_source() -> None:
    assert parse_cpe("cpe:2.3:a:v:prod*:1:*:*:*:*:*:*:*").has_wildcards
    with pytest.raises(CpeError):
        parse_cpe("cpe:2.3:a:v:prod*:1:*:*:*:*:*:*:*", allow_wildcards=False)


def test_cpe22_uri() -> None:
    c = parse_cpe22("cpe:/a:toyota:global_tech_stream")
    assert (c.part, c.vendor, c.product, c.version) == ("a", "toyota", "global_tech_stream", ANY)
    c = parse_cpe22("cpe:/a:vendor:prod:1.0:-:~ent~lts~win~x64~")
    assert c.update == NA and c.get("edition") == "ent" and c.get("sw_edition") == "lts"
    assert c.get("target_hw") == "x64"
    assert parse_cpe22("cpe:/a:ven%21dor:p").vendor == "ven!dor"


S, N = ANY, NA


@pytest.mark.parametrize(("src", "tgt", "rel"), [
    (S, S, Relation.EQUAL), (S, N, Relation.SUPERSET), (S, "x", Relation.SUPERSET),
    (N, S, Relation.SUBSET), (N, N, Relation.EQUAL), (N, "x", Relation.DISJOINT),
    ("x", S, Relation.SUBSET), ("x", N, Relation.DISJOINT), ("x", "x", Relation.EQUAL), ("x", "y", Relation.DISJOINT),
])
def test_table_6_2(src: str, tgt: str, rel: Relation) -> None:
    assert compare_attr(src, None, tgt, None) == rel


def test_wildcard_relations() -> None:
    src = parse_cpe("cpe:2.3:a:v:p:2.4.*:*:*:*:*:*:*:*")
    w = src.wild[3]
    assert compare_attr(src.version, w, "2.4.57", None) == Relation.SUPERSET
    assert compare_attr(src.version, w, "2.5", None) == Relation.DISJOINT
    assert compare_attr(src.version, w, ANY, None) == Relation.SUBSET
    assert compare_attr(src.version, w, NA, None) == Relation.DISJOINT
    q = parse_cpe("cpe:2.3:a:v:p:1.?:*:*:*:*:*:*:*")
    assert compare_attr(q.version, q.wild[3], "1.5", None) == Relation.SUPERSET
    assert compare_attr(q.version, q.wild[3], "1.55", None) == Relation.DISJOINT


def test_name_relations() -> None:
    crit = parse_cpe("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*")
    asset = parse_cpe("cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*")
    assert name_relation(crit, asset) == Relation.SUPERSET
    assert name_relation(asset, crit) == Relation.SUBSET
    assert name_relation(asset, asset) == Relation.EQUAL
    lts = parse_cpe("cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:lts:*:*:*")
    plain = parse_cpe("cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:*:*:*:*")
    assert name_relation(lts, plain) == Relation.SUBSET
    assert name_relation(parse_cpe("cpe:2.3:a:apache:http_server:-:*:*:*:*:*:*:*"),
                         parse_cpe("cpe:2.3:a:apache:http_server:2.4.57:*:*:*:*:*:*:*")) == Relation.DISJOINT


_val = st.one_of(st.just("*"), st.just("-"), st.text(alphabet="abcz019._-+:!~", min_size=1, max_size=6))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from("aoh"), st.lists(_val, min_size=10, max_size=10))
def test_roundtrip(part: str, vals: list[str]) -> None:
    c = make_cpe(part, *["x"] * 2)
    names = ("vendor", "product", "version", "update", "edition", "language", "sw_edition", "target_sw",
             "target_hw", "other")
    c = make_cpe(part, **dict(zip(names, vals, strict=True)))
    assert parse_cpe(c.to_fs()) == c


def test_against_cpe_library_oracle() -> None:
    """The LGPL `cpe` library (test-only oracle) agrees on superset relations for real-shaped pairs."""
    pytest.importorskip("cpe")
    from cpe.cpe2_3_fs import CPE2_3_FS  # type: ignore[import-not-found]
    from cpe.cpe2_3_wfn import CPE2_3_WFN  # type: ignore[import-not-found]
    from cpe.cpeset2_3 import CPESet2_3  # type: ignore[import-not-found]

    from kijun.diagnostics.cpe import is_superset_or_equal

    def wfn(fs: str) -> object:
        return CPE2_3_WFN(CPE2_3_FS(fs).as_wfn())

    pairs = [
        ("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", "cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*"),
        ("cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:lts:*:*:*", "cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:*:*:*:*"),
        ("cpe:2.3:a:apache:http_server:-:*:*:*:*:*:*:*", "cpe:2.3:a:apache:http_server:2.4.57:*:*:*:*:*:*:*"),
        ("cpe:2.3:h:linksys:e2000:-:*:*:*:*:*:*:*", "cpe:2.3:h:linksys:e2000:-:*:*:*:*:*:*:*"),
        ("cpe:2.3:a:openbsd:openssh:8.5:p1:*:*:*:*:*:*", "cpe:2.3:a:openbsd:openssh:8.5:p2:*:*:*:*:*:*"),
        ("cpe:2.3:a:microsoft:office*:16.0:*:*:*:*:*:*:*", "cpe:2.3:a:microsoft:office_2019:16.0:*:*:*:*:*:*:*"),
        ("cpe:2.3:a:apache:xerces-c\\+\\+:*:*:*:*:*:*:*:*", "cpe:2.3:a:apache:xerces-c\\+\\+:3.2.3:*:*:*:*:*:*:*"),
        ("cpe:2.3:a:v:p:2.4.*:*:*:*:*:*:*:*", "cpe:2.3:a:v:p:2.5.0:*:*:*:*:*:*:*"),
        ("cpe:2.3:a:v:p:1.?:*:*:*:*:*:*:*", "cpe:2.3:a:v:p:1.5:*:*:*:*:*:*:*"),
    ]
    for src, tgt in pairs:
        oracle = CPESet2_3.cpe_superset(wfn(src), wfn(tgt))
        assert is_superset_or_equal(parse_cpe(src), parse_cpe(tgt)) == bool(oracle), (src, tgt)
        assert is_superset_or_equal(parse_cpe(tgt), parse_cpe(src)) == bool(CPESet2_3.cpe_superset(wfn(tgt), wfn(src))), (tgt, src)
