"""URL routes of the access-control pages (mounted at /access/ by kijun.web.urls)."""

from django.urls import URLPattern, path

from . import views, views_logs

urlpatterns: list[URLPattern] = [
    path("", views.access_index, name="access_index"),
    path("sets/new/", views.access_set_new, name="access_set_new"),
    path("sets/<int:pk>/", views.access_set_detail, name="access_set_detail"),
    path("sets/<int:pk>/edit/", views.access_set_edit, name="access_set_edit"),
    path("sets/<int:pk>/review/", views.access_set_review, name="access_set_review"),
    path("sets/<int:pk>/cedar/", views.access_set_cedar, name="access_set_cedar"),
    path("sets/<int:pk>/test/", views.access_set_test, name="access_set_test"),
    path("sets/<int:pk>/publish/", views.access_set_publish, name="access_set_publish"),
    path("sets/<int:pk>/rules.yaml", views.access_rules_export, name="access_rules_export"),
    path("sets/<int:pk>/rules/import/", views.access_rules_import, name="access_rules_import"),
    path("sets/<int:pk>/rules/new/", views.access_rule_edit, name="access_rule_new"),
    path("sets/<int:pk>/rules/preview/", views.access_rule_preview, name="access_rule_preview"),
    path("sets/<int:pk>/rules/<int:rule_pk>/", views.access_rule_edit, name="access_rule_edit"),
    path("sets/<int:pk>/rules/<int:rule_pk>/delete/", views.access_rule_delete, name="access_rule_delete"),
    path("sets/<int:pk>/resources/new/", views.access_resource_edit, name="access_resource_new"),
    path("sets/<int:pk>/resources/<int:res_pk>/", views.access_resource_edit, name="access_resource_edit"),
    path("sets/<int:pk>/resources/<int:res_pk>/delete/", views.access_resource_delete,
         name="access_resource_delete"),
    path("sets/<int:pk>/tokens/new/", views.access_token_new, name="access_token_new"),
    path("sets/<int:pk>/tokens/<int:token_pk>/revoke/", views.access_token_revoke, name="access_token_revoke"),
    path("revisions/<int:pk>/", views.access_revision_detail, name="access_revision_detail"),
    path("revisions/<int:pk>/bundle.tar.gz", views.access_revision_download, name="access_revision_download"),
    path("public-key.pem", views.access_public_key, name="access_public_key"),
    path("decisions/", views_logs.access_log_list, name="access_log_list"),
    path("decisions/export.csv", views_logs.access_log_export, name="access_log_export"),
    path("decisions/<int:pk>/", views_logs.access_log_detail, name="access_log_detail"),
]
