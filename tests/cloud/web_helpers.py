"""Shared helpers for the cloud web/API tests and the permission matrix."""

from __future__ import annotations

from typing import Any

from kijun.cloud.models import InformationAsset, InformationSystem, IsmapImport, UseApplication
from kijun.cloud.request import UseRequest
from kijun.cloud.services import submit_application
from kijun.core.models import OrgUnit, User

#: A 機密性2 use of an ISMAP-listed, negotiated SaaS in Japan: permitted with conditions.
REQUEST: dict[str, Any] = {
    "service": {"name": "Synthetic Storage", "provider": "Example Provider KK", "contract_basis": "negotiated",
                "service_model": "saas", "ismap": {"kind": "ismap", "registration_number": "C99-0001-1",
                                                   "expires_on": "2099-12-31"},
                "data_locations": ["JP"], "region_selectable": True, "governing_law": "JP", "jurisdiction": "JP",
                "provider_auditable": False, "encryption_at_rest": True, "backup": True,
                "data_deletion_on_exit": True},
    "information": [{"name": "申請書類", "confidentiality": 2, "integrity": 1, "availability": 1,
                     "handling_restrictions": ["暗号化必須"]}],
    "task": {"description": "申請受付", "impact": "low"},
}


def make_system(unit: OrgUnit, code: str, owner: User | None = None) -> InformationSystem:
    return InformationSystem.objects.create(name=f"システム {code}", code=code, org_unit=unit, owner=owner,
                                            system_class="B", cloud_services="Synthetic Storage")


def make_application(applicant: User, unit: OrgUnit, request: dict[str, Any] | None = None) -> UseApplication:
    app, _ = submit_application(applicant, UseRequest.model_validate(request or REQUEST), unit=unit)
    return app


def application_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    if where == "inside":
        unit, user = demo["units"]["demo-policy-planning"], demo["users"]["policy-iso"]
    else:
        unit, user = demo["units"]["demo-it-division"], demo["users"]["sysowner"]
    app = UseApplication.objects.filter(org_unit=unit).first() or make_application(user, unit)
    return {"application_id" if api else "pk": app.pk}


def system_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    code = "demo-policy-planning" if where == "inside" else "demo-it-division"
    unit = demo["units"][code]
    system = InformationSystem.objects.filter(org_unit=unit).first() or make_system(unit, f"sys-{where}")
    return {"system_id" if api else "pk": system.pk}


def ismap_import_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    imp = IsmapImport.objects.first() or IsmapImport.objects.create(source_name="list.csv", sha256="0" * 64)
    return {"pk": imp.pk}


def register_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    from kijun.cloud.models import RegisterEntry

    entry = RegisterEntry.objects.first() or RegisterEntry.objects.create(
        service_id="matrix-service", service_name="Matrix Service", status="approved")
    return {"pk": entry.pk}


def make_asset(unit: OrgUnit, code: str, c: int = 2, i: int = 1, a: int = 1,
               restrictions: list[str] | None = None) -> InformationAsset:
    return InformationAsset.objects.create(code=code, name=f"情報 {code}", org_unit=unit, confidentiality=c,
                                           integrity=i, availability=a, handling_restrictions=restrictions or [])


def asset_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    code = "demo-policy-planning" if where == "inside" else "demo-it-division"
    unit = demo["units"][code]
    asset = InformationAsset.objects.filter(org_unit=unit).first() or make_asset(unit, f"asset-{where}")
    return {"asset_id" if api else "pk": asset.pk}


def clear_cloud_demo() -> None:
    """Remove the cloud demo records (kijun.cloud.demo) for tests about exact lists, imports and exports."""
    InformationAsset.objects.filter(code__startswith="demo-").delete()
    InformationSystem.objects.filter(code__startswith="demo-").delete()


def evidence_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    """An evidence file on a lifecycle duty of the (agency-wide) register."""
    from kijun.cloud.duties.services import evidence_dir
    from kijun.cloud.models import LifecycleEvidence, LifecycleItem

    ev = LifecycleEvidence.objects.first()
    if ev is None:
        entry = register_kwargs(demo, where, api)["pk"]
        item = LifecycleItem.objects.create(entry_id=entry, duty_id="x", phase="operation", text_ja="確認",
                                            text_en="check", due_kind="recurring")
        evidence_dir().mkdir(parents=True, exist_ok=True)
        (evidence_dir() / "abc123").write_bytes(b"evidence")
        ev = LifecycleEvidence.objects.create(item=item, stored_name="abc123", display_name="e.txt", sha256="0" * 64,
                                              size=8)
    return {"pk": ev.pk}
