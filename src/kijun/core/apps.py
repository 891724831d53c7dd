"""Django app for the organisation, people, roles, audit log and authentication."""

from __future__ import annotations

import os
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class CoreConfig(AppConfig):
    name = "kijun.core"
    label = "core"
    verbose_name = "kijun core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .dbroles import check_app_role

        checks.register(check_breached_password_file, checks.Tags.security)
        checks.register(check_app_role, checks.Tags.database, deploy=True)


def check_breached_password_file(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A configured breach corpus that cannot be read must stop the deployment check, not pass silently."""
    path = getattr(settings, "BREACHED_PASSWORDS_FILE", None)
    if path and not (os.path.isfile(path) and os.access(path, os.R_OK)):
        return [checks.Error(f"KIJUN_BREACHED_PASSWORDS_FILE is set but {path!r} is not a readable file",
                             hint="Download the SHA-1 'ordered by hash' Pwned Passwords list or unset the variable.",
                             id="kijun.E001")]
    return []
