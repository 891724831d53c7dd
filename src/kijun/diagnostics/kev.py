"""CISA Known Exploited Vulnerabilities catalog (JSON). KEV has no CPE: it joins by CVE id only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._io import FeedError, content_hash, objs, read_json
from .records import KevEntry


def parse_kev(doc: Any, where: str = "KEV") -> dict[str, KevEntry]:
    if not isinstance(doc, dict) or not isinstance(doc.get("vulnerabilities"), list):
        raise FeedError(f"{where}: not a KEV catalog (no 'vulnerabilities' list)")
    out: dict[str, KevEntry] = {}
    for here, v in objs(doc["vulnerabilities"], f"{where} vulnerabilities"):
        cve = v.get("cveID")
        if not isinstance(cve, str) or not cve.startswith("CVE-"):
            raise FeedError(f"{here}: no cveID")
        out[cve] = KevEntry(
            cve=cve,
            vendor_project=str(v.get("vendorProject", "")),
            product=str(v.get("product", "")),
            name=str(v.get("vulnerabilityName", "")),
            date_added=str(v.get("dateAdded", "")),
            due_date=v.get("dueDate") or None,
            ransomware=str(v.get("knownRansomwareCampaignUse", "Unknown")),
            content_hash=content_hash(v),
        )
    return out


def load_kev(path: str | Path) -> dict[str, KevEntry]:
    return parse_kev(read_json(path), str(path))
