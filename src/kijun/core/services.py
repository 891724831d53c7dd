"""Changes to the organisation, people and roles — shared by the web UI, the API and the CLI.

Each function checks permission in the target scope, applies 兼務禁止, writes the change and its
audit entry in one transaction, and uses optimistic versions so concurrent edits do not silently
overwrite each other.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest

from . import audit
from .incompatible import Scope, ensure_independent_auditor, ensure_not_self_approval
from .models import OrgUnit, RoleAssignment, User
from .permissions import access_for
from .roles import Perm, role

UNIT_FIELDS = ("name", "name_en", "code", "kind", "parent")
PERSON_FIELDS = ("username", "display_name", "email", "unit", "is_active")


class PermissionDeniedError(Exception):
    """The actor lacks the permission in the target scope."""


class ConflictError(Exception):
    """The object changed since the editor loaded it (optimistic concurrency)."""


def _require(actor: User, perm: Perm, unit: OrgUnit | None) -> None:
    if not access_for(actor).has(perm, unit):
        raise PermissionDeniedError(perm.value)


def save_unit(actor: User, unit: OrgUnit, *, request: HttpRequest | None = None,
              expected_version: int | None = None) -> OrgUnit:
    """Create or update a unit (the caller has validated the fields)."""
    _require(actor, Perm.ORG_MANAGE, unit.parent)
    with transaction.atomic():
        before = None
        if unit.pk:
            current = OrgUnit.objects.select_for_update().get(pk=unit.pk)
            _require(actor, Perm.ORG_MANAGE, current)
            if expected_version is not None and current.version != expected_version:
                raise ConflictError("unit")
            before = audit.snapshot(current, UNIT_FIELDS)
            unit.version = current.version + 1
        unit.save()
        audit.record("unit.update" if before else "unit.create", "org_unit", unit.pk, unit.name, actor=actor,
                     request=request, before=before, after=audit.snapshot(unit, UNIT_FIELDS))
    return unit


def kill_sessions(user: User) -> int:
    """Delete every server-side session of ``user`` (account disabled or password reset)."""
    doomed = [s.session_key for s in Session.objects.iterator()
              if str(s.get_decoded().get("_auth_user_id")) == str(user.pk)]
    Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


def save_person(actor: User, person: User, *, password: str = "", request: HttpRequest | None = None,
                expected_version: int | None = None) -> User:
    _require(actor, Perm.PEOPLE_MANAGE, person.unit)
    with transaction.atomic():
        before = None
        if person.pk:
            current = User.objects.select_for_update().get(pk=person.pk)
            _require(actor, Perm.PEOPLE_MANAGE, current.unit)
            if expected_version is not None and current.version != expected_version:
                raise ConflictError("person")
            before = audit.snapshot(current, PERSON_FIELDS)
            person.version = current.version + 1
        if password:
            person.set_password(password)
        person.save()
        after: dict[str, Any] = audit.snapshot(person, PERSON_FIELDS)
        if password:
            after["password_changed"] = True
        audit.record("person.update" if before else "person.create", "person", person.pk, person.username,
                     actor=actor, request=request, before=before, after=after)
        if before and (not person.is_active or password):
            transaction.on_commit(lambda: kill_sessions(person))
    return person


def grant_role(actor: User, person: User, role_code: str, unit: OrgUnit, *,
               request: HttpRequest | None = None) -> RoleAssignment:
    """Assign a role; refuses self-grants and auditor/auditee overlaps (兼務禁止)."""
    _require(actor, Perm.ROLES_MANAGE, unit)
    new = role(role_code)
    # Granting oneself a role is approving one's own request (§2.1.1(8)(a)(i)).
    ensure_not_self_approval(person.pk, actor.pk, subject=new.name_ja)
    existing = list(RoleAssignment.objects.filter(user=person).select_related("unit"))
    target = Scope("unit", unit.path)
    if new.auditor:
        ensure_independent_auditor([Scope("unit", a.unit.path) for a in existing if role(a.role).responsible],
                                   target, subject=unit.name)
    if new.responsible:
        for a in existing:
            if role(a.role).auditor:
                ensure_independent_auditor([target], Scope("unit", a.unit.path), subject=a.unit.name)
    with transaction.atomic():
        ra, created = RoleAssignment.objects.get_or_create(user=person, role=role_code, unit=unit,
                                                           defaults={"granted_by": actor})
        if created:
            audit.record("role.grant", "role_assignment", ra.pk, str(ra), actor=actor, request=request,
                         after={"user": person.username, "role": role_code, "unit": unit.code})
    return ra


def revoke_role(actor: User, ra: RoleAssignment, *, request: HttpRequest | None = None) -> None:
    _require(actor, Perm.ROLES_MANAGE, ra.unit)
    with transaction.atomic():
        audit.record("role.revoke", "role_assignment", ra.pk, str(ra), actor=actor, request=request,
                     before={"user": ra.user.username, "role": ra.role, "unit": ra.unit.code})
        ra.delete()
