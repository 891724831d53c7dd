"""REST API of access control (mounted under /api/v1/ by kijun.web.api).

Two audiences:

* people and scripts (personal token ``kjn_…`` or browser session): policy sets, their validation
  result and revisions, decision logs, and "decide with the current rules" — scoped by unit like
  the pages (404 outside the caller's scope);
* PDPs (``kjp_…`` PDP tokens, created on the policy set page by an ACCESS_MANAGE user):
  ``GET /access/bundle`` (the latest signed bundle, ETag / If-None-Match → 304) and
  ``POST /access/decision-logs`` (batched, masked decision-log events; idempotent on decision_id).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.responses import Status
from ninja.security import APIKeyCookie, HttpBearer

from kijun.core.api import ERRORS, ErrorOut, PathId, need
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.services import PermissionDeniedError
from kijun.core.tokens import authenticate_token
from kijun.web.logging import security_event
from kijun.web.pagination import MAX_LIMIT, MAX_OFFSET, Paging

from . import services as svc
from .logstore import IngestError, authenticate_pdp_token, filtered, ingest
from .model import AccessRequest, Decision
from .models import DecisionLogEntry, PdpToken, PolicySet
from .policy import PolicyError

router = Router(tags=["access"])
MAX_LOG_BODY = 2 * 1024 * 1024  # = DATA_UPLOAD_MAX_MEMORY_SIZE; the shipper's batches are far smaller


class PdpOrPersonalToken(HttpBearer):
    """``Authorization: Bearer kjp_…`` (PDP token) or ``kjn_…`` (personal token)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        pdp = authenticate_pdp_token(token)
        if pdp is not None:
            request.pdp_token = pdp  # type: ignore[attr-defined]
            return pdp
        user = authenticate_token(token)
        if user is None:
            security_event("api_token_rejected", request, "failure")
            return None
        request.user = user
        return user


class PdpTokenOnly(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        pdp = authenticate_pdp_token(token)
        if pdp is None:
            security_event("api_token_rejected", request, "failure")
            return None
        request.pdp_token = pdp  # type: ignore[attr-defined]
        return pdp


class Session(APIKeyCookie):
    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


def _sets(request: HttpRequest, perm: Perm = Perm.ACCESS_VIEW) -> Any:
    acc = need(request, perm)
    return acc.scoped(PolicySet.objects.select_related("org_unit"), perm, "org_unit")


def _pick_set(request: HttpRequest, code: str) -> PolicySet:
    """The policy set a PDP or a person asks for: a PDP token names its own set; a person names
    one (``policy_set=code``) or may omit it when exactly one set is in scope."""
    token: PdpToken | None = getattr(request, "pdp_token", None)
    if token is not None:
        if code and code != token.policy_set.code:
            raise HttpError(404, "not found")
        return token.policy_set
    sets = _sets(request)
    if code:
        return get_object_or_404(sets, code=code)
    found = list(sets[:2])
    if len(found) != 1:
        raise HttpError(400, "name the policy set: ?policy_set=<code>")
    return found[0]


# ---------------------------------------------------------------- policy sets

class PolicySetOut(Schema):
    id: int
    code: str
    name: str
    org_unit_id: int
    description: str
    needs_review: bool
    reviewed_at: dt.datetime | None
    version: int
    updated_at: dt.datetime


class RuleOut(Schema):
    id: int
    rule_id: str
    outcome: str
    step_up_to: str
    description: str
    references: list[str]
    roles: list[str]
    actions: list[str]
    conditions: list[Any]
    enabled: bool


class ResourceOut(Schema):
    id: int
    resource_id: str
    name: str
    path_prefix: str
    confidentiality: int
    integrity: int
    availability: int
    handling: list[str]
    owner_unit: str


class PolicySetDetailOut(PolicySetOut):
    rules: list[RuleOut]
    resources: list[ResourceOut]
    hand_cedar: str
    generated_cedar: str
    problems: list[str] = Field(..., description="schema validation problems; empty when publishable")


class RevisionOut(Schema):
    id: int
    number: int
    revision: str
    bundle_sha256: str
    key_id: str
    note: str
    published_by_id: int | None
    published_at: dt.datetime


@router.get("/access/policy-sets", response={200: list[PolicySetOut], **ERRORS}, summary="Policy sets in your scope")
@paginate(Paging)
def access_list_policy_sets(request: HttpRequest) -> Any:
    return _sets(request)


@router.get("/access/policy-sets/{set_id}", response={200: PolicySetDetailOut, **ERRORS},
            summary="A policy set with its rules, generated Cedar and validation result")
def access_get_policy_set(request: HttpRequest, set_id: PathId) -> dict[str, Any]:
    pset = get_object_or_404(_sets(request), pk=set_id)
    built = svc.build(pset)
    out = PolicySetOut.from_orm(pset).dict()
    out.update(rules=list(pset.rules.all()), resources=list(pset.resources.all()), hand_cedar=pset.hand_cedar,
               generated_cedar=built.generated, problems=list(built.problems))
    return out


class RevisionPage(Schema):
    items: list[RevisionOut]
    count: int


@router.get("/access/policy-sets/{set_id}/revisions", response={200: RevisionPage, **ERRORS},
            summary="Published revisions, newest first (limit/offset paging)")
def access_list_revisions(request: HttpRequest, set_id: PathId, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    pset = get_object_or_404(_sets(request), pk=set_id)
    limit, offset = min(max(limit, 1), MAX_LIMIT), min(max(offset, 0), MAX_OFFSET)
    qs = pset.revisions.filter().defer("bundle", "cedar_text", "rules_yaml", "routes_yaml")
    return {"items": list(qs[offset:offset + limit]), "count": qs.count()}


@router.post("/access/policy-sets/{set_id}/decide", response={200: Decision, 409: ErrorOut, **ERRORS},
             summary="Decide a request with the set's current (unpublished) rules; nothing is stored")
def access_decide(request: HttpRequest, set_id: PathId, body: AccessRequest) -> Status[Any]:
    pset = get_object_or_404(_sets(request), pk=set_id)
    try:
        return Status(200, svc.decide(pset, body))
    except PolicyError as exc:
        return Status(409, {"detail": str(exc)[:2000], "code": "invalid_policy"})


class PublishIn(Schema):
    note: str = Field("", max_length=500)
    version: int | None = Field(None, description="the set's version you reviewed; 409 when it changed")


@router.post("/access/policy-sets/{set_id}/publish", response={201: RevisionOut, 409: ErrorOut, **ERRORS},
             summary="Validate, sign and publish the set's current rules as a new bundle revision")
def access_publish(request: HttpRequest, set_id: PathId, body: PublishIn) -> Status[Any]:
    pset = get_object_or_404(_sets(request, Perm.ACCESS_MANAGE), pk=set_id)
    try:
        rev = svc.publish(request.user, pset, note=body.note, request=request,  # type: ignore[arg-type]
                          expected_version=body.version)
    except svc.PublishError as exc:
        return Status(409, {"detail": str(exc)[:2000], "code": "publish_refused"})
    return Status(201, rev)


# ---------------------------------------------------------------- PDP link

_BUNDLE_DOC = {"responses": {200: {"description": "signed bundle (tar.gz, kijun-access-bundle/1)",
                                   "content": {"application/gzip": {"schema": {"type": "string", "format": "binary"}}}},
                             304: {"description": "unchanged (If-None-Match matched the ETag)"}}}


@router.get("/access/bundle", auth=[PdpOrPersonalToken(), Session()], response={200: str, **ERRORS},
            openapi_extra=_BUNDLE_DOC, summary="The latest published bundle of a policy set (ETag)")
def access_bundle(request: HttpRequest, policy_set: str = "") -> HttpResponse:
    if getattr(request, "pdp_token", None) is None and not access_for(request.user).has(Perm.ACCESS_VIEW):
        raise PermissionDeniedError(Perm.ACCESS_VIEW.value)
    pset = _pick_set(request, policy_set[:64])
    rev = pset.revisions.filter().only("bundle_sha256", "number").order_by("-number").first()
    if rev is None:
        raise HttpError(404, "the policy set has no published revision")
    etag = f'"{rev.bundle_sha256}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        resp = HttpResponse(status=304)
    else:
        data = pset.revisions.filter(pk=rev.pk).values_list("bundle", flat=True).get()
        resp = HttpResponse(bytes(data), content_type="application/gzip")
    resp["ETag"] = etag
    resp["X-Kijun-Policy-Revision-Number"] = str(rev.number)
    resp["Cache-Control"] = "no-cache"
    return resp


class IngestOut(Schema):
    stored: int
    duplicates: int


_LOGS_DOC = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["events"], "properties": {"events": {
        "type": "array", "maxItems": 1000, "items": {"type": "object"},
        "description": "decision-log records (kijun.access.decision_log.log_record), principal masked"}}}}}}}


@router.post("/access/decision-logs", auth=[PdpTokenOnly()], response={202: IngestOut, **ERRORS},
             openapi_extra=_LOGS_DOC, summary="Ship decision-log events from a PDP (PDP token)")
def access_ship_decision_logs(request: HttpRequest, policy_set: str = "") -> Status[Any]:
    pset = _pick_set(request, policy_set[:64])
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_LOG_BODY:
        raise HttpError(413, f"body over {MAX_LOG_BODY} bytes: send smaller batches")
    try:
        doc = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(400, f"not JSON: {exc}") from exc
    events = doc.get("events") if isinstance(doc, dict) else doc
    if not isinstance(events, list):
        raise HttpError(400, "expected {\"events\": [...]}")
    try:
        stored, dupes = ingest(pset, events)
    except IngestError as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(202, {"stored": stored, "duplicates": dupes})


class LogOut(Schema):
    id: int
    policy_set_id: int
    decision_id: str
    timestamp: dt.datetime
    decision: str
    determining_policies: list[str]
    principal: str
    action: str
    resource_id: str
    network: str
    policy_revision: str
    record: dict[str, Any]

    @staticmethod
    def resolve_determining_policies(obj: DecisionLogEntry) -> list[str]:
        return obj.policy_list()


@router.get("/access/decision-logs", response={200: list[LogOut], **ERRORS},
            summary="Shipped decisions in your scope (filters: decision, policy, principal, since, until)")
@paginate(Paging)
def access_list_decision_logs(request: HttpRequest, decision: str = "", policy: str = "", principal: str = "",
                              since: str = "", until: str = "", policy_set: str = "", user: str = "") -> Any:
    acc = need(request, Perm.ACCESS_VIEW)
    qs = acc.scoped(DecisionLogEntry.objects.all(), Perm.ACCESS_VIEW, "policy_set__org_unit")
    if policy_set:
        qs = qs.filter(policy_set__code=policy_set[:64])
    params = {"decision": decision, "policy": policy[:100], "principal": principal[:100], "since": since[:40],
              "until": until[:40], "user": user[:256]}
    return filtered(qs, params)
