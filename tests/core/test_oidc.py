"""OIDC account matching: verified e-mail first, then preferred_username; creation off by default."""

from __future__ import annotations

import pytest

from kijun.core.models import AuditEntry, User

pytestmark = pytest.mark.django_db

OIDC = {"OIDC_RP_CLIENT_ID": "kijun", "OIDC_RP_CLIENT_SECRET": "s", "OIDC_OP_TOKEN_ENDPOINT": "https://idp/token",
        "OIDC_OP_USER_ENDPOINT": "https://idp/userinfo", "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://idp/auth",
        "OIDC_RP_SIGN_ALGO": "HS256"}


@pytest.fixture
def backend(settings):  # type: ignore[no-untyped-def]
    for k, v in OIDC.items():
        setattr(settings, k, v)
    from kijun.core.oidc import KijunOIDCBackend

    return KijunOIDCBackend()


def test_match_by_verified_email(demo, backend) -> None:  # type: ignore[no-untyped-def]
    found = backend.filter_users_by_claims({"email": "ciso@demo.example.jp", "email_verified": True})
    assert [u.username for u in found] == ["ciso"]
    assert not backend.filter_users_by_claims({"email": "ciso@demo.example.jp", "email_verified": False}).exists()


def test_match_by_username_and_inactive_refused(demo, backend) -> None:  # type: ignore[no-untyped-def]
    assert [u.username for u in backend.filter_users_by_claims({"preferred_username": "staff"})] == ["staff"]
    User.objects.filter(username="staff").update(is_active=False)
    assert not backend.filter_users_by_claims({"preferred_username": "staff"}).exists()


def test_created_user_has_no_roles_and_is_audited(demo, backend) -> None:  # type: ignore[no-untyped-def]
    u = backend.create_user({"sub": "abc", "preferred_username": "newcomer", "email": "n@example.jp"})
    assert u.role_assignments.count() == 0 and not u.has_usable_password()
    assert AuditEntry.objects.filter(action="person.create", actor="oidc", object_repr="newcomer").exists()
