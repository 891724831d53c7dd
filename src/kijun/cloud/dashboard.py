"""Dashboard cards of the cloud domain: overdue lifecycle duties (R7 4.2.2(4)), approved
services whose ISMAP registration has lapsed or expires within the warning window
(4.2.1(2)(c)), and, for permitting authorities, applications waiting for their decision."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from kijun.core.permissions import access_for
from kijun.core.roles import Perm

from .models import LifecycleItem, RegisterEntry, UseApplication
from .services import today, warn_days

#: at most three COUNT queries (the access scopes are memoised by the dashboard view)
QUERIES = 3


def cards(request: HttpRequest) -> list[dict[str, object]]:
    acc = access_for(request.user)
    if not acc.has(Perm.CLOUD_VIEW):
        return []
    now = today()
    # the register and its checklist are agency-wide (one list for all units), like the register page
    overdue = LifecycleItem.objects.filter(status="open", due_on__lt=now,
                                           entry__status=RegisterEntry.Status.APPROVED).count()
    horizon = now + dt.timedelta(days=warn_days())
    ismap = RegisterEntry.objects.filter(
        Q(status=RegisterEntry.Status.APPROVED) & ~Q(ismap_number="") & Q(ismap_expires_on__lte=horizon)).count()
    out: list[dict[str, object]] = [
        {"label": _("Overdue cloud lifecycle duties"), "value": overdue, "url": reverse("cloud_index") + "?overdue=1",
         "testid": "stat-cloud-overdue", "warn": overdue > 0},
        {"label": _("ISMAP registrations expired or expiring"), "value": ismap,
         "url": reverse("cloud_index") + "?ismap=expiring", "testid": "stat-cloud-ismap", "warn": ismap > 0},
    ]
    if acc.has(Perm.CLOUD_APPROVE):
        pending = acc.scoped(UseApplication.objects.filter(status=UseApplication.Status.SUBMITTED),
                             Perm.CLOUD_APPROVE, "org_unit").count()
        out.append({"label": _("Use applications waiting for a decision"), "value": pending,
                    "url": reverse("cloud_application_list") + "?status=submitted", "testid": "stat-cloud-pending",
                    "warn": False})
    return out
