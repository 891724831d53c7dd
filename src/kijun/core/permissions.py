"""Who may do what, where: role assignments turned into per-permission unit scopes.

Every view and API operation asks :func:`access_for` once per request. Function-level checks use
``access.has(perm)``; object-level checks go through scoped querysets (``access.units(perm)``) so
that an object outside the user's scope is indistinguishable from a missing one (404, no IDOR).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from .models import OrgUnit, RoleAssignment, User
from .roles import Perm, role

ROOT_SCOPE = "/"


@dataclass
class Access:
    user: User | None
    grants: dict[Perm, set[str]] = field(default_factory=dict)
    roles: list[tuple[str, str]] = field(default_factory=list)  # (role code, unit path)

    def has(self, perm: Perm, unit: OrgUnit | None = None) -> bool:
        paths = self.grants.get(perm)
        if not paths:
            return False
        if unit is None:
            return True
        return any(unit.path.startswith(p) for p in paths)

    def unit_q(self, perm: Perm, prefix: str = "") -> Q:
        """A Q over OrgUnit paths (``prefix`` = lookup path to the unit, e.g. ``"unit__"``)."""
        paths = self.grants.get(perm, set())
        if ROOT_SCOPE in paths:
            return Q()
        q = Q(pk__in=[])
        for p in paths:
            q |= Q(**{f"{prefix}path__startswith": p})
        return q

    def units(self, perm: Perm) -> QuerySet[OrgUnit]:
        return OrgUnit.objects.filter(self.unit_q(perm))

    def scoped(self, qs: QuerySet[Any], perm: Perm, unit_field: str) -> QuerySet[Any]:
        """Filter any queryset to rows whose ``unit_field`` lies in the user's scope for ``perm``."""
        if not self.grants.get(perm):
            return qs.none()
        return qs.filter(self.unit_q(perm, prefix=f"{unit_field}__"))


def access_for(user: Any) -> Access:
    """Compute (and memoise on the user object) the user's permission scopes."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Access(None)
    cached = getattr(user, "_kijun_access", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    acc = Access(user)
    if user.is_superuser:
        for p in Perm:
            acc.grants[p] = {ROOT_SCOPE}
    for code, path in RoleAssignment.objects.filter(user=user).values_list("role", "unit__path"):
        acc.roles.append((code, path))
        for p in role(code).permissions:
            acc.grants.setdefault(p, set()).add(path)
    user._kijun_access = acc
    return acc
