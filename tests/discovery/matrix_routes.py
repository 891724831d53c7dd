"""Discovery routes in the permission matrix (tests/core/test_permission_matrix.py)."""

from __future__ import annotations

from typing import Any

from kijun.core.roles import Perm
from tests.matrix import ObjectRef, Route


def _scan_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    from kijun.discovery.models import Scan

    from .web_helpers import make_scan

    code = "demo-policy-planning" if where == "inside" else "demo-it-division"
    unit = demo["units"][code]
    scan = Scan.objects.filter(unit=unit).first() or make_scan(unit, demo["users"]["admin"])
    return {"scan_id" if api else "pk": scan.pk}


OBJECTS = {"discovery_scan": ObjectRef(_scan_kwargs)}

UI_ROUTES = [
    Route("discovery_index", Perm.DISCOVERY_VIEW),
    Route("discovery_new", Perm.DISCOVERY_RUN),
    Route("discovery_files", Perm.DISCOVERY_RUN),
    Route("discovery_progress", Perm.DISCOVERY_VIEW, "discovery_scan"),
    Route("discovery_scan", Perm.DISCOVERY_VIEW, "discovery_scan"),
    Route("discovery_unknown", Perm.DISCOVERY_VIEW, "discovery_scan"),
    Route("discovery_user", Perm.DISCOVERY_VIEW, "discovery_scan", query="u=tanaka"),
    Route("discovery_export_csv", Perm.DISCOVERY_VIEW, "discovery_scan"),
    Route("discovery_export_xlsx", Perm.DISCOVERY_VIEW, "discovery_scan"),
    Route("discovery_export_users_csv", Perm.DISCOVERY_VIEW, "discovery_scan"),
]

API_ROUTES = [
    Route("discovery_list_scans", Perm.DISCOVERY_VIEW, anon=401),
    Route("discovery_get_scan", Perm.DISCOVERY_VIEW, "discovery_scan", anon=401),
    Route("discovery_get_report", Perm.DISCOVERY_VIEW, "discovery_scan", anon=401),
    Route("discovery_list_decisions", Perm.DISCOVERY_VIEW, anon=401),
    Route("discovery_get_progress", Perm.DISCOVERY_VIEW, "discovery_scan", anon=401),
    Route("discovery_list_log_dir", Perm.DISCOVERY_RUN, anon=401),
]

EXEMPT = {
    "discovery_decide": "POST only (tests/discovery/test_web.py decisions, scope and permission)",
}
