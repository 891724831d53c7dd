"""Which register entries need an ISMAP-expiry warning today, and at which threshold.

Why thresholds: one warning when a registration first comes within the window, another
nearer the date and one when it has lapsed — each sent once (the caller keys notices by
entry, expiry date and threshold), so people are reminded without being flooded. A renewed
registration has a new expiry date and so starts afresh. The imported ISMAP list is more
current than the register, so its expiry date wins when the number is on it; a number that
has dropped off the list is reported as ``delisted`` (R7 4.2.1(2)(c) relies on the listing).
Pure: the date and the list are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from kijun.cloud.ismap import IsmapEntry, expiry_state

Stage = Literal["expiring", "expired", "delisted"]
DEFAULT_STEPS: tuple[int, ...] = (30, 7, 0)


@dataclass(frozen=True, slots=True)
class Registration:
    """What the register says about one approved service's ISMAP registration."""

    key: str  # stable id of the register entry
    service_name: str
    registration_number: str
    expires_on: date | None


@dataclass(frozen=True, slots=True)
class ExpiryWarning:
    key: str
    service_name: str
    registration_number: str
    expires_on: date | None
    days_left: int | None
    stage: Stage
    threshold: str  # "60", "30", "7", "0", "expired" or "delisted": part of the notice key

    @property
    def notice_key(self) -> str:
        return f"cloud-ismap:{self.key}:{self.expires_on or '-'}:{self.threshold}"


def thresholds(warn_days: int, steps: Iterable[int] = DEFAULT_STEPS) -> tuple[int, ...]:
    """The window itself and the smaller reminder steps inside it, largest first."""
    return tuple(sorted({warn_days, *(s for s in steps if 0 <= s < warn_days)}, reverse=True))


def warnings_for(registrations: Iterable[Registration], *, as_of: date, warn_days: int,
                 listing: Mapping[str, IsmapEntry] | None = None,
                 steps: Iterable[int] = DEFAULT_STEPS) -> list[ExpiryWarning]:
    """Warnings due on ``as_of``: each at the smallest threshold the days left fall under."""
    if warn_days < 0:
        raise ValueError("warn_days must be 0 or more")
    marks = thresholds(warn_days, steps)
    out: list[ExpiryWarning] = []
    for reg in registrations:
        number = reg.registration_number.strip().upper()
        if not number:
            continue
        expires = reg.expires_on
        if listing is not None:
            listed = listing.get(number)
            if listed is None:
                out.append(ExpiryWarning(reg.key, reg.service_name, number, expires, None, "delisted", "delisted"))
                continue
            expires = listed.expires_on or expires
        state, left = expiry_state(expires, as_of, warn_days)
        if state == "expired":
            out.append(ExpiryWarning(reg.key, reg.service_name, number, expires, left, "expired", "expired"))
        elif state == "expiring" and left is not None:
            mark = min(m for m in marks if left <= m)
            out.append(ExpiryWarning(reg.key, reg.service_name, number, expires, left, "expiring", str(mark)))
    return sorted(out, key=lambda w: (w.days_left if w.days_left is not None else -10**6, w.key))
