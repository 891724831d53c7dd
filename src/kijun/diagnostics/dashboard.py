"""Dashboard cards: open Act records and overdue remediation in the user's scope."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from kijun.core.permissions import access_for
from kijun.core.roles import Perm

from .models import Remediation
from .services import OPEN, today

#: one aggregate query for both cards
QUERIES = 1


def cards(request: Any) -> list[dict[str, object]]:
    acc = access_for(request.user)
    if not acc.has(Perm.VULN_VIEW):
        return []
    from django.db.models import Count, Q

    rems = acc.scoped(Remediation.objects.filter(status__in=OPEN), Perm.VULN_VIEW, "org_unit")
    agg = rems.aggregate(act=Count("id", filter=Q(outcome=3)), overdue=Count("id", filter=Q(due_on__lt=today())))
    url = reverse("diagnostics_remediations")
    return [
        {"label": _("Vulnerabilities to act on (SSVC Act)"), "value": agg["act"], "url": f"{url}?outcome=3",
         "testid": "stat-vuln-act", "warn": bool(agg["act"])},
        {"label": _("Overdue vulnerability remediation"), "value": agg["overdue"], "url": f"{url}?overdue=1",
         "testid": "stat-vuln-overdue", "warn": bool(agg["overdue"])},
    ]
