"""URL routes of the cloud web pages (mounted at /cloud/ by kijun.web.urls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
