"""URL routes of the cloud web pages (mounted at /cloud/ by kijun.web.urls)."""

from django.urls import URLPattern, path

from . import views
from .duties import views as duty_views
from .info import views as info_views
from .ledger import views as ledger_views

urlpatterns: list[URLPattern] = [
    path("", views.cloud_index, name="cloud_index"),
    path("register/export/", views.cloud_register_export, name="cloud_register_export"),
    path("register/<int:pk>/", views.cloud_register_detail, name="cloud_register_detail"),
    path("lifecycle/<int:pk>/complete/", views.cloud_lifecycle_complete, name="cloud_lifecycle_complete"),
    path("lifecycle/<int:pk>/owner/", duty_views.cloud_lifecycle_owner, name="cloud_lifecycle_owner"),
    path("evidence/<int:pk>/", duty_views.cloud_evidence_download, name="cloud_evidence_download"),
    path("systems/", views.cloud_system_list, name="cloud_system_list"),
    path("systems/export.csv", views.cloud_system_export, name="cloud_system_export"),
    path("systems/import/", ledger_views.cloud_system_import, name="cloud_system_import"),
    path("systems/standard/", ledger_views.cloud_system_standard, name="cloud_system_standard"),
    path("systems/new/", views.cloud_system_edit, name="cloud_system_new"),
    path("systems/<int:pk>/", views.cloud_system_detail, name="cloud_system_detail"),
    path("systems/<int:pk>/edit/", views.cloud_system_edit, name="cloud_system_edit"),
    path("applications/", views.cloud_application_list, name="cloud_application_list"),
    path("applications/new/", views.cloud_application_new, name="cloud_application_new"),
    path("applications/<int:pk>/", views.cloud_application_detail, name="cloud_application_detail"),
    path("applications/<int:pk>/edit/", views.cloud_application_edit, name="cloud_application_edit"),
    path("applications/<int:pk>/submit/", views.cloud_application_submit, name="cloud_application_submit"),
    path("applications/<int:pk>/withdraw/", views.cloud_application_withdraw, name="cloud_application_withdraw"),
    path("applications/<int:pk>/decide/", views.cloud_application_decide, name="cloud_application_decide"),
    path("ismap/", views.cloud_ismap, name="cloud_ismap"),
    path("ismap/upload/", views.cloud_ismap_upload, name="cloud_ismap_upload"),
    path("ismap/imports/<int:pk>/", views.cloud_ismap_import, name="cloud_ismap_import"),
    path("assets/", info_views.cloud_asset_list, name="cloud_asset_list"),
    path("assets/export/", info_views.cloud_asset_export, name="cloud_asset_export"),
    path("assets/import/", info_views.cloud_asset_import, name="cloud_asset_import"),
    path("assets/new/", info_views.cloud_asset_edit, name="cloud_asset_new"),
    path("assets/<int:pk>/", info_views.cloud_asset_detail, name="cloud_asset_detail"),
    path("assets/<int:pk>/edit/", info_views.cloud_asset_edit, name="cloud_asset_edit"),
    path("assets/<int:pk>/apply-guide/", info_views.cloud_asset_apply_guide, name="cloud_asset_apply_guide"),
    path("classify/", info_views.cloud_guide, name="cloud_guide"),
    path("assets/restrictions/", info_views.cloud_restrictions, name="cloud_restrictions"),
]
