"""Django app holding the shared templates, static files and the web shell."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kijun.web"
    label = "web"
