"""Django app for the discovery domain (its pure engine lives in the same package)."""

from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "kijun.discovery"
    label = "discovery"
    default_auto_field = "django.db.models.BigAutoField"
