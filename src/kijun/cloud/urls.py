"""URL routes of the cloud web pages (mounted at /cloud/ by kijun.web.urls)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("", views.cloud_index, name="cloud_index"),
    path("register/export/", views.cloud_register_export, name="cloud_register_export"),
    path("register/<int:pk>/", views.cloud_register_detail, name="cloud_register_detail"),
    path("lifecycle/<int:pk>/complete/", views.cloud_lifecycle_complete, name="cloud_lifecycle_complete"),
    path("systems/", views.cloud_system_list, name="cloud_system_list"),
    path("systems/export.csv", views.cloud_system_export, name="cloud_system_export"),
    path("systems/new/", views.cloud_system_edit, name="cloud_system_new"),
    path("systems/<int:pk>/", views.cloud_system_detail, name="cloud_system_detail"),
    path("systems/<int:pk>/edit/", views.cloud_system_edit, name="cloud_system_edit"),
    path("applications/", views.cloud_application_list, name="cloud_application_list"),
    path("applications/new/", views.cloud_application_new, name="cloud_application_new"),
    path("applications/<int:pk>/", views.cloud_application_detail, name="cloud_application_detail"),
    path("applications/<int:pk>/decide/", views.cloud_application_decide, name="cloud_application_decide"),
    path("ismap/", views.cloud_ismap, name="cloud_ismap"),
    path("ismap/upload/", views.cloud_ismap_upload, name="cloud_ismap_upload"),
    path("ismap/imports/<int:pk>/", views.cloud_ismap_import, name="cloud_ismap_import"),
]
