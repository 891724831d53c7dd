"""NVD CVE API 2.0 JSON: response pages (``{"vulnerabilities": [{"cve": ...}]}``), single ``cve``
objects as stored per file by mirrors (fkie-cad/nvd-json-data-feeds), or lists of either; gzip OK.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ._io import FeedError, content_hash, expand_paths, obj, objs, paused_gc, read_json
from .cpe import CpeError, parse_cpe
from .records import Configuration, CpeMatch, CveRecord, Cvss, Node, SsvcOptions

_CVSS_KEYS = ("cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2")


def _cvss(metrics: dict[str, Any], where: str = "metrics") -> Cvss | None:
    for key in _CVSS_KEYS:
        entries = [e for _, e in objs(metrics.get(key), f"{where}.{key}")]
        if not entries:
            continue
        primary = next((e for e in entries if e.get("type") == "Primary"), entries[0])
        data = obj(primary.get("cvssData", {}), f"{where}.{key}.cvssData")
        sev = data.get("baseSeverity") or primary.get("baseSeverity") or ""
        return Cvss(str(data.get("version", "")), float(data.get("baseScore", 0.0)),
                    str(data.get("vectorString", "")), str(sev))
    return None


def _match(m: dict[str, Any], where: str) -> CpeMatch:
    crit = m.get("criteria")
    if not isinstance(crit, str):
        raise FeedError(f"{where}: cpeMatch without criteria")
    try:
        cpe = parse_cpe(crit)
    except CpeError as e:
        raise FeedError(f"{where}: {e}") from e
    return CpeMatch(
        criteria=crit,
        cpe=cpe,
        vulnerable=bool(m.get("vulnerable", True)),
        match_id=str(m.get("matchCriteriaId", "")),
        start_including=m.get("versionStartIncluding"),
        start_excluding=m.get("versionStartExcluding"),
        end_including=m.get("versionEndIncluding"),
        end_excluding=m.get("versionEndExcluding"),
    )


def parse_configurations(raw: list[dict[str, Any]], where: str = "") -> tuple[Configuration, ...]:
    configs = []
    for cwhere, conf in objs(raw, f"{where} configurations"):
        nodes = []
        for here, node in objs(conf.get("nodes"), f"{cwhere}.nodes"):
            op = str(node.get("operator", "OR")).upper()
            if op not in ("OR", "AND"):
                raise FeedError(f"{here}: unknown operator {op!r}")
            matches = tuple(_match(m, mwhere) for mwhere, m in objs(node.get("cpeMatch"), f"{here}.cpeMatch"))
            nodes.append(Node(op, bool(node.get("negate", False)), matches))
        cop = str(conf.get("operator", "OR")).upper()
        configs.append(Configuration(cop, bool(conf.get("negate", False)), tuple(nodes)))
    return tuple(configs)


def parse_cve(cve: dict[str, Any], where: str = "") -> CveRecord:
    """One ``cve`` object of the API 2.0 response."""
    cid = cve.get("id")
    if not isinstance(cid, str) or not cid.startswith("CVE-"):
        raise FeedError(f"{where}: record without a CVE id")
    desc = next((d.get("value", "") for _, d in objs(cve.get("descriptions"), f"{where}.descriptions")
                 if d.get("lang") == "en"), "")
    cwes = tuple(
        d.get("value", "")
        for wwhere, w in objs(cve.get("weaknesses"), f"{where}.weaknesses")
        for _, d in objs(w.get("description"), f"{wwhere}.description")
        if str(d.get("value", "")).startswith("CWE-")
    )
    return CveRecord(
        id=cid,
        published=cve.get("published"),
        modified=cve.get("lastModified"),
        status=cve.get("vulnStatus"),
        description=str(desc),
        cvss=_cvss(obj(cve.get("metrics") or {}, f"{where}.metrics"), f"{where}.metrics"),
        cwes=tuple(dict.fromkeys(cwes)),
        configurations=parse_configurations(cve.get("configurations", []) or [], f"{where} {cid}"),
        content_hash=content_hash(cve),
    )


def parse_cves(cves: Iterable[dict[str, Any]], where: str = "") -> list[CveRecord]:
    """Many ``cve`` objects at once (cyclic GC paused: parsing allocates millions of objects)."""
    with paused_gc():
        return [parse_cve(c, where) for c in cves]


def iter_cves_from_document(doc: Any, where: str) -> Iterator[CveRecord]:
    """Records from a page, a bare ``cve`` object, a ``{"cve": ...}`` wrapper or a list of those."""
    if isinstance(doc, list):
        for i, d in enumerate(doc):
            yield from iter_cves_from_document(d, f"{where}[{i}]")
        return
    if not isinstance(doc, dict):
        raise FeedError(f"{where}: expected a JSON object")
    if "vulnerabilities" in doc:
        for here, v in objs(doc["vulnerabilities"], f"{where} vulnerabilities"):
            yield parse_cve(obj(v.get("cve", v), f"{here}.cve"), here)
    elif "cve" in doc and isinstance(doc["cve"], dict):
        yield parse_cve(doc["cve"], where)
    elif "id" in doc:
        yield parse_cve(doc, where)
    else:
        raise FeedError(f"{where}: not an NVD CVE API 2.0 document")


def load_nvd(paths: Iterable[str | Path]) -> list[CveRecord]:
    """Load every CVE under the given files/directories (``.json`` / ``.json.gz``).

    A CVE seen twice keeps the record with the newest ``lastModified``.
    """
    by_id: dict[str, CveRecord] = {}
    for p in expand_paths(list(paths), (".json", ".json.gz", ".json.xz")):
        doc = read_json(p)
        with paused_gc():
            for rec in iter_cves_from_document(doc, str(p)):
                old = by_id.get(rec.id)
                if old is None or (rec.modified or "") >= (old.modified or ""):
                    by_id[rec.id] = rec
    return list(by_id.values())


def parse_adp_ssvc(cve_json5: dict[str, Any], where: str = "<cve>") -> SsvcOptions | None:
    """CISA ADP "Vulnrichment" SSVC options from a CVE JSON 5 record (``containers.adp[]``)."""
    cve_json5 = obj(cve_json5, where)
    containers = obj(cve_json5.get("containers") or {}, f"{where}.containers")
    for awhere, adp in objs(containers.get("adp"), f"{where}.containers.adp"):
        for mwhere, metric in objs(adp.get("metrics"), f"{awhere}.metrics"):
            other = obj(metric.get("other") or {}, f"{mwhere}.other")
            if other.get("type") != "ssvc":
                continue
            opts: dict[str, str] = {}
            content = obj(other.get("content") or {}, f"{mwhere}.other.content")
            for _, o in objs(content.get("options"), f"{mwhere}.other.content.options"):
                for k, v in o.items():
                    opts[str(k).lower()] = str(v).lower()
            return SsvcOptions(
                exploitation=opts.get("exploitation"),
                automatable=opts.get("automatable"),
                technical_impact=opts.get("technical impact"),
            )
    return None


def load_adp_ssvc(paths: Iterable[str | Path]) -> dict[str, SsvcOptions]:
    """CVE id → ADP SSVC options, from CVE JSON 5 files (cvelistV5 layout, gzip OK)."""
    out: dict[str, SsvcOptions] = {}
    for p in expand_paths(list(paths), (".json", ".json.gz", ".json.xz")):
        doc = read_json(p)
        docs = doc if isinstance(doc, list) else [doc]
        for i, d in enumerate(docs):
            where = f"{p}[{i}]" if isinstance(doc, list) else str(p)
            opts = parse_adp_ssvc(d, where)
            if opts is None:
                continue
            # parse_adp_ssvc checked the shapes; the id is cveMetadata.cveId, else the SSVC content's
            # own id. A record with neither cannot be attached to a CVE and is skipped.
            cid = obj(d.get("cveMetadata") or {}, f"{where}.cveMetadata").get("cveId")
            if not cid:
                cid = next(
                    (((m.get("other") or {}).get("content") or {}).get("id")
                     for a in d["containers"]["adp"] for m in a.get("metrics") or []
                     if (m.get("other") or {}).get("type") == "ssvc"), None)
            if cid:
                out[str(cid)] = opts
    return out
