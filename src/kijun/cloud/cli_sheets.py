"""``kijun cloud ledger|assets check|import FILE``: the system ledger and the information-asset list
from the command line.

``check`` is pure (no database): it reads the CSV/XLSX like the web import and reports every row
error, so a spreadsheet can be cleaned before anyone uploads it. ``import`` writes through the same
services as the pages (permission, scope, audit, all rows or none) acting as the ``--as`` user.
Exit codes: 0 fine, 1 row errors (nothing written), 2 unreadable input or unknown user.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from kijun.classification.clikit import emit, fail, guarded
from kijun.classification.restrictions import load_vocabulary
from kijun.classification.system_class import load_standard
from kijun.cloud.sheets import (
    ASSET_ALIASES,
    ASSET_REQUIRED,
    LEDGER_ALIASES,
    LEDGER_REQUIRED,
    RowError,
    asset_rows,
    ledger_rows,
)
from kijun.cloud.tabular import Table, read_table

ledger_app = typer.Typer(help="情報システム台帳 / system ledger (CSV or XLSX).", no_args_is_help=True)
assets_app = typer.Typer(help="情報資産の格付・取扱制限 / information assets (CSV or XLSX).", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="print one JSON document")]
AsUser = Annotated[str, typer.Option("--as", help="user name the import acts as (permission, scope, audit)")]


def _read(path: Path, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> Table:
    def load() -> Table:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"{path}: cannot read ({exc.strerror})") from exc
        return read_table(data, path.name, aliases, required)

    return guarded(load)


def _report(kind: str, table: Table, rows: int, errors: list[RowError], as_json: bool,
            extra: dict[str, Any] | None = None) -> None:
    doc: dict[str, Any] = {"schema_id": f"kijun.cloud.{kind}-check/v1", "source": table.source,
                           "header_row": table.header_row, "columns": table.columns, "rows": len(table.rows),
                           "valid_rows": rows, "errors": [e.model_dump() for e in errors], **(extra or {})}
    if as_json:
        emit(doc)
    else:
        typer.echo(f"{table.source}: {len(table.rows)} rows, {len(errors)} errors")
        for e in errors:
            typer.echo(f"  row {e.row} {e.field}: {e.message} ({e.value!r})")
    if errors:
        raise typer.Exit(code=1)


@ledger_app.command("check")
def ledger_check(
    file: Annotated[Path, typer.Argument(help="ledger CSV (UTF-8/CP932) or XLSX")],
    standard: Annotated[Path | None, typer.Option("--standard", help="the agency's classification standard YAML")] = None,
    as_json: Json = False,
) -> None:
    """Check a ledger file offline: headers found, every row error (no database needed)."""
    table = _read(file, LEDGER_ALIASES, LEDGER_REQUIRED)
    std = guarded(lambda: load_standard(standard))
    rows, errors = ledger_rows(table, [c.id for c in std.classes])
    _report("ledger", table, len(rows), errors, as_json)


@assets_app.command("check")
def assets_check(
    file: Annotated[Path, typer.Argument(help="information asset CSV (UTF-8/CP932) or XLSX")],
    vocabulary: Annotated[Path | None, typer.Option("--vocabulary", help="the agency's restriction labels YAML")] = None,
    as_json: Json = False,
) -> None:
    """Check an asset list offline: levels, restriction labels, ids (no database needed)."""
    table = _read(file, ASSET_ALIASES, ASSET_REQUIRED)
    vocab = guarded(lambda: load_vocabulary(vocabulary))
    rows, errors = asset_rows(table, vocab)
    flags = [{"code": r.code, "levels": f"C{r.confidentiality}/I{r.integrity}/A{r.availability}"} for r in rows]
    _report("assets", table, len(rows), errors, as_json, {"assets": flags})


def _user(username: str) -> Any:
    from kijun.cli.main import django_setup

    django_setup()
    from kijun.core.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        fail(f"no active user {username!r}")
    return user


def _import(kind: str, outcome: Any, as_json: bool) -> None:
    doc = {"schema_id": f"kijun.cloud.{kind}-import/v1", "source": outcome.source, "rows": outcome.rows,
           "created": outcome.created, "updated": outcome.updated, "unchanged": outcome.unchanged,
           "errors": [e.model_dump() for e in outcome.errors]}
    if as_json:
        emit(doc)
    else:
        typer.echo(f"{outcome.source}: {len(outcome.created)} new, {len(outcome.updated)} updated, "
                   f"{len(outcome.unchanged)} unchanged, {len(outcome.errors)} errors"
                   + (" - nothing was saved" if outcome.errors else ""))
        for e in outcome.errors:
            typer.echo(f"  row {e.row} {e.field}: {e.message} ({e.value!r})")
    if outcome.errors:
        raise typer.Exit(code=1)


@ledger_app.command("import")
def ledger_import(file: Annotated[Path, typer.Argument(help="ledger CSV or XLSX")], as_user: AsUser,
                  as_json: Json = False) -> None:
    """Import the ledger into the database (CLOUD_MANAGE; all rows or none; audited)."""
    user = _user(as_user)
    from kijun.cloud.ledger.services import import_ledger
    from kijun.core.services import PermissionDeniedError

    table = _read(file, LEDGER_ALIASES, LEDGER_REQUIRED)
    try:
        outcome = import_ledger(user, table)
    except PermissionDeniedError:
        fail(f"{as_user} may not maintain the ledger (cloud.manage)")
    _import("ledger", outcome, as_json)


@assets_app.command("import")
def assets_import(file: Annotated[Path, typer.Argument(help="information asset CSV or XLSX")], as_user: AsUser,
                  as_json: Json = False) -> None:
    """Import information assets into the database (INFO_CLASSIFY in each row's unit; all rows or none)."""
    user = _user(as_user)
    from kijun.cloud.info.services import import_assets
    from kijun.core.services import PermissionDeniedError

    table = _read(file, ASSET_ALIASES, ASSET_REQUIRED)
    try:
        outcome = import_assets(user, table)
    except PermissionDeniedError:
        fail(f"{as_user} may not classify information (info.classify)")
    _import("assets", outcome, as_json)
