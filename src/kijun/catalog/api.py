"""Catalog REST API: nodes and search (/api/v1/catalog/...)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from ..core.api import ERRORS, need
from ..core.roles import Perm
from .models import OfficialText
from .store import default_catalog, search

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
