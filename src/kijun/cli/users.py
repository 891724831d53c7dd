"""`kijun users create|list|disable`: account administration from the shell."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("create")
def create(
    username: str,
    unit: Annotated[str, typer.Option(help="Code of the person's organisation unit.")],
    display_name: Annotated[str, typer.Option()] = "",
    email: Annotated[str, typer.Option()] = "",
    role: Annotated[list[str] | None, typer.Option(help="ROLE or ROLE@UNITCODE; repeatable.")] = None,
    superuser: Annotated[bool, typer.Option(help="Grant every permission everywhere.")] = False,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Create an account (password prompted, or read from stdin)."""
    from .main import django_setup, fail

    django_setup()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from ..core import audit
    from ..core.models import OrgUnit, RoleAssignment, User
    from ..core.roles import ROLE_CODES

    home = OrgUnit.objects.filter(code=unit).first()
    if home is None:
        raise fail(f"unknown unit code {unit!r}")
    if User.objects.filter(username=username).exists():
        raise fail(f"user {username!r} already exists")
    grants: list[tuple[str, OrgUnit]] = []
    for spec in role or []:
        code, _, scope = spec.partition("@")
        if code not in ROLE_CODES:
            raise fail(f"unknown role {code!r}; one of: {', '.join(sorted(ROLE_CODES))}")
        scope_unit = OrgUnit.objects.filter(code=scope).first() if scope else home
        if scope_unit is None:
            raise fail(f"unknown unit code {scope!r}")
        grants.append((code, scope_unit))
    pw = typer.get_text_stream("stdin").readline().rstrip("\n") if password_stdin else getpass.getpass("Password: ")
    user = User(username=username, display_name=display_name, email=email, unit=home, is_superuser=superuser)
    try:
        validate_password(pw, user)
    except ValidationError as exc:
        raise fail("; ".join(exc.messages)) from exc
    with transaction.atomic():
        user.set_password(pw)
        user.save()
        audit.record("person.create", "person", user.pk, username, actor_label="cli",
                     after={"unit": unit, "superuser": superuser})
        for code, scope_unit in grants:
            ra = RoleAssignment.objects.create(user=user, role=code, unit=scope_unit)
            audit.record("role.grant", "role_assignment", ra.pk, str(ra), actor_label="cli",
                         after={"user": username, "role": code, "unit": scope_unit.code})
    typer.echo(f"created {username}")


@app.command("list")
def list_users() -> None:
    """List accounts with their unit and roles."""
    from .main import django_setup

    django_setup()
    from ..core.models import User

    for u in User.objects.select_related("unit").prefetch_related("role_assignments__unit"):
        roles = ", ".join(f"{r.role}@{r.unit.code}" for r in u.role_assignments.all())
        typer.echo(f"{u.username}\t{u.unit.code if u.unit else '-'}\t{'active' if u.is_active else 'disabled'}\t{roles}")


@app.command("disable")
def disable(username: str) -> None:
    """Disable an account and end its sessions."""
    from .main import django_setup, fail

    django_setup()
    from ..core import audit
    from ..core.models import User
    from ..core.services import kill_sessions

    user = User.objects.filter(username=username).first()
    if user is None:
        raise fail(f"no such user {username!r}")
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit.record("person.update", "person", user.pk, username, actor_label="cli",
                 before={"is_active": True}, after={"is_active": False})
    typer.echo(f"disabled {username}; ended {kill_sessions(user)} sessions")
