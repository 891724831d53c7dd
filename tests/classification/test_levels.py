from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from kijun.classification import Classification, derive_flags, highest
from kijun.classification.levels import LEVELS, Confidentiality


@pytest.mark.parametrize(
    ("c", "i", "a", "expected"),
    [
        (1, 1, 1, (False, False, False, False)),
        (2, 1, 1, (True, False, False, True)),
        (3, 1, 1, (True, False, False, True)),
        (1, 2, 1, (False, True, False, True)),
        (1, 1, 2, (False, False, True, True)),
        (3, 2, 2, (True, True, True, True)),
    ],
)
def test_flags_follow_the_definitions(c: int, i: int, a: int, expected: tuple[bool, ...]) -> None:
    f = derive_flags(c, i, a)
    assert (f.confidential, f.integrity_critical, f.availability_critical, f.protected) == expected


@pytest.mark.parametrize(("c", "i", "a"), [(0, 1, 1), (4, 1, 1), (1, 3, 1), (1, 1, 0)])
def test_out_of_range_levels_are_rejected(c: int, i: int, a: int) -> None:
    with pytest.raises(ValueError):
        derive_flags(c, i, a)
    with pytest.raises(ValidationError):
        Classification.model_validate({"confidentiality": c, "integrity": i, "availability": a})


def test_flags_are_computed_not_stored() -> None:
    cls = Classification.model_validate({"confidentiality": 2, "integrity": 1, "availability": 2})
    dumped = cls.model_dump()
    assert "confidential" not in dumped and "protected" not in dumped
    assert cls.flags.labels_ja() == ["要機密情報", "要安定情報", "要保護情報"]
    assert cls.short == "C2/I1/A2"


def test_restrictions_are_normalised_sorted_unique() -> None:
    cls = Classification.model_validate({"confidentiality": 2, "integrity": 1, "availability": 1,
                                         "handling_restrictions": ["no_copy", "encryption_required", "no_copy"]})
    assert cls.handling_restrictions == ("encryption_required", "no_copy")


def test_level_table_covers_every_level() -> None:
    pairs = {(lv.aspect, lv.level) for lv in LEVELS}
    assert pairs == {("confidentiality", 1), ("confidentiality", 2), ("confidentiality", 3),
                     ("integrity", 1), ("integrity", 2), ("availability", 1), ("availability", 2)}


levels = st.builds(
    lambda c, i, a, r: Classification.model_validate(
        {"confidentiality": c, "integrity": i, "availability": a, "handling_restrictions": r}),
    st.integers(1, 3), st.integers(1, 2), st.integers(1, 2),
    st.lists(st.sampled_from(["no_copy", "no_removal", "encryption_required"]), max_size=3),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(levels, min_size=1, max_size=6))
def test_highest_is_an_upper_bound_and_attained(rows: list[Classification]) -> None:
    top = highest(rows)
    assert all(top.confidentiality >= r.confidentiality for r in rows)
    assert top.confidentiality in {r.confidentiality for r in rows}
    assert top.integrity == max(r.integrity for r in rows)
    assert set(top.handling_restrictions) == {x for r in rows for x in r.handling_restrictions}
    # a flag of any row is a flag of the high-water mark
    assert top.flags.protected == any(r.flags.protected for r in rows)


def test_highest_needs_input() -> None:
    with pytest.raises(ValueError):
        highest([])
    assert Confidentiality.C3 > Confidentiality.C2
