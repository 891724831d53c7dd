"""The NinjaAPI instance mounted at /api/v1: authentication, error bodies, domain routers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from ..core.api import router as core_router
from ..core.incompatible import IncompatibleRolesError
from ..core.plugins import domain_modules
from ..core.services import ConflictError, PermissionDeniedError
from ..core.tokens import authenticate_token
from .logging import security_event


class TokenAuth(HttpBearer):
    """``Authorization: Bearer kjn_…`` personal access tokens."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is None:
            security_event("api_token_rejected", request, "failure")
            return None
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser session (CSRF-checked for unsafe methods by django-ninja)."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


def docs_guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """API docs and schema only for signed-in users unless explicitly public (ASVS 13.4.5)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.KIJUN_API_DOCS_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


api = NinjaAPI(
    title="kijun API",
    version="1",
    description="統一基準群 platform REST API. Authenticate with a personal access token "
                "(Authorization: Bearer kjn_…) or a browser session. Errors: {detail, code}.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_decorator=docs_guard,
)


def _error(request: HttpRequest, status: int, code: str, detail: str) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code}, status=status)


@api.exception_handler(PermissionDeniedError)
def _denied(request: HttpRequest, exc: PermissionDeniedError) -> HttpResponse:
    security_event("access_denied", request, "denied", permission=str(exc))
    return _error(request, 403, "forbidden", f"permission required: {exc}")


@api.exception_handler(IncompatibleRolesError)
def _incompatible(request: HttpRequest, exc: IncompatibleRolesError) -> HttpResponse:
    return _error(request, 409, "incompatible_roles", exc.message(get_language() or "ja"))


@api.exception_handler(ConflictError)
def _conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    return _error(request, 409, "conflict", "the object was changed by someone else; reload and retry")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", "not found")


@api.exception_handler(AuthenticationError)
def _unauth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", "authentication required")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403:
        security_event("access_denied", request, "denied", reason=str(exc))
    return _error(request, exc.status_code, f"http_{exc.status_code}", str(exc))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = ".".join(str(p) for p in first.get("loc", []))
    return api.create_response(request, {"detail": f"{loc}: {first.get('msg', 'invalid input')}",
                                         "code": "invalid", "errors": exc.errors}, status=422)


api.add_router("/", core_router)
# Every domain app with an ``api.py`` contributes its ``router`` (see settings.DOMAIN_APPS).
for _domain, _module in domain_modules("api"):
    api.add_router("/", _module.router)
