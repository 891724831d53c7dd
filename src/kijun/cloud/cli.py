"""``kijun cloud``: assess a use application, import/diff the ISMAP list, check the register."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from kijun.classification.clikit import emit, fail, guarded
from kijun.classification.textio import read_text
from kijun.cloud.cli_sheets import assets_app, ledger_app
from kijun.cloud.engine import Assessment, Engine
from kijun.cloud.ismap import IsmapImport, parse_file
from kijun.cloud.ismap_diff import diff_entries, expiry_warnings, index
from kijun.cloud.lifecycle import checklist
from kijun.cloud.policy import load_policy
from kijun.cloud.register import check_register, dump_csv, dump_yaml, load_register
from kijun.cloud.request import UseRequest

app = typer.Typer(help="クラウドサービスの利用判断・ISMAP・台帳 / cloud service use.", no_args_is_help=True)
ismap_app = typer.Typer(help="ISMAP / ISMAP-LIU cloud service list.", no_args_is_help=True)
register_app = typer.Typer(help="Register of approved / prohibited services.", no_args_is_help=True)
app.add_typer(ismap_app, name="ismap")
app.add_typer(register_app, name="register")
app.add_typer(ledger_app, name="ledger")
app.add_typer(assets_app, name="assets")


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{name} must be a date like 2025-07-01, got {value!r}")


AsOf = Annotated[str | None, typer.Option("--as-of", help="evaluation date YYYY-MM-DD (default: today)")]
Json = Annotated[bool, typer.Option("--json", help="print one JSON document")]


def _assess(request_path: Path, policy_path: Path | None, ismap_path: Path | None,
            as_of: date | None) -> Assessment:
    """Read the request once; an optional ``policy:`` mapping in it overrides the policy file."""
    data = yaml.safe_load(read_text(request_path))
    if not isinstance(data, dict):
        raise ValueError(f"{request_path}: expected a mapping with service, information and task")
    policy = load_policy(policy_path)
    overrides = data.pop("policy", None)
    if overrides is not None:
        if not isinstance(overrides, dict):
            raise ValueError(f"{request_path}: policy must be a mapping")
        policy = policy.merged(overrides)
    request = UseRequest.model_validate(data)
    listing = index(parse_file(ismap_path).entries) if ismap_path else None
    when = as_of or request.as_of or date.today()
    return Engine.default(policy).assess(request, as_of=when, listing=listing)


@app.command()
def assess(
    request: Annotated[Path, typer.Argument(help="use application YAML (see docs/cloud.md)")],
    policy: Annotated[Path | None, typer.Option("--policy", help="agency 利用判断基準 YAML")] = None,
    ismap: Annotated[Path | None, typer.Option("--ismap", help="ISMAP list CSV/XLSX to check the registration")] = None,
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Pre-assess a use application: decision, reasons with requirement ids, conditions, duties."""
    when = _date(as_of, "--as-of")
    result = guarded(lambda: _assess(request, policy, ismap, when))
    if as_json:
        emit(result.model_dump(mode="json"))
        return
    typer.echo(f"{result.service.name}: {result.decision}  (track {result.track}: {', '.join(result.track_sections)})")
    for r in result.reasons:
        typer.echo(f"  [{r.decision}] {r.message_ja}  ({', '.join(r.cites)})")
    for c in result.conditions:
        typer.echo(f"  条件/{c.phase}: {c.text_ja}  ({', '.join(c.cites)})")
    for w in result.warnings:
        typer.echo(f"warning: {w}", err=True)


@app.command("checklist")
def checklist_cmd(
    request: Annotated[Path, typer.Argument(help="use application YAML")],
    start: Annotated[str, typer.Option("--start", help="planned start of use YYYY-MM-DD")],
    end: Annotated[str | None, typer.Option("--end", help="planned end of use")] = None,
    policy: Annotated[Path | None, typer.Option("--policy")] = None,
    as_json: Json = False,
) -> None:
    """Lifecycle duties of a use as a dated checklist (planning → end of use)."""
    start_d = _date(start, "--start")
    end_d = _date(end, "--end")
    assert start_d is not None
    result = guarded(lambda: _assess(request, policy, None, start_d))
    items = checklist(result.duties, start_d, end_d)
    if as_json:
        emit({"schema_id": "kijun.cloud.checklist/v1", "service": result.service.name, "decision": result.decision,
               "items": [i.model_dump(mode="json") for i in items]})
        return
    for i in items:
        typer.echo(f"{i.phase:<12} {str(i.due_on or '-'):<10} {i.duty_id:<28} {i.text_ja}")


def _import_doc(imp: IsmapImport, as_of: date, warn_days: int) -> dict[str, Any]:
    doc = imp.model_dump(mode="json")
    doc["schema_id"] = "kijun.cloud.ismap-import/v1"
    doc["as_of"] = as_of.isoformat()
    doc["counts"] = {"entries": len(imp.entries), "errors": len(imp.errors),
                     "liu": sum(1 for e in imp.entries if e.liu)}
    doc["expiry_warnings"] = [w.model_dump(mode="json") for w in expiry_warnings(imp.entries, as_of, warn_days)]
    return doc


@ismap_app.command("parse")
def ismap_parse(
    file: Annotated[Path, typer.Argument(help="ISMAP or ISMAP-LIU list, CSV (UTF-8/CP932) or XLSX")],
    liu: Annotated[bool | None, typer.Option("--liu/--not-liu", help="force the LIU flag for the whole file")] = None,
    warn_days: Annotated[int, typer.Option("--warn-days", help="expiry warning window")] = 90,
    strict: Annotated[bool, typer.Option("--strict", help="exit 1 when any row has an error")] = False,
    previous: Annotated[Path | None, typer.Option("--previous", help="the previous import, to diff against")] = None,
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Parse the list into typed entries plus row-level errors and expiry warnings."""
    when = _date(as_of, "--as-of") or date.today()
    imp = guarded(lambda: parse_file(file, liu=liu))
    doc = _import_doc(imp, when, warn_days)
    if previous is not None:
        old = guarded(lambda: parse_file(previous))
        doc["diff"] = diff_entries(old.entries, imp.entries, when).model_dump(mode="json")
    if as_json:
        emit(doc)
    else:
        typer.echo(f"{imp.source}: {len(imp.entries)} entries, {len(imp.errors)} row errors "
                   f"(header row {imp.header_row}{', sheet ' + imp.sheet if imp.sheet else ''})")
        for e in imp.errors:
            typer.echo(f"  row {e.row} {e.field}: {e.message} ({e.value!r})", err=True)
        for w in doc["expiry_warnings"]:
            typer.echo(f"  {w['status']}: {w['registration_number']} {w['service_name']} ({w['expires_on']})")
        if "diff" in doc:
            d = doc["diff"]
            typer.echo(f"  since {previous}: {len(d['added'])} added, {len(d['removed'])} removed, "
                       f"{len(d['changed'])} changed")
    if strict and imp.errors:
        raise typer.Exit(code=1)


ismap_app.command("import", help="Same as parse (the DESIGN.md command name).")(ismap_parse)


@ismap_app.command("diff")
def ismap_diff(
    old: Annotated[Path, typer.Argument(help="previous list")],
    new: Annotated[Path, typer.Argument(help="current list")],
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """What changed between two imports: added, removed, changed, expired."""
    when = _date(as_of, "--as-of") or date.today()
    a = guarded(lambda: parse_file(old))
    b = guarded(lambda: parse_file(new))
    d = diff_entries(a.entries, b.entries, when)
    if as_json:
        doc = d.model_dump(mode="json")
        doc["schema_id"] = "kijun.cloud.ismap-diff/v1"
        doc["errors"] = {"old": len(a.errors), "new": len(b.errors)}
        emit(doc)
        return
    for label, rows in (("added", d.added), ("removed", d.removed), ("expired", d.expired)):
        for e in rows:
            typer.echo(f"{label:<8} {e.registration_number} {e.service_name}")
    for c in d.changed:
        typer.echo(f"changed  {c.registration_number} " + "; ".join(f"{f.field}: {f.old} → {f.new}" for f in c.changes))


@register_app.command("validate")
def register_validate(
    file: Annotated[Path, typer.Argument(help="register export (.yaml or .csv)")],
    ismap: Annotated[Path | None, typer.Option("--ismap", help="ISMAP list to link against")] = None,
    warn_days: Annotated[int, typer.Option("--warn-days")] = 90,
    as_of: AsOf = None,
    as_json: Json = False,
) -> None:
    """Check a register file; exit 1 when any error is found."""
    when = _date(as_of, "--as-of") or date.today()
    imp = guarded(lambda: load_register(file))
    listing = index(guarded(lambda: parse_file(ismap)).entries) if ismap else None
    issues = [*imp.errors, *check_register(imp.entries, when, warn_days=warn_days, listing=listing)]
    errors = [i for i in issues if i.severity == "error"]
    if as_json:
        emit({"schema_id": "kijun.cloud.register-check/v1", "source": str(file), "as_of": when.isoformat(),
               "entries": len(imp.entries), "valid": not errors,
               "issues": [i.model_dump(mode="json") for i in issues]})
    else:
        for i in issues:
            typer.echo(f"{file}:{i.row}: {i.severity}: {i.service_id or '-'} {i.field}: {i.message}", err=True)
        typer.echo(f"{len(imp.entries)} entries, {len(errors)} errors, {len(issues) - len(errors)} warnings")
    if errors:
        raise typer.Exit(code=1)


@register_app.command("convert")
def register_convert(
    src: Annotated[Path, typer.Argument(help="register .yaml or .csv")],
    dest: Annotated[Path, typer.Argument(help="output .yaml or .csv (format from the suffix)")],
    as_of: AsOf = None,
) -> None:
    """Convert between the YAML and CSV exports (only a file without errors is converted)."""
    when = _date(as_of, "--as-of") or date.today()
    imp = guarded(lambda: load_register(src))
    if imp.errors:
        first = imp.errors[0]
        fail(f"{src}:{first.row}: {first.field}: {first.message} ({len(imp.errors)} errors; nothing written)")
    suffix = dest.suffix.lower()
    if suffix not in {".yaml", ".yml", ".csv"}:
        fail(f"{dest}: use a .yaml, .yml or .csv name")
    text = dump_csv(imp.entries) if suffix == ".csv" else dump_yaml(imp.entries, when)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(dest)
    typer.echo(f"wrote {len(imp.entries)} entries to {dest}")
