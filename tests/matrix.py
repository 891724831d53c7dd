"""Shared types for the permission matrix (tests/core/test_permission_matrix.py).

A domain app extends the matrix with tests/<domain>/matrix_routes.py defining any of
UI_ROUTES, API_ROUTES (lists of Route), EXEMPT (url name -> reason) and OBJECTS (name -> ObjectRef).
Matrix users hold one role scoped to the unit "demo-policy-bureau"; a scoped object must exist both
inside that subtree and outside it (OBJECTS[...].kwargs(demo, "inside"|"outside", api) -> URL kwargs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kijun.core.roles import Perm


@dataclass(frozen=True)
class Route:
    name: str
    perm: Perm | None
    obj: str | None = None  # a key of OBJECTS: the object the URL names
    anon: int = 302
    query: str = ""


@dataclass(frozen=True)
class ObjectRef:
    """How to name an object in a URL; ``scoped`` objects exist inside and outside the matrix scope."""

    kwargs: Callable[[dict[str, Any], str, bool], dict[str, Any]]  # (demo, where, api) -> URL kwargs
    scoped: bool = True


