"""URL routes of the discovery web pages (mounted at /discovery/ by kijun.web.urls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
