"""Sign-in (password, then TOTP when enabled), sign-out and the language switch."""

from __future__ import annotations

import time

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ..web.logging import security_event
from . import audit, throttle
from .forms import LoginForm, TotpForm
from .models import User

PENDING_KEY = "kijun_pending_2fa"
PENDING_SECONDS = 300


def _safe_next(request: HttpRequest) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}, require_https=request.is_secure()):
        return nxt
    return "/"


def _finish_login(request: HttpRequest, user: User, method: str) -> HttpResponse:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # rotates the session id
    request.session["kijun_started"] = int(time.time())
    request.session["kijun_seen"] = int(time.time())
    throttle.clear(user.username)
    audit.record("auth.login", "person", user.pk, user.username, actor=user, request=request, after={"method": method})
    security_event("login", request, "success", method=method)
    response = HttpResponseRedirect(_safe_next(request))
    if user.language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, max_age=settings.LANGUAGE_COOKIE_AGE,
                            samesite="Lax", secure=settings.LANGUAGE_COOKIE_SECURE)
    return response


def _fail(request: HttpRequest, username: str, reason: str) -> None:
    ip = audit.client_ip(request)
    throttle.note_failure(username, ip)
    audit.record("auth.login_failed", "person", "", username[:150], actor_label="anonymous", request=request,
                 outcome="failure", after={"reason": reason})
    security_event("login_failed", request, "failure", username=username[:150], reason=reason)


@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        ip = audit.client_ip(request)
        if throttle.is_locked(username, ip):
            security_event("login_locked", request, "denied", username=username[:150])
            audit.record("auth.login_locked", "person", "", username[:150], actor_label="anonymous",
                         request=request, outcome="denied")
            form.add_error(None, _("Too many failed sign-in attempts. Wait a while and try again."))
            status = 429
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                _fail(request, username, "bad_credentials")
                form.add_error(None, _("The user name or password is incorrect."))
                status = 401
            elif isinstance(user, User) and user.totp_enabled:
                request.session.cycle_key()
                request.session[PENDING_KEY] = {"uid": user.pk, "at": int(time.time()), "next": _safe_next(request)}
                return redirect("login_totp")
            else:
                return _finish_login(request, user, "password")  # type: ignore[arg-type]
    return render(request, "core/login.html", {"form": form, "next": request.GET.get("next", ""),
                                               "oidc": settings.OIDC_ENABLED}, status=status)


@never_cache
def login_totp_view(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return redirect("login")
    user = User.objects.filter(pk=pending["uid"], is_active=True).first()  # nosemgrep: kijun-unscoped-queryset-in-view -- the user who passed the password step
    if user is None:
        return redirect("login")
    form = TotpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if throttle.is_locked(user.username, audit.client_ip(request)):
            form.add_error(None, _("Too many failed sign-in attempts. Wait a while and try again."))
            status = 429
        elif verify_totp(user, form.cleaned_data["code"].strip()):
            request.session.pop(PENDING_KEY, None)
            request.POST = request.POST.copy()
            request.POST["next"] = pending.get("next", "/")
            return _finish_login(request, user, "password+totp")
        else:
            _fail(request, user.username, "bad_totp")
            form.add_error("code", _("The code is not valid. Check your device's clock and try again."))
            status = 401
    return render(request, "core/login_totp.html", {"form": form}, status=status)


def verify_totp(user: User, code: str) -> bool:
    """Accept the current code (±30 s) once: a code already used cannot be replayed."""
    if not user.totp_secret:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = int(time.time())
    for drift in (0, -1, 1):
        counter = now // 30 + drift
        if counter > user.totp_last_counter and totp.at(counter * 30) == code:
            User.objects.filter(pk=user.pk).update(totp_last_counter=counter)
            user.totp_last_counter = counter
            return True
    return False


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record("auth.logout", "person", request.user.pk, request.user.username, request=request)
        security_event("logout", request, "success")
    logout(request)  # flushes the server-side session
    return redirect("login")


@require_POST
def set_language_view(request: HttpRequest) -> HttpResponse:
    """Switch the UI language; remembered in a cookie and, when signed in, on the account."""
    lang = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request))
    if lang not in dict(settings.LANGUAGES):
        return response
    translation.activate(lang)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=settings.LANGUAGE_COOKIE_AGE,
                        samesite="Lax", secure=settings.LANGUAGE_COOKIE_SECURE)
    user = request.user
    if user.is_authenticated and isinstance(user, User) and user.language != lang:
        before = {"language": user.language}
        User.objects.filter(pk=user.pk).update(language=lang)
        audit.record("person.language", "person", user.pk, user.username, request=request, before=before,
                     after={"language": lang})
    return response
