"""URL routes of the discovery web pages (mounted at /discovery/ by kijun.web.urls)."""

from django.urls import URLPattern, path

from . import views, views_jobs

urlpatterns: list[URLPattern] = [
    path("", views.discovery_index, name="discovery_index"),
    path("new/", views.discovery_new, name="discovery_new"),
    path("files/", views_jobs.discovery_files, name="discovery_files"),
    path("scans/<int:pk>/progress/", views_jobs.discovery_progress, name="discovery_progress"),
    path("scans/<int:pk>/", views.discovery_scan, name="discovery_scan"),
    path("scans/<int:pk>/unknown/", views.discovery_unknown, name="discovery_unknown"),
    path("scans/<int:pk>/user/", views.discovery_user, name="discovery_user"),
    path("scans/<int:pk>/export.csv", views.discovery_export_csv, name="discovery_export_csv"),
    path("scans/<int:pk>/export.xlsx", views.discovery_export_xlsx, name="discovery_export_xlsx"),
    path("scans/<int:pk>/users.csv", views.discovery_export_users_csv, name="discovery_export_users_csv"),
    path("scans/<int:pk>/decide/", views.discovery_decide, name="discovery_decide"),
]
