"""Loader for the golden cases in tests/cases/diagnostics/*.yaml (shared by the tests and docs).

A case is data, independent of the implementation: inventory rows + feed records → expected
findings (or none), with a ``note`` saying why. See tests/cases/diagnostics/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kijun.diagnostics.cpe import parse_cpe
from kijun.diagnostics.distro import DistroMapper
from kijun.diagnostics.engine import Feeds, Result, run
from kijun.diagnostics.epss import EpssFeed
from kijun.diagnostics.inventory import RawRow, normalise
from kijun.diagnostics.jvn_text import parse_version_text
from kijun.diagnostics.kev import parse_kev
from kijun.diagnostics.nvd import parse_cve
from kijun.diagnostics.osv import parse_osv
from kijun.diagnostics.records import EpssScore, JvnAffected, JvnRecord, SsvcOptions
from kijun.diagnostics.winmap import ProgramMapper

CASES_DIR = Path(__file__).resolve().parents[1] / "cases" / "diagnostics"


@dataclass(frozen=True)
class Case:
    file: str
    id: str
    note: str
    spec: dict[str, Any]


def load_cases() -> list[Case]:
    out: list[Case] = []
    ids: set[str] = set()
    for f in sorted(CASES_DIR.glob("*.yaml")):
        doc = yaml.safe_load(f.read_text("utf-8"))
        for c in doc["cases"]:
            cid = c["id"]
            assert cid not in ids, f"duplicate case id {cid}"
            assert c.get("note"), f"{f.name}:{cid}: every case needs a note saying why"
            ids.add(cid)
            out.append(Case(f.name, cid, c["note"], c))
    return out


def _rows(spec: list[dict[str, Any]]) -> list[RawRow]:
    rows = []
    for e in spec:
        host = str(e.get("host", "h1"))
        if "table" in e:
            rows.append(RawRow(host, e["table"], {k: str(v) for k, v in e["row"].items()}, "case"))
        else:
            row = {k: str(v) for k, v in e.items() if k != "host"}
            rows.append(RawRow(host, "component", row, "case"))
    return rows


def _cve(spec: dict[str, Any]) -> dict[str, Any]:
    cve: dict[str, Any] = {"id": spec["id"], "lastModified": "2026-01-01T00:00:00.000"}
    if "configurations" in spec:
        cve["configurations"] = spec["configurations"]
    elif "criteria" in spec:
        cve["configurations"] = [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": [
            {"vulnerable": True, **m} for m in spec["criteria"]]}]}]
    if "cvss" in spec:
        cve["metrics"] = {"cvssMetricV31": [{"type": "Primary", "cvssData": {
            "version": "3.1", "vectorString": spec["cvss"], "baseScore": spec.get("score", 7.5)}}]}
    return cve


def _jvn(spec: dict[str, Any]) -> JvnRecord:
    aff = []
    for a in spec["affected"]:
        ranges = parse_version_text(a.get("version_text", ""))
        aff.append(JvnAffected(a.get("vendor", ""), a.get("product", ""), parse_cpe(a["cpe"]),
                               a.get("version_text", ""), ranges, bool(ranges)))
    return JvnRecord(spec["id"], spec.get("title", ""), tuple(spec.get("cves", [])), tuple(aff), None,
                     None, None, "x")


def run_case(case: Case) -> Result:
    s = case.spec
    inv = normalise(_rows(s["inventory"]), ProgramMapper.default(), DistroMapper.default() if s.get("distro_cpe") else None)
    feeds = Feeds(
        nvd=[parse_cve(_cve(c), case.id) for c in s.get("nvd", [])],
        kev=parse_kev({"vulnerabilities": [{"vendorProject": "v", "product": "p", **k} for k in s.get("kev", [])]}),
        epss=EpssFeed("case", None, {c: EpssScore(c, float(v), 0.5) for c, v in (s.get("epss") or {}).items()}),
        jvn=[_jvn(j) for j in s.get("jvn", [])],
        osv=[parse_osv(o, case.id) for o in s.get("osv", [])],
        adp={c: SsvcOptions(**v) for c, v in (s.get("adp") or {}).items()},
    )
    return run(inv, feeds, default_mission=s.get("mission", "medium"))
