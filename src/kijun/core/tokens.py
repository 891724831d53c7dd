"""Personal access tokens: generated once, shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.utils import timezone

from .models import ApiToken, User

TOKEN_PREFIX = "kjn_"  # noqa: S105 - a public marker that lets secret scanners spot leaked tokens


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """Create a token valid for ``days`` days; returns the model and the only copy of the secret."""
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, token_hash=hash_token(raw),
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return token, raw


def authenticate_token(raw: str) -> User | None:
    """Return the token's user when the token is known, unrevoked, unexpired and the user active."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    try:
        token = ApiToken.objects.select_related("user").get(token_hash=hash_token(raw))
    except ApiToken.DoesNotExist:
        return None
    now = timezone.now()
    if not token.is_active(now):
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
