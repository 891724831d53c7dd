"""Django app: official wording stored per installation, full-text search, catalog pages and API."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "kijun.catalog"
    label = "catalog"
    verbose_name = "Common Standards catalog"
    default_auto_field = "django.db.models.BigAutoField"
