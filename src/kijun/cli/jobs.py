"""`kijun jobs list|run [NAME]`: idempotent periodic work for cron or systemd timers."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_jobs() -> None:
    """Show the jobs and their intervals."""
    from .main import django_setup

    django_setup()
    from ..core.jobs import registry

    jobs = registry()

    for job in jobs.values():
        typer.echo(f"{job.name}\tevery {job.interval_minutes} min\t{job.description}")


@app.command("run")
def run(name: Annotated[str | None, typer.Argument(help="Job name; all jobs when omitted.")] = None) -> None:
    """Run one job or all jobs now."""
    from .main import django_setup, fail

    django_setup()
    from ..core.jobs import registry, run_job

    jobs = registry()

    if name is not None and name not in jobs:
        raise fail(f"unknown job {name!r}; one of: {', '.join(jobs)}")
    failed = False
    for n in [name] if name else list(jobs):
        r = run_job(n)
        typer.echo(f"{n}: {'ok' if r.ok else 'FAILED'} — {r.summary}")
        failed |= not r.ok
    if failed:
        raise typer.Exit(1)
