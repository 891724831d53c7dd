"""Sign-in throttling by account and by source address (ASVS 6.3.1)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from .models import LoginFailure


def _window_start() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.KIJUN_LOGIN_LOCK_SECONDS)


def is_locked(username: str, ip: str) -> bool:
    """True while the account or the address has too many recent failures."""
    since = _window_start()
    by_user = LoginFailure.objects.filter(username=username.lower(), at__gte=since).count()
    if by_user >= settings.KIJUN_LOGIN_MAX_FAILURES:
        return True
    by_ip = LoginFailure.objects.filter(source_ip=ip, at__gte=since).count() if ip else 0
    return by_ip >= settings.KIJUN_LOGIN_IP_MAX_FAILURES


def note_failure(username: str, ip: str) -> None:
    LoginFailure.objects.create(username=username.lower()[:150], source_ip=ip[:64])


def clear(username: str) -> None:
    LoginFailure.objects.filter(username=username.lower()).delete()


def purge_old() -> int:
    """Drop failures older than the lock window (a periodic job)."""
    deleted, _ = LoginFailure.objects.filter(at__lt=_window_start()).delete()
    return deleted
