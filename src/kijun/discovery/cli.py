"""``kijun discover``: scan proxy/DNS logs for cloud services, browse the app catalog.

Every ``--json`` prints exactly one JSON document on stdout; errors print one line on stderr and
exit non-zero; exports are written atomically, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kijun.discovery.catalog import App, Catalog, load_catalog
from kijun.discovery.engine import ScanOptions, ScanProgress, scan
from kijun.discovery.export import write_csv, write_users_csv, write_xlsx
from kijun.discovery.model import FORMAT_NAMES, DiscoveryError
from kijun.discovery.register import load_register
from kijun.discovery.report import Report, user_dict
from kijun.discovery.timeparse import parse_tz

app = typer.Typer(help="Shadow-IT discovery from proxy and DNS logs.", no_args_is_help=True)
apps_app = typer.Typer(help="Browse the SaaS app catalog.", no_args_is_help=True)
app.add_typer(apps_app, name="apps")

_err = Console(stderr=True)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _when(value: str | None, tz: tzinfo, end_of_day: bool) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"bad date/time {value!r}; use ISO 8601 like 2024-05-01 or 2024-05-01T09:00+09:00")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    if end_of_day and len(value) == 10:
        dt += timedelta(days=1)
    return dt


def _catalog(path: Path | None) -> Catalog:
    try:
        return load_catalog(path)
    except (OSError, DiscoveryError) as exc:
        _fail(str(exc))


def _print(doc: Any, pretty: bool = True) -> None:
    # Large reports are printed compact: ``indent`` makes json use its pure-Python encoder.
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2 if pretty else None) + "\n")


def _run_scan(
    logs: list[Path], fmt: str, sanctioned: Path | None, since: str | None, until: str | None, tz: str,
    nss_template: str | None, encoding: str | None, backend: str, key_file: Path | None,
    catalog_path: Path | None, samples: int, top: int, show_progress: bool,
) -> Report:  # fmt: skip
    if fmt != "auto" and fmt not in FORMAT_NAMES:
        _fail(f"unknown format {fmt!r}; choose one of: auto, {', '.join(FORMAT_NAMES)}")
    if backend not in ("python", "duckdb"):
        _fail("--backend must be python or duckdb")
    try:
        zone = parse_tz(tz)
    except ValueError as exc:
        _fail(str(exc))
    key = None
    if key_file is not None:
        try:
            key = key_file.read_bytes().strip()
        except OSError as exc:
            _fail(f"{key_file}: cannot read pseudonymisation key: {exc.strerror}")
        if len(key) < 16:
            _fail(f"{key_file}: pseudonymisation key must be at least 16 bytes")
    for log in logs:
        if not log.exists():
            _fail(f"{log}: no such file or directory")
    opts = ScanOptions(
        format=fmt, since=_when(since, zone, False), until=_when(until, zone, True), default_tz=zone,
        nss_template=nss_template, encoding=encoding, backend=backend,  # type: ignore[arg-type]
        sample_limit=samples, pseudonymise_key=key, top_n=top,
    )  # fmt: skip
    catalog = _catalog(catalog_path)
    try:
        register = load_register(sanctioned) if sanctioned else None
        if not show_progress or not _err.is_terminal:
            return scan(logs, catalog=catalog, register=register, options=opts)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[events]:,} events"),
            TimeElapsedColumn(), console=_err, transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("scan", total=None, events=0)

            def tick(p: ScanProgress) -> None:
                bar.update(task, description=Path(p.source).name, completed=p.bytes_read,
                           total=p.bytes_total, events=p.events)  # fmt: skip

            return scan(logs, catalog=catalog, register=register, options=opts, progress=tick)
    except DiscoveryError as exc:
        _fail(str(exc))


def _fmt_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def _print_summary(report: Report) -> None:
    out = Console()
    t = report.totals
    out.print(
        f"{t.events:,} events from {t.lines:,} lines ({t.malformed:,} malformed) — {t.apps} apps "
        f"({t.sanctioned_apps} sanctioned, {t.unsanctioned_apps} unsanctioned), {t.unknown_domains} unknown domains, "
        f"{t.users} users"
    )
    table = Table("status", "app", "category", "users", "IPs", "transactions", "up", "down", "risk")
    for a in report.apps[:40]:
        table.add_row(a.status, a.name_ja, a.category or "", str(a.users), str(a.source_ips),
                      f"{a.transactions:,}", _fmt_bytes(a.bytes_up), _fmt_bytes(a.bytes_down),
                      ", ".join(a.risk_notes))  # fmt: skip
    out.print(table)
    for s in report.sources:
        if s.malformed:
            first = s.malformed_samples[0] if s.malformed_samples else None
            where = f" (first: line {first.line}: {first.reason})" if first else ""
            out.print(f"[yellow]{s.source}: {s.malformed} malformed lines{where}[/yellow]")


LogsArg = Annotated[list[Path], typer.Argument(help="Log files or directories (gzip is detected).")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help=f"auto or one of: {', '.join(FORMAT_NAMES)}")]
TzOpt = Annotated[str, typer.Option(help="Zone of zone-less timestamps (BIND, NSS, CSV), e.g. +09:00.")]


@app.command("scan")
def scan_cmd(
    logs: LogsArg,
    fmt: FormatOpt = "auto",
    sanctioned: Annotated[
        Path | None, typer.Option(help="Register of sanctioned services (YAML/CSV).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only events at or after this ISO date/time.")] = None,
    until: Annotated[
        str | None, typer.Option(help="Only events before this time (a date includes that day).")
    ] = None,
    tz: TzOpt = "UTC",
    nss_template: Annotated[
        str | None, typer.Option(help="Zscaler NSS feed template (%s{field}...).")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Force a text encoding (default: sniff UTF-8/CP932).")
    ] = None,
    backend: Annotated[str, typer.Option(help="Engine: duckdb (SQL parsing and aggregation) or python.")] = "duckdb",
    pseudonymise_key_file: Annotated[
        Path | None, typer.Option(help="File holding the operator's key; user names become keyed hashes.")
    ] = None,
    catalog: Annotated[
        Path | None, typer.Option(help="Use this app catalog YAML instead of the shipped one.")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Print only this user's drill-down.")] = None,
    samples: Annotated[int, typer.Option(help="Malformed lines kept per file.")] = 20,
    top: Annotated[int, typer.Option(help="Length of the top lists.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON document.")] = False,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Write the per-app table as CSV.")] = None,
    xlsx_out: Annotated[
        Path | None, typer.Option("--xlsx", help="Write the report as an Excel workbook.")
    ] = None,
    users_csv_out: Annotated[
        Path | None, typer.Option("--users-csv", help="Write the per-user drill-down (one row per user and service) as CSV.")
    ] = None,
) -> None:
    """Find the cloud services in LOG files and compare them with the sanctioned register."""
    report = _run_scan(logs, fmt, sanctioned, since, until, tz, nss_template, encoding, backend,
                       pseudonymise_key_file, catalog, samples, top, show_progress=True)  # fmt: skip
    try:
        if csv_out:
            write_csv(report, csv_out)
        if xlsx_out:
            write_xlsx(report, xlsx_out)
        if users_csv_out:
            write_users_csv(report, users_csv_out)
    except OSError as exc:
        _fail(f"cannot write export: {exc}")
    if user is not None:
        detail = report.user(user)
        if detail is None:
            _fail(f"user {user!r} not found in the scanned logs")
        if as_json:
            _print(user_dict(detail))
        else:
            for x in detail.usage:
                typer.echo(
                    f"{x.status:15} {x.name}  {x.transactions} transactions  {x.first_seen} – {x.last_seen}"
                )
        return
    if as_json:  # compact and streamed: the drill-down of a large log is hundreds of MB of JSON
        sys.stdout.flush()
        report.write_json(sys.stdout.buffer)
        sys.stdout.buffer.write(b"\n")
        sys.stdout.buffer.flush()
    else:
        _print_summary(report)


@app.command("unknown")
def unknown_cmd(
    logs: LogsArg,
    fmt: FormatOpt = "auto",
    tz: TzOpt = "UTC",
    nss_template: Annotated[str | None, typer.Option(help="Zscaler NSS feed template.")] = None,
    catalog: Annotated[Path | None, typer.Option(help="App catalog YAML to match against.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """List registrable domains no catalog app claims, busiest first, for review."""
    report = _run_scan(logs, fmt, None, None, None, tz, nss_template, None, "duckdb", None, catalog, 20, 20,
                       show_progress=True)  # fmt: skip
    rows = [
        {"domain": a.registrable_domain, "users": a.users, "source_ips": a.source_ips,
         "transactions": a.transactions, "bytes_up": a.bytes_up, "bytes_down": a.bytes_down,
         "first_seen": a.first_seen, "last_seen": a.last_seen, "hosts": [h.host for h in a.hosts]}
        for a in sorted(report.unknown_domains, key=lambda a: (-a.transactions, a.key))
    ]  # fmt: skip
    if as_json:
        _print({"schema_version": report.schema_version, "unknown_domains": rows})
        return
    for r in rows:
        typer.echo(f"{r['transactions']:>10,}  {r['users']:>5} users  {r['domain']}")


def _app_doc(a: App, cat: Catalog) -> dict[str, Any]:
    c = cat.categories[a.category]
    return {
        "id": a.id, "name_ja": a.name_ja, "name_en": a.name_en, "vendor": a.vendor, "category": a.category,
        "category_name_ja": c.name_ja, "category_name_en": c.name_en, "domains": list(a.domains),
        "hq_country": a.hq_country, "data_locations": list(a.data_locations) if a.data_locations else None,
        "ismap": a.ismap, "terms_only": a.terms_only,
    }  # fmt: skip


@apps_app.command("list")
def apps_list(
    category: Annotated[str | None, typer.Option(help="Only this category id.")] = None,
    catalog: Annotated[Path | None, typer.Option(help="App catalog YAML.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """List catalog apps."""
    cat = _catalog(catalog)
    if category is not None and category not in cat.categories:
        _fail(f"unknown category {category!r}; known: {', '.join(sorted(cat.categories))}")
    apps = [a for a in cat.apps.values() if category is None or a.category == category]
    apps.sort(key=lambda a: a.id)
    if as_json:
        _print({"schema_version": 1, "count": len(apps), "apps": [_app_doc(a, cat) for a in apps]})
        return
    for a in apps:
        typer.echo(f"{a.id:24} {a.category:20} {a.name_ja}")


@apps_app.command("show")
def apps_show(
    app_id: Annotated[str, typer.Argument(help="App id, e.g. box or cybozu-cloud.")],
    catalog: Annotated[Path | None, typer.Option(help="App catalog YAML.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Show one catalog app."""
    cat = _catalog(catalog)
    a = cat.get(app_id)
    if a is None:
        _fail(f"unknown app id {app_id!r} (see `kijun discover apps list`)")
    doc = _app_doc(a, cat)
    if as_json:
        _print(doc)
        return
    for k, v in doc.items():
        typer.echo(f"{k:18} {v if v is not None else '-'}")


__all__ = ["app"]
