"""Catalog pages: chapter tree, one provision, and full-text search."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ..core.decorators import require_perm
from ..core.roles import ROLE_BY_CODE, Perm
from .ids import NodeKind
from .models import OfficialText
from .store import default_catalog, search

PAGE_SIZE = 30
TREE_KINDS = {NodeKind.CHAPTER, NodeKind.SECTION, NodeKind.ITEM}


@require_perm(Perm.CATALOG_VIEW)
def catalog_index(request: HttpRequest) -> HttpResponse:
    cat = default_catalog()
    tree = [n for n in cat if n.kind in TREE_KINDS]
    counts = cat.counts()
    imported = OfficialText.objects.filter(edition=cat.edition.code).count()  # nosemgrep: kijun-unscoped-queryset-in-view -- agency-wide reference text
    return render(request, "catalog/index.html", {"edition": cat.edition, "tree": tree, "counts": counts,
                                                  "imported": imported})


@require_perm(Perm.CATALOG_VIEW)
def catalog_node(request: HttpRequest, node_id: str) -> HttpResponse:
    cat = default_catalog()
    if node_id not in cat:
        raise Http404(node_id)
    node = cat.get(node_id)
    official = OfficialText.objects.filter(edition=cat.edition.code, node_id=node_id).first()  # nosemgrep: kijun-unscoped-queryset-in-view -- agency-wide reference text
    related = [cat.get(r) for r in node.related if r in cat]
    roles = [ROLE_BY_CODE[c] for c in node.responsible_roles if c in ROLE_BY_CODE]
    return render(request, "catalog/node.html", {
        "node": node, "ancestors": cat.ancestors(node_id), "children": cat.children(node_id),
        "related": related, "roles": roles, "official": official, "edition": cat.edition,
    })


@require_perm(Perm.CATALOG_VIEW)
def catalog_search(request: HttpRequest) -> HttpResponse:
    cat = default_catalog()
    q = request.GET.get("q", "").strip()[:200]
    page_no = request.GET.get("page", "1")
    number = int(page_no) if page_no.isdigit() and int(page_no) > 0 else 1
    ids, total = search(q, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE) if q else ([], 0)
    page = Paginator(range(total), PAGE_SIZE).get_page(number)
    return render(request, "catalog/search.html", {
        "q": q, "results": [cat.get(i) for i in ids], "total": total, "page": page,
        "query": f"q={q}",
    })
