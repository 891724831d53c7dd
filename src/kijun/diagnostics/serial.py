"""Feed records to and from the JSON the database keeps, for incremental ``kijun vuln sync``.

NVD and OSV are stored as their source JSON (the ``cve`` object, the OSV document): re-parsing them
with :func:`nvd.parse_cve` / :func:`osv.parse_osv` on rematch gives exactly what the CLI matches, and
the content hash the parsers compute decides whether a record changed. JVN is XML, so the parsed
record (affected products with their parsed Japanese version ranges) is stored as JSON instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._io import FeedError, content_hash, expand_paths, obj, objs, paused_gc, read_json
from .cpe import CpeError, parse_cpe
from .nvd import parse_cve
from .osv import parse_osv
from .records import CveRecord, Cvss, JvnAffected, JvnRecord, OsvRecord, VersionRange

JSON_SUFFIXES = (".json", ".json.gz", ".json.xz")


def _raw_cves(doc: Any, where: str) -> Iterable[tuple[str, dict[str, Any]]]:
    """The ``cve`` objects of a page, a wrapper, a bare record or a list (as nvd.iter_cves_from_document)."""
    if isinstance(doc, list):
        for i, d in enumerate(doc):
            yield from _raw_cves(d, f"{where}[{i}]")
        return
    if not isinstance(doc, dict):
        raise FeedError(f"{where}: expected a JSON object")
    if "vulnerabilities" in doc:
        for here, v in objs(doc["vulnerabilities"], f"{where} vulnerabilities"):
            yield here, obj(v.get("cve", v), f"{here}.cve")
    elif "cve" in doc and isinstance(doc["cve"], dict):
        yield where, doc["cve"]
    elif "id" in doc:
        yield where, doc
    else:
        raise FeedError(f"{where}: not an NVD CVE API 2.0 document")


@dataclass(frozen=True, slots=True)
class RawCve:
    """A ``cve`` object as read, with what incremental sync needs before parsing it."""

    id: str
    modified: str
    digest: str  # the same content hash nvd.parse_cve computes
    raw: dict[str, Any]
    where: str

    def parse(self) -> CveRecord:
        return parse_cve(self.raw, self.where)


def load_nvd_raw(paths: Iterable[str | Path]) -> list[RawCve]:
    """Every CVE of the files, unparsed (a CVE seen twice keeps the newest lastModified).

    Only the id is checked here; records are parsed (and fully validated) when they are new or
    changed, so re-syncing unchanged data costs reading and hashing only.
    """
    by_id: dict[str, RawCve] = {}
    for p in expand_paths(list(paths), JSON_SUFFIXES):
        doc = read_json(p)
        with paused_gc():
            for here, raw in _raw_cves(doc, str(p)):
                cid = raw.get("id")
                if not isinstance(cid, str) or not cid.startswith("CVE-"):
                    raise FeedError(f"{here}: record without a CVE id")
                modified = str(raw.get("lastModified") or "")
                old = by_id.get(cid)
                if old is None or modified >= old.modified:
                    by_id[cid] = RawCve(cid, modified, content_hash(raw), raw, here)
    return list(by_id.values())


def load_osv_raw(paths: Iterable[str | Path]) -> list[tuple[dict[str, Any], OsvRecord]]:
    out: dict[str, tuple[dict[str, Any], OsvRecord]] = {}
    for p in expand_paths(list(paths), JSON_SUFFIXES):
        doc = read_json(p)
        docs = doc if isinstance(doc, list) else doc.get("vulns", [doc]) if isinstance(doc, dict) else None
        if docs is None:
            raise FeedError(f"{p}: expected an OSV object or list")
        for here, d in objs(docs, str(p)):
            rec = parse_osv(d, here)
            out[rec.id] = (d, rec)
    return list(out.values())


def count_criteria(raw: dict[str, Any]) -> int:
    return sum(len(n.get("cpeMatch") or []) for c in raw.get("configurations") or [] for n in c.get("nodes") or [])


def _range_json(r: VersionRange) -> dict[str, Any]:
    return {"start": r.start, "start_inclusive": r.start_inclusive, "end": r.end,
            "end_inclusive": r.end_inclusive, "exact": r.exact}


def jvn_to_json(rec: JvnRecord) -> dict[str, Any]:
    return {
        "id": rec.id, "title": rec.title, "cves": list(rec.cves), "published": rec.published,
        "modified": rec.modified, "content_hash": rec.content_hash,
        "cvss": None if rec.cvss is None else {"version": rec.cvss.version, "score": rec.cvss.score,
                                               "vector": rec.cvss.vector, "severity": rec.cvss.severity},
        "affected": [{"vendor": a.vendor, "product": a.product, "cpe": a.cpe.to_fs() if a.cpe else None,
                      "version_text": a.version_text, "parsed": a.parsed,
                      "ranges": [_range_json(r) for r in a.ranges]} for a in rec.affected],
    }


def jvn_from_json(d: dict[str, Any]) -> JvnRecord:
    affected = []
    for a in d.get("affected", []):
        try:
            cpe = parse_cpe(a["cpe"]) if a.get("cpe") else None
        except CpeError:
            cpe = None
        affected.append(JvnAffected(a.get("vendor", ""), a.get("product", ""), cpe, a.get("version_text", ""),
                                    tuple(VersionRange(**r) for r in a.get("ranges", [])), bool(a.get("parsed"))))
    c = d.get("cvss")
    return JvnRecord(
        id=d["id"], title=d.get("title", ""), cves=tuple(d.get("cves", [])), affected=tuple(affected),
        cvss=Cvss(c["version"], float(c["score"]), c["vector"], c["severity"]) if c else None,
        published=d.get("published"), modified=d.get("modified"), content_hash=d.get("content_hash", ""))


__all__ = ["RawCve", "count_criteria", "jvn_from_json", "jvn_to_json", "load_nvd_raw", "load_osv_raw"]
