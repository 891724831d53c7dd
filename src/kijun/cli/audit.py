"""`kijun audit verify|checkpoint|public-key|checkpoints`: tamper evidence from the shell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("verify")
def verify(
    public_key: Annotated[Path | None, typer.Option(help="PEM public key (default: the local signing key's).")] = None,
    checkpoints: Annotated[Path | None, typer.Option(help="File of signed checkpoints kept elsewhere.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Recompute the hash chain; report the first altered, deleted, reordered or truncated entry."""
    from .main import django_setup, fail

    django_setup()
    from ..core.checkpoints import load_public_key, verify_log

    key = None
    if public_key is not None:
        try:
            key = load_public_key(public_key.read_bytes())
        except (OSError, ValueError) as exc:
            raise fail(f"cannot read public key {public_key}: {exc}") from exc
    extra = None
    if checkpoints is not None:
        text = checkpoints.read_text(encoding="utf-8")
        extra = [n.strip("\n") + "\n" for n in text.split("\n\n\n") if n.strip()]
    result = verify_log(key, extra)
    if as_json:
        brk = result.first_break
        typer.echo(json.dumps({
            "ok": result.ok, "checked": result.checked, "checkpoints_checked": result.checkpoints_checked,
            "head_hash": result.head_hash,
            "first_break": None if brk is None else {"seq": brk.seq, "kind": brk.kind, "detail": brk.detail},
        }, ensure_ascii=False))
    elif result.ok:
        typer.echo(f"OK: {result.checked} entries, {result.checkpoints_checked} checkpoints verified; "
                   f"head {result.head_hash[:16]}…")
    if not result.ok:
        brk = result.first_break
        assert brk is not None
        raise fail(f"audit log broken at entry #{brk.seq} ({brk.kind}): {brk.detail}", code=2)


@app.command("checkpoint")
def checkpoint() -> None:
    """Sign a checkpoint of the current head now."""
    from .main import django_setup

    django_setup()
    from ..core.checkpoints import write_checkpoint

    cp = write_checkpoint()
    typer.echo(cp.signed_note if cp else "no new entries since the last checkpoint")


@app.command("public-key")
def public_key() -> None:
    """Print the checkpoint verification key (PEM) to keep on another system."""
    from .main import django_setup

    django_setup()
    from ..core.checkpoints import load_or_create_key, public_pem

    typer.echo(public_pem(load_or_create_key()), nl=False)


@app.command("checkpoints")
def export_checkpoints() -> None:
    """Print all signed checkpoints (separated by two blank lines) for export."""
    from .main import django_setup

    django_setup()
    from ..core.models import AuditCheckpoint

    notes = AuditCheckpoint.objects.order_by("size").values_list("signed_note", flat=True)
    typer.echo("\n\n".join(notes), nl=False)
