"""The server side of the PDP link: PDP tokens, decision-log ingestion, filtering and retention.

A PDP token (``kjp_…``) belongs to one policy set and allows exactly two things: downloading that
set's bundle and shipping its decision logs. It is created by an ACCESS_MANAGE user, shown once,
and stored as a SHA-256 hash (like personal tokens in kijun.core.tokens).

Shipped events must arrive masked: the principal is an ``hmac:`` pseudonym computed by the PDP
with the agency's key (decision_log.MaskingRules), so the server never stores a plain user id.
Storage is bounded: rows older than KIJUN_ACCESS_LOG_RETENTION_DAYS (default 90) and rows beyond
KIJUN_ACCESS_LOG_MAX_ROWS (default 1,000,000, oldest first) are purged by the ``access-log-purge`` job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kijun.core import audit
from kijun.core.models import User
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.services import PermissionDeniedError

from .decision_log import MaskingRules
from .models import DecisionLogEntry, PdpToken, PolicySet

PDP_TOKEN_PREFIX = "kjp_"  # noqa: S105 - a public marker for secret scanners, not a secret
MAX_EVENTS_PER_BATCH = 1000
MAX_EVENT_BYTES = 16 * 1024
MASKED_PREFIX = "hmac:"
DECISIONS = ("allow", "deny", "step_up")


class IngestError(ValueError):
    """A shipped batch that is refused as a whole (nothing is stored)."""


def _setting(name: str, default: int) -> int:
    raw = getattr(settings, name, None) or os.environ.get(name)
    return int(raw) if raw else default


def retention_days() -> int:
    return _setting("KIJUN_ACCESS_LOG_RETENTION_DAYS", 90)


def max_rows() -> int:
    return _setting("KIJUN_ACCESS_LOG_MAX_ROWS", 1_000_000)


# ---------------------------------------------------------------- PDP tokens

def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_pdp_token(actor: User, pset: PolicySet, name: str, days: int,
                    request: HttpRequest | None = None) -> tuple[PdpToken, str]:
    """A new PDP token for ``pset``; returns the row and the only copy of the secret."""
    if not access_for(actor).has(Perm.ACCESS_MANAGE, pset.org_unit):
        raise PermissionDeniedError(Perm.ACCESS_MANAGE.value)
    prefix = secrets.token_hex(4)
    raw = f"{PDP_TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = PdpToken.objects.create(policy_set=pset, name=name, prefix=prefix, token_hash=_hash(raw),
                                        created_by=actor, expires_at=timezone.now() + dt.timedelta(days=days))
        audit.record("access.pdp_token.create", "access_pdp_token", token.pk, str(token), actor=actor,
                     request=request, after={"policy_set": pset.code, "name": name, "days": days})
    return token, raw


def revoke_pdp_token(actor: User, token: PdpToken, request: HttpRequest | None = None) -> None:
    if not access_for(actor).has(Perm.ACCESS_MANAGE, token.policy_set.org_unit):
        raise PermissionDeniedError(Perm.ACCESS_MANAGE.value)
    with transaction.atomic():
        PdpToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit.record("access.pdp_token.revoke", "access_pdp_token", token.pk, str(token), actor=actor,
                     request=request)


def authenticate_pdp_token(raw: str) -> PdpToken | None:
    """The active token for ``raw`` (unrevoked, unexpired), or None."""
    if not raw.startswith(PDP_TOKEN_PREFIX) or len(raw) > 200:
        return None
    token: PdpToken | None = PdpToken.objects.select_related("policy_set", "policy_set__org_unit").filter(
        token_hash=_hash(raw)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        PdpToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


# ---------------------------------------------------------------- ingestion

def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _entry(pset: PolicySet, event: Any, index: int) -> DecisionLogEntry:
    if not isinstance(event, dict):
        raise IngestError(f"events.{index}: not an object")
    if len(json.dumps(event, ensure_ascii=False)) > MAX_EVENT_BYTES:
        raise IngestError(f"events.{index}: larger than {MAX_EVENT_BYTES} bytes")
    inp, result = event.get("input"), event.get("result")
    if not isinstance(inp, dict) or not isinstance(result, dict):
        raise IngestError(f"events.{index}: needs 'input' and 'result' objects")
    decision_id = _text(event.get("decision_id"), 65)
    if not decision_id or len(decision_id) > 64:
        raise IngestError(f"events.{index}.decision_id: 1-64 characters required")
    when = parse_datetime(_text(event.get("timestamp"), 40))
    if when is None or when.tzinfo is None:
        raise IngestError(f"events.{index}.timestamp: an ISO 8601 time with time zone is required")
    decision = result.get("decision")
    if decision not in DECISIONS:
        raise IngestError(f"events.{index}.result.decision: one of allow, deny, step_up")
    principal = _text(inp.get("principal"), 81)
    if not principal.startswith(MASKED_PREFIX) or len(principal) > 80:
        raise IngestError(f"events.{index}.input.principal: must be masked by the PDP (hmac:…); "
                          "configure KIJUN_ACCESS_MASK_KEY_FILE")
    policies = result.get("determining_policies") or []
    if not isinstance(policies, list) or not all(isinstance(p, str) and "," not in p for p in policies):
        raise IngestError(f"events.{index}.result.determining_policies: a list of policy ids")
    joined = "," + ",".join(policies) + "," if policies else ""
    if len(joined) > 1000:
        raise IngestError(f"events.{index}.result.determining_policies: too long")
    raw_resource = inp.get("resource")
    resource: dict[str, Any] = raw_resource if isinstance(raw_resource, dict) else {}
    return DecisionLogEntry(
        policy_set=pset, decision_id=decision_id, timestamp=when, policy_revision=_text(event.get("policy_revision"), 64),
        decision=decision, policies=joined, principal=principal, action=_text(inp.get("action"), 16),
        resource_id=_text(resource.get("id"), 256), network=_text(inp.get("network"), 16),
        path=_text(event.get("path"), 64), record=event)


def ingest(pset: PolicySet, events: list[Any]) -> tuple[int, int]:
    """Store a shipped batch; returns (stored, duplicates). Retried batches are idempotent
    (decision ids already stored are skipped). A malformed event refuses the whole batch."""
    if len(events) > MAX_EVENTS_PER_BATCH:
        raise IngestError(f"at most {MAX_EVENTS_PER_BATCH} events per batch")
    rows = [_entry(pset, e, i) for i, e in enumerate(events)]
    ids = {r.decision_id for r in rows}
    known = set(DecisionLogEntry.objects.filter(policy_set=pset, decision_id__in=ids)
                .values_list("decision_id", flat=True))
    fresh: dict[str, DecisionLogEntry] = {}
    for row in rows:
        if row.decision_id not in known:
            fresh.setdefault(row.decision_id, row)
    try:
        with transaction.atomic():
            DecisionLogEntry.objects.bulk_create(list(fresh.values()))
    except IntegrityError:  # a concurrent retry stored some of them first: store one by one
        stored = 0
        for row in fresh.values():
            try:
                with transaction.atomic():
                    row.save()
                stored += 1
            except IntegrityError:
                pass
        return stored, len(rows) - stored
    return len(fresh), len(rows) - len(fresh)


def purge(now: dt.datetime | None = None) -> int:
    """Delete entries past the retention period, then the oldest beyond the row cap."""
    now = now or timezone.now()
    deleted: int = DecisionLogEntry.objects.filter(timestamp__lt=now - dt.timedelta(days=retention_days())).delete()[0]
    cap = max_rows()
    total = DecisionLogEntry.objects.count()
    if total > cap:
        cutoff = DecisionLogEntry.objects.order_by("-timestamp", "-id").values_list("timestamp", "id")[cap]
        deleted += int(DecisionLogEntry.objects.filter(
            Q(timestamp__lt=cutoff[0]) | Q(timestamp=cutoff[0], id__lte=cutoff[1])).delete()[0])
    return deleted


# ---------------------------------------------------------------- queries

def server_masking() -> MaskingRules | None:
    """The PDPs' masking key when the agency also gives it to the server (KIJUN_ACCESS_MASK_KEY_FILE),
    so people can search decision logs by a plain user id; None otherwise (search by hash only)."""
    path = getattr(settings, "KIJUN_ACCESS_MASK_KEY_FILE", None) or os.environ.get("KIJUN_ACCESS_MASK_KEY_FILE")
    if not path:
        return None
    key = Path(path).read_text("utf-8").strip()
    return MaskingRules(principal_key=key.encode()) if key else None


def filtered(qs: QuerySet[DecisionLogEntry], params: dict[str, str]) -> QuerySet[DecisionLogEntry]:
    """Apply the UI/API filters: decision, policy id, principal hash, time range (ISO dates/times)."""
    decision = params.get("decision", "")
    if decision in DECISIONS:
        qs = qs.filter(decision=decision)
    policy = params.get("policy", "").strip()
    if policy and "," not in policy:
        qs = qs.filter(policies__contains=f",{policy},")
    principal = params.get("principal", "").strip()
    if principal:
        qs = qs.filter(principal__startswith=principal)
    user = params.get("user", "").strip()
    masking = server_masking() if user else None
    if user:
        # without the key on the server a plain user id cannot be matched: show nothing rather than guess
        qs = qs.filter(principal=masking.principal(user)) if masking else qs.none()
    for key, lookup in (("since", "timestamp__gte"), ("until", "timestamp__lt")):
        when = _when(params.get(key, ""), end=key == "until")
        if when is not None:
            qs = qs.filter(**{lookup: when})
    return qs


def _when(raw: str, end: bool) -> dt.datetime | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            start = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time())
            aware: dt.datetime = timezone.make_aware(start)
            return aware
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value if value.tzinfo else timezone.make_aware(value)
