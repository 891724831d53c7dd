"""The signed-in user's own account: two-factor setup, API tokens, notifications."""

from __future__ import annotations

import pyotp
import segno
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import audit
from .decorators import require_perm
from .forms import TokenForm, TotpForm
from .models import ApiToken, Notification, User
from .tokens import issue_token
from .views_auth import verify_totp


def _me(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@require_perm(None)
def account(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    ctx = {
        "tokens": me.api_tokens.all(),
        "token_form": TokenForm(),
        "password_form": PasswordChangeForm(me),
        "new_token": request.session.pop("kijun_new_token", None),
        "now": timezone.now(),
    }
    return render(request, "core/account.html", ctx)


@require_POST
@require_perm(None)
def password_change(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    form = PasswordChangeForm(me, request.POST)
    if form.is_valid():
        form.save()
        update_session_auth_hash(request, me)
        audit.record("person.password_change", "person", me.pk, me.username, request=request)
        messages.success(request, _("Password changed."))
        return redirect("account")
    return render(request, "core/account.html", {"tokens": me.api_tokens.all(), "token_form": TokenForm(),
                                                 "password_form": form, "now": timezone.now()}, status=400)


@require_perm(None)
def totp_setup(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    if me.totp_enabled:
        return redirect("account")
    secret = request.session.get("kijun_totp_setup") or pyotp.random_base32()
    request.session["kijun_totp_setup"] = secret
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        probe = User(pk=me.pk, totp_secret=secret, totp_last_counter=me.totp_last_counter)
        if verify_totp(probe, form.cleaned_data["code"].strip()):
            User.objects.filter(pk=me.pk).update(totp_secret=secret, totp_enabled=True)
            request.session.pop("kijun_totp_setup", None)
            audit.record("person.totp_enable", "person", me.pk, me.username, request=request)
            messages.success(request, _("Two-factor authentication is now on."))
            return redirect("account")
        form.add_error("code", _("The code is not valid. Check your device's clock and try again."))
    uri = pyotp.TOTP(secret).provisioning_uri(name=me.username, issuer_name="kijun")
    qr = segno.make(uri, micro=False).svg_data_uri(scale=5)
    return render(request, "core/totp_setup.html", {"form": form, "secret": secret, "qr": qr})


@require_POST
@require_perm(None)
def totp_disable(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    form = TotpForm(request.POST)
    if me.totp_enabled and form.is_valid() and verify_totp(me, form.cleaned_data["code"].strip()):
        User.objects.filter(pk=me.pk).update(totp_enabled=False, totp_secret="")
        audit.record("person.totp_disable", "person", me.pk, me.username, request=request)
        messages.success(request, _("Two-factor authentication is now off."))
    else:
        messages.error(request, _("Enter a valid current code to turn two-factor authentication off."))
    return redirect("account")


@require_POST
@require_perm(None)
def token_create(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("account")
    token, raw = issue_token(me, form.cleaned_data["name"], form.cleaned_data["days"])
    audit.record("token.create", "api_token", token.pk, token.name, request=request,
                 after={"prefix": token.prefix, "expires_at": token.expires_at})
    request.session["kijun_new_token"] = raw
    return redirect("account")


@require_POST
@require_perm(None)
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("token.revoke", "api_token", token.pk, token.name, request=request)
        messages.success(request, _("Token revoked."))
    return redirect("account")


@require_perm(None)
def notifications(request: HttpRequest) -> HttpResponse:
    items = Notification.objects.filter(user=request.user)[:100]
    return render(request, "core/notifications.html", {"items": items})


@require_POST
@require_perm(None)
def notifications_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications")


