"""`kijun catalog …`: browse, search, export, import official text, diff editions.

Every ``--json`` output is one JSON document on stdout (schemas in docs/catalog.md).  Errors exit
non-zero with one line on stderr; files given with ``--out`` are written to a temporary name and
renamed, so a failure never leaves half a file.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import yaml
from pydantic import ValidationError

from .catalog import Catalog
from .diff import diff_result_json, diff_snapshots, review_worklist, snapshot_of_catalog, snapshot_of_import
from .export import catalog_csv, catalog_json, catalog_xlsx, node_json
from .ids import NodeKind, is_valid, sort_key
from .import_official import OfficialImport, OfficialTextError, parse_official_file, read_text, term_index
from .layouts import LAYOUTS
from .loader import CatalogError, load_catalog
from .model import Node
from .oscal import AgencyPolicy, PolicyError, catalog_to_oscal, profile_to_oscal

app = typer.Typer(name="catalog", help="統一基準カタログ / the standard as data.", no_args_is_help=True,
                  add_completion=False)

DataOpt = Annotated[Path | None, typer.Option("--data", help="Catalog directory (default: packaged R7).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]


def _fail(message: str, code: int = 1) -> NoReturn:
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    more = len(message.strip().splitlines()) - 1
    typer.echo(f"error: {first}" + (f" (+{more} more lines)" if more > 0 else ""), err=True)
    raise typer.Exit(code)


def _load(data: Path | None) -> Catalog:
    try:
        return load_catalog(data)
    except CatalogError as exc:
        first = exc.issues[0]
        _fail(f"invalid catalog ({len(exc.issues)} problem(s)); first: {first}")


def _brief(n: Node) -> dict[str, Any]:
    """The short node reference used in ancestors, children and search hits."""
    return {"id": n.id, "kind": n.kind.value, "title_en": n.title_en, "title_ja": n.title_ja}


def _emit(doc: Any) -> None:
    typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))


def _write_out(data: str | bytes, out: Path | None) -> None:
    if out is None:
        if isinstance(data, bytes):
            _fail("binary output needs --out FILE")
        sys.stdout.write(data)
        if not data.endswith("\n"):
            sys.stdout.write("\n")
        return
    out = out.resolve()
    if not out.parent.is_dir():
        _fail(f"{out.parent}: no such directory")
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    typer.echo(f"wrote {out}", err=True)


@app.command("list")
def list_cmd(
    chapter: Annotated[str | None, typer.Option(help="Only this chapter (1-8).")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind (chapter, section, item, group, requirement, subitem, definition).")] = None,
    as_json: JsonOpt = False,
    data: DataOpt = None,
) -> None:
    """List nodes in document order."""
    cat = _load(data)
    if kind is not None and kind not in {k.value for k in NodeKind}:
        _fail(f"unknown kind {kind!r}")
    if chapter is not None and chapter not in {n.id for n in cat.of_kind(NodeKind.CHAPTER)}:
        _fail(f"no chapter {chapter!r} in catalog {cat.edition.code}")
    nodes = [n for n in cat if (chapter is None or n.chapter == chapter) and (kind is None or n.kind.value == kind)]
    if as_json:
        _emit({"edition": cat.edition.code, "count": len(nodes), "nodes": [
            {"id": n.id, "kind": n.kind.value, "parent": n.parent, "title_en": n.title_en, "title_ja": n.title_ja,
             "summary_status": n.summary_status} for n in nodes]})
        return
    depth = {"chapter": 0, "section": 1, "item": 2, "group": 3, "requirement": 4, "subitem": 5, "definition": 3}
    for n in nodes:
        typer.echo(f"{'  ' * depth[n.kind.value]}{n.id}  {n.title_ja} / {n.title_en}")


@app.command("show")
def show_cmd(node_id: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonOpt = False, data: DataOpt = None) -> None:
    """Show one node with its ancestors and children."""
    cat = _load(data)
    if not is_valid(node_id):
        _fail(f"bad id syntax {node_id!r} (expected e.g. 4.2.1(2)(c))")
    if node_id not in cat:
        _fail(f"no such id in catalog {cat.edition.code}: {node_id!r}")
    n = cat.get(node_id)
    anc = cat.ancestors(node_id)
    kids = cat.children(node_id)
    if as_json:
        _emit({
            **node_json(n),
            "ancestors": [_brief(a) for a in anc],
            "children": [_brief(c) for c in kids],
        })
        return
    typer.echo(" > ".join(f"{a.id} {a.title_ja}" for a in anc))
    typer.echo(f"{n.id}  [{n.kind.value}]")
    typer.echo(f"  {n.title_ja}（非公式訳） / {n.title_en}")
    typer.echo(f"  要約: {n.summary_ja}")
    typer.echo(f"  Summary: {n.summary_en}" + ("  (draft)" if n.summary_status == "draft" else ""))
    if n.purpose_ja:
        typer.echo(f"  目的・趣旨: {n.purpose_ja}")
        typer.echo(f"  Purpose: {n.purpose_en}")
    if n.responsible_roles:
        typer.echo(f"  roles: {', '.join(n.responsible_roles)}")
    if n.tags.applies_to or n.tags.lifecycle_phase:
        typer.echo(f"  applies_to: {', '.join(n.tags.applies_to) or '-'}; lifecycle: {', '.join(n.tags.lifecycle_phase) or '-'}")
    if n.related:
        typer.echo(f"  related: {', '.join(n.related)}")
    for c in kids:
        typer.echo(f"    {c.id}  {c.title_ja}")


@app.command("search")
def search_cmd(
    text: str,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
    data: DataOpt = None,
) -> None:
    """Substring search in ids, titles, summaries and purposes (Japanese works without spaces)."""
    cat = _load(data)
    hits = cat.search(text, limit=limit)
    if as_json:
        _emit({"query": text, "count": len(hits), "hits": [
            {**_brief(cat.get(h.id)), "field": h.field, "snippet": h.snippet} for h in hits]})
        return
    if not hits:
        typer.echo("no matches", err=True)
    for h in hits:
        typer.echo(f"{h.id}  {cat.get(h.id).title_ja}  [{h.field}] {h.snippet}")


@app.command("export")
def export_cmd(
    fmt: Annotated[str, typer.Option("--format", help="json | csv | xlsx | oscal")] = "json",
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
    official: Annotated[Path | None, typer.Option(help="Official text to include as OSCAL statements.")] = None,
    data: DataOpt = None,
) -> None:
    """Export the catalog as JSON, CSV (Excel-friendly, BOM), XLSX or an OSCAL 1.1 catalog."""
    cat = _load(data)
    text: str | bytes
    if fmt == "xlsx":
        if out is None:
            _fail("--format xlsx needs --out FILE")
        text = catalog_xlsx(cat, datetime.now(UTC))
    elif fmt == "json":
        text = json.dumps(catalog_json(cat), ensure_ascii=False, indent=2)
    elif fmt == "csv":
        text = catalog_csv(cat)
    elif fmt == "oscal":
        imp = _parse_official(official, cat=cat) if official else None
        text = json.dumps(catalog_to_oscal(cat, datetime.now(UTC), imp), ensure_ascii=False, indent=2)
    else:
        _fail(f"unknown format {fmt!r}: use json, csv, xlsx or oscal")
    _write_out(text, out)


@app.command("profile")
def profile_cmd(
    policy: Annotated[Path, typer.Argument(help="Agency policy YAML (対策基準 tailoring).")],
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
    data: DataOpt = None,
) -> None:
    """Export an agency's 対策基準 tailoring as an OSCAL profile."""
    cat = _load(data)
    try:
        raw = yaml.safe_load(read_text(policy))
        pol = AgencyPolicy.model_validate(raw)
        doc = profile_to_oscal(pol, cat, datetime.now(UTC))
    except OSError as exc:
        _fail(f"{policy}: {exc.strerror or exc}")
    except OfficialTextError as exc:
        _fail(str(exc))
    except yaml.YAMLError as exc:
        _fail(f"{policy}: YAML syntax: {exc}".replace("\n", " "))
    except ValidationError as exc:
        e = exc.errors()[0]
        _fail(f"{policy}: {'.'.join(str(p) for p in e['loc'])}: {e['msg']} ({exc.error_count()} problem(s))")
    except PolicyError as exc:
        _fail(f"{policy}: {exc}")
    _write_out(json.dumps(doc, ensure_ascii=False, indent=2), out)


def catalog_terms(cat: Catalog | None) -> dict[str, str]:
    """Defined terms (English and our Japanese titles) -> definition ids, for the Japanese parser."""
    if cat is None:
        return {}
    terms: dict[str, str] = {}
    for n in cat.of_kind(NodeKind.DEFINITION):
        terms[n.title_en] = n.id
        terms[n.title_ja] = n.id
    return term_index(terms)


def _parse_official(path: Path, layout: str = "auto", cat: Catalog | None = None) -> OfficialImport:
    lay = None if layout == "auto" else LAYOUTS.get(layout)
    if layout != "auto" and lay is None:
        _fail(f"unknown layout {layout!r}: use auto, en or ja")
    try:
        return parse_official_file(path, lay, catalog_terms(cat))
    except OSError as exc:
        _fail(f"{path}: {exc.strerror or exc}")
    except OfficialTextError as exc:
        _fail(str(exc))


def import_report(imp: OfficialImport, cat: Catalog | None, with_text: bool = False) -> dict[str, Any]:
    """The ``import-official --json`` document."""
    counts = {k.value: 0 for k in NodeKind}
    for n in imp.nodes.values():
        counts[n.kind.value] += 1
    nodes = []
    for n in imp.nodes.values():
        row: dict[str, Any] = {"id": n.id, "kind": n.kind.value, "title": n.title, "line": n.line,
                               "text_chars": len(n.text), "purpose_chars": len(n.purpose)}
        if with_text:
            row["text"] = n.text
            row["purpose"] = n.purpose
        nodes.append(row)
    doc: dict[str, Any] = {
        "source": imp.source,
        "layout": imp.layout,
        "counts": counts,
        "page_numbers_dropped": imp.page_numbers_dropped,
        "unplaced": [asdict(b) for b in imp.unplaced],
        "skipped": [asdict(b) for b in imp.skipped],
        "nodes": nodes,
    }
    if cat is not None:
        want = {n.id for n in cat.of_kind(NodeKind.REQUIREMENT)}
        got = {i for i, n in imp.nodes.items() if n.kind is NodeKind.REQUIREMENT and n.text}
        doc["coverage"] = {
            "catalog": cat.edition.code,
            "catalog_requirements": len(want),
            "with_official_text": len(want & got),
            "ratio": round(len(want & got) / len(want), 4) if want else 0.0,
            "missing_in_import": sorted(want - got),
            "not_in_catalog": sorted(got - want),
        }
    return doc


@app.command("import-official")
def import_official_cmd(
    file: Path,
    layout: Annotated[str, typer.Option(help="auto | en | ja")] = "auto",
    with_text: Annotated[bool, typer.Option("--with-text", help="Include the official wording in the JSON.")] = False,
    as_json: JsonOpt = False,
    data: DataOpt = None,
    store: Annotated[bool, typer.Option("--store", help="Save the wording in kijun's database (never the repo).")] = False,
    edition: Annotated[str | None, typer.Option(
        help="With --store: save as this edition code (a new revision, e.g. r9) instead of the catalog's.")] = None,
) -> None:
    """Parse the official text into the catalog's ids and report unplaced blocks; --store saves it."""
    cat = _load(data)
    imp = _parse_official(file, layout, cat)
    doc = import_report(imp, cat, with_text)
    if store:
        from ..cli.main import django_setup

        django_setup()
        from .store import store_official

        if edition is not None and not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,15}", edition):
            _fail(f"edition code {edition!r}: use lower-case letters, digits, '.', '_' or '-' (max 16)")
        res = store_official(imp, file.read_bytes(), actor_label="cli", cat=cat, edition=edition)
        doc["stored"] = {"nodes": res.stored, "ignored_unknown_ids": res.ignored_unknown_ids,
                         "edition": edition or cat.edition.code}
    if as_json:
        _emit(doc)
        return
    cov = doc["coverage"]
    typer.echo(f"{imp.source}: layout {imp.layout}; " + ", ".join(f"{k} {v}" for k, v in doc["counts"].items() if v))
    typer.echo(f"requirements with official text: {cov['with_official_text']}/{cov['catalog_requirements']}")
    typer.echo(f"unplaced blocks: {len(imp.unplaced)}")
    if store:
        typer.echo(f"stored official wording for {doc['stored']['nodes']} provisions in the database")
    for b in imp.unplaced:
        typer.echo(f"  line {b.line_start}-{b.line_end}: {b.reason}: {b.text[:80]}")


def _snapshot(path: Path) -> Any:
    if path.is_dir():
        try:
            return snapshot_of_catalog(load_catalog(path), str(path))
        except CatalogError as exc:
            _fail(f"{path}: invalid catalog; first: {exc.issues[0]}")
    if not path.exists():
        _fail(f"{path}: no such file or directory")
    return snapshot_of_import(_parse_official(path), str(path))


@app.command("diff")
def diff_cmd(
    a: Annotated[Path, typer.Argument(help="Catalog directory or official text file (old).")],
    b: Annotated[Path, typer.Argument(help="Catalog directory or official text file (new).")],
    citations: Annotated[Path | None, typer.Option(
        help="YAML mapping document name -> ids it implements; adds a review worklist.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ids added, removed, moved, retitled or with changed text between two editions."""
    if a.is_dir() != b.is_dir() and a.exists() and b.exists():
        typer.echo("warning: comparing a catalog with an official text: their text fields differ "
                   "(summaries vs official wording), so most ids will show as changed", err=True)
    cites = _read_citations(citations) if citations else None
    res = diff_snapshots(_snapshot(a), _snapshot(b))
    if as_json:
        _emit(diff_result_json(res, cites))
        return
    typer.echo(", ".join(f"{k} {v}" for k, v in res.counts.items()) + f", unchanged {res.unchanged}")
    for c in res.changes:
        extra = f" (from {c.old_id})" if c.old_id else ""
        fields = f" [{', '.join(c.fields)}]" if c.fields else ""
        typer.echo(f"{c.type:13} {c.id}{extra}{fields}  {c.title_b or c.title_a or ''}")
    if cites is not None:
        work = review_worklist(res, cites)
        typer.echo(f"documents to review: {len(work)}/{len(cites)}")
        for name, hits in work.items():
            typer.echo(f"  {name}: " + ", ".join(sorted({c.id for c in hits}, key=sort_key)))


def _read_citations(path: Path) -> dict[str, list[str]]:
    """``{document: [ids]}`` from YAML; every value must be a list of id strings."""
    try:
        raw = yaml.safe_load(read_text(path))
    except OSError as exc:
        _fail(f"{path}: {exc.strerror or exc}")
    except (yaml.YAMLError, OfficialTextError) as exc:
        _fail(f"{path}: {exc}".replace("\n", " "))
    if not isinstance(raw, dict) or not all(
        isinstance(v, list) and all(isinstance(i, str) for i in v) for v in raw.values()
    ):
        _fail(f"{path}: expected a mapping of document name to a list of ids")
    return {str(k): list(v) for k, v in raw.items()}


@app.command("validate")
def validate_cmd(data: DataOpt = None, as_json: JsonOpt = False) -> None:
    """Validate a catalog directory and print counts (every problem listed on failure)."""
    try:
        cat = load_catalog(data)
    except CatalogError as exc:
        if as_json:
            _emit({"valid": False, "issues": [{"file": i.file, "id": i.id, "message": i.message} for i in exc.issues]})
            raise typer.Exit(1) from None
        for i in exc.issues[1:]:
            typer.echo(str(i), err=True)
        _fail(f"{len(exc.issues)} problem(s); {exc.issues[0]}")
    drafts = sum(1 for n in cat if n.summary_status == "draft")
    if as_json:
        _emit({"valid": True, "edition": cat.edition.code, "counts": cat.counts(), "draft_summaries": drafts})
        return
    typer.echo(f"catalog {cat.edition.code} valid: " + ", ".join(f"{k} {v}" for k, v in cat.counts().items())
               + f"; draft summaries {drafts}")


policy_app = typer.Typer(name="policy", help="The agency's 対策基準 (tailoring stored in kijun's database).",
                         no_args_is_help=True, add_completion=False)
app.add_typer(policy_app)


@policy_app.command("export")
def policy_export_cmd(
    unit: Annotated[str, typer.Option("--unit", help="Code of the organisation (top-level unit).")],
    fmt: Annotated[str, typer.Option("--format", help="oscal | csv | xlsx")] = "oscal",
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Export an organisation's 対策基準 as an OSCAL profile, CSV or XLSX."""
    from ..cli.main import django_setup

    django_setup()
    from kijun.core.models import OrgUnit

    from .services import EXPORT_FORMATS, export_policy, organisation_of

    if fmt not in EXPORT_FORMATS:
        _fail(f"unknown format {fmt!r}: use oscal, csv or xlsx")
    if fmt == "xlsx" and out is None:
        _fail("--format xlsx needs --out FILE")
    found = OrgUnit.objects.filter(code=unit).first()
    if found is None:
        _fail(f"no organisation unit with code {unit!r}")
    org = organisation_of(found)
    if org.pk != found.pk:
        typer.echo(f"note: {unit} belongs to {org.code}; exporting that organisation's 対策基準", err=True)
    data, _ctype, _name = export_policy(org, fmt, datetime.now(UTC))
    _write_out(data, out)
