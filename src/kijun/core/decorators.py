"""View guards: sign-in plus a function-level permission check on every view."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .permissions import access_for
from .roles import Perm

View = Callable[..., HttpResponse]


def require_perm(perm: Perm | None) -> Callable[[View], View]:
    """Redirect anonymous users to sign in; 403 when ``perm`` is granted nowhere to the user.

    ``None`` means "any signed-in user" (own profile, notifications).
    """

    def deco(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if perm is not None and not access_for(request.user).has(perm):
                raise PermissionDenied(perm.value)
            return view(request, *args, **kwargs)

        wrapped.kijun_perm = perm  # type: ignore[attr-defined]
        return wrapped

    return deco
