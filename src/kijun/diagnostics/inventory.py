"""Inventory inputs → normalised :class:`InventoryItem` lists.

Inputs: osquery result logs (event, snapshot and batch lines; numbers or strings), CycloneDX
1.4–1.6 JSON SBOMs (purl / cpe) and a documented CSV (UTF-8 with or without BOM, or CP932; see
docs/diagnostics.md). All three become :class:`RawRow` values first, and one normaliser turns rows
into items, so a host's ``os_version`` row can give its Debian packages their OSV ecosystem.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from ._io import FeedError, iter_lines, obj, objs, read_json, read_text
from .cpe import CpeError, make_cpe, parse_cpe
from .distro import DistroMapper
from .osmap import OsFacts, os_facts
from .records import InventoryItem
from .winmap import ProgramMapper

TABLES = ("deb_packages", "rpm_packages", "programs", "os_version", "python_packages", "npm_packages")


@dataclass(frozen=True, slots=True)
class RawRow:
    host: str
    table: str  # one of TABLES, or "component" (SBOM / CSV rows with purl and/or cpe)
    row: dict[str, str]
    source: str


@dataclass(slots=True)
class Inventory:
    items: list[InventoryItem] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    @property
    def unmapped(self) -> list[InventoryItem]:
        return [i for i in self.items if not i.mapped]


# ------------------------------------------------------------------------------ osquery
def _table_of(query_name: str, cols: dict[str, Any]) -> str | None:
    for t in TABLES:
        if query_name.endswith(t):
            return t
    keys = set(cols)
    if "admindir" in keys or {"maintainer", "section", "revision"} <= keys:
        return "deb_packages"
    if {"release", "sha1"} <= keys or {"release", "epoch"} <= keys:
        return "rpm_packages"
    if {"publisher", "identifying_number"} & keys and "name" in keys:
        return "programs"
    if {"platform", "major"} <= keys:
        return "os_version"
    return None


def _strs(row: dict[str, Any]) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in row.items()}


def load_osquery(path: str | Path) -> list[RawRow]:
    """Replay an osquery results log: ``added``/``removed`` events, snapshots and batches.

    The last state per (host, query) wins, which is what the host has installed now.
    """
    state: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    tables: dict[tuple[str, str], str] = {}
    src = str(path)
    lines = iter_lines(path)
    with contextlib.closing(lines):
        _replay(lines, src, state, tables)
    return _rows_from_state(state, tables)


def _replay(lines: Iterable[tuple[int, str]], src: str, state: dict[tuple[str, str], dict[str, dict[str, str]]],
            tables: dict[tuple[str, str], str]) -> None:
    for n, line in lines:
        if not line.strip():
            continue
        try:
            ev = json.loads(line)
        except json.JSONDecodeError as e:
            raise FeedError(f"{src}:{n}: invalid JSON ({e.msg})") from e
        if not isinstance(ev, dict):
            raise FeedError(f"{src}:{n}: expected a JSON object")
        host = str(ev.get("hostIdentifier") or obj(ev.get("decorations") or {}, f"{src}:{n}: decorations").get("hostname")
                   or "")
        if not host:
            raise FeedError(f"{src}:{n}: missing hostIdentifier")
        qname = str(ev.get("name", ""))
        key = (host, qname)
        cur = state.setdefault(key, {})

        def put(rows: Any, field: str, remove: bool, key: tuple[str, str] = key,
                cur: dict[str, dict[str, str]] = cur, where: str = f"{src}:{n}: ") -> None:
            for _, r in objs(rows, where + field):
                s = _strs(r)
                t = _table_of(key[1], s)
                if t is None:
                    continue
                tables[key] = t
                rk = json.dumps(s, sort_keys=True)
                if remove:
                    cur.pop(rk, None)
                else:
                    cur[rk] = s

        if "snapshot" in ev:
            cur.clear()
            put(ev.get("snapshot"), "snapshot", False)
        elif "diffResults" in ev:
            diff = obj(ev["diffResults"] or {}, f"{src}:{n}: diffResults")
            put(diff.get("removed"), "diffResults.removed", True)
            put(diff.get("added"), "diffResults.added", False)
        elif "columns" in ev:
            put([ev["columns"]], "columns", ev.get("action") == "removed")
        else:
            raise FeedError(f"{src}:{n}: not an osquery result line (no columns/snapshot/diffResults)")


def _rows_from_state(state: dict[tuple[str, str], dict[str, dict[str, str]]],
                     tables: dict[tuple[str, str], str]) -> list[RawRow]:
    out: list[RawRow] = []
    for key, rows in state.items():
        t = tables.get(key)
        if t is None:
            continue
        out.extend(RawRow(key[0], t, r, f"osquery:{t}") for r in rows.values())
    return out


# ------------------------------------------------------------------------------ CycloneDX
def _walk_components(comps: Any, where: str) -> Iterable[dict[str, Any]]:
    for here, c in objs(comps, where):
        yield c
        yield from _walk_components(c.get("components"), f"{here}.components")


def load_cyclonedx(path: str | Path) -> list[RawRow]:
    doc = read_json(path)
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise FeedError(f"{path}: not a CycloneDX JSON BOM")
    spec = str(doc.get("specVersion", ""))
    if spec not in ("1.4", "1.5", "1.6", "1.7"):
        raise FeedError(f"{path}: unsupported CycloneDX specVersion {spec!r} (1.4-1.6 expected)")
    meta = obj(obj(doc.get("metadata") or {}, f"{path}: metadata").get("component") or {}, f"{path}: metadata.component")
    host = str(meta.get("name") if meta.get("type") != "operating-system" else meta.get("bom-ref") or "") or Path(path).stem
    rows: list[RawRow] = []
    for c in [meta, *_walk_components(doc.get("components"), f"{path}: components")]:
        if not c:
            continue
        if c.get("type") == "operating-system":
            ver = str(c.get("version", ""))
            major, _, minor = ver.partition(".")
            rows.append(RawRow(host, "os_version", {"name": str(c.get("name", "")), "platform": str(c.get("name", "")).lower(),
                                                    "version": ver, "major": major, "minor": minor.split(".")[0]}, "cyclonedx"))
            continue
        rows.append(RawRow(host, "component", {k: str(c.get(k) or "") for k in ("name", "version", "purl", "cpe", "type")}
                           | {"publisher": str(c.get("publisher") or c.get("group") or "")}, "cyclonedx"))
    return rows


# ------------------------------------------------------------------------------ CSV
CSV_ALIASES = {
    "host": ("host", "hostname", "ホスト", "ホスト名", "端末名"),
    "kind": ("kind", "type", "種別"),
    "name": ("name", "product", "製品名", "ソフトウェア名", "名称"),
    "version": ("version", "バージョン", "版"),
    "publisher": ("publisher", "vendor", "ベンダー", "発行元", "提供元"),
    "cpe": ("cpe",),
    "purl": ("purl",),
}


def load_csv(path: str | Path) -> list[RawRow]:
    """The documented inventory CSV: ``host,kind,name,version,publisher,cpe,purl`` (Japanese
    header aliases accepted; UTF-8, UTF-8 with BOM or CP932)."""
    try:
        return _load_csv(path, read_text(path))
    except csv.Error as e:
        raise FeedError(f"{path}: not valid CSV ({e})") from e


def _load_csv(path: str | Path, text: str) -> list[RawRow]:
    # newline="": the csv module splits rows itself, so CR, LF and CRLF line ends all work
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise FeedError(f"{path}: empty CSV")
    norm = [h.strip().lower() for h in header]
    idx: dict[str, int] = {}
    for canon, names in CSV_ALIASES.items():
        for i, h in enumerate(norm):
            if h in names:
                idx[canon] = i
                break
    if "host" not in idx or not ({"name", "cpe", "purl"} & idx.keys()):
        raise FeedError(f"{path}:1: CSV needs a 'host' column and one of 'name', 'cpe', 'purl'")
    rows = []
    for n, rec in enumerate(reader, 2):
        if not any(x.strip() for x in rec):
            continue
        vals = {k: (rec[i].strip() if i < len(rec) else "") for k, i in idx.items()}
        if not vals.get("host"):
            raise FeedError(f"{path}:{n}: empty host")
        kind = vals.get("kind", "").lower() or "component"
        table = {"deb": "deb_packages", "rpm": "rpm_packages", "program": "programs", "os": "os_version"}.get(kind, "component")
        row = dict(vals)
        if table == "rpm_packages" and "-" in row.get("version", ""):
            row["version"], row["release"] = row["version"].rsplit("-", 1)
        if table == "os_version":
            ver = row.get("version", "")
            parts = ver.split(".")
            row.update(platform=row.get("name", "").split()[0].lower() if row.get("name") else "",
                       major=parts[0], minor=parts[1] if len(parts) > 1 else "")
        if kind == "hardware":
            row["kind"] = "hardware"
        rows.append(RawRow(vals["host"], table, row, "csv"))
    return rows


def load_inventory_file(path: str | Path) -> list[RawRow]:
    """Detect the format: ``.csv`` → CSV; JSON with ``bomFormat`` → CycloneDX; else osquery log."""
    p = Path(path)
    name = p.name.lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return load_csv(p)
    if name.endswith(".json"):
        try:
            doc = read_json(p)
        except FeedError:
            doc = None
        if isinstance(doc, dict) and doc.get("bomFormat") == "CycloneDX":
            return load_cyclonedx(p)
    return load_osquery(p)


# ------------------------------------------------------------------------------ normalise
_DISTRO_PURL = {"debian": "Debian", "ubuntu": "Ubuntu", "redhat": "Red Hat", "rhel": "Red Hat",
                "rocky": "Rocky Linux", "almalinux": "AlmaLinux", "opensuse": "openSUSE", "suse": "SUSE"}
_LANG_PURL = {"pypi": "PyPI", "npm": "npm", "maven": "Maven", "golang": "Go", "cargo": "crates.io",
              "gem": "RubyGems", "nuget": "NuGet", "composer": "Packagist"}


def _purl_target(purl: str) -> tuple[str, str, str, str] | None:
    """(kind, ecosystem, package, version) from a purl, or None when it names no ecosystem we use."""
    p = PackageURL.from_string(purl)
    q = p.qualifiers if isinstance(p.qualifiers, dict) else {}
    version = p.version or ""
    if p.type in ("deb", "rpm"):
        base = _DISTRO_PURL.get((p.namespace or "").lower(), "Debian" if p.type == "deb" else "Red Hat")
        distro = str(q.get("distro", ""))
        m = re.search(r"(\d+(?:\.\d+)?)", distro)
        rel = m.group(1) if m else ""
        if p.type == "rpm" and rel:
            rel = rel.split(".")[0]
        eco = f"{base}:{rel}" if rel else base
        pkg = p.name
        if p.type == "deb" and q.get("upstream"):
            pkg = re.split(r"[@ (]", str(q["upstream"]))[0]
        if p.type == "rpm" and q.get("epoch") and ":" not in version:
            version = f"{q['epoch']}:{version}"
        return p.type, eco, pkg, version
    if p.type in _LANG_PURL:
        eco = _LANG_PURL[p.type]
        if p.type == "npm" and p.namespace:
            pkg = f"{p.namespace}/{p.name}"
        elif p.type == "maven" and p.namespace:
            pkg = f"{p.namespace}:{p.name}"
        elif p.type == "golang" and p.namespace:
            pkg = f"{p.namespace}/{p.name}"
        else:
            pkg = p.name
        if p.type == "pypi":
            pkg = re.sub(r"[-_.]+", "-", pkg).lower()
        return p.type, eco, pkg, version
    return None


def _host_ecosystem(facts: OsFacts | None, family: str, version: str) -> str:
    if facts is not None and facts.ecosystem_base is not None:
        deb_family = facts.ecosystem_base in ("Debian", "Ubuntu")
        if deb_family == (family == "deb"):
            return f"{facts.ecosystem_base}:{facts.release}" if facts.release else facts.ecosystem_base
    if family == "deb":
        return "Ubuntu" if "ubuntu" in version else "Debian"
    return "Red Hat"


def normalise(rows: Iterable[RawRow], mapper: ProgramMapper, distro: DistroMapper | None = None) -> Inventory:
    rows = list(rows)
    inv = Inventory()
    facts: dict[str, OsFacts] = {}
    for r in rows:
        inv.hosts.add(r.host)
        if r.table == "os_version":
            facts[r.host] = os_facts(r.row)
    seen: set[InventoryItem] = set()
    for r in rows:
        item = _item(r, facts.get(r.host), mapper, inv.warnings)
        if item is not None and distro is not None and item.cpe is None and item.kind in ("deb", "rpm") and item.package:
            hit = distro.map(item.package, item.version, item.kind)
            if hit is not None:
                item = replace(item, cpe=hit[0], mapping=hit[1])
        if item is not None and item not in seen:
            seen.add(item)
            inv.items.append(item)
    return inv


def _item(r: RawRow, facts: OsFacts | None, mapper: ProgramMapper, warnings: list[str]) -> InventoryItem | None:
    row = r.row
    name = row.get("name", "")
    if r.table == "deb_packages":
        if row.get("status") and "installed" not in row["status"].split()[-1:]:
            return None  # removed packages with leftover config files
        version = row.get("version", "")
        pkg = re.split(r"[ (]", row.get("source") or name)[0] or name
        return InventoryItem(r.host, r.source, "deb", name, version,
                             ecosystem=_host_ecosystem(facts, "deb", version), package=pkg)
    if r.table == "rpm_packages":
        epoch = row.get("epoch", "").strip()
        evr = f"{row.get('version', '')}-{row['release']}" if row.get("release") else row.get("version", "")
        if epoch and epoch not in ("0", "(none)"):
            evr = f"{epoch}:{evr}"
        return InventoryItem(r.host, r.source, "rpm", name, evr,
                             ecosystem=_host_ecosystem(facts, "rpm", evr), package=name)
    if r.table == "python_packages":
        return InventoryItem(r.host, r.source, "pypi", name, row.get("version", ""), ecosystem="PyPI",
                             package=re.sub(r"[-_.]+", "-", name).lower())
    if r.table == "npm_packages":
        return InventoryItem(r.host, r.source, "npm", name, row.get("version", ""), ecosystem="npm", package=name)
    if r.table == "os_version":
        f = facts or os_facts(row)
        return InventoryItem(r.host, r.source, "os", f.label, row.get("version", ""), cpe=f.cpe)
    if r.table == "programs":
        version = row.get("version", "")
        res = mapper.map(name, row.get("publisher", ""), version)
        if res is None:
            return InventoryItem(r.host, r.source, "program", name, version, publisher=row.get("publisher", ""))
        return InventoryItem(r.host, r.source, "program", name, version, cpe=res.cpe,
                             publisher=row.get("publisher", ""), mapping=res.mapping)
    # component: SBOM or CSV row with purl and/or cpe
    cpe = None
    version = row.get("version", "")
    kind = row.get("kind", "") or "other"
    if row.get("cpe"):
        try:
            cpe = parse_cpe(row["cpe"], allow_wildcards=False)
        except CpeError as e:
            warnings.append(f"{r.source} {r.host} {name}: {e}")
    eco = pkg = None
    if row.get("purl"):
        try:
            t = _purl_target(row["purl"])
        except ValueError as e:
            warnings.append(f"{r.source} {r.host} {name}: bad purl ({e})")
            t = None
        if t is not None:
            kind, eco, pkg, pv = t
            version = version or pv
            if kind == "deb" and facts is not None and ":" not in eco:
                eco = _host_ecosystem(facts, "deb", version)
    if cpe is None and kind == "hardware" and row.get("publisher") and name:
        cpe = make_cpe("h", row["publisher"].lower().replace(" ", "_"), name.lower().replace(" ", "_"), version or "-")
    if cpe is not None and cpe.part == "h" and cpe.version == "\x00ANY":
        cpe = cpe.replace(version="\x00NA")  # hardware has no version: NA, so "h:vendor:model:-" matches
    if cpe is None and eco is None and not name and not row.get("cpe"):
        return None
    if cpe is None and eco is None and kind in ("other", "program", "component"):
        res = mapper.map(name, row.get("publisher", ""), version)
        if res is not None:
            return InventoryItem(r.host, r.source, "program", name, version, cpe=res.cpe,
                                 publisher=row.get("publisher", ""), mapping=res.mapping)
    return InventoryItem(r.host, r.source, kind, name or (cpe.product if cpe else ""), version,
                         cpe=cpe, ecosystem=eco, package=pkg, publisher=row.get("publisher", ""))


def load_inventory(paths: Iterable[str | Path], mapper: ProgramMapper | None = None,
                   distro: DistroMapper | None = None) -> Inventory:
    rows: list[RawRow] = []
    for p in paths:
        rows.extend(load_inventory_file(p))
    return normalise(rows, mapper or ProgramMapper.default(), distro)
