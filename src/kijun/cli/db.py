"""`kijun db grant-app-role|check-role`: run the web app as a least-privilege PostgreSQL role."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("grant-app-role")
def grant_app_role(
    role: Annotated[str, typer.Argument(help="Existing login role the web app will connect as.")],
    dry_run: Annotated[bool, typer.Option(help="Print the statements without running them.")] = False,
    owner: Annotated[str, typer.Option(help="Owner role of the tables, for --dry-run output.")] = "kijun_owner",
) -> None:
    """Grant ROLE row access to kijun's tables (run as the owner, after `kijun migrate`)."""
    from .main import django_setup, fail

    django_setup()
    from ..core import dbroles

    try:
        if dry_run:
            for stmt in dbroles.grant_statements(role, owner):
                typer.echo(stmt + ";")
            return
        for stmt in dbroles.grant_app_role(role):
            typer.echo(stmt + ";")
    except dbroles.RoleError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"granted: set KIJUN_DATABASE_URL of the web app to connect as {role!r}; keep the owner for migrate")


@app.command("check-role")
def check_role() -> None:
    """Exit 1 when the configured connection is a superuser or owns the audit tables."""
    from .main import django_setup

    django_setup()
    from ..core import dbroles

    problems = dbroles.role_problems()
    for p in problems:
        typer.echo(f"warning: {p}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("ok: the connection cannot rewrite the audit log")
