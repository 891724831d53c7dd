"""Catalog REST API (/api/v1/catalog/...): nodes and search; the agency's 対策基準 (read, OSCAL profile,
clause edits with optimistic versions → 409); the documents register; the diff between editions;
revision reviews. Schema-valid input the catalog rejects (unknown id, missing reason, unknown
edition) answers 409 ``invalid`` — 422 stays for bodies that do not match the schema.
Scopes match the pages: a 対策基準 is visible inside its organisation, documents by owner unit."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kijun.core.models import OrgUnit
from kijun.core.services import ConflictError, PermissionDeniedError
from kijun.web.pagination import Paging

from ..core.api import ERRORS, BodyId, ErrorOut, PathId, need
from ..core.roles import Perm
from .diff import diff_result_json
from .models import AgencyDocument, OfficialText, ReviewItem, ReviewRun
from .oscal import profile_to_oscal
from .revisions import (
    EditionError,
    complete_item,
    diff_editions,
    edition_codes,
    edition_sources,
    start_review,
)
from .services import (
    TailoringError,
    policy_clauses,
    policy_of,
    save_clause,
    save_document,
    visible_organisations,
)
from .store import default_catalog, search
from .tailoring import Clause, Param, to_agency_policy

router = Router(tags=["catalog"])


class NodeOut(Schema):
    id: str
    kind: str
    parent: str | None
    title_ja: str
    title_en: str
    summary_ja: str
    summary_en: str
    purpose_ja: str | None = None
    purpose_en: str | None = None
    responsible_roles: list[str]
    applies_to: list[str]
    lifecycle_phase: list[str]
    related: list[str]
    children: list[str]
    official_text: str | None = None


class SearchOut(Schema):
    count: int
    items: list[NodeOut]


def _out(node_id: str, with_official: bool = False) -> dict[str, Any]:
    cat = default_catalog()
    n = cat.get(node_id)
    official = None
    if with_official:
        o = OfficialText.objects.filter(edition=cat.edition.code, node_id=node_id).first()  # nosemgrep: kijun-unscoped-queryset-in-view -- agency-wide reference text
        official = o.text if o else None
    return {
        "id": n.id, "kind": n.kind.value, "parent": n.parent, "title_ja": n.title_ja, "title_en": n.title_en,
        "summary_ja": n.summary_ja, "summary_en": n.summary_en, "purpose_ja": n.purpose_ja,
        "purpose_en": n.purpose_en, "responsible_roles": list(n.responsible_roles),
        "applies_to": list(n.tags.applies_to), "lifecycle_phase": list(n.tags.lifecycle_phase),
        "related": list(n.related), "children": [c.id for c in cat.children(node_id)],
        "official_text": official,
    }


@router.get("/catalog/nodes/{node_id}", response={200: NodeOut, **ERRORS}, summary="One provision by its id")
def catalog_get_node(request: HttpRequest, node_id: str) -> dict[str, Any]:
    need(request, Perm.CATALOG_VIEW)
    if node_id not in default_catalog():
        raise Http404(node_id)
    return _out(node_id, with_official=True)


class SearchIn(Schema):
    q: str = Field(..., min_length=1, max_length=200)
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10_000)


@router.get("/catalog/search", response={200: SearchOut, **ERRORS},
            summary="Full-text search (Japanese or English substrings; all terms must match)")
def catalog_search_api(request: HttpRequest, params: Query[SearchIn]) -> dict[str, Any]:
    need(request, Perm.CATALOG_VIEW)
    ids, total = search(params.q, limit=params.limit, offset=params.offset)
    return {"count": total, "items": [_out(i) for i in ids]}


# ---------------------------------------------------------------- 対策基準

class ParamIO(Schema):
    id: str = Field(..., pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,40}$")
    label: str = Field(..., min_length=1, max_length=200)
    value: str = Field(..., min_length=1, max_length=500)


class ClauseOut(Schema):
    clause_id: str
    excluded: bool
    reason: str
    wording_ja: str
    wording_en: str
    parameters: list[ParamIO]
    is_addition: bool
    anchor: str
    title: str
    updated_by: str
    updated_at: dt.datetime | None


class PolicyOut(Schema):
    unit: str
    title: str
    edition: str
    version_label: str
    version: int
    clauses: list[ClauseOut] = Field(..., description="only the clauses the agency tailored; every other "
                                     "requirement of the standard applies as written")


class ClauseIn(Schema):
    excluded: bool = False
    reason: str = Field("", max_length=2000)
    wording_ja: str = Field("", max_length=5000)
    wording_en: str = Field("", max_length=5000)
    parameters: list[ParamIO] = Field(default_factory=list, max_length=50)
    is_addition: bool = False
    anchor: str = Field("", max_length=64)
    title: str = Field("", max_length=200)
    version: int = Field(..., ge=0, description="version you loaded (0 = not tailored yet); 409 if it changed")


def _clause_out(c: Clause) -> dict[str, Any]:
    return {"clause_id": c.clause_id, "excluded": c.excluded, "reason": c.reason, "wording_ja": c.wording_ja,
            "wording_en": c.wording_en, "parameters": [{"id": p.id, "label": p.label, "value": p.value}
                                                       for p in c.parameters],
            "is_addition": c.is_addition, "anchor": c.anchor, "title": c.title, "updated_by": c.updated_by,
            "updated_at": c.updated_at}


def _org(request: HttpRequest, unit: str) -> OrgUnit:
    need(request, Perm.CATALOG_VIEW)
    return get_object_or_404(visible_organisations(request.user), code=unit)


@router.get("/catalog/policies/{unit}", response={200: PolicyOut, **ERRORS},
            summary="An organisation's 対策基準 (its tailoring of the standard)")
def catalog_get_policy(request: HttpRequest, unit: str) -> dict[str, Any]:
    org = _org(request, unit)
    policy = policy_of(org)
    return {"unit": org.code, "title": policy.title, "edition": policy.edition, "version_label": policy.version_label,
            "version": policy.version, "clauses": [_clause_out(c) for c in policy_clauses(policy)]}


@router.get("/catalog/policies/{unit}/profile", response={200: dict[str, Any], **ERRORS},
            summary="The 対策基準 as an OSCAL 1.1 profile (JSON)")
def catalog_policy_profile(request: HttpRequest, unit: str) -> dict[str, Any]:
    org = _org(request, unit)
    policy = policy_of(org)
    cat = default_catalog()
    pol = to_agency_policy(org.name, policy.title, policy.version_label, policy_clauses(policy),
                           catalog_href=f"kijun-catalog-{cat.edition.code}.json")
    return profile_to_oscal(pol, cat, datetime.now(UTC))


@router.put("/catalog/policies/{unit}/clauses/{clause_id}",
            response={200: ClauseOut, 204: None, 409: ErrorOut, **ERRORS},
            summary="Tailor one clause (204 when it is back to the standard's default)")
def catalog_put_clause(request: HttpRequest, unit: str, clause_id: str, body: ClauseIn) -> Status[Any]:
    need(request, Perm.POLICY_MANAGE)
    org = _org(request, unit)
    clause = Clause(clause_id=clause_id, excluded=body.excluded, reason=body.reason, wording_ja=body.wording_ja,
                    wording_en=body.wording_en, parameters=tuple(Param(p.id, p.label, p.value) for p in body.parameters),
                    is_addition=body.is_addition, anchor=body.anchor, title=body.title)
    try:
        row = save_clause(request.user, org, clause, expected_version=body.version, request=request)  # type: ignore[arg-type]
    except PermissionDeniedError:
        return Status(403, {"detail": "policy.manage is needed at the organisation", "code": "forbidden"})
    except ConflictError:
        return Status(409, {"detail": "the clause changed since you loaded it; reload", "code": "conflict"})
    except TailoringError as exc:
        return Status(409, {"detail": str(exc)[:1000], "code": "invalid"})
    if row is None:
        return Status(204, None)
    from .services import to_clause

    return Status(200, _clause_out(to_clause(row)))


# ---------------------------------------------------------------- documents register

class DocumentOut(Schema):
    id: int
    title: str
    kind: str
    edition: str
    owner_unit_id: int
    requirement_ids: list[str]
    last_reviewed: dt.date | None
    notes: str
    version: int


class DocumentIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    kind: str = Field("manual", pattern="^(rule|manual|procedure|other)$")
    edition: str = Field(..., min_length=1, max_length=16)
    owner_unit_id: BodyId
    requirement_ids: list[str] = Field(..., min_length=1, max_length=500)
    last_reviewed: dt.date | None = None
    notes: str = Field("", max_length=5000)


def _docs(request: HttpRequest, perm: Perm = Perm.CATALOG_VIEW) -> Any:
    acc = need(request, perm)
    return acc.scoped(AgencyDocument.objects.all(), perm, "owner_unit")


@router.get("/catalog/documents", response={200: list[DocumentOut], **ERRORS},
            summary="Documents of the register in your scope")
@paginate(Paging)
def catalog_list_documents(request: HttpRequest, q: str = "") -> Any:
    qs = _docs(request)
    return qs.filter(title__icontains=q) if q else qs


@router.get("/catalog/documents/{document_id}", response={200: DocumentOut, **ERRORS})
def catalog_get_document(request: HttpRequest, document_id: PathId) -> AgencyDocument:
    return get_object_or_404(_docs(request), pk=document_id)


@router.post("/catalog/documents", response={201: DocumentOut, 409: ErrorOut, **ERRORS},
             summary="Register a document (requirement ids are checked against the catalog)")
def catalog_create_document(request: HttpRequest, body: DocumentIn) -> Status[Any]:
    acc = need(request, Perm.POLICY_MANAGE)
    unit = get_object_or_404(acc.units(Perm.POLICY_MANAGE), pk=body.owner_unit_id)
    if body.edition not in edition_codes():
        return Status(409, {"detail": f"unknown edition {body.edition!r}", "code": "invalid"})
    doc = AgencyDocument(title=body.title, kind=body.kind, edition=body.edition, owner_unit=unit,
                         requirement_ids=list(dict.fromkeys(body.requirement_ids)), last_reviewed=body.last_reviewed,
                         notes=body.notes)
    try:
        save_document(request.user, doc, request=request)  # type: ignore[arg-type]
    except TailoringError as exc:
        return Status(409, {"detail": str(exc)[:1000], "code": "invalid"})
    return Status(201, doc)


# ---------------------------------------------------------------- editions and diff

class EditionOut(Schema):
    key: str
    code: str
    kind: str
    nodes: int


@router.get("/catalog/editions", response={200: list[EditionOut], **ERRORS},
            summary="Editions that can be compared (packaged catalog and stored official texts)")
def catalog_list_editions(request: HttpRequest) -> list[dict[str, Any]]:
    need(request, Perm.CATALOG_VIEW)
    return [{"key": s.key, "code": s.code, "kind": s.kind, "nodes": s.nodes} for s in edition_sources()]


class DiffIn(Schema):
    a: str = Field(..., max_length=40)
    b: str = Field(..., max_length=40)


@router.get("/catalog/diff", response={200: dict[str, Any], **ERRORS},
            summary="Ids added, removed, moved, retitled or changed between two editions (as `catalog diff --json`)")
def catalog_diff_api(request: HttpRequest, params: Query[DiffIn]) -> Any:
    need(request, Perm.CATALOG_VIEW)
    try:
        return diff_result_json(diff_editions(params.a, params.b))
    except EditionError as exc:
        return Status(404, {"detail": str(exc), "code": "not_found"})


# ---------------------------------------------------------------- revision reviews

class ReviewItemOut(Schema):
    id: int
    target: str
    document_id: int | None
    clause_id: str
    tailored: bool
    changes: list[dict[str, Any]]
    status: str
    note: str
    done_at: dt.datetime | None
    version: int


class ReviewOut(Schema):
    id: int
    unit: str
    edition_a: str
    edition_b: str
    summary: dict[str, Any]
    created_at: dt.datetime
    items: list[ReviewItemOut] = Field(..., description="documents outside your scope are left out")


class ReviewIn(Schema):
    unit: str = Field(..., max_length=64)
    a: str = Field(..., max_length=40)
    b: str = Field(..., max_length=40)


class ItemDoneIn(Schema):
    note: str = Field("", max_length=2000)
    adopt_edition: bool = True
    version: int = Field(..., ge=1)


def _review_out(request: HttpRequest, run: ReviewRun) -> dict[str, Any]:
    acc = need(request, Perm.CATALOG_VIEW)
    items = run.items.filter(Q(target=ReviewItem.Target.CLAUSE) | acc.unit_q(Perm.CATALOG_VIEW, "document__owner_unit__"))
    return {"id": run.pk, "unit": run.org_unit.code, "edition_a": run.edition_a, "edition_b": run.edition_b,
            "summary": run.summary, "created_at": run.created_at, "items": list(items.order_by("id")[:5000])}


def _runs(request: HttpRequest) -> Any:
    need(request, Perm.CATALOG_VIEW)
    # nosemgrep: kijun-unscoped-queryset-in-view -- scoped: runs of organisations the user may see
    return ReviewRun.objects.filter(org_unit__in=visible_organisations(request.user)).select_related("org_unit")


@router.get("/catalog/reviews/{review_id}", response={200: ReviewOut, **ERRORS},
            summary="A revision review and its worklist")
def catalog_get_review(request: HttpRequest, review_id: PathId) -> dict[str, Any]:
    return _review_out(request, get_object_or_404(_runs(request), pk=review_id))


@router.post("/catalog/reviews", response={201: ReviewOut, 409: ErrorOut, **ERRORS},
             summary="Diff two editions and create the organisation's worklist (POLICY_MANAGE at the organisation)")
def catalog_start_review(request: HttpRequest, body: ReviewIn) -> Status[Any]:
    need(request, Perm.POLICY_MANAGE)
    org = _org(request, body.unit)
    try:
        run = start_review(request.user, org, body.a, body.b, request=request)  # type: ignore[arg-type]
    except PermissionDeniedError:
        return Status(403, {"detail": "policy.manage is needed at the organisation", "code": "forbidden"})
    except EditionError as exc:
        return Status(409, {"detail": str(exc), "code": "invalid"})
    return Status(201, _review_out(request, run))


@router.post("/catalog/reviews/items/{item_id}/done", response={200: ReviewItemOut, 409: ErrorOut, **ERRORS},
             summary="Mark a worklist item reviewed (a document also takes today's review date)")
def catalog_review_item_done_api(request: HttpRequest, item_id: PathId, body: ItemDoneIn) -> Status[Any]:
    need(request, Perm.POLICY_MANAGE)
    acc = need(request, Perm.CATALOG_VIEW)
    # nosemgrep: kijun-unscoped-queryset-in-view -- scoped through visible runs and the document's owner unit
    visible = ReviewItem.objects.filter(run__in=_runs(request)).filter(
        Q(target=ReviewItem.Target.CLAUSE) | acc.unit_q(Perm.CATALOG_VIEW, "document__owner_unit__"))
    item = get_object_or_404(visible.select_related("run", "run__org_unit", "document", "document__owner_unit"),
                             pk=item_id)
    try:
        done = complete_item(request.user, item, note=body.note, adopt_edition=body.adopt_edition,  # type: ignore[arg-type]
                             expected_version=body.version, request=request)
    except PermissionDeniedError:
        return Status(403, {"detail": "policy.manage is needed for this item", "code": "forbidden"})
    except ConflictError:
        return Status(409, {"detail": "already done or changed meanwhile", "code": "conflict"})
    return Status(200, done)
