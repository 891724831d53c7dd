"""Dashboard card of the catalog: documents of the register that need review (a new edition changed a
requirement they cite, or they were not reviewed in time), counted in the user's scope."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from kijun.core.permissions import access_for
from kijun.core.roles import Perm

from .models import AgencyDocument
from .services import stale_q

#: one COUNT over the scoped documents (the permission scopes are already memoised on the user)
QUERIES = 1


def cards(request: HttpRequest) -> list[dict[str, object]]:
    acc = access_for(request.user)
    if not acc.has(Perm.CATALOG_VIEW):
        return []
    docs = acc.scoped(AgencyDocument.objects.all(), Perm.CATALOG_VIEW, "owner_unit")
    n = docs.filter(pk__in=AgencyDocument.objects.filter(stale_q()).values("pk")).count()
    return [{"label": _("Documents to review"), "value": n, "url": reverse("catalog_document_list") + "?stale=1",
             "testid": "stat-catalog-stale-documents", "warn": n > 0}]
