"""Periodic job: reopen expired exceptions, record the day's trend point, tell owners what is overdue."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kijun.core import audit
from kijun.core.jobs import Job, notify

from .models import Remediation, RemediationEvent
from .services import OPEN, record_trend, today


def remediation_overdue() -> str:
    now, day = timezone.now(), today()
    with transaction.atomic():
        expired = list(Remediation.objects.filter(status=Remediation.Status.RISK_ACCEPTED, exception_expires__lt=day,
                                                  findings__gt=0).values_list("id", flat=True))
        if expired:
            Remediation.objects.filter(id__in=expired).update(status=Remediation.Status.OPEN, closed_at=None,
                                                              version=F("version") + 1)
            RemediationEvent.objects.bulk_create([
                RemediationEvent(remediation_id=i, at=now, actor="matcher", action="reopened",
                                 changes={"status": ["risk_accepted", "open"]}, note="exception expired")
                for i in expired])
            audit.record("diagnostics.remediation.exception_expired", "vuln_remediation", "", "expired exceptions",
                         actor_label="job", after={"reopened": expired[:1000], "count": len(expired)})
        record_trend(day)
    sent = 0
    late = (Remediation.objects.filter(status__in=OPEN, due_on__lt=day, owner__isnull=False)
            .select_related("owner", "vuln", "system", "host"))
    for r in late.iterator(500):
        where = r.system.name if r.system else (r.host.name if r.host else "")
        title = f"脆弱性対処の期限超過: {r.vuln.vuln_id} / Vulnerability remediation overdue"
        body = (f"{where} の {r.vuln.vuln_id} の対処期限 {r.due_on:%Y-%m-%d} を過ぎています。\n"
                f"{r.vuln.vuln_id} on {where} was due on {r.due_on:%Y-%m-%d}.")
        sent += notify(r.owner, f"vuln-overdue:{r.pk}:{r.due_on:%Y%m%d}", title, body)
    return f"reopened {len(expired)} expired exceptions; sent {sent} overdue notices"


JOBS: tuple[Job, ...] = (
    Job("vuln-remediation-overdue", 24 * 60, remediation_overdue,
        "Reopen expired vulnerability exceptions, record the trend, notify owners of overdue remediation"),
)
