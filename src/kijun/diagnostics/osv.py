"""OSV JSON records (single objects, lists, or directories of ``*.json``; gzip OK)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._io import FeedError, content_hash, expand_paths, read_json
from .models import OsvAffected, OsvEvent, OsvRange, OsvRecord

_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


def parse_osv(doc: dict[str, Any], where: str = "OSV") -> OsvRecord:
    oid = doc.get("id")
    if not isinstance(oid, str):
        raise FeedError(f"{where}: OSV record without id")
    affected = []
    for ai, a in enumerate(doc.get("affected", []) or []):
        pkg = a.get("package") or {}
        ranges = []
        for r in a.get("ranges", []) or []:
            events = []
            for e in r.get("events", []) or []:
                kind = next((k for k in _EVENT_KINDS if k in e), None)
                if kind is None:
                    raise FeedError(f"{where} {oid} affected[{ai}]: unknown range event {e!r}")
                events.append(OsvEvent(kind, str(e[kind])))
            ranges.append(OsvRange(str(r.get("type", "ECOSYSTEM")).upper(), tuple(events)))
        affected.append(OsvAffected(
            ecosystem=str(pkg.get("ecosystem", "")),
            name=str(pkg.get("name", "")),
            purl=pkg.get("purl"),
            ranges=tuple(ranges),
            versions=tuple(str(v) for v in a.get("versions", []) or []),
        ))
    return OsvRecord(
        id=oid,
        modified=doc.get("modified"),
        withdrawn=doc.get("withdrawn"),
        aliases=tuple(str(x) for x in doc.get("aliases", []) or []),
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
        out.extend(parse_osv(d, str(p)) for d in docs)
    return out
