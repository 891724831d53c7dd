"""Seed inputs for the fuzz targets, generated at run time.

Sources: the project's own test fixtures (tests/catalog/fixtures, tests/cases/..., tests/cloud/
fixtures), the packaged default data files, and small documents written here. Nothing comes from
the shared reference folder, and nothing here is a copy of the standard's text or of a real feed:
every record is synthetic (invented CVE/JVN ids, example.* hosts).
"""

from __future__ import annotations

import functools
import gzip
import io
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def _files(folder: Path, pattern: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.glob(pattern)) if p.is_file()]


def _head_yaml(data: bytes, limit: int) -> bytes:
    """The first list items of a YAML document (cut before an item, still valid), else all of it."""
    if len(data) <= limit:
        return data
    for marker in (b"\n  - ", b"\n- "):
        cut = data.rfind(marker, 0, limit)
        if cut > 0:
            try:
                yaml.safe_load(data[: cut + 1])
            except yaml.YAMLError:
                continue
            return data[: cut + 1]
    return data


def _j(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()


# ------------------------------------------------------------------------------------- catalog


def official_text() -> list[bytes]:
    out = _files(TESTS / "catalog" / "fixtures", "*.txt")
    out += [t.encode("cp932", errors="replace") for t in (o.decode("utf-8", "replace") for o in out[:1])]
    out += [gzip.compress(o, mtime=0) for o in out[:1]]
    out.append(b"Chapter 1 General\n1.1 Purpose\n(1) Scope\n(a) text\n")
    return out


def catalog_chapter() -> list[bytes]:
    from kijun.catalog.loader import default_data_dir

    ch1 = (default_data_dir() / "ch1.yaml").read_bytes()
    return [_head_yaml(ch1, 6000), b"chapter: 1\nnodes: []\n"]


# ----------------------------------------------------------------------------------- discovery

_FORMAT_FILES = {
    "squid": ["squid_native.log"],
    "squid-common": ["squid_common.log"],
    "squid-combined": ["squid_combined.log"],
    "w3c": ["bluecoat_w3c.log"],
    "zeek": ["zeek_dns.log", "zeek_http.log", "zeek_ssl.json"],
    "bind": ["bind_query.log"],
    "nss": ["nss_feed.log"],
    "csv": ["kijun.csv"],
}


def discovery_logs(fmt: str | None) -> list[bytes]:
    folder = TESTS / "cases" / "discovery"
    names = _FORMAT_FILES.get(fmt, []) if fmt else [n for v in _FORMAT_FILES.values() for n in v]
    out = [(folder / n).read_bytes() for n in names if (folder / n).is_file()]
    if fmt is None:
        out += [gzip.compress(o, mtime=0) for o in out[:2]]
        out += [o.decode("utf-8", "replace").encode("cp932", "replace") for o in out[-1:]]
    return out


def discovery_register() -> list[bytes]:
    return [
        "app,domain,status,note\nbox,,承認,全庁導入\n,agency.cybozu.com,approved,\nchatgpt,,禁止,\n".encode("cp932"),
        b"schema_version: 1\nservices:\n  - app: zoom\n    status: under review\n  - domain: x.example.jp\n"
        b"    status: approved\n",
    ]


def discovery_catalog() -> list[bytes]:
    text = resources.files("kijun.discovery").joinpath("data/saas_apps.yaml").read_bytes()
    return [_head_yaml(text, 8000),
            b"categories:\n  - {id: storage, name: Storage}\napps:\n  - id: box\n    name: Box\n"
            b"    category: storage\n    domains: [box.com]\n    hq_country: US\n    ismap: null\n"]


# --------------------------------------------------------------------------------- diagnostics

_CVE = {
    "id": "CVE-2099-0001",
    "published": "2099-01-01T00:00:00.000",
    "lastModified": "2099-01-02T00:00:00.000",
    "vulnStatus": "Analyzed",
    "descriptions": [{"lang": "en", "value": "synthetic"}],
    "metrics": {"cvssMetricV31": [{"cvssData": {"baseScore": 9.8, "baseSeverity": "CRITICAL",
                                                "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}]},
    "weaknesses": [{"description": [{"lang": "en", "value": "CWE-787"}]}],
    "configurations": [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": [
        {"vulnerable": True, "criteria": "cpe:2.3:a:example:app:*:*:*:*:*:*:*:*",
         "versionStartIncluding": "1.0", "versionEndExcluding": "1.2.3"}]}]}],
}


def nvd() -> list[bytes]:
    page = {"resultsPerPage": 1, "startIndex": 0, "totalResults": 1, "format": "NVD_CVE",
            "version": "2.0", "vulnerabilities": [{"cve": _CVE}]}
    return [_j(page), _j({"cve": _CVE}), _j([_CVE]), gzip.compress(_j(page), mtime=0)]


def adp() -> list[bytes]:
    rec = {"cveMetadata": {"cveId": "CVE-2099-0001"}, "containers": {"adp": [{"metrics": [{"other": {
        "type": "ssvc", "content": {"id": "CVE-2099-0001", "options": [
            {"Exploitation": "active"}, {"Automatable": "yes"}, {"Technical Impact": "total"}]}}}]}]}}
    return [_j(rec), _j([rec])]


def jvn() -> list[bytes]:
    rss = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:sec="http://jvn.jp/rss/mod_sec/3.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<item rdf:about="https://jvndb.jvn.jp/ja/contents/2099/JVNDB-2099-000001.html">
<title>合成の脆弱性</title><link>https://jvndb.jvn.jp/ja/contents/2099/JVNDB-2099-000001.html</link>
<sec:identifier>JVNDB-2099-000001</sec:identifier>
<sec:cpe version="2.2" vendor="example" product="app">cpe:/a:example:app</sec:cpe>
<sec:references source="NVD" id="CVE-2099-0001">https://example.invalid/</sec:references>
<dc:date>2099-01-01T00:00+09:00</dc:date></item></rdf:RDF>"""
    vuldef = """<?xml version="1.0" encoding="UTF-8"?>
<VULDEF-Document xmlns="http://jvn.jp/vuldef/" xmlns:status="http://jvndb.jvn.jp/myjvn/Status">
<Vulinfo><VulinfoID>JVNDB-2099-000002</VulinfoID><VulinfoData><Title>合成</Title>
<Affected><AffectedItem><Name>Example</Name><ProductName>app</ProductName>
<Cpe version="2.2">cpe:/a:example:app</Cpe><VersionNumber>3.4.6 より前のバージョン</VersionNumber>
</AffectedItem></Affected><Related><RelatedItem type="advisory"><Name>NVD</Name>
<VulinfoID>CVE-2099-0002</VulinfoID></RelatedItem></Related>
<DateLastUpdated>2099-01-01T00:00+09:00</DateLastUpdated></VulinfoData></Vulinfo>
<status:Status version="3.3" retCd="0"/></VULDEF-Document>"""
    return [rss.encode(), vuldef.encode()]


def kev() -> list[bytes]:
    return [_j({"title": "synthetic", "catalogVersion": "2099.01.01", "count": 1, "vulnerabilities": [
        {"cveID": "CVE-2099-0001", "vendorProject": "Example", "product": "App", "vulnerabilityName": "x",
         "dateAdded": "2099-01-01", "dueDate": "2099-01-22", "knownRansomwareCampaignUse": "Known"}]})]


def epss() -> list[bytes]:
    text = b"#model_version:v2099.01.01,score_date:2099-01-01T00:00:00Z\ncve,epss,percentile\n" \
           b"CVE-2099-0001,0.97,0.999\nCVE-2099-0002,0.00043,0.1\n"
    return [text, gzip.compress(text, mtime=0)]


def osv() -> list[bytes]:
    rec = {"id": "GHSA-xxxx-0001", "modified": "2099-01-01T00:00:00Z", "aliases": ["CVE-2099-0001"],
           "summary": "synthetic", "affected": [{"package": {"ecosystem": "PyPI", "name": "example",
                                                             "purl": "pkg:pypi/example"},
                                                 "ranges": [{"type": "ECOSYSTEM", "events": [
                                                     {"introduced": "0"}, {"fixed": "1.2.3"}]}],
                                                 "versions": ["1.0", "1.2.2"]}]}
    return [_j(rec), _j([rec]), _j({"vulns": [rec]})]


def osquery() -> list[bytes]:
    base = {"name": "pack_inventory_programs", "hostIdentifier": "pc1", "unixTime": "1", "epoch": "0", "counter": "1"}
    lines = [
        base | {"action": "added", "columns": {"name": "サクラエディタ", "version": "2.4.1",
                                               "publisher": "Sakura Editor Developers", "identifying_number": "{X}"}},
        base | {"name": "deb", "snapshot": [{"name": "openssl", "version": "3.0.2-0ubuntu1.10", "source": "openssl",
                                            "arch": "amd64"}]},
        base | {"name": "os", "diffResults": {"added": [{"name": "Ubuntu", "platform": "ubuntu", "version": "22.04",
                                                         "major": "22", "minor": "04"}], "removed": []}},
    ]
    return ["\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode()]


def cyclonedx() -> list[bytes]:
    return [_j({"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"component": {
        "type": "device", "name": "srv1"}}, "components": [
        {"type": "operating-system", "name": "ubuntu", "version": "22.04"},
        {"type": "library", "name": "django", "version": "4.2.1", "purl": "pkg:pypi/django@4.2.1"},
        {"type": "application", "name": "openssh", "version": "9.3p1",
         "cpe": "cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*", "components": [
             {"type": "library", "name": "zlib", "version": "1.2.13", "purl": "pkg:deb/debian/zlib@1.2.13"}]}]})]


def inventory_csv() -> list[bytes]:
    text = ("ホスト名,種別,製品名,バージョン,ベンダー,cpe,purl\n"
            "pc1,program,サクラエディタ,2.4.1,Sakura Editor Developers,,\n"
            "srv1,,,,,cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*,\n"
            "srv1,,,,,,pkg:pypi/Django@4.2.1\n"
            "srv2,rpm,openssl,3.0.7-24.el9,Red Hat,,\n"
            "srv2,os,Rocky Linux,9.3,,,\n"
            "rtr1,hardware,CG-WGR1200,2.20,corega,,\n")
    return [text.encode(), text.encode("cp932"), b"\xef\xbb\xbf" + text.encode()]


def program_map() -> list[bytes]:
    text = resources.files("kijun.diagnostics").joinpath("data/windows_programs.yaml").read_bytes()
    return [_head_yaml(text, 6000), b"entries:\n - {id: x, pattern: 'foo', cpe: 'acme:foo', confidence: 0.5}\n"]


def cpe() -> list[bytes]:
    return [b"cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*\ncpe:/a:example_kk:kintai_app:3.4\n"
            b"cpe:2.3:o:microsoft:windows_10_22h2:*:*:*:*:*:*:x64:*\ncpe:2.3:a:ex\\:am\\*ple:a?p*:1.0:*:*:*:*:*:*:*"]


def version_text() -> list[bytes]:
    return ["3.4.6 より前のバージョン\n1.0.0 から 1.2.3 まで".encode(),
            "ファームウエア 2.20 およびそれ以前\n1:2.3-4ubuntu1~22.04".encode(),
            b"1.0.2zf\n1.0.0-rc.1+build.5", b"10.0.19045.3570\n2.0.0.post1.dev3"]


# ------------------------------------------------------------------------ classification/cloud


def package_yaml(package: str) -> list[bytes]:
    data = resources.files(package).joinpath("data")
    return [p.read_bytes() for p in sorted(data.iterdir(), key=lambda x: x.name)
            if p.name.endswith((".yaml", ".yml"))]


def classification_answers() -> list[bytes]:
    out = []
    for p in sorted((TESTS / "cases" / "classification").glob("*.yaml")):
        doc = yaml.safe_load(p.read_text("utf-8"))
        if isinstance(doc, dict) and "answers" in doc:
            out.append(yaml.safe_dump({"answers": doc["answers"], "proposed": doc.get("proposed") or {}},
                                      allow_unicode=True).encode())
    return out


def ismap_csv() -> list[bytes]:
    return _files(TESTS / "cloud" / "fixtures", "ismap_*.csv")


def ismap_xlsx() -> list[bytes]:
    """A small workbook built from the CSV fixture (a cover sheet first, as real lists have)."""
    import csv

    from openpyxl import Workbook

    src = (TESTS / "cloud" / "fixtures" / "ismap_synthetic_utf8.csv")
    if not src.is_file():
        return []
    rows = list(csv.reader(io.StringIO(src.read_text("utf-8-sig"))))
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "表紙"
    cover.append(["合成テストデータ"])
    ws = wb.create_sheet("リスト")
    for r in rows[:20]:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return [buf.getvalue()]


def cloud_register_yaml() -> list[bytes]:
    return [b"format: kijun-cloud-register/1\nentries:\n  - service_id: box\n    service_name: Box\n"
            b"    status: approved\n    ismap_registration_number: C21-0008-2\n    domains: [box.com]\n"
            b"    max_confidentiality: 2\n  - 3\n",
            ("format: kijun-cloud-register/1\nentries:\n  - {service_id: x, service_name: 申請, status: prohibited}\n"
             ).encode()]


def cloud_register_csv() -> list[bytes]:
    text = ("service_id,service_name,status,ismap_registration_number,domains,max_confidentiality\n"
            "box,Box,approved,C21-0008-2,box.com;boxcdn.net,2\nx,申請,prohibited,,,\n")
    return [text.encode(), text.encode("cp932")]


def cloud_requests() -> list[bytes]:
    out = []
    for p in sorted((TESTS / "cases" / "cloud").glob("*.yaml"))[:12]:
        doc = yaml.safe_load(p.read_text("utf-8"))
        if isinstance(doc, dict) and isinstance(doc.get("request"), dict):
            req = dict(doc["request"])
            if doc.get("as_of"):
                req["as_of"] = doc["as_of"]
            out.append(yaml.safe_dump(req, allow_unicode=True).encode())
    return out


# ------------------------------------------------------------------------------------- access


def access_routes_text() -> str:
    return ("routes:\n  - prefix: /reports/\n    resource: {id: reports, confidentiality: 2, org_unit: soumu}\n"
            "    methods: {PUT: upload}\n  - prefix: /export/\n    resource: {id: export, confidentiality: 3}\n"
            "    action: download\n")


def access_routes() -> list[bytes]:
    return [access_routes_text().encode()]


def access_rules() -> list[bytes]:
    return [resources.files("kijun.access").joinpath("data/default_rules.yaml").read_bytes()]


def access_cedar() -> list[bytes]:
    from kijun.access.policy import default_source

    return [text.encode() for text in default_source().files.values()]


@functools.cache
def _bundle_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    # deterministic key so seeds and crashes reproduce; not a secret of any deployment
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def bundle_public_key() -> Any:
    return _bundle_key().public_key()


def access_bundles() -> list[bytes]:
    from kijun.access.bundle import build_bundle
    from kijun.access.policy import PolicySource, default_source

    src = default_source()
    src = PolicySource(src.schema, src.files, entities=src.entities, routes=access_routes_text(),
                       revision=src.revision, sources=src.sources)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return [build_bundle(src, when), build_bundle(src, when, _bundle_key())]


def access_requests() -> list[bytes]:
    out = []
    for p in sorted((TESTS / "cases" / "access").glob("*.yaml")):
        doc = yaml.safe_load(p.read_text("utf-8"))
        for case in (doc or {}).get("cases", [])[:3]:
            if isinstance(case, dict) and isinstance(case.get("request"), dict):
                out.append(_j(case["request"]))
    out.append(_j({"kind": "session_revoked", "subject": "dave"}))
    return out


def access_pep() -> list[bytes]:
    return [b"GET\n/reports/2026/q1.pdf\nx-kijun-user: dave\nx-kijun-roles: staff,manager\n"
            b"x-kijun-org-unit: soumu\nx-kijun-network: agency\nx-kijun-authn: mfa\n"
            b"x-kijun-device-posture: managed,agency_furnished,edr_running,edr_healthy,disk_encrypted\n"
            b"x-kijun-device-id: pc-1\nx-kijun-device-patch-age: 3\nx-kijun-session: s1",
            b"PUT\n/reports/a%20b\nx-kijun-user: eve\n"]


def cloud_spreadsheets() -> list[bytes]:
    """A ledger and an asset list as UTF-8 and CP932 CSV, and the ledger as XLSX with a cover sheet."""
    from openpyxl import Workbook

    ledger = "台帳ID,システム名,組織,格付\nsys-001,人事給与システム,demo-ministry,B\nsys-002,文書管理,demo-it,Z\n"
    assets = ("資産ID,名称,組織,機密性,完全性,可用性,取扱制限\n"
              "inf-001,職員名簿,demo-ministry,2,2,1,複製禁止;持出禁止\ninf-002,公開資料,demo-it,1,1,1,\n")
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "表紙"
    cover.append(["情報システム台帳"])
    sheet = wb.create_sheet("台帳")
    for line in ledger.splitlines():
        sheet.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    return [ledger.encode(), ledger.encode("cp932"), assets.encode("utf-8-sig"), assets.encode("cp932"),
            buf.getvalue()]


def policy_parameters() -> list[bytes]:
    return ["review-period | 見直し周期 | 1年\nretention | 保存期間 | 5年\n".encode(),
            b"bad line\n| | \nx|y|z|w\n"]
