"""ISMAP expiry warnings (cloud.expiry): thresholds, list overrides, delisting; pure."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kijun.cloud.expiry import Registration, thresholds, warnings_for
from kijun.cloud.ismap import IsmapEntry

TODAY = date(2025, 7, 1)


def _reg(key: str, days: int | None, number: str = "C99-0001-1") -> Registration:
    return Registration(key, f"svc {key}", number, None if days is None else TODAY + timedelta(days=days))


def test_thresholds_include_the_window_and_smaller_steps() -> None:
    assert thresholds(60) == (60, 30, 7, 0)
    assert thresholds(20) == (20, 7, 0)
    assert thresholds(0) == (0,)
    with pytest.raises(ValueError):
        warnings_for([], as_of=TODAY, warn_days=-1)


@pytest.mark.parametrize(("days", "stage", "threshold"), [
    (61, None, None), (60, "expiring", "60"), (45, "expiring", "60"), (30, "expiring", "30"),
    (8, "expiring", "30"), (7, "expiring", "7"), (1, "expiring", "7"), (0, "expiring", "0"),
    (-1, "expired", "expired"), (None, None, None)])
def test_stage_and_threshold_by_days_left(days: int | None, stage: str | None, threshold: str | None) -> None:
    out = warnings_for([_reg("e", days)], as_of=TODAY, warn_days=60)
    if stage is None:
        assert out == []
    else:
        (w,) = out
        assert (w.stage, w.threshold, w.days_left) == (stage, threshold, days)
        assert w.notice_key == f"cloud-ismap:e:{TODAY + timedelta(days=days or 0)}:{threshold}"


def test_the_imported_list_wins_and_a_missing_number_is_delisted() -> None:
    listing = {"C99-0001-1": IsmapEntry(registration_number="C99-0001-1", service_name="x",
                                        expires_on=TODAY + timedelta(days=400))}
    regs = [_reg("renewed", -5), _reg("gone", 300, "C99-0002-1"), _reg("no-number", 3, " ")]
    out = warnings_for(regs, as_of=TODAY, warn_days=60, listing=listing)
    assert [(w.key, w.stage, w.threshold) for w in out] == [("gone", "delisted", "delisted")]
    # without a list the register's own date counts
    assert [w.stage for w in warnings_for(regs, as_of=TODAY, warn_days=60)] == ["expired"]
