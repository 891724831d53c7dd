"""`kijun demo load`: the demo organisation and its logins."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True)


@app.command("load")
def load() -> None:
    """Load the demo organisation (idempotent) and print the demo logins."""
    from .main import django_setup

    django_setup()
    from ..core.demo import load_demo

    logins = load_demo()
    table = Table(title="kijun demo logins / デモ用ログイン")
    for col in ("user", "password", "name", "roles"):
        table.add_column(col)
    for d in logins:
        table.add_row(d.username, d.password, d.display_name, d.roles)
    Console().print(table)
