"""A small synthetic feed and inventory (fictional CVE-2099-* ids) for the demo and the tests.

Nothing here is copied from real feeds: the records are written in the shape of NVD CVE API 2.0,
CISA KEV and FIRST EPSS so that the whole pipeline (sync → ingest → rematch → remediation) can be
shown and tested without network access. They exercise the interesting paths: a KEV-listed ranged
criterion (SSVC Act), a Windows program mapped from its free-text name, an AND / "running on"
configuration that holds only on the host with the platform, and software nobody can map.
"""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

NET_CRIT = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
USER_HIGH = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"
LOCAL_LOW = "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N"


def _match(criteria: str, vulnerable: bool = True, **bounds: str) -> dict[str, Any]:
    h = hashlib.sha256((criteria + repr(sorted(bounds.items()))).encode()).hexdigest().upper()
    m: dict[str, Any] = {"vulnerable": vulnerable, "criteria": criteria,
                         "matchCriteriaId": f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"}
    m.update(bounds)
    return m


def _cve(cid: str, desc: str, vector: str, score: float, severity: str, configs: list[dict[str, Any]],
         modified: str = "2099-01-10T00:00:00.000") -> dict[str, Any]:
    return {
        "id": cid, "sourceIdentifier": "demo@example.invalid", "published": "2099-01-02T00:00:00.000",
        "lastModified": modified, "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": desc}],
        "metrics": {"cvssMetricV31": [{"source": "nvd@nist.gov", "type": "Primary", "cvssData": {
            "version": "3.1", "vectorString": vector, "baseScore": score, "baseSeverity": severity}}]},
        "weaknesses": [], "configurations": configs,
    }


def nvd_records(modified: str = "2099-01-10T00:00:00.000") -> list[dict[str, Any]]:
    """Five fictional CVEs (``cve`` objects)."""
    return [
        _cve("CVE-2099-0001", "Synthetic: remote code execution in OpenSSH before 9.8 (demo record).", NET_CRIT,
             9.8, "CRITICAL", [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": [
                 _match("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", versionStartIncluding="8.5",
                        versionEndExcluding="9.8")]}]}], modified),
        _cve("CVE-2099-0002", "Synthetic: memory corruption in Google Chrome before 120.0.6099.109 (demo record).",
             USER_HIGH, 8.8, "HIGH", [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": [
                 _match("cpe:2.3:a:google:chrome:*:*:*:*:*:*:*:*", versionEndExcluding="120.0.6099.109")]}]}]),
        _cve("CVE-2099-0003", "Synthetic: web console flaw, only when running on Windows 10 22H2 (demo record).",
             NET_CRIT, 9.1, "CRITICAL", [{"operator": "AND", "nodes": [
                 {"operator": "OR", "negate": False, "cpeMatch": [
                     _match("cpe:2.3:a:example:webconsole:*:*:*:*:*:*:*:*", versionEndIncluding="2.1")]},
                 {"operator": "OR", "negate": False, "cpeMatch": [
                     _match("cpe:2.3:o:microsoft:windows_10_22h2:*:*:*:*:*:*:*:*", vulnerable=False)]}]}]),
        _cve("CVE-2099-0004", "Synthetic: path traversal in 7-Zip before 23.01 (demo record).", LOCAL_LOW, 3.3,
             "LOW", [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": [
                 _match("cpe:2.3:a:7-zip:7-zip:*:*:*:*:*:*:*:*", versionEndExcluding="23.01")]}]}]),
        _cve("CVE-2099-0005", "Synthetic: unrelated product (never matches the demo inventory).", NET_CRIT, 9.8,
             "CRITICAL", [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": [
                 _match("cpe:2.3:a:example:nothing:1.0:*:*:*:*:*:*:*")]}]}]),
    ]


def nvd_page(modified: str = "2099-01-10T00:00:00.000") -> dict[str, Any]:
    recs = nvd_records(modified)
    return {"resultsPerPage": len(recs), "startIndex": 0, "totalResults": len(recs), "format": "NVD_CVE",
            "version": "2.0", "timestamp": "2099-01-10T00:00:00.000",
            "vulnerabilities": [{"cve": c} for c in recs]}


def kev_doc() -> dict[str, Any]:
    return {"title": "Synthetic KEV catalogue (demo)", "catalogVersion": "2099.01.10", "dateReleased": "2099-01-10",
            "count": 1, "vulnerabilities": [{
                "cveID": "CVE-2099-0001", "vendorProject": "OpenBSD", "product": "OpenSSH",
                "vulnerabilityName": "Synthetic OpenSSH remote code execution", "dateAdded": "2099-01-05",
                "shortDescription": "Demo record.", "requiredAction": "Apply updates.", "dueDate": "2099-01-26",
                "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []}]}


def epss_csv() -> str:
    return ("#model_version:v2099.01.01,score_date:2099-01-10T00:00:00+0000\ncve,epss,percentile\n"
            "CVE-2099-0001,0.91230,0.99800\nCVE-2099-0002,0.12000,0.90100\nCVE-2099-0003,0.04000,0.71000\n"
            "CVE-2099-0004,0.00100,0.12000\n")


#: host, kind, name, version, publisher, cpe
INVENTORY: list[tuple[str, str, str, str, str, str]] = [
    ("web-01", "", "openssh", "9.3p1", "", "cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*"),
    ("web-01", "", "Ubuntu", "22.04", "", "cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:lts:*:*:*"),
    ("web-02", "", "openssh", "9.8p1", "", "cpe:2.3:a:openbsd:openssh:9.8:p1:*:*:*:*:*:*"),
    ("pc-101", "program", "Google Chrome", "119.0.6045.200", "Google LLC", ""),
    ("pc-101", "program", "7-Zip 22.01 (x64)", "22.01", "Igor Pavlov", ""),
    ("pc-101", "", "webconsole", "2.0", "", "cpe:2.3:a:example:webconsole:2.0:*:*:*:*:*:*:*"),
    ("pc-101", "", "Windows 10", "22H2", "", "cpe:2.3:o:microsoft:windows_10_22h2:10.0.19045.3570:*:*:*:*:*:x64:*"),
    ("pc-102", "program", "Google Chrome", "119.0.6045.200", "Google LLC", ""),
    ("pc-102", "", "webconsole", "2.0", "", "cpe:2.3:a:example:webconsole:2.0:*:*:*:*:*:*:*"),
    ("pc-102", "program", "庁内文書管理クライアント", "2.1", "Example Agency", ""),
]


def inventory_csv(rows: list[tuple[str, str, str, str, str, str]] | None = None) -> str:
    """The documented inventory CSV (host, kind, name, version, publisher, cpe)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["host", "kind", "name", "version", "publisher", "cpe"])
    w.writerows(rows if rows is not None else INVENTORY)
    return buf.getvalue()


__all__ = ["INVENTORY", "epss_csv", "inventory_csv", "kev_doc", "nvd_page", "nvd_records"]
