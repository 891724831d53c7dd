"""Writing the audit log: every change and decision goes through :func:`record`.

Call it inside the same transaction as the change, so a change is never stored without its
audit entry. Appends lock the single ``AuditHead`` row, so concurrent writers (web workers, CLI
jobs) serialise and the chain never forks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from . import auditchain
from .models import AuditEntry, AuditHead, User


def client_ip(request: HttpRequest | None) -> str:
    """The peer address (REMOTE_ADDR; set it from the proxy in the proxy's config, not here)."""
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """JSON-safe dict of selected fields (FKs as ids) for before/after records."""
    out: dict[str, Any] = {}
    for name in fields:
        f = obj._meta.get_field(name)
        attr = f.attname if isinstance(f, models.ForeignKey) else name
        out[name] = _jsonable(getattr(obj, attr))
    return out


def stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def payload_of(entry: AuditEntry) -> dict[str, Any]:
    """The hashed fields of a stored entry, as the chain module expects them."""
    return {
        "seq": entry.seq, "at": stamp(entry.at), "actor": entry.actor, "actor_id": entry.actor_id,
        "source_ip": entry.source_ip, "action": entry.action, "object_type": entry.object_type,
        "object_id": entry.object_id, "object_repr": entry.object_repr, "outcome": entry.outcome,
        "before": entry.before, "after": entry.after,
    }


def locked_head() -> AuditHead:
    """Lock the head row; recreate it from the last stored entry if it is missing (e.g. after a flush)."""
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = AuditEntry.objects.order_by("-seq").first()
        AuditHead.objects.get_or_create(pk=1, defaults={
            "seq": last.seq if last else 0, "last_hash": last.entry_hash if last else auditchain.GENESIS_HASH})
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


def record(
    action: str,
    object_type: str,
    object_id: Any = "",
    object_repr: str = "",
    *,
    actor: User | None = None,
    request: HttpRequest | None = None,
    actor_label: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: str = "success",
    source_ip: str | None = None,
) -> AuditEntry:
    """Append one hash-chained entry and return it."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user  # type: ignore[assignment]
    label = actor_label or (actor.username if actor is not None else "system")
    with transaction.atomic():
        head = locked_head()
        # Microsecond precision survives both SQLite and PostgreSQL, so hashes recompute identically.
        at = timezone.now()
        entry = AuditEntry(
            seq=head.seq + 1, at=at, actor=label[:150], actor_id=actor.pk if actor is not None else None,
            source_ip=(source_ip if source_ip is not None else client_ip(request))[:64], action=action[:64],
            object_type=object_type[:64], object_id=str(object_id)[:64], object_repr=str(object_repr)[:300],
            outcome=outcome[:16], before=_jsonable(before), after=_jsonable(after), prev_hash=head.last_hash,
        )
        entry.entry_hash = auditchain.entry_hash(head.last_hash, payload_of(entry))
        entry.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(seq=entry.seq, last_hash=entry.entry_hash)
    return entry


_ROW_FIELDS = (*auditchain.HASHED_FIELDS, "prev_hash", "entry_hash")


def chain_rows(batch: int = 5000) -> Iterable[auditchain.ChainRow]:
    """Stream stored entries in seq order for verification (bounded memory, no model instances)."""
    n = len(auditchain.HASHED_FIELDS)
    last = 0
    while True:
        chunk = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq").values_list(*_ROW_FIELDS)[:batch])
        if not chunk:
            return
        for row in chunk:
            payload = dict(zip(auditchain.HASHED_FIELDS, row[:n], strict=True))
            payload["at"] = stamp(payload["at"])
            yield auditchain.ChainRow(payload, row[n], row[n + 1])
        last = chunk[-1][0]
