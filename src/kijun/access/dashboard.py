"""Dashboard cards of access control: policy sets still running the unreviewed standard-derived
default (R7 7.3.2(1)) and PDP decisions denied in the last 24 hours (shipped decision logs)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kijun.core.permissions import access_for
from kijun.core.roles import Perm

from .models import DecisionLogEntry, PolicySet

#: two COUNT queries (the access scopes are memoised by the dashboard view)
QUERIES = 2


def cards(request: HttpRequest) -> list[dict[str, object]]:
    acc = access_for(request.user)
    if not acc.has(Perm.ACCESS_VIEW):
        return []
    unreviewed = acc.scoped(PolicySet.objects.filter(seeded_from_default=True, reviewed_at__isnull=True),
                            Perm.ACCESS_VIEW, "org_unit").count()
    since = timezone.now() - dt.timedelta(hours=24)
    denied = acc.scoped(DecisionLogEntry.objects.filter(decision="deny", timestamp__gte=since), Perm.ACCESS_VIEW,
                        "policy_set__org_unit").count()
    return [
        {"label": _("Access-control policies awaiting review"), "value": unreviewed, "url": reverse("access_index"),
         "testid": "stat-access-unreviewed", "warn": unreviewed > 0},
        {"label": _("Access denied by PDPs (24 h)"), "value": denied,
         "url": reverse("access_log_list") + "?decision=deny", "testid": "stat-access-denied", "warn": False},
    ]
