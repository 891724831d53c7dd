"""URL map. Every page is a module that exists; nav entries are derived from permissions."""

from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

from ..catalog import views as cat
from ..core import views_account as acct
from ..core import views_audit as aud
from ..core import views_auth as auth
from ..core import views_health as health
from ..core import views_org as org
from ..core.plugins import domain_modules
from .api import api

urlpatterns = [
    path("", org.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("login/", auth.login_view, name="login"),
    path("login/totp/", auth.login_totp_view, name="login_totp"),
    path("logout/", auth.logout_view, name="logout"),
    path("i18n/setlang/", auth.set_language_view, name="set_language"),
    path("org/units/", org.unit_list, name="unit_list"),
    path("org/units/new/", org.unit_edit, name="unit_new"),
    path("org/units/<int:pk>/", org.unit_detail, name="unit_detail"),
    path("org/units/<int:pk>/edit/", org.unit_edit, name="unit_edit"),
    path("org/people/", org.person_list, name="person_list"),
    path("org/people/new/", org.person_edit, name="person_new"),
    path("org/people/<int:pk>/", org.person_detail, name="person_detail"),
    path("org/people/<int:pk>/edit/", org.person_edit, name="person_edit"),
    path("org/people/<int:pk>/roles/", org.role_grant, name="role_grant"),
    path("org/roles/<int:pk>/revoke/", org.role_revoke, name="role_revoke"),
    path("audit/", aud.audit_list, name="audit_list"),
    path("audit/export.csv", aud.audit_export, name="audit_export"),
    path("account/", acct.account, name="account"),
    path("account/password/", acct.password_change, name="password_change"),
    path("account/totp/", acct.totp_setup, name="totp_setup"),
    path("account/totp/disable/", acct.totp_disable, name="totp_disable"),
    path("account/tokens/", acct.token_create, name="token_create"),
    path("account/tokens/<int:pk>/revoke/", acct.token_revoke, name="token_revoke"),
    path("notifications/", acct.notifications, name="notifications"),
    path("notifications/read/", acct.notifications_read, name="notifications_read"),
    path("catalog/", cat.catalog_index, name="catalog_index"),
    path("catalog/search/", cat.catalog_search, name="catalog_search"),
    path("catalog/n/<str:node_id>/", cat.catalog_node, name="catalog_node"),
    path("api/v1/", api.urls),
]


def _domain_pages() -> list[URLPattern | URLResolver]:
    """Mount ``kijun.<domain>.urls`` at ``/<domain>/`` for every domain app that has pages."""
    return [path(f"{d}/", include(module)) for d, module in domain_modules("urls")]


urlpatterns += _domain_pages()

if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))

handler404 = "kijun.web.errors.page_not_found"
handler500 = "kijun.web.errors.server_error"
