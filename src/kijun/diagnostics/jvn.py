"""JVN iPedia: MyJVN ``getVulnOverviewList`` (JVNRSS 3.2) and VULDEF 3.2 detail XML.

Both are parsed with defusedxml (entity expansion and external entities refused). JVN records are
joined to NVD by CVE id; only products that NVD lacks are matched with JVN's own CPE (2.2, no
version) plus the ranges parsed from the Japanese ``VersionNumber`` text (see :mod:`jvn_text`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from xml.etree.ElementTree import Element, tostring  # noqa: S405 - types/serialisation only

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ._io import FeedError, content_hash, expand_paths, read_bytes
from .cpe import Cpe, CpeError, parse_cpe
from .jvn_text import parse_version_text
from .records import Cvss, JvnAffected, JvnRecord

NS = {
    "rss": "http://purl.org/rss/1.0/",
    "sec": "http://jvn.jp/rss/mod_sec/3.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "vuldef": "http://jvn.jp/vuldef/",
}
_V = "{http://jvn.jp/vuldef/}"


def _text(el: Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _cpe_or_none(s: str) -> Cpe | None:
    try:
        return parse_cpe(s) if s else None
    except CpeError:
        return None


def _rss_item(item: Element) -> JvnRecord:
    jid = _text(item.find("sec:identifier", NS))
    cves = tuple(dict.fromkeys(
        r.get("id", "") for r in item.findall("sec:references", NS) if r.get("source") == "CVE"
    ))
    affected = []
    for c in item.findall("sec:cpe", NS):
        cpe = _cpe_or_none(_text(c))
        affected.append(JvnAffected(
            vendor=c.get("vendor", ""), product=c.get("product", ""),
            cpe=cpe,
            version_text="", ranges=(), parsed=False,
        ))
    cvss = None
    for c in item.findall("sec:cvss", NS):
        if c.get("version", "").startswith("3") or cvss is None:
            cvss = Cvss(c.get("version", ""), float(c.get("score", "0") or 0), c.get("vector", ""), c.get("severity", ""))
    return JvnRecord(
        id=jid, title=_text(item.find("rss:title", NS)), cves=cves, affected=tuple(affected), cvss=cvss,
        published=_text(item.find("dcterms:issued", NS)) or None,
        modified=_text(item.find("dcterms:modified", NS)) or None,
        content_hash=content_hash(tostring(item, encoding="unicode")),
    )


def _vuldef(v: Element) -> JvnRecord:
    jid = _text(v.find(f"{_V}VulinfoID"))
    data = v.find(f"{_V}VulinfoData")
    if data is None:
        raise FeedError(f"{jid}: VULDEF record without VulinfoData")
    affected = []
    for ai in data.iter(f"{_V}AffectedItem"):
        texts = [_text(t) for t in ai.findall(f"{_V}VersionNumber")]
        ranges = tuple(r for t in texts for r in parse_version_text(t))
        cpe = _cpe_or_none(_text(ai.find(f"{_V}Cpe")))
        affected.append(JvnAffected(
            vendor=_text(ai.find(f"{_V}Name")), product=_text(ai.find(f"{_V}ProductName")),
            cpe=cpe,
            version_text=" / ".join(texts), ranges=ranges, parsed=bool(ranges),
        ))
    cves = tuple(dict.fromkeys(
        _text(r.find(f"{_V}VulinfoID")) for r in data.iter(f"{_V}RelatedItem")
        if _text(r.find(f"{_V}VulinfoID")).startswith("CVE-")
    ))
    cvss = None
    for c in data.iter(f"{_V}Cvss"):
        if c.get("version", "").startswith("3") or cvss is None:
            base = _text(c.find(f"{_V}Base")) or "0"
            cvss = Cvss(c.get("version", ""), float(base), _text(c.find(f"{_V}Vector")), _text(c.find(f"{_V}Severity")))
    return JvnRecord(
        id=jid, title=_text(data.find(f"{_V}Title")), cves=cves, affected=tuple(affected), cvss=cvss,
        published=_text(data.find(f"{_V}DateFirstPublished")) or None,
        modified=_text(data.find(f"{_V}DateLastUpdated")) or None,
        content_hash=content_hash(tostring(v, encoding="unicode")),
    )


def parse_jvn(data: bytes, where: str = "JVN") -> list[JvnRecord]:
    """Records from a JVNRSS overview list or a VULDEF document (auto-detected)."""
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException) as e:
        raise FeedError(f"{where}: invalid or unsafe XML ({e})") from e
    except (LookupError, ValueError) as e:  # expat: unknown or multi-byte encoding in the XML declaration
        raise FeedError(f"{where}: unsupported encoding in the XML declaration ({e})") from e
    out = [_vuldef(v) for v in root.iter(f"{_V}Vulinfo")]
    out += [_rss_item(i) for i in root.iter(f"{{{NS['rss']}}}item")]
    if not out and root.find(".//{http://jvndb.jvn.jp/myjvn/Status}Status") is None:
        raise FeedError(f"{where}: neither JVNRSS nor VULDEF")
    return out


def load_jvn(paths: Iterable[str | Path]) -> list[JvnRecord]:
    """JVN records from files/directories (``.xml``, ``.rdf``, gzip OK); VULDEF wins over RSS."""
    by_id: dict[str, JvnRecord] = {}
    for p in expand_paths(list(paths), (".xml", ".rdf", ".xml.gz", ".rdf.gz")):
        for rec in parse_jvn(read_bytes(p), str(p)):
            old = by_id.get(rec.id)
            if old is None or any(a.version_text for a in rec.affected) or not any(a.version_text for a in old.affected):
                by_id[rec.id] = rec
    return list(by_id.values())
