"""Catalog pages beyond the read-only tree (mounted at /catalog/ by kijun.web.urls; the index, search and
provision pages stay routed there): the agency's 対策基準, documents register, revision diff and reviews."""

from django.urls import URLPattern, path

from . import views_docs as docs
from . import views_policy as pol

urlpatterns: list[URLPattern] = [
    path("policy/", pol.catalog_policy_index, name="catalog_policy_index"),
    path("policy/<slug:unit>/", pol.catalog_policy, name="catalog_policy"),
    path("policy/<slug:unit>/add/", pol.catalog_policy_add, name="catalog_policy_add"),
    path("policy/<slug:unit>/meta/", pol.catalog_policy_meta, name="catalog_policy_meta"),
    path("policy/<slug:unit>/export/", pol.catalog_policy_export, name="catalog_policy_export"),
    path("policy/<slug:unit>/c/<str:clause_id>/", pol.catalog_policy_clause, name="catalog_policy_clause"),
    path("documents/", docs.catalog_document_list, name="catalog_document_list"),
    path("documents/export/", docs.catalog_document_export, name="catalog_document_export"),
    path("documents/new/", docs.catalog_document_edit, name="catalog_document_new"),
    path("documents/<int:pk>/", docs.catalog_document_detail, name="catalog_document_detail"),
    path("documents/<int:pk>/edit/", docs.catalog_document_edit, name="catalog_document_edit"),
    path("editions/upload/", docs.catalog_edition_upload, name="catalog_edition_upload"),
    path("diff/", docs.catalog_diff, name="catalog_diff"),
    path("diff/export.csv", docs.catalog_diff_export, name="catalog_diff_export"),
    path("reviews/", docs.catalog_review_list, name="catalog_review_list"),
    path("reviews/start/", docs.catalog_review_start, name="catalog_review_start"),
    path("reviews/<int:pk>/", docs.catalog_review_detail, name="catalog_review_detail"),
    path("reviews/items/<int:pk>/done/", docs.catalog_review_item_done, name="catalog_review_item_done"),
]
