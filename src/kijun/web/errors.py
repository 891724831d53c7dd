"""Error views: pages for people, ``{detail, code}`` JSON for API clients.

A URL under /api/ that matches no operation (for example ``/api/v1/cloud/systems/abc`` where an integer
id is expected) never reaches django-ninja, so Django's own 404/500 views answer it; API clients must
still get the documented JSON error body, not an HTML page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": "not found", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": "internal server error", "code": "server_error"}, status=500)
    return defaults.server_error(request)
