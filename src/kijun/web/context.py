"""Template context: the navigation shows only modules the user may open."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from ..core.permissions import access_for
from ..core.roles import Perm

NAV: list[tuple[str, Any, Perm]] = [
    ("dashboard", _("Dashboard"), Perm.DASHBOARD_VIEW),
    ("unit_list", _("Organisation"), Perm.ORG_VIEW),
    ("person_list", _("People and roles"), Perm.PEOPLE_VIEW),
    ("catalog_index", _("Common Standards"), Perm.CATALOG_VIEW),
    ("cloud_index", _("Cloud services"), Perm.CLOUD_VIEW),
    ("discovery_index", _("Shadow IT"), Perm.DISCOVERY_VIEW),
    ("diagnostics_index", _("Vulnerabilities"), Perm.VULN_VIEW),
    ("access_index", _("Access control"), Perm.ACCESS_VIEW),
    ("audit_list", _("Audit log"), Perm.AUDIT_VIEW),
]


def _exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


@lru_cache(maxsize=1)
def present_nav() -> tuple[tuple[str, Any, Perm], ...]:
    """Menu entries whose module has an index page (so the menu never links to a missing page)."""
    return tuple(item for item in NAV if _exists(item[0]))


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    acc = access_for(user)
    match = getattr(getattr(request, "resolver_match", None), "url_name", "") or ""
    items = []
    for name, label, perm in present_nav():
        if acc.has(perm):
            prefix = name.split("_")[0]
            items.append({"name": name, "label": label, "active": match == name or match.startswith(prefix + "_")})
    return {"nav": items, "perms": {p.name: acc.has(p) for p in Perm}}
