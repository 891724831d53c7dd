"""REST API of the cloud domain (mounted under /api/v1/ by kijun.web.api).

Same services and scopes as the pages: systems and applications are scoped by unit (404 outside),
the register is agency-wide, decisions go through the engine's approval guard and 兼務禁止
(409 ``incompatible_roles`` on self-approval, 409 ``approval_refused`` when the guard refuses).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kijun.core.api import ERRORS, BodyId, ErrorOut, PathId, Version, need
from kijun.core.roles import Perm
from kijun.web.pagination import Paging

from .approval import ApprovalError
from .info.api import router as info_router
from .ledger.api import SystemIn, SystemOut, save_system_from
from .ledger.api import router as ledger_router
from .models import InformationAsset, InformationSystem, RegisterEntry, UseApplication
from .register import dump_csv, dump_yaml
from .request import InformationItem, UseRequest
from .services import (
    decide_application,
    information_items,
    submit_application,
    submit_draft,
    today,
    withdraw_application,
)

router = Router(tags=["cloud"])
router.add_router("", info_router)
router.add_router("", ledger_router)


@router.get("/cloud/systems", response={200: list[SystemOut], **ERRORS}, summary="Information systems in your scope")
@paginate(Paging)
def cloud_list_systems(request: HttpRequest, q: str = "") -> Any:
    acc = need(request, Perm.CLOUD_VIEW)
    qs = acc.scoped(InformationSystem.objects.prefetch_related("information_assets"), Perm.CLOUD_VIEW, "org_unit")
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(code__icontains=q)
    return qs


@router.get("/cloud/systems/{int:system_id}", response={200: SystemOut, **ERRORS})
def cloud_get_system(request: HttpRequest, system_id: PathId) -> InformationSystem:
    acc = need(request, Perm.CLOUD_VIEW)
    return get_object_or_404(acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_VIEW, "org_unit"), pk=system_id)


@router.post("/cloud/systems", response={201: SystemOut, 409: ErrorOut, **ERRORS},
             summary="Register an information system in the ledger")
def cloud_create_system(request: HttpRequest, body: SystemIn) -> Status[Any]:
    return save_system_from(request, InformationSystem(), body)


@router.put("/cloud/systems/{int:system_id}", response={200: SystemOut, 409: ErrorOut, **ERRORS},
            summary="Update a ledger entry (optimistic version)")
def cloud_update_system(request: HttpRequest, system_id: PathId, body: SystemIn) -> Status[Any]:
    acc = need(request, Perm.CLOUD_MANAGE)
    system = get_object_or_404(acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_MANAGE, "org_unit"),
                               pk=system_id)
    return save_system_from(request, system, body)


class ApplicationOut(Schema):
    id: int
    service_name: str
    provider: str
    applicant_id: int
    org_unit_id: int
    system_id: int | None
    status: str
    decision: str
    track: str
    confidentiality: int
    integrity: int
    availability: int
    handling_restrictions: list[str]
    approver_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    exception_reference: str
    version: int
    created_at: dt.datetime
    information_assets: list[str] = Field(..., description="codes of the information assets it concerns")

    @staticmethod
    def resolve_information_assets(obj: UseApplication) -> list[str]:
        return sorted(a.code for a in obj.information_assets.all())


class ApplicationDetailOut(ApplicationOut):
    request: dict[str, Any]
    assessment: dict[str, Any] = Field(..., description="kijun.cloud.assessment/v1 document")


class ApplicationRequest(UseRequest):
    """A use request whose ``information`` may be left empty when ``information_asset_ids`` name it."""

    information: tuple[InformationItem, ...] = ()


class ApplicationIn(Schema):
    unit_id: BodyId
    system_id: BodyId | None = None
    information_asset_ids: list[BodyId] = Field(
        default_factory=list, max_length=100,
        description="recorded information assets; their classification is added to request.information")
    draft: bool = Field(False, description="save as a draft (assessed, but not submitted for a decision)")
    request: ApplicationRequest = Field(..., description="a use request as in `kijun cloud assess` (docs/cloud.md)")


class WithdrawIn(Schema):
    reason: str = Field("", max_length=2000)
    version: Version | None = None


class DecisionIn(Schema):
    administrator: str = Field("", max_length=200)
    domains: list[str] = Field(default_factory=list, max_length=100)
    exception_reference: str = Field("", max_length=100)
    review_note: str = Field("", max_length=2000)
    note: str = Field("", max_length=2000)
    version: Version | None = None


class RegisterOut(Schema):
    id: int
    service_id: str
    service_name: str
    provider: str
    status: str
    ismap_kind: str
    ismap_number: str
    ismap_expires_on: dt.date | None
    max_confidentiality: int | None
    max_integrity: int | None
    max_availability: int | None
    domains: list[str]
    administrator: str
    approved_by: str
    approved_on: dt.date | None
    review_due: dt.date | None
    conditions: list[str]
    source_application_id: int | None


def _apps(request: HttpRequest, perm: Perm = Perm.CLOUD_VIEW) -> Any:
    acc = need(request, perm)
    return acc.scoped(UseApplication.objects.prefetch_related("information_assets"), perm, "org_unit")


@router.get("/cloud/applications", response={200: list[ApplicationOut], **ERRORS},
            summary="Use applications in your scope")
@paginate(Paging)
def cloud_list_applications(request: HttpRequest, status: str = "") -> Any:
    qs = _apps(request)
    if status:
        qs = qs.filter(status=status)
    return qs


@router.get("/cloud/applications/{application_id}", response={200: ApplicationDetailOut, **ERRORS})
def cloud_get_application(request: HttpRequest, application_id: PathId) -> UseApplication:
    return get_object_or_404(_apps(request), pk=application_id)


@router.post("/cloud/applications", response={201: ApplicationDetailOut, 409: ErrorOut, **ERRORS},
             summary="Submit a use application (or save a draft); the engine's assessment is returned")
def cloud_create_application(request: HttpRequest, body: ApplicationIn) -> Status[Any]:
    acc = need(request, Perm.CLOUD_APPLY)
    unit = get_object_or_404(acc.units(Perm.CLOUD_APPLY), pk=body.unit_id)
    system = None
    if body.system_id is not None:
        system = get_object_or_404(acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_VIEW, "org_unit"),
                                   pk=body.system_id)
    visible = acc.scoped(InformationAsset.objects.all(), Perm.CLOUD_VIEW, "org_unit")
    assets = list(visible.filter(pk__in=body.information_asset_ids))
    if len(assets) != len(set(body.information_asset_ids)):
        return Status(422, {"detail": "an information asset id is unknown or outside your scope", "code": "invalid"})
    data = body.request.model_dump(mode="json")
    data["information"] = [*information_items(assets), *data.get("information", [])]
    if not data["information"]:
        return Status(422, {"detail": "name the information: request.information or information_asset_ids",
                            "code": "invalid"})
    try:
        app, _result = submit_application(request.user, UseRequest.model_validate(data), unit=unit,  # type: ignore[arg-type]
                                          system=system, request=request, draft=body.draft, assets=assets)
    except ValueError as exc:  # a handling restriction outside the agency's vocabulary
        return Status(409, {"detail": str(exc)[:500], "code": "unknown_restriction"})
    return Status(201, app)


def _own(request: HttpRequest, application_id: int) -> UseApplication:
    acc = need(request, Perm.CLOUD_APPLY)
    return get_object_or_404(acc.scoped(UseApplication.objects.filter(applicant=request.user), Perm.CLOUD_APPLY,
                                        "org_unit"), pk=application_id)


@router.post("/cloud/applications/{application_id}/submit",
             response={200: ApplicationDetailOut, 409: ErrorOut, **ERRORS},
             summary="Submit one's own draft (re-assessed today); 409 `not_a_draft` otherwise")
def cloud_submit_application(request: HttpRequest, application_id: PathId, body: WithdrawIn) -> Status[Any]:
    app = _own(request, application_id)
    try:
        app = submit_draft(request.user, app, request=request, expected_version=body.version)  # type: ignore[arg-type]
    except ApprovalError as exc:
        return Status(409, {"detail": str(exc), "code": "not_a_draft"})
    return Status(200, app)


@router.post("/cloud/applications/{application_id}/withdraw",
             response={200: ApplicationDetailOut, 409: ErrorOut, **ERRORS},
             summary="Withdraw one's own draft or submitted application; 409 `already_decided` otherwise")
def cloud_withdraw_application(request: HttpRequest, application_id: PathId, body: WithdrawIn) -> Status[Any]:
    app = _own(request, application_id)
    try:
        app = withdraw_application(request.user, app, reason=body.reason, request=request,  # type: ignore[arg-type]
                                   expected_version=body.version)
    except ApprovalError as exc:
        return Status(409, {"detail": str(exc), "code": "already_decided"})
    return Status(200, app)


def _decide(request: HttpRequest, application_id: int, body: DecisionIn, approve_it: bool) -> Status[Any]:
    app = get_object_or_404(_apps(request, Perm.CLOUD_APPROVE), pk=application_id)
    try:
        decide_application(request.user, app, approve_it=approve_it, note=body.note,  # type: ignore[arg-type]
                           administrator=body.administrator, domains=tuple(body.domains),
                           exception_reference=body.exception_reference, review_note=body.review_note,
                           request=request, expected_version=body.version)
    except ApprovalError as exc:
        return Status(409, {"detail": str(exc), "code": "approval_refused"})
    except ValueError as exc:  # an invalid domain in the register entry
        return Status(422, {"detail": str(exc), "code": "invalid"})
    return Status(200, app)


@router.post("/cloud/applications/{application_id}/approve", response={200: ApplicationDetailOut, 409: ErrorOut, **ERRORS},
             summary="Approve (records the service in the register)")
def cloud_approve_application(request: HttpRequest, application_id: PathId, body: DecisionIn) -> Status[Any]:
    return _decide(request, application_id, body, True)


@router.post("/cloud/applications/{application_id}/reject", response={200: ApplicationDetailOut, 409: ErrorOut, **ERRORS},
             summary="Reject with a reason")
def cloud_reject_application(request: HttpRequest, application_id: PathId, body: DecisionIn) -> Status[Any]:
    return _decide(request, application_id, body, False)


@router.get("/cloud/register", response={200: list[RegisterOut], **ERRORS}, summary="The approved-service register")
@paginate(Paging)
def cloud_list_register(request: HttpRequest, q: str = "", status: str = "") -> Any:
    need(request, Perm.CLOUD_VIEW)
    qs = RegisterEntry.objects.all()  # nosemgrep: kijun-unscoped-queryset-in-view -- the register is agency-wide
    if q:
        qs = qs.filter(service_name__icontains=q)
    if status:
        qs = qs.filter(status=status)
    return qs


class ExportIn(Schema):
    format: Literal["csv", "yaml"] = "yaml"


_EXPORT_DOC = {"responses": {200: {"description": "kijun.cloud.register/v1 document", "content": {
    "application/yaml": {"schema": {"type": "object", "required": ["format", "entries"], "properties": {
        "format": {"type": "string"}, "generated_on": {"type": "string"}, "entries": {"type": "array"}}}},
    "text/csv": {"schema": {"type": "string"}}}}}}


@router.get("/cloud/register/export", response={200: str, **ERRORS}, openapi_extra=_EXPORT_DOC,
            summary="The register as kijun.cloud.register/v1 (YAML or CSV)")
def cloud_export_register(request: HttpRequest, params: Query[ExportIn]) -> HttpResponse:
    need(request, Perm.CLOUD_VIEW)
    # nosemgrep: kijun-unscoped-queryset-in-view -- the register is agency-wide
    rows = [e.to_row() for e in RegisterEntry.objects.order_by("service_id")]
    if params.format == "csv":
        return HttpResponse(dump_csv(rows), content_type="text/csv; charset=utf-8")
    return HttpResponse(dump_yaml(rows, today()), content_type="application/yaml; charset=utf-8")
