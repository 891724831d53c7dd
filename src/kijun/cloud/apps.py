"""Django app for the cloud domain (its pure engine lives in the same package)."""

from django.apps import AppConfig


class CloudConfig(AppConfig):
    name = "kijun.cloud"
    label = "cloud"
    default_auto_field = "django.db.models.BigAutoField"
