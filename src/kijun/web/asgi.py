"""ASGI entry point (served by uvicorn from `kijun serve`)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kijun.web.settings")
application = get_asgi_application()
