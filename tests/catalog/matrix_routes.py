"""Catalog routes in the permission matrix (tests/core/test_permission_matrix.py).

The 対策基準 and review runs belong to an organisation: "inside" is the demo ministry (the matrix
scope lies within it), "outside" another ministry. Documents are scoped by their owner unit."""

from __future__ import annotations

from kijun.core.roles import Perm
from tests.matrix import ObjectRef, Route

from .web_helpers import clause_kwargs, document_kwargs, policy_kwargs, review_kwargs

OBJECTS = {
    "catalog_policy": ObjectRef(policy_kwargs),
    "catalog_clause": ObjectRef(clause_kwargs),
    "catalog_document": ObjectRef(document_kwargs),
    "catalog_review": ObjectRef(review_kwargs),
}

UI_ROUTES = [
    Route("catalog_policy_index", Perm.CATALOG_VIEW),
    Route("catalog_policy", Perm.CATALOG_VIEW, "catalog_policy"),
    Route("catalog_policy_export", Perm.CATALOG_VIEW, "catalog_policy", query="format=csv"),
    Route("catalog_policy_clause", Perm.CATALOG_VIEW, "catalog_clause"),
    Route("catalog_document_list", Perm.CATALOG_VIEW),
    Route("catalog_document_export", Perm.CATALOG_VIEW),
    Route("catalog_document_new", Perm.POLICY_MANAGE),
    Route("catalog_document_detail", Perm.CATALOG_VIEW, "catalog_document"),
    Route("catalog_document_edit", Perm.POLICY_MANAGE, "catalog_document"),
    Route("catalog_edition_upload", Perm.POLICY_MANAGE),
    Route("catalog_diff", Perm.CATALOG_VIEW, query="a=catalog:r7&b=catalog:r7"),
    Route("catalog_review_list", Perm.CATALOG_VIEW),
    Route("catalog_review_detail", Perm.CATALOG_VIEW, "catalog_review"),
]

API_ROUTES = [
    Route("catalog_get_policy", Perm.CATALOG_VIEW, "catalog_policy", anon=401),
    Route("catalog_policy_profile", Perm.CATALOG_VIEW, "catalog_policy", anon=401),
    Route("catalog_list_documents", Perm.CATALOG_VIEW, anon=401),
    Route("catalog_get_document", Perm.CATALOG_VIEW, "catalog_document", anon=401),
    Route("catalog_list_editions", Perm.CATALOG_VIEW, anon=401),
    Route("catalog_diff_api", Perm.CATALOG_VIEW, anon=401, query="a=catalog:r7&b=catalog:r7"),
    Route("catalog_get_review", Perm.CATALOG_VIEW, "catalog_review", anon=401),
]

EXEMPT = {
    "catalog_policy_add": "POST only (tests/catalog/test_policy_web.py: agency clause add, duplicate id, rights)",
    "catalog_policy_meta": "POST only (tests/catalog/test_policy_web.py: title and version label)",
    "catalog_diff_export": "needs two stored editions (tests/catalog/test_documents_web.py: diff CSV)",
    "catalog_review_start": "POST only (tests/catalog/test_documents_web.py: review run and worklist)",
    "catalog_review_item_done": "POST only (tests/catalog/test_documents_web.py: worklist item done, rights)",
}
