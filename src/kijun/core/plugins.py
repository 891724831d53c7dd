"""Find the optional plug-in modules of the domain apps (see docs/architecture.md, "Domain plug-ins").

One place answers "which domains provide ``kijun.<domain>.<name>``", for the URL map, the API, the demo
loader, the dashboard and the job registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType

from django.conf import settings


def domain_modules(name: str, domains: Iterable[str] | None = None) -> list[tuple[str, ModuleType]]:
    """``(domain, module)`` for every domain in ``DOMAIN_APPS`` (or in ``domains``) that has ``name``."""
    wanted = set(settings.DOMAIN_APPS if domains is None else domains)
    return [(d, import_module(f"kijun.{d}.{name}")) for d in settings.DOMAIN_APPS
            if d in wanted and find_spec(f"kijun.{d}.{name}") is not None]
