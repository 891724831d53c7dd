"""URL routes of the diagnostics pages (mounted at /diagnostics/ by kijun.web.urls)."""

from django.urls import URLPattern, path

from . import views, views_manage

urlpatterns: list[URLPattern] = [
    path("", views.diagnostics_index, name="diagnostics_index"),
    path("hosts/", views.diagnostics_hosts, name="diagnostics_hosts"),
    path("hosts/<int:pk>/", views.diagnostics_host_detail, name="diagnostics_host_detail"),
    path("systems/<int:pk>/", views.diagnostics_system_detail, name="diagnostics_system_detail"),
    path("vulns/<str:vuln_id>/", views.diagnostics_vuln_detail, name="diagnostics_vuln_detail"),
    path("coverage/", views.diagnostics_coverage, name="diagnostics_coverage"),
    path("remediation/", views_manage.diagnostics_remediations, name="diagnostics_remediations"),
    path("remediation/export/", views_manage.diagnostics_remediation_export, name="diagnostics_remediation_export"),
    path("remediation/<int:pk>/", views_manage.diagnostics_remediation_detail, name="diagnostics_remediation_detail"),
    path("findings/export/", views_manage.diagnostics_findings_export, name="diagnostics_findings_export"),
    path("upload/inventory/", views_manage.diagnostics_upload_inventory, name="diagnostics_upload_inventory"),
    path("upload/feed/", views_manage.diagnostics_upload_feed, name="diagnostics_upload_feed"),
    path("rematch/", views_manage.diagnostics_rematch, name="diagnostics_rematch"),
    path("sla/", views_manage.diagnostics_sla, name="diagnostics_sla"),
]
