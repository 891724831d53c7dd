"""Django app for the organisation, people, roles, audit log and authentication."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kijun.core"
    label = "core"
    verbose_name = "kijun core"
    default_auto_field = "django.db.models.BigAutoField"
