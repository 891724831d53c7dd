"""REST API for the organisation, people, roles, audit log and personal tokens (/api/v1/...).

Every operation runs the same permission checks and services as the web UI; objects outside the
caller's scope answer 404, like objects that do not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from ..web.pagination import Paging
from . import audit
from .models import ApiToken, AuditEntry, OrgUnit, RoleAssignment, User
from .permissions import access_for
from .roles import ROLES, Perm
from .services import PermissionDeniedError, grant_role, revoke_role, save_unit
from .tokens import issue_token

router = Router(tags=["core"])

#: Database ids are positive 64-bit integers; anything else is a 422, never a database overflow.
MAX_ID = 2**63 - 1
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
#: OpenAPI for an operation answering a spreadsheet (CSV or XLSX) instead of JSON.
SHEET_EXPORT_DOC: dict[str, Any] = {"responses": {200: {"description": "CSV (UTF-8 with BOM) or XLSX", "content": {
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}}}
#: An optimistic-lock version read from an earlier response: a JSON integer only (``false`` is not 0).
Version = Annotated[int, Field(strict=True, ge=0, le=MAX_ID)]


class ErrorOut(Schema):
    detail: str
    code: str


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def need(request: HttpRequest, perm: Perm) -> Any:
    acc = access_for(request.user)
    if not acc.has(perm):
        raise PermissionDeniedError(perm.value)
    return acc


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    unit_id: int | None
    language: str
    roles: list[dict[str, str]]
    permissions: list[str]


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The caller's identity, roles and permissions")
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    acc = access_for(user)
    return {
        "id": user.pk, "username": user.username, "display_name": getattr(user, "display_name", ""),
        "unit_id": getattr(user, "unit_id", None), "language": getattr(user, "language", ""),
        "roles": [{"role": c, "unit_path": p} for c, p in acc.roles],
        "permissions": sorted(p.value for p in acc.grants),
    }


class RoleDefOut(Schema):
    code: str
    name_ja: str
    name_en: str
    section: str
    permissions: list[str]


@router.get("/roles", response={200: list[RoleDefOut], **ERRORS}, summary="Roles of the standard (R7 §2.1.1)")
def roles(request: HttpRequest) -> list[dict[str, Any]]:
    return [{"code": r.code, "name_ja": r.name_ja, "name_en": r.name_en, "section": r.section,
             "permissions": sorted(p.value for p in r.permissions)} for r in ROLES]


class UnitOut(Schema):
    id: int
    name: str
    name_en: str
    code: str
    kind: str
    parent_id: int | None
    path: str


class UnitIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    code: str = Field(..., pattern=r"^[-a-zA-Z0-9_]{1,64}$")
    kind: OrgUnit.Kind
    parent_id: BodyId


@router.get("/units", response={200: list[UnitOut], **ERRORS}, summary="Organisation units in your scope")
@paginate(Paging)
def list_units(request: HttpRequest, q: str = "") -> Any:
    acc = need(request, Perm.ORG_VIEW)
    qs = acc.units(Perm.ORG_VIEW)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs


@router.get("/units/{unit_id}", response={200: UnitOut, **ERRORS})
def get_unit(request: HttpRequest, unit_id: PathId) -> OrgUnit:
    acc = need(request, Perm.ORG_VIEW)
    return get_object_or_404(acc.units(Perm.ORG_VIEW), pk=unit_id)


@router.post("/units", response={201: UnitOut, 409: ErrorOut, **ERRORS}, summary="Create a unit under a parent")
def create_unit(request: HttpRequest, body: UnitIn) -> Status[Any]:
    acc = need(request, Perm.ORG_MANAGE)
    parent = get_object_or_404(acc.units(Perm.ORG_VIEW), pk=body.parent_id)
    order = [OrgUnit.Kind.ORGANISATION, OrgUnit.Kind.BUREAU, OrgUnit.Kind.DIVISION]
    if order.index(body.kind) <= order.index(OrgUnit.Kind(parent.kind)):
        return Status(409, {"detail": "a unit must be a lower level than its parent", "code": "bad_level"})
    if OrgUnit.objects.filter(code=body.code).exists():  # nosemgrep: kijun-unscoped-queryset-in-view -- codes are unique across kijun
        return Status(409, {"detail": f"unit code {body.code!r} already exists", "code": "duplicate"})
    unit = OrgUnit(name=body.name, name_en=body.name_en, code=body.code, kind=body.kind, parent=parent)
    save_unit(request.user, unit, request=request)  # type: ignore[arg-type]
    return Status(201, unit)


class PersonOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    unit_id: int | None
    is_active: bool


@router.get("/people", response={200: list[PersonOut], **ERRORS}, summary="People in your scope")
@paginate(Paging)
def list_people(request: HttpRequest, q: str = "", include_inactive: bool = False) -> Any:
    acc = need(request, Perm.PEOPLE_VIEW)
    qs = acc.scoped(User.objects.order_by("username"), Perm.PEOPLE_VIEW, "unit")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    return qs


@router.get("/people/{person_id}", response={200: PersonOut, **ERRORS})
def get_person(request: HttpRequest, person_id: PathId) -> User:
    acc = need(request, Perm.PEOPLE_VIEW)
    return get_object_or_404(acc.scoped(User.objects.all(), Perm.PEOPLE_VIEW, "unit"), pk=person_id)


class AssignmentOut(Schema):
    id: int
    user_id: int
    role: str
    unit_id: int
    granted_at: dt.datetime


RoleCode = Literal[tuple(r.code for r in ROLES)]  # type: ignore[valid-type]


class AssignmentIn(Schema):
    user_id: BodyId
    role: RoleCode  # type: ignore[valid-type]
    unit_id: BodyId


@router.get("/role-assignments", response={200: list[AssignmentOut], **ERRORS})
@paginate(Paging)
def list_assignments(request: HttpRequest, user_id: int | None = Query(None, ge=1, le=MAX_ID)) -> Any:
    acc = need(request, Perm.PEOPLE_VIEW)
    qs = acc.scoped(RoleAssignment.objects.order_by("id"), Perm.PEOPLE_VIEW, "unit")
    if user_id is not None:
        qs = qs.filter(user_id=user_id)
    return qs


@router.post("/role-assignments", response={201: AssignmentOut, 409: ErrorOut, **ERRORS},
             summary="Assign a role (兼務禁止 enforced: 409 incompatible_roles)")
def create_assignment(request: HttpRequest, body: AssignmentIn) -> Status[Any]:
    acc = need(request, Perm.ROLES_MANAGE)
    person = get_object_or_404(acc.scoped(User.objects.all(), Perm.PEOPLE_VIEW, "unit"), pk=body.user_id)
    unit = get_object_or_404(acc.units(Perm.ROLES_MANAGE), pk=body.unit_id)
    ra = grant_role(request.user, person, body.role, unit, request=request)  # type: ignore[arg-type]
    return Status(201, ra)


@router.delete("/role-assignments/{assignment_id}", response={204: None, **ERRORS})
def delete_assignment(request: HttpRequest, assignment_id: PathId) -> Status[None]:
    acc = need(request, Perm.ROLES_MANAGE)
    ra = get_object_or_404(acc.scoped(RoleAssignment.objects.all(), Perm.ROLES_MANAGE, "unit"), pk=assignment_id)
    revoke_role(request.user, ra, request=request)  # type: ignore[arg-type]
    return Status(204, None)


class AuditOut(Schema):
    seq: int
    at: dt.datetime
    actor: str
    source_ip: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    outcome: str
    before: Any = None
    after: Any = None
    entry_hash: str


@router.get("/audit", response={200: list[AuditOut], **ERRORS}, summary="Audit log, newest first")
@paginate(Paging)
def list_audit(request: HttpRequest, action: str = "", actor: str = "", object_type: str = "") -> Any:
    need(request, Perm.AUDIT_VIEW)
    qs = AuditEntry.objects.order_by("-seq")  # nosemgrep: kijun-unscoped-queryset-in-view -- the audit log is global; AUDIT_VIEW checked above
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = qs.filter(actor=actor)
    if object_type:
        qs = qs.filter(object_type=object_type)
    return qs


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    days: int = Field(90, ge=1, le=settings.KIJUN_API_TOKEN_MAX_DAYS)


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, summary="Your personal access tokens")
def list_tokens(request: HttpRequest) -> Any:
    return ApiToken.objects.filter(user=request.user)


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS},
             summary="Create a token; the secret is shown only in this response")
def create_token(request: HttpRequest, body: TokenIn) -> Status[Any]:
    token, raw = issue_token(request.user, body.name, body.days)  # type: ignore[arg-type]
    audit.record("token.create", "api_token", token.pk, token.name, request=request,
                 after={"prefix": token.prefix, "expires_at": token.expires_at})
    return Status(201, {**TokenOut.from_orm(token).model_dump(), "token": raw})


@router.delete("/tokens/{token_id}", response={204: None, **ERRORS}, summary="Revoke one of your tokens")
def revoke_token(request: HttpRequest, token_id: PathId) -> Status[None]:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("token.revoke", "api_token", token.pk, token.name, request=request)
    return Status(204, None)
