"""The `kijun` command: one typer app; domains add sub-apps in ``SUBAPPS``."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from .. import __version__

app = typer.Typer(name="kijun", help="kijun — 統一基準群 platform / Common Standards platform.",
                  no_args_is_help=True, add_completion=False)
err = Console(stderr=True)

#: (command group, module with a typer ``app``, help). Explicit, imported on start-up.
SUBAPPS: list[tuple[str, str, str]] = [
    ("demo", "kijun.cli.demo", "Demo organisation."),
    ("users", "kijun.cli.users", "Manage accounts."),
    ("audit", "kijun.cli.audit", "Audit log: verify, checkpoints."),
    ("jobs", "kijun.cli.jobs", "Periodic jobs."),
    ("db", "kijun.cli.db", "PostgreSQL least-privilege role for the web app."),
    ("catalog", "kijun.catalog.cli", "The Common Standards (R7) catalog."),
    ("classify", "kijun.classification.cli", "Information classification (格付・取扱制限)."),
    ("cloud", "kijun.cloud.cli", "Cloud/external service use: assessment, ISMAP list, register."),
    ("discover", "kijun.discovery.cli", "Shadow-IT discovery from proxy and DNS logs."),
    ("vuln", "kijun.diagnostics.cli", "Continuous diagnostics: inventory and vulnerability matching."),
    ("access", "kijun.access.cli", "Zero-trust access decisions (Cedar PDP)."),
]


def django_setup() -> None:
    """Configure Django for commands that touch the database (kept out of import time)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kijun.web.settings")
    import django

    django.setup()


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear line on stderr and return the exit to raise."""
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


@app.command()
def version() -> None:
    """Print the kijun version."""
    typer.echo(f"kijun {__version__}")


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    django_setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind. 127.0.0.1 allows only this machine.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use 1 with the scheduler).")] = 1,
    scheduler: Annotated[bool, typer.Option(help="Run periodic jobs in this process.")] = True,
) -> None:
    """Serve the web UI and API (uvicorn)."""
    django_setup()
    import threading

    import uvicorn

    stop = threading.Event()
    if scheduler:
        from ..core.jobs import start_scheduler

        start_scheduler(stop)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]warning:[/yellow] binding to {host}: other machines can reach kijun. "
                  "Put it behind TLS and set KIJUN_ALLOWED_HOSTS.")
    typer.echo(f"kijun serving on http://{host}:{port}/  (Ctrl+C to stop)")
    try:
        uvicorn.run("kijun.web.asgi:application", host=host, port=port, workers=workers, log_level="info",
                    proxy_headers=False)
    finally:
        stop.set()


for _name, _module, _help in SUBAPPS:
    app.add_typer(importlib.import_module(_module).app, name=_name, help=_help)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
