"""OpenID Connect single sign-on (enabled by KIJUN_OIDC_CLIENT_ID; see README).

Accounts are matched by the verified e-mail claim, or by ``preferred_username``. New accounts are
created only when KIJUN_OIDC_CREATE_USER=1, and then hold no role: an administrator assigns roles
in kijun, so the identity provider never grants permissions by itself. Every SSO sign-in is audited.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from . import audit
from .models import User


class KijunOIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        email = claims.get("email") if claims.get("email_verified", True) else None
        if email:
            users = User.objects.filter(email__iexact=email, is_active=True)
            if users.exists():
                return users
        username = claims.get("preferred_username")
        if username:
            return User.objects.filter(username=username, is_active=True)
        return User.objects.none()

    def create_user(self, claims: dict[str, Any]) -> User:
        username = claims.get("preferred_username") or claims.get("email") or claims["sub"]
        user = User.objects.create(username=str(username)[:150], email=claims.get("email", ""),
                                   display_name=claims.get("name", ""))
        user.set_unusable_password()
        user.save(update_fields=["password"])
        audit.record("person.create", "person", user.pk, user.username, actor_label="oidc",
                     after={"source": "oidc", "sub": claims.get("sub")})
        return user

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        audit.record("auth.login", "person", user.pk, user.username, actor=user, after={"method": "oidc"})
        return user
