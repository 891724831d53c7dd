"""Comparing two imports of the ISMAP list, and expiry warnings.

Registrations come and go (new services, withdrawals, renewals that change the expiry);
an agency re-imports the list periodically and wants to see exactly what moved and which
services in use are about to lapse. Everything here takes ``as_of`` from the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from kijun.cloud.ismap import IsmapEntry, expiry_state

COMPARED_FIELDS = ("service_name", "provider_name", "registered_on", "expires_on", "liu", "service_model", "remarks")


class FieldChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    old: str | None
    new: str | None


class EntryChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    registration_number: str
    service_name: str
    changes: tuple[FieldChange, ...]


class IsmapDiff(BaseModel):
    model_config = ConfigDict(frozen=True)

    as_of: date | None
    added: tuple[IsmapEntry, ...]
    removed: tuple[IsmapEntry, ...]
    changed: tuple[EntryChange, ...]
    expired: tuple[IsmapEntry, ...]  # present in the new list but past expiry on as_of
    unchanged: int


class ExpiryWarning(BaseModel):
    model_config = ConfigDict(frozen=True)

    registration_number: str
    service_name: str
    expires_on: date
    days_left: int
    status: Literal["expired", "expiring"]


def _str(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def index(entries: Iterable[IsmapEntry]) -> dict[str, IsmapEntry]:
    return {e.registration_number: e for e in entries}


def diff_entries(old: Iterable[IsmapEntry], new: Iterable[IsmapEntry], as_of: date | None = None) -> IsmapDiff:
    """What changed from ``old`` to ``new``, keyed by registration number."""
    a, b = index(old), index(new)
    changed: list[EntryChange] = []
    unchanged = 0
    for number in sorted(a.keys() & b.keys()):
        diffs = tuple(
            FieldChange(field=f, old=_str(getattr(a[number], f)), new=_str(getattr(b[number], f)))
            for f in COMPARED_FIELDS if getattr(a[number], f) != getattr(b[number], f))
        if diffs:
            changed.append(EntryChange(registration_number=number, service_name=b[number].service_name,
                                       changes=diffs))
        else:
            unchanged += 1
    expired = tuple(b[n] for n in sorted(b) if as_of is not None and b[n].is_expired(as_of))
    return IsmapDiff(as_of=as_of,
                     added=tuple(b[n] for n in sorted(b.keys() - a.keys())),
                     removed=tuple(a[n] for n in sorted(a.keys() - b.keys())),
                     changed=tuple(changed), expired=expired, unchanged=unchanged)


def expiry_warnings(entries: Iterable[IsmapEntry], as_of: date, days: int) -> list[ExpiryWarning]:
    """Entries already expired or expiring within ``days`` of ``as_of``, soonest first."""
    out: list[ExpiryWarning] = []
    for e in entries:
        state, left = expiry_state(e.expires_on, as_of, days)
        if e.expires_on is not None and left is not None and state in ("expired", "expiring"):
            out.append(ExpiryWarning(registration_number=e.registration_number, service_name=e.service_name,
                                     expires_on=e.expires_on, days_left=left, status=state))
    return sorted(out, key=lambda w: (w.days_left, w.registration_number))


def lookup(entries: Mapping[str, IsmapEntry], number: str | None) -> IsmapEntry | None:
    if not number:
        return None
    return entries.get(number.strip().upper())
