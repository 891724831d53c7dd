"""Diagnostics routes in the permission matrix (tests/core/test_permission_matrix.py).

The demo data (kijun.diagnostics.demo) puts PCs in 政策企画課 (inside the matrix scope) and servers in
情報システム課 (outside), so every scoped object exists on both sides.
"""

from __future__ import annotations

from typing import Any

from kijun.core.roles import Perm
from tests.matrix import ObjectRef, Route

INSIDE, OUTSIDE = "demo-policy-planning", "demo-it-division"


def _unit(demo: dict[str, Any], where: str) -> Any:
    return demo["units"][INSIDE if where == "inside" else OUTSIDE]


def host_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    from kijun.diagnostics.models import Host

    host = Host.objects.filter(org_unit=_unit(demo, where)).order_by("id").first()
    assert host is not None, "diagnostics demo data missing"
    return {"host_id" if api else "pk": host.pk}


def remediation_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    from kijun.diagnostics.models import Remediation

    rem = Remediation.objects.filter(org_unit=_unit(demo, where)).order_by("id").first()
    assert rem is not None, "diagnostics demo data missing"
    return {"remediation_id" if api else "pk": rem.pk}


def system_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    from kijun.cloud.models import InformationSystem

    unit = _unit(demo, where)
    system = InformationSystem.objects.filter(org_unit=unit).first() or InformationSystem.objects.create(
        name=f"診断 {where}", code=f"diag-{where}", org_unit=unit)
    return {"pk": system.pk}


def vuln_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    return {"vuln_id": "CVE-2099-0001"}


OBJECTS = {
    "diagnostics_host": ObjectRef(host_kwargs),
    "diagnostics_remediation": ObjectRef(remediation_kwargs),
    "diagnostics_system": ObjectRef(system_kwargs),
    # vulnerability facts are public intelligence, agency-wide (which hosts have it is scoped)
    "diagnostics_vuln": ObjectRef(vuln_kwargs, scoped=False),
}

UI_ROUTES = [
    Route("diagnostics_index", Perm.VULN_VIEW),
    Route("diagnostics_hosts", Perm.VULN_VIEW),
    Route("diagnostics_host_detail", Perm.VULN_VIEW, "diagnostics_host"),
    Route("diagnostics_system_detail", Perm.VULN_VIEW, "diagnostics_system"),
    Route("diagnostics_vuln_detail", Perm.VULN_VIEW, "diagnostics_vuln"),
    Route("diagnostics_coverage", Perm.VULN_VIEW),
    Route("diagnostics_remediations", Perm.VULN_VIEW),
    Route("diagnostics_remediation_export", Perm.VULN_VIEW, query="format=xlsx"),
    Route("diagnostics_remediation_detail", Perm.VULN_VIEW, "diagnostics_remediation"),
    Route("diagnostics_findings_export", Perm.VULN_VIEW, query="format=csv"),
    Route("diagnostics_upload_inventory", Perm.VULN_MANAGE),
    Route("diagnostics_upload_feed", Perm.VULN_MANAGE),
    Route("diagnostics_sla", Perm.VULN_MANAGE),
]

API_ROUTES = [
    Route("diagnostics_summary", Perm.VULN_VIEW, anon=401),
    Route("diagnostics_list_hosts", Perm.VULN_VIEW, anon=401),
    Route("diagnostics_host_findings", Perm.VULN_VIEW, "diagnostics_host", anon=401),
    Route("diagnostics_get_vuln", Perm.VULN_VIEW, "diagnostics_vuln", anon=401),
    Route("diagnostics_list_findings", Perm.VULN_VIEW, anon=401),
    Route("diagnostics_list_remediations", Perm.VULN_VIEW, anon=401),
    Route("diagnostics_get_remediation", Perm.VULN_VIEW, "diagnostics_remediation", anon=401),
]

EXEMPT = {
    "diagnostics_rematch": "POST only (tests/diagnostics/test_web.py: rematch button)",
}
