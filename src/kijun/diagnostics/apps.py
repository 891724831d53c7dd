"""Django app for continuous diagnostics (its pure engine lives in the same package)."""

from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    name = "kijun.diagnostics"
    label = "diagnostics"
    default_auto_field = "django.db.models.BigAutoField"
