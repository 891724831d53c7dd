"""OSV JSON records (single objects, lists, or directories of ``*.json``; gzip OK)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._io import FeedError, arr, content_hash, expand_paths, obj, objs, read_json
from .records import OsvAffected, OsvEvent, OsvRange, OsvRecord

_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


def parse_osv(doc: dict[str, Any], where: str = "OSV") -> OsvRecord:
    doc = obj(doc, where)
    oid = doc.get("id")
    if not isinstance(oid, str):
        raise FeedError(f"{where}: OSV record without id")
    affected = []
    for awhere, a in objs(doc.get("affected"), f"{where} {oid} affected"):
        pkg = obj(a.get("package") or {}, f"{awhere}.package")
        ranges = []
        for rwhere, r in objs(a.get("ranges"), f"{awhere}.ranges"):
            events = []
            for _, e in objs(r.get("events"), f"{rwhere}.events"):
                kind = next((k for k in _EVENT_KINDS if k in e), None)
                if kind is None:
                    raise FeedError(f"{awhere}: unknown range event {e!r}")
                events.append(OsvEvent(kind, str(e[kind])))
            ranges.append(OsvRange(str(r.get("type", "ECOSYSTEM")).upper(), tuple(events)))
        affected.append(OsvAffected(
            ecosystem=str(pkg.get("ecosystem", "")),
            name=str(pkg.get("name", "")),
            purl=pkg.get("purl"),
            ranges=tuple(ranges),
            versions=tuple(str(v) for v in arr(a.get("versions"), f"{awhere}.versions")),
        ))
    return OsvRecord(
        id=oid,
        modified=doc.get("modified"),
        withdrawn=doc.get("withdrawn"),
        aliases=tuple(str(x) for x in arr(doc.get("aliases"), f"{where} {oid} aliases")),
        summary=str(doc.get("summary", "")),
        affected=tuple(affected),
        content_hash=content_hash(doc),
    )


def load_osv(paths: Iterable[str | Path]) -> list[OsvRecord]:
    out: list[OsvRecord] = []
    for p in expand_paths(list(paths), (".json", ".json.gz", ".json.xz")):
        doc = read_json(p)
        docs = doc if isinstance(doc, list) else doc.get("vulns", [doc]) if isinstance(doc, dict) else None
        if docs is None:
            raise FeedError(f"{p}: expected an OSV object or list")
        out.extend(parse_osv(d, here) for here, d in objs(docs, str(p)))
    return out
