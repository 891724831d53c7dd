"""REST API for the system ledger's import/export, create/update and the agency's classification
standard (added to the cloud router). Same services and scopes as the pages."""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import ConfigDict

from kijun.classification.system_class import SystemClassError
from kijun.core.api import ERRORS, SHEET_EXPORT_DOC, BodyId, ErrorOut, Version, need
from kijun.core.models import User
from kijun.core.roles import Perm
from kijun.core.uploads import UploadError

from ..info.api import IMPORT_RESPONSES, import_response, read_upload
from ..models import InformationSystem
from ..services import save_system
from ..tabular import TableFormatError
from .services import (
    current_standard,
    default_text,
    export_csv,
    export_xlsx,
    import_ledger,
    parse_ledger,
    save_standard,
)

router = Router(tags=["cloud: system ledger"])


class SystemOut(Schema):
    id: int
    name: str
    code: str
    org_unit_id: int
    owner_id: int | None
    system_class: str
    description: str
    components: list[str]
    cloud_services: list[str]
    business_impact: str
    internet_facing: bool
    citizen_facing: bool
    information_assets: list[str] = Field(..., description="codes of the linked information assets")
    version: int

    @staticmethod
    def resolve_cloud_services(obj: InformationSystem) -> list[str]:
        return obj.service_list()

    @staticmethod
    def resolve_components(obj: InformationSystem) -> list[str]:
        return obj.component_list()

    @staticmethod
    def resolve_information_assets(obj: InformationSystem) -> list[str]:
        return sorted(a.code for a in obj.information_assets.all())


class StandardOut(Schema):
    source: Literal["default", "agency"]
    version: int | None
    text: str = Field(..., description="the standard as YAML (docs/classification.md)")
    classes: list[dict[str, Any]]


class StandardIn(Schema):
    model_config = ConfigDict(strict=True)  # JSON types as documented: no 0→false, false→0

    text: str = Field(..., min_length=1, max_length=50000)
    version: Version | None = None


def _standard_out() -> dict[str, Any]:
    standard, row = current_standard()
    return {"source": "agency" if row else "default", "version": row.version if row else None,
            "text": row.text if row else default_text(),
            "classes": [{"id": c.id, "name_ja": c.name_ja, "name_en": c.name_en, "default": c.default,
                         "any_of": [x.model_dump(exclude_none=True) for x in c.any_of]} for c in standard.classes]}


@router.get("/cloud/systems/standard", response={200: StandardOut, **ERRORS},
            summary="The agency's information system classification standard (R7 5.1.1(1)(a))")
def cloud_get_standard(request: HttpRequest) -> dict[str, Any]:
    need(request, Perm.CLOUD_VIEW)
    return _standard_out()


@router.put("/cloud/systems/standard", response={200: StandardOut, 409: ErrorOut, **ERRORS},
            summary="Replace the classification standard (validated; optimistic version)")
def cloud_put_standard(request: HttpRequest, body: StandardIn) -> Status[Any]:
    need(request, Perm.CLOUD_MANAGE)
    try:
        save_standard(request.user, body.text, request=request, expected_version=body.version)  # type: ignore[arg-type]
    except SystemClassError as exc:
        return Status(422, {"detail": str(exc)[:500], "code": "invalid"})
    return Status(200, _standard_out())


@router.get("/cloud/systems/export", response={200: str, **ERRORS}, openapi_extra=SHEET_EXPORT_DOC,
            summary="The ledger in your scope as CSV or XLSX")
def cloud_export_systems(request: HttpRequest, format: Literal["csv", "xlsx"] = "csv") -> HttpResponse:
    acc = need(request, Perm.CLOUD_VIEW)
    qs = acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_VIEW, "org_unit")
    if format == "xlsx":
        return HttpResponse(export_xlsx(qs),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return HttpResponse(export_csv(qs), content_type="text/csv; charset=utf-8")


@router.post("/cloud/systems/import", response=IMPORT_RESPONSES,
             summary="Import the ledger from CSV/XLSX: all rows or none (400 lists every row error)")
def cloud_import_systems(request: HttpRequest, file: File[UploadedFile]) -> Status[Any]:
    need(request, Perm.CLOUD_MANAGE)
    try:
        data, name = read_upload(request, file)
        table = parse_ledger(data, name)
    except UploadError as exc:
        return Status(exc.status, {"detail": str(exc), "code": exc.code})
    except TableFormatError as exc:
        return Status(422, {"detail": str(exc)[:500], "code": "unreadable"})
    return import_response(import_ledger(request.user, table, request=request))  # type: ignore[arg-type]


class SystemIn(Schema):
    model_config = ConfigDict(strict=True)  # JSON types as documented: no 0→false, false→0

    code: str = Field(..., min_length=1, max_length=64, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(..., min_length=1, max_length=200)
    org_unit_id: BodyId
    owner_id: BodyId | None = None
    system_class: str | None = Field(None, description="a class id of the standard; default: its last class")
    description: str = Field("", max_length=5000)
    components: list[str] = Field(default_factory=list, max_length=200)
    cloud_services: list[str] = Field(default_factory=list, max_length=200)
    business_impact: Literal["low", "medium", "high"] = "low"
    internet_facing: bool = False
    citizen_facing: bool = False
    version: Version | None = None


def save_system_from(request: HttpRequest, system: InformationSystem, body: SystemIn) -> Status[Any]:
    acc = need(request, Perm.CLOUD_MANAGE)
    unit = get_object_or_404(acc.units(Perm.CLOUD_MANAGE), pk=body.org_unit_id)
    owner = None
    if body.owner_id is not None:
        owner = get_object_or_404(acc.scoped(User.objects.filter(is_active=True), Perm.CLOUD_VIEW, "unit"),
                                  pk=body.owner_id)
    standard, _row = current_standard()
    ids = [c.id for c in standard.classes]
    system_class = body.system_class or (system.system_class if system.pk else ids[-1])
    if system_class not in ids and system_class != system.system_class:
        return Status(422, {"detail": f"system_class must be one of {', '.join(ids)}", "code": "invalid"})
    creating = system.pk is None
    system.code, system.name, system.org_unit, system.owner = body.code, body.name, unit, owner
    system.system_class, system.description = system_class, body.description
    system.components, system.cloud_services = "\n".join(body.components), "\n".join(body.cloud_services)
    system.business_impact = body.business_impact
    system.internet_facing, system.citizen_facing = body.internet_facing, body.citizen_facing
    try:
        system.full_clean(exclude=["owner"])
    except DjangoValidationError as exc:
        return Status(422, {"detail": "; ".join(exc.messages)[:500], "code": "invalid"})
    save_system(request.user, system, request=request, expected_version=body.version)  # type: ignore[arg-type]
    return Status(201 if creating else 200, system)
