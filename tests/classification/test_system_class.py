from __future__ import annotations

from typing import Any

import pytest

from kijun.classification.system_class import (
    SystemClassError,
    SystemProfile,
    classify_system,
    load_standard,
    standard_from_data,
)


def _profile(*levels: tuple[int, int, int], **kw: Any) -> SystemProfile:
    info = [{"confidentiality": c, "integrity": i, "availability": a} for c, i, a in levels]
    return SystemProfile.model_validate({"information": info, **kw})


@pytest.mark.parametrize(
    ("levels", "kw", "expected"),
    [
        ([(1, 1, 1)], {}, "C"),
        ([(1, 1, 1), (2, 1, 1)], {}, "B"),
        ([(1, 2, 1)], {}, "B"),
        ([(1, 1, 1)], {"business_impact": "medium"}, "B"),
        ([(3, 1, 1)], {}, "A"),
        ([(1, 1, 1)], {"business_impact": "high"}, "A"),
        ([(2, 2, 2)], {"citizen_facing": True}, "A"),
        ([(2, 2, 2)], {"citizen_facing": False}, "B"),
    ],
)
def test_default_standard(levels: list[tuple[int, int, int]], kw: dict[str, Any], expected: str) -> None:
    result = classify_system(load_standard(), _profile(*levels, **kw))
    assert result.class_id == expected
    assert "5.1.1(1)(a)" in result.cites


def test_high_water_mark_is_reported() -> None:
    result = classify_system(load_standard(), _profile((2, 1, 1), (1, 2, 1)))
    assert result.highest.short == "C2/I2/A1"
    assert result.matched == "confidentiality_at_least=2"


def test_agency_standard_with_other_classes() -> None:
    std = standard_from_data({"version": 1, "classes": [
        {"id": "重要", "name_ja": "重要", "name_en": "Critical", "any_of": [{"internet_facing": True}]},
        {"id": "一般", "name_ja": "一般", "name_en": "General", "default": True}]})
    assert classify_system(std, _profile((1, 1, 1), internet_facing=True)).class_id == "重要"
    fallback = classify_system(std, _profile((3, 2, 2)))
    assert (fallback.class_id, fallback.matched) == ("一般", "default")


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        ([], "at least one"),
        ([{"id": "X", "name_ja": "x", "name_en": "x", "any_of": [{"internet_facing": True}]}], "default"),
        ([{"id": "X", "name_ja": "x", "name_en": "x"}, {"id": "Y", "name_ja": "y", "name_en": "y", "default": True}],
         "no criteria"),
        ([{"id": "X", "name_ja": "x", "name_en": "x", "default": True},
          {"id": "X", "name_ja": "x", "name_en": "x", "default": True}], "unique"),
        ([{"id": "X", "name_ja": "x", "name_en": "x", "default": True, "any_of": [{"confidentiality_at_least": 5}]}],
         "less than or equal"),
    ],
)
def test_invalid_standards(classes: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(SystemClassError, match=message):
        standard_from_data({"version": 1, "classes": classes}, "agency.yaml")
