"""Periodic work as idempotent jobs: `kijun jobs run [NAME]`, cron/systemd, or the in-process scheduler."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import throttle
from .checkpoints import write_checkpoint
from .models import ApiToken, JobRun, Notification, User
from .plugins import domain_modules

log = logging.getLogger("kijun.jobs")


def notify(user: User, key: str, title: str, body: str) -> bool:
    """Create an in-app notice once per (user, key) and e-mail it; False when it already existed."""
    try:
        with transaction.atomic():
            Notification.objects.create(user=user, key=key, title=title, body=body)
    except IntegrityError:
        return False
    if user.email:
        send_mail(f"[kijun] {title}", body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=True)
    return True


def _audit_checkpoint() -> str:
    cp = write_checkpoint()
    return f"checkpoint at size {cp.size}" if cp else "no new entries"


def _purge_login_failures() -> str:
    return f"purged {throttle.purge_old()} old sign-in failures"


def _clear_sessions() -> str:
    n, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return f"deleted {n} expired sessions"


def _token_expiry_notices() -> str:
    soon = timezone.now() + dt.timedelta(days=7)
    sent = 0
    for tok in ApiToken.objects.filter(revoked_at__isnull=True, expires_at__lte=soon,
                                       expires_at__gt=timezone.now()).select_related("user"):
        title = f"APIトークン「{tok.name}」の有効期限が近づいています / API token expires soon"
        body = (f"トークン kjn_{tok.prefix}… は {timezone.localtime(tok.expires_at):%Y-%m-%d %H:%M} に失効します。"
                f"\nToken kjn_{tok.prefix}… expires at {tok.expires_at.isoformat()}.")
        sent += notify(tok.user, f"token-expiry:{tok.pk}", title, body)
    return f"sent {sent} token expiry notices"


@dataclass(frozen=True)
class Job:
    name: str
    interval_minutes: int
    func: Callable[[], str]
    description: str


JOBS: dict[str, Job] = {j.name: j for j in (
    Job("audit-checkpoint", 15, _audit_checkpoint, "Sign a checkpoint of the audit log head"),
    Job("purge-login-failures", 60, _purge_login_failures, "Forget sign-in failures older than the lock window"),
    Job("clear-sessions", 60, _clear_sessions, "Delete expired sessions"),
    Job("token-expiry-notices", 24 * 60, _token_expiry_notices, "Warn owners of API tokens expiring in 7 days"),
)}


_domains_loaded = False


def registry() -> dict[str, Job]:
    """Every job: the core's plus ``JOBS`` (a tuple of :class:`Job`) from each domain app's ``jobs`` module.

    Loaded on first use, not at import, so a domain's jobs module can import ``Job`` and ``notify`` from
    here in any import order (no circular import).
    """
    global _domains_loaded
    if not _domains_loaded:
        for domain, module in domain_modules("jobs"):
            for job in module.JOBS:
                if job.name in JOBS and JOBS[job.name] is not job:
                    raise RuntimeError(f"duplicate job name {job.name!r} in kijun.{domain}.jobs")
                JOBS[job.name] = job
        _domains_loaded = True
    return JOBS


def run_job(name: str) -> JobRun:
    job = registry()[name]
    run = JobRun.objects.create(name=name, started_at=timezone.now())
    try:
        run.summary = job.func()
        run.ok = True
    except Exception as exc:  # a failing job is recorded, never kills the scheduler
        log.exception("job %s failed", name)
        run.summary = f"{type(exc).__name__}: {exc}"
    run.finished_at = timezone.now()
    run.save()
    return run


def due_jobs(now: dt.datetime) -> list[str]:
    due = []
    for name, job in registry().items():
        last = JobRun.objects.filter(name=name).order_by("-started_at").first()
        if last is None or now - last.started_at >= dt.timedelta(minutes=job.interval_minutes):
            due.append(name)
    return due


def start_scheduler(stop: threading.Event, tick_seconds: int = 60) -> threading.Thread:
    """Run due jobs in a daemon thread until ``stop`` is set (single-machine default)."""

    def loop() -> None:
        from django.db import close_old_connections

        while not stop.is_set():
            close_old_connections()
            for name in due_jobs(timezone.now()):
                run_job(name)
            stop.wait(tick_seconds)

    t = threading.Thread(target=loop, name="kijun-scheduler", daemon=True)
    t.start()
    return t
