"""Django app for the access domain. The PDP (server.py) never imports this package's Django parts."""

from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "kijun.access"
    label = "access"
    default_auto_field = "django.db.models.BigAutoField"
