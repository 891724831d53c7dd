"""``kijun vuln``: match inventories against vulnerability feeds without any database.

Pure files in, one JSON document out (``--json``); errors give a non-zero exit and one line on
stderr. The lead mounts :data:`app` as the ``vuln`` command group.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from ._io import FeedError, read_text
from .distro import DistroMapper
from .engine import Feeds, result_json, run, unmapped_json
from .epss import load_epss
from .inventory import load_inventory
from .jvn import load_jvn
from .kev import load_kev
from .nvd import load_adp_ssvc, load_nvd
from .osv import load_osv
from .winmap import ProgramMapper

app = typer.Typer(help="Continuous diagnostics: inventory and vulnerability matching (常時システム診断).",
                  no_args_is_help=True, add_completion=False)
_err = Console(stderr=True)

InvOpt = Annotated[list[Path] | None, typer.Option("--inventory", "-i", help="osquery log, CycloneDX JSON or CSV (repeatable)")]
ExtraArg = Annotated[list[Path] | None, typer.Argument(help="more inventory files", show_default=False)]
MappingOpt = Annotated[Path | None, typer.Option("--mapping", help="custom Windows programs mapping YAML")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print one JSON document on stdout")]


def _fail(msg: str) -> NoReturn:
    _err.print(f"error: {msg}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _mapper(path: Path | None) -> ProgramMapper:
    try:
        return ProgramMapper.from_file(path) if path else ProgramMapper.default()
    except (OSError, ValueError) as e:
        _fail(f"mapping: {e}")


def _emit(doc: object) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")


def _mission_map(path: Path) -> dict[str, str]:
    """``host,mission`` rows (header optional; UTF-8 or CP932) → host → low|medium|high."""
    out: dict[str, str] = {}
    for n, row in enumerate(csv.reader(io.StringIO(read_text(path))), 1):
        if not row or (n == 1 and row[0].strip().lower() in ("host", "hostname", "ホスト名")):
            continue
        if len(row) < 2 or row[1].strip().lower() not in ("low", "medium", "high"):
            raise FeedError(f"{path}:{n}: expected 'host,low|medium|high'")
        out[row[0].strip()] = row[1].strip().lower()
    return out


@app.command("match")
def match_cmd(
    inventory: InvOpt = None,
    extra: ExtraArg = None,
    nvd: Annotated[list[Path] | None, typer.Option("--nvd", help="NVD CVE API 2.0 JSON file or directory (repeatable)")] = None,
    kev: Annotated[Path | None, typer.Option("--kev", help="CISA KEV JSON")] = None,
    epss: Annotated[Path | None, typer.Option("--epss", help="FIRST EPSS CSV (.gz ok)")] = None,
    jvn: Annotated[list[Path] | None, typer.Option("--jvn", help="JVN RSS / VULDEF XML file or directory")] = None,
    osv: Annotated[list[Path] | None, typer.Option("--osv", help="OSV JSON file or directory")] = None,
    adp: Annotated[list[Path] | None, typer.Option("--adp", help="CVE JSON 5 records with CISA ADP SSVC")] = None,
    mission: Annotated[str, typer.Option("--mission", help="Mission & Well-being: low|medium|high")] = "medium",
    mission_map: Annotated[Path | None, typer.Option("--mission-map", help="CSV host,mission per host")] = None,
    mapping: MappingOpt = None,
    distro_cpe: Annotated[bool, typer.Option("--distro-cpe", help="also match deb/rpm packages against NVD by upstream version")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Match inventory files against NVD (and optionally KEV, EPSS, JVN, OSV) and prioritise."""
    inv_paths = [*(inventory or []), *(extra or [])]
    if not inv_paths:
        _fail("give at least one --inventory FILE")
    if not nvd and not osv and not jvn:
        _fail("give --nvd PATH (and/or --osv / --jvn)")
    if mission not in ("low", "medium", "high"):
        _fail(f"--mission must be low, medium or high, not {mission!r}")
    try:
        per_host = _mission_map(mission_map) if mission_map else {}
        with _err.status("loading inventory and feeds…"):
            inv = load_inventory(inv_paths, _mapper(mapping), DistroMapper.default() if distro_cpe else None)
            feeds = Feeds(
                nvd=load_nvd(nvd or []),
                kev=load_kev(kev) if kev else {},
                epss=load_epss(epss) if epss else None,
                jvn=load_jvn(jvn or []),
                osv=load_osv(osv or []),
                adp=load_adp_ssvc(adp or []),
            )
        with _err.status("matching…"):
            res = run(inv, feeds, mission=per_host, default_mission=mission,
                      generated_at=datetime.now(UTC).isoformat(timespec="seconds"))
    except FeedError as e:
        _fail(str(e))
    if as_json:
        _emit(result_json(res))
        return
    out = Console()
    t = Table(title="findings")
    for col in ("SSVC", "host", "vulnerability", "product", "version", "KEV", "EPSS", "source"):
        t.add_column(col)
    for f in res.findings[:200]:
        t.add_row(f.decision.outcome.value, f.host, f.vuln_id, f.item.name, f.item.version,
                  f.kev.due_date or "yes" if f.kev else "", f"{f.epss.epss:.3f}" if f.epss else "",
                  ",".join(f.sources))
    out.print(t)
    out.print(res.summary())


@app.command("inventory")
def inventory_cmd(
    files: Annotated[list[Path], typer.Argument(help="osquery log, CycloneDX JSON or CSV files")],
    mapping: MappingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Normalise inventory files; list what could not be mapped to CPE or an ecosystem."""
    try:
        inv = load_inventory(files, _mapper(mapping))
    except FeedError as e:
        _fail(str(e))
    items = [
        {"host": i.host, "source": i.source, "kind": i.kind, "name": i.name, "version": i.version,
         "publisher": i.publisher, "cpe": i.cpe.to_fs() if i.cpe else None, "ecosystem": i.ecosystem,
         "package": i.package,
         "mapping": None if i.mapping is None else {"rule": i.mapping.rule, "confidence": i.mapping.confidence}}
        for i in inv.items
    ]
    doc = {"schema": "kijun.vuln.inventory/1", "hosts": sorted(inv.hosts), "items": items,
           "unmapped": unmapped_json(inv), "warnings": inv.warnings,
           "summary": {"hosts": len(inv.hosts), "items": len(items), "unmapped": len(inv.unmapped)}}
    if as_json:
        _emit(doc)
        return
    out = Console()
    t = Table(title="inventory")
    for col in ("host", "kind", "name", "version", "cpe / ecosystem", "confidence"):
        t.add_column(col)
    for i in inv.items[:500]:
        t.add_row(i.host, i.kind, i.name, i.version,
                  i.cpe.to_fs() if i.cpe else (f"{i.ecosystem}/{i.package}" if i.ecosystem else "UNMAPPED"),
                  f"{i.mapping.confidence:.2f}" if i.mapping else "")
    out.print(t)
    out.print(doc["summary"])


# ------------------------------------------------------------------ database commands

class _Bar:
    """rich progress bar fed by the services' (step, done, total) callbacks; quiet with --json."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=_err, disable=not enabled, transient=True)
        self.tasks: dict[str, object] = {}

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, step: str, done: int, total: int) -> None:
        task = self.tasks.get(step)
        if task is None:
            task = self.tasks[step] = self.progress.add_task(step, total=max(total, 1))
        self.progress.update(task, completed=done, total=max(total, 1))  # type: ignore[arg-type]


def _summary_out(doc: dict[str, object], as_json: bool) -> None:
    if as_json:
        _emit(doc)
        return
    out = Console()
    for k, v in doc.items():
        out.print(f"{k}: {v}", markup=False, highlight=False)


@app.command("sync")
def sync_cmd(
    nvd: Annotated[list[Path] | None, typer.Option("--nvd", help="NVD CVE API 2.0 JSON file or directory (repeatable)")] = None,
    kev: Annotated[Path | None, typer.Option("--kev", help="CISA KEV JSON (the whole catalogue)")] = None,
    epss: Annotated[Path | None, typer.Option("--epss", help="FIRST EPSS CSV (.gz ok)")] = None,
    jvn: Annotated[list[Path] | None, typer.Option("--jvn", help="JVN RSS / VULDEF XML file or directory")] = None,
    osv: Annotated[list[Path] | None, typer.Option("--osv", help="OSV JSON file or directory")] = None,
    no_rematch: Annotated[bool, typer.Option("--no-rematch", help="store the feeds only")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Load feeds into the database incrementally (only records whose content changed), then rematch."""
    if not (nvd or kev or epss or jvn or osv):
        _fail("give at least one of --nvd, --kev, --epss, --jvn, --osv")
    from kijun.cli.main import django_setup

    django_setup()
    from .services import rematch
    from .store import parse_files, store_parsed

    try:
        with _err.status("reading feeds…") if not as_json else _nullcontext():
            parsed = parse_files(nvd=nvd or [], kev=kev, epss=epss, jvn=jvn or [], osv=osv or [])
    except FeedError as e:
        _fail(str(e))
    with _Bar(not as_json) as bar:
        try:
            counts: dict[str, object] = dict(store_parsed(parsed, actor_label="cli", progress=bar))
        except FeedError as e:
            _fail(str(e))
        changed = any(c["added"] or c["changed"] or c["removed"] for c in store_counts(counts))
        if changed and not no_rematch:
            counts["rematch"] = _rematch_doc(rematch(actor_label="cli", progress=bar))
    _summary_out({"schema": "kijun.vuln.sync/1", **counts}, as_json)


def store_counts(counts: dict[str, object]) -> list[dict[str, int]]:
    return [v for v in counts.values() if isinstance(v, dict) and "added" in v]


def _rematch_doc(res: object) -> dict[str, object]:
    doc: dict[str, object] = res.as_dict()  # type: ignore[attr-defined]
    doc["timings"] = {k: round(v, 3) for k, v in doc["timings"].items()}  # type: ignore[attr-defined]
    return doc


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@app.command("ingest")
def ingest_cmd(
    inventory: InvOpt = None,
    extra: ExtraArg = None,
    unit: Annotated[str, typer.Option("--unit", help="organisation unit code the hosts belong to")] = "",
    system: Annotated[str, typer.Option("--system", help="ledger id of the information system (cloud ledger)")] = "",
    mapping: MappingOpt = None,
    no_rematch: Annotated[bool, typer.Option("--no-rematch", help="store the inventory only")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Store inventories in the database (each host's rows replace its previous ones), then rematch."""
    paths = [*(inventory or []), *(extra or [])]
    if not paths:
        _fail("give at least one --inventory FILE")
    if not unit:
        _fail("give --unit CODE")
    from kijun.cli.main import django_setup

    django_setup()
    from kijun.cloud.models import InformationSystem
    from kijun.core.models import OrgUnit

    from .services import ingest_files, rematch

    org = OrgUnit.objects.filter(code=unit).first()
    if org is None:
        _fail(f"unknown unit {unit!r}")
    sys_obj = None
    if system:
        sys_obj = InformationSystem.objects.filter(code=system).first()
        if sys_obj is None:
            _fail(f"unknown system {system!r}")
    try:
        res = ingest_files(paths, unit=org, system=sys_obj, mapper=_mapper(mapping), actor_label="cli")
    except FeedError as e:
        _fail(str(e))
    doc: dict[str, object] = {"schema": "kijun.vuln.ingest/1", "hosts": res.hosts, "new_hosts": res.created_hosts,
                              "items": res.items, "unmapped": res.unmapped, "pairs": res.pairs,
                              "warnings": res.warnings}
    if not no_rematch:
        with _Bar(not as_json) as bar:
            doc["rematch"] = _rematch_doc(rematch(actor_label="cli", progress=bar))
    _summary_out(doc, as_json)


@app.command("rematch")
def rematch_cmd(as_json: JsonOpt = False) -> None:
    """Match every stored (product, version) pair against the stored feeds; fan findings out in SQL."""
    from kijun.cli.main import django_setup

    django_setup()
    from .services import rematch

    with _Bar(not as_json) as bar:
        doc = _rematch_doc(rematch(actor_label="cli", progress=bar))
    _summary_out({"schema": "kijun.vuln.rematch/1", **doc}, as_json)
