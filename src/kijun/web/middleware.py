"""Cross-cutting request handling: security logging, session timeouts, language, no-store."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .logging import security_event

Handler = Callable[[HttpRequest], HttpResponse]


class SecurityLogMiddleware:
    """Log every 5xx, 403 and unhandled exception as a structured security event, DEBUG or not."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500:
            security_event("server_error", request, "error", logging.ERROR, status=response.status_code)
        elif response.status_code == 403:
            security_event("access_denied", request, "denied", logging.WARNING, status=403)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        security_event("unhandled_exception", request, "error", logging.ERROR,
                       error=type(exception).__name__)


class SessionTimeoutMiddleware:
    """Idle and absolute session timeouts enforced server-side (ASVS 7.3.1, 7.3.2)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            started = int(request.session.get("kijun_started", now))
            seen = int(request.session.get("kijun_seen", now))
            if now - seen > settings.SESSION_IDLE_TIMEOUT or now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                security_event("session_expired", request, "expired")
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                return redirect_to_login(request.get_full_path())
            if "kijun_started" not in request.session:
                request.session["kijun_started"] = started
            # Refresh the idle clock at most every 30 s so most requests do not write the session.
            if now - seen >= 30 or "kijun_seen" not in request.session:
                request.session["kijun_seen"] = now
        return self.get_response(request)


class UserLanguageMiddleware:
    """Use the signed-in user's saved language when the browser has no language cookie."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (request.user.is_authenticated and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
                and getattr(request.user, "language", "")):
            translation.activate(request.user.language)  # type: ignore[union-attr]
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages for signed-in users may show classified data: never let caches keep them (ASVS 14.3.2)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
        return response
