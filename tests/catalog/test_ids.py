"""The id grammar: kinds, parents, ordering, OSCAL-safe rewriting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kijun.catalog.ids import ROMANS, IdError, NodeKind, chapter_of, kind_of, parent_of, slugify, sort_key
from kijun.catalog.oscal import oscal_id


@pytest.mark.parametrize(
    ("node_id", "kind", "parent"),
    [
        ("4", NodeKind.CHAPTER, None),
        ("4.2", NodeKind.SECTION, "4"),
        ("4.2.1", NodeKind.ITEM, "4.2"),
        ("4.2.1(2)", NodeKind.GROUP, "4.2.1"),
        ("4.2.1(2)(c)", NodeKind.REQUIREMENT, "4.2.1(2)"),
        ("4.2.1(1)(a)(iii)", NodeKind.SUBITEM, "4.2.1(1)(a)"),
        ("8.1.1(10)(a)", NodeKind.REQUIREMENT, "8.1.1(10)"),
        ("1.1(2)", NodeKind.GROUP, "1.1"),
        ("1.1(2)(b)(i)", NodeKind.SUBITEM, "1.1(2)(b)"),
        ("1.3:cloud-services", NodeKind.DEFINITION, "1.3"),
        ("1.2(1):confidentiality-class-3", NodeKind.DEFINITION, "1.2(1)"),
    ],
)
def test_kind_and_parent(node_id: str, kind: NodeKind, parent: str | None) -> None:
    assert kind_of(node_id) is kind
    assert parent_of(node_id) == parent


@pytest.mark.parametrize("bad", ["", "0", "4.", "4.2.1.3", "4.2.1(a)", "4.2.1(2)(C)", "4.2.1(2)(c)(q)",
                                 "4.2.1 (2)", "1.3:", "1.3:Cloud", "4.2.1(2)(c)(iii)(a)", "４.２"])
def test_bad_syntax_names_the_id(bad: str) -> None:
    with pytest.raises(IdError, match="bad id syntax"):
        kind_of(bad)


def test_document_order_is_numeric_and_roman() -> None:
    ids = ["4.2.1(10)", "4.2.1(2)(a)(x)", "4.2.1(2)(a)(iv)", "4.2.1(2)", "4.2.1(2)(a)", "4.2.1",
           "4.10", "4.2", "4.2.1(2)(b)", "4.2.1(2)(a)(ix)"]
    assert sorted(ids, key=sort_key) == [
        "4.2", "4.2.1", "4.2.1(2)", "4.2.1(2)(a)", "4.2.1(2)(a)(iv)", "4.2.1(2)(a)(ix)", "4.2.1(2)(a)(x)",
        "4.2.1(2)(b)", "4.2.1(10)", "4.10",
    ]


def test_slug_and_chapter() -> None:
    assert slugify("Government agency’s own standards") == "government-agencys-own-standards"
    assert slugify("Equipment, etc.") == "equipment-etc"
    assert chapter_of("1.3:csirt") == "1"
    assert chapter_of("7.3.1(2)(a)") == "7"


_num = st.integers(min_value=1, max_value=12)
_ids = st.builds(
    lambda c, s, i, g, letter, r, depth: [
        f"{c}", f"{c}.{s}", f"{c}.{s}.{i}", f"{c}.{s}.{i}({g})", f"{c}.{s}.{i}({g})({letter})",
        f"{c}.{s}.{i}({g})({letter})({r})",
    ][depth],
    st.integers(1, 8), _num, _num, _num, st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
    st.sampled_from(ROMANS), st.integers(0, 5),
)


@settings(max_examples=300, deadline=None)
@given(_ids, _ids)
def test_oscal_ids_are_tokens_and_injective(a: str, b: str) -> None:
    import re

    for x in (a, b):
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", oscal_id(x)), oscal_id(x)
        assert parent_of(x) is None or sort_key(parent_of(x) or "") < sort_key(x)
    assert (oscal_id(a) == oscal_id(b)) == (a == b)
