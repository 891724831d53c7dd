from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from kijun.diagnostics._io import FeedError
from kijun.diagnostics.epss import load_epss, parse_epss
from kijun.diagnostics.jvn import load_jvn, parse_jvn
from kijun.diagnostics.jvn_text import parse_version_text
from kijun.diagnostics.kev import load_kev
from kijun.diagnostics.nvd import load_adp_ssvc, load_nvd
from kijun.diagnostics.osv import load_osv

from .conftest_shared import sample


def test_nvd_page_sample() -> None:
    recs = {r.id: r for r in load_nvd([sample("nvd_cve_api2_min.json")])}
    assert set(recs) == {"CVE-2024-6387", "CVE-2023-31740"}
    r = recs["CVE-2024-6387"]
    assert r.cvss is not None and r.cvss.score == 8.1
    assert r.cwes == ("CWE-362",)
    assert len(r.configurations) == 3
    m = r.configurations[0].nodes[0].matches[1]
    assert (m.start_including, m.end_excluding) == ("8.6", "9.8")
    assert len(r.content_hash) == 64 and r.modified == "2024-07-09T06:15:03.513"
    a = recs["CVE-2023-31740"].configurations[0]
    assert a.operator == "AND" and not a.nodes[1].matches[0].vulnerable


def test_nvd_per_cve_files_and_gzip(tmp_path: Path) -> None:
    doc = json.loads(sample("nvd_cve_api2_min.json").read_text("utf-8"))
    d = tmp_path / "feed"
    d.mkdir()
    for v in doc["vulnerabilities"]:
        (d / f"{v['cve']['id']}.json.gz").write_bytes(gzip.compress(json.dumps(v["cve"]).encode()))
    newer = dict(doc["vulnerabilities"][0]["cve"], lastModified="2099-01-01T00:00:00.000", configurations=[])
    (d / "newer.json").write_text(json.dumps({"cve": newer}))
    recs = {r.id: r for r in load_nvd([d])}
    assert len(recs) == 2
    assert recs["CVE-2024-6387"].configurations == ()  # the newest lastModified wins


def test_nvd_xz_yearly_file(tmp_path: Path) -> None:
    import lzma

    data = sample("nvd_cve_api2_min.json").read_bytes()
    (tmp_path / "CVE-2024.json.xz").write_bytes(lzma.compress(data))
    assert {r.id for r in load_nvd([tmp_path])} == {"CVE-2024-6387", "CVE-2023-31740"}


def test_nvd_errors_name_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"vulnerabilities": [')
    with pytest.raises(FeedError, match=r"bad\.json:1:"):
        load_nvd([bad])
    bad.write_text(json.dumps({"vulnerabilities": [{"cve": {"id": "CVE-1-1", "configurations": [
        {"nodes": [{"operator": "OR", "cpeMatch": [{"criteria": "cpe:2.3:a:broken"}]}]}]}}]}))
    with pytest.raises(FeedError, match=r"CVE-1-1 configurations\[0\]\.nodes\[0\]\.cpeMatch\[0\]"):
        load_nvd([bad])


def test_kev_full_catalog() -> None:
    kev = load_kev(sample("kev_2025-08-25.json"))
    assert len(kev) == 1404
    e = kev["CVE-2025-48384"]
    assert e.due_date == "2025-09-15" and e.ransomware == "Unknown"


def test_epss_sample_and_gzip(tmp_path: Path) -> None:
    f = load_epss(sample("epss_min.csv"))
    assert f.model_version == "v2025.03.14" and f.score_date and f.score_date.startswith("2026-10-04")
    assert f.scores["CVE-2024-6387"].epss == pytest.approx(0.3812)
    gz = tmp_path / "epss.csv.gz"
    gz.write_bytes(gzip.compress(b"#model_version:v1,score_date:2026-01-01T00:00:00Z\ncve,epss,percentile\nCVE-1-1,0.5,0.9\n"))
    assert load_epss(gz).scores["CVE-1-1"].percentile == 0.9
    with pytest.raises(FeedError, match=":3:"):
        parse_epss("cve,epss,percentile\nCVE-1,0.1,0.2\nCVE-2,x,0.1\n")
    with pytest.raises(FeedError, match="header"):
        parse_epss("a,b\n")


def test_osv_sample() -> None:
    (r,) = load_osv([sample("osv_min.json")])
    assert r.id == "DLA-47-1" and r.cves == ("CVE-2014-5461",)
    a = r.affected[0]
    assert a.ecosystem == "Debian:6.0" and [e.kind for e in a.ranges[0].events] == ["introduced", "fixed"]


def test_jvn_rss_and_vuldef_samples() -> None:
    recs = {r.id: r for r in load_jvn([sample("jvnrss_getVulnOverviewList_min.xml"),
                                       sample("vuldef_getVulnDetailInfo_min.xml")])}
    rss = recs["JVNDB-2020-000049"]
    assert rss.cves == ("CVE-2020-5610",)
    assert rss.affected[0].cpe is not None and rss.affected[0].cpe.product == "global_tech_stream"
    assert rss.cvss is not None and rss.cvss.version == "3.0"
    vd = recs["JVNDB-2018-000024"]
    assert vd.cves == ("CVE-2017-10852",)
    (aff,) = vd.affected
    assert aff.parsed and aff.ranges[0].end == "2.20" and aff.ranges[0].end_inclusive
    assert vd.modified == "2018-03-09T12:04:48+09:00"


def test_jvn_rejects_entity_expansion() -> None:
    evil = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><r>&b;</r>"""
    with pytest.raises(FeedError, match="unsafe|invalid"):
        parse_jvn(evil)


def test_adp_ssvc_sample() -> None:
    adp = load_adp_ssvc([sample("ssvc_vulnrichment_adp_min.json")])
    o = adp["CVE-2021-44228"]
    assert (o.exploitation, o.automatable, o.technical_impact) == ("active", "yes", "total")


@pytest.mark.parametrize(("text", "want"), [
    ("3.4.6 より前のバージョン", ["<3.4.6"]),
    ("ファームウエア 2.20 およびそれ以前", ["<=2.20"]),
    ("1.0.0 から 1.2.3 まで", [">=1.0.0,<=1.2.3"]),
    ("Ver 1.0.0 から Ver 1.2.3 まで", [">=1.0.0,<=1.2.3"]),
    ("2.0 以降 2.5 未満", [">=2.0,<2.5"]),
    ("8.0系 8.0.12 より前", [">=8.0,<8.0.12"]),
    ("8.0系", [">=8.0,<8.1"]),
    ("すべてのバージョン", ["*"]),
    ("ｖ３．１．０ およびそれ以前のバージョン", ["<=3.1.0"]),
    ("1.0、2.0", ["==1.0", "==2.0"]),
    ("7.2.2 〜 7.4.1", [">=7.2.2,<=7.4.1"]),
    ("1.1.6 およびそれ以前 (Windows 版)", ["<=1.1.6"]),
    ("5.0 以降", [">=5.0"]),
    ("prior to 3.2.1", ["<3.2.1"]),
    ("x.y 以前", []),
    ("不明", []),
    ("", []),
])
def test_japanese_version_text(text: str, want: list[str]) -> None:
    assert [r.text() for r in parse_version_text(text)] == want
