"""Demo data for continuous diagnostics: the synthetic feed and inventory of synthetic.py.

Hosts go to two units (政策企画課 PCs, 情報システム課 servers) so scoping is visible; the feed is
fictional (CVE-2099-*). Idempotent: feeds are synced incrementally (unchanged records are left
alone), hosts are created only when missing, and the rematch keeps remediation records stable.
"""

from __future__ import annotations

from kijun.core.models import OrgUnit

from .epss import parse_epss
from .inventory import _load_csv, normalise
from .kev import parse_kev
from .models import Host, NvdCve
from .nvd import parse_cve
from .serial import RawCve
from .services import ingest_inventory, rematch
from .store import Parsed, store_parsed
from .synthetic import INVENTORY, epss_csv, inventory_csv, kev_doc, nvd_records
from .winmap import ProgramMapper

UNIT_OF_HOST = {"web-01": "demo-it-division", "web-02": "demo-it-division"}
DEFAULT_UNIT = "demo-policy-planning"


def load_demo(units: dict[str, OrgUnit]) -> None:
    if NvdCve.objects.filter(cve_id="CVE-2099-0001").exists() and Host.objects.filter(name="web-01").exists():
        return
    raws = nvd_records()
    nvd = [RawCve(r["id"], r["lastModified"], parse_cve(r, "demo").content_hash, r, "demo") for r in raws]
    store_parsed(Parsed(nvd=nvd, kev=parse_kev(kev_doc(), "demo KEV"),
                        epss=parse_epss(epss_csv(), "demo EPSS")), actor_label="demo-loader")
    mapper = ProgramMapper.default()
    for code in (DEFAULT_UNIT, *sorted(set(UNIT_OF_HOST.values()))):
        unit = units.get(code)
        if unit is None:
            continue
        rows = [r for r in INVENTORY if UNIT_OF_HOST.get(r[0], DEFAULT_UNIT) == code]
        missing = {r[0] for r in rows} - set(Host.objects.filter(org_unit=unit).values_list("name", flat=True))
        rows = [r for r in rows if r[0] in missing]
        if rows:
            inv = normalise(_load_csv("demo-inventory.csv", inventory_csv(rows)), mapper)
            ingest_inventory(inv, unit=unit, source="demo-inventory.csv", actor_label="demo-loader")
    rematch(actor_label="demo-loader")
