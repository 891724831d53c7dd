from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from kijun.diagnostics._io import FeedError
from kijun.diagnostics.inventory import load_csv, load_inventory, load_osquery
from kijun.diagnostics.osmap import os_facts
from kijun.diagnostics.winmap import ProgramMapper, normalise_name, normalise_publisher

from .conftest_shared import sample


def test_osquery_sample_and_cyclonedx_sample() -> None:
    inv = load_inventory([sample("osquery_results_min.jsonl"), sample("cyclonedx_min.json")])
    by = {(i.host, i.name): i for i in inv.items}
    deb = by[("srv-001.example.go.jp", "openssh-server")]
    assert deb.kind == "deb" and deb.package == "openssh" and deb.ecosystem == "Ubuntu"
    rpm = by[("srv-002.example.go.jp", "git")]
    assert rpm.version == "2.39.1-1.el8"
    chrome = by[("pc-0420.example.go.jp", "Google Chrome")]
    assert chrome.cpe is not None and chrome.cpe.to_fs() == "cpe:2.3:a:google:chrome:131.0.6778.86:*:*:*:*:*:*:*"
    assert chrome.mapping is not None and chrome.mapping.confidence == 0.95
    ssh = by[("host-001", "openssh-server")]
    assert ssh.ecosystem == "Ubuntu:22.04" and ssh.cpe is not None and ssh.cpe.update == "p1"
    xz = by[("host-001", "liblzma5")]
    assert xz.package == "xz-utils"
    os_item = next(i for i in inv.items if i.kind == "os")
    assert os_item.cpe is not None and os_item.cpe.get("sw_edition") == "lts"


def _line(**kw: object) -> str:
    base = {"name": "pack_inventory_programs", "hostIdentifier": "pc1", "unixTime": "1", "epoch": "0", "counter": "1"}
    return json.dumps(base | kw)


def test_osquery_event_snapshot_batch_replay(tmp_path: Path) -> None:
    row_a = {"name": "7-Zip 23.01 (x64)", "version": "23.01", "publisher": "Igor Pavlov", "identifying_number": ""}
    row_b = {"name": "In-house Tool", "version": 2, "publisher": "Agency", "identifying_number": None}
    row_c = {"name": "WinSCP 6.1", "version": "6.1", "publisher": "Martin Prikryl", "identifying_number": ""}
    lines = [
        _line(action="snapshot", snapshot=[row_a, row_b]),
        _line(action="removed", columns=row_a),
        _line(diffResults={"added": [row_c], "removed": []}),
        "",
    ]
    f = tmp_path / "osq.log.gz"
    f.write_bytes(gzip.compress("\n".join(lines).encode()))
    rows = load_osquery(f)
    names = sorted(r.row["name"] for r in rows)
    assert names == ["In-house Tool", "WinSCP 6.1"]
    assert next(r for r in rows if r.row["name"] == "In-house Tool").row["version"] == "2"  # numbers → strings
    inv = load_inventory([f])
    assert [i.name for i in inv.unmapped] == ["In-house Tool"]


def test_osquery_errors_name_line(tmp_path: Path) -> None:
    f = tmp_path / "x.log"
    f.write_text(_line(action="added", columns={"name": "a"}) + "\n{not json\n")
    with pytest.raises(FeedError, match=r"x\.log:2:"):
        load_osquery(f)
    f.write_text(json.dumps({"name": "q", "columns": {}}) + "\n")
    with pytest.raises(FeedError, match="hostIdentifier"):
        load_osquery(f)


CSV_TEXT = "ホスト名,種別,製品名,バージョン,ベンダー,cpe,purl\n" \
           "pc1,program,サクラエディタ,2.4.1,Sakura Editor Developers,,\n" \
           "srv1,,,,,cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*,\n" \
           "srv1,,,,,,pkg:pypi/Django@4.2.1\n" \
           "rtr1,hardware,CG-WGR1200,2.20,corega,,\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_encodings_and_japanese_headers(tmp_path: Path, encoding: str) -> None:
    f = tmp_path / "inv.csv"
    f.write_bytes(CSV_TEXT.encode(encoding))
    inv = load_inventory([f])
    by = {i.host: i for i in inv.items if i.host != "srv1"}
    assert by["pc1"].cpe is not None and by["pc1"].cpe.product == "sakura_editor"
    assert by["rtr1"].cpe is not None and by["rtr1"].cpe.to_fs() == "cpe:2.3:h:corega:cg-wgr1200:2.20:*:*:*:*:*:*:*"
    srv = [i for i in inv.items if i.host == "srv1"]
    assert {i.ecosystem for i in srv} == {None, "PyPI"}
    assert any(i.package == "django" for i in srv)


def test_csv_errors(tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text("name,version\nx,1\n")
    with pytest.raises(FeedError, match="host"):
        load_csv(f)
    f.write_text("host,name\n,x\n")
    with pytest.raises(FeedError, match=r"bad\.csv:2: empty host"):
        load_csv(f)


def test_cyclonedx_bad_spec(tmp_path: Path) -> None:
    f = tmp_path / "b.json"
    f.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.2", "components": []}))
    with pytest.raises(FeedError, match="specVersion"):
        load_inventory([f])


@pytest.mark.parametrize(("name", "want"), [
    ("Mozilla Firefox (x64 ja)", "mozilla firefox"),
    ("7-Zip 23.01 (x64)", "7-zip"),
    ("Notepad++ (64-bit x64)", "notepad++"),
    ("Adobe Acrobat Reader DC - Japanese", "adobe acrobat reader dc"),
    ("Microsoft® Edge", "microsoft edge"),
    ("Java 8 Update 381 (64-bit)", "java 8 update 381"),
])
def test_normalise_name(name: str, want: str) -> None:
    assert normalise_name(name) == want


def test_normalise_publisher() -> None:
    assert normalise_publisher("Google LLC") == "google"
    assert normalise_publisher("株式会社ジャストシステム") == "ジャストシステム"


def test_mapping_table_is_valid_and_custom_file(tmp_path: Path) -> None:
    m = ProgramMapper.default()
    assert len(m.rules) >= 40
    assert len({r.id for r in m.rules}) == len(m.rules)
    f = tmp_path / "m.yaml"
    f.write_text("entries:\n - {id: x, pattern: 'foo', cpe: 'acme:foo', confidence: 0.5}\n")
    res = ProgramMapper.from_file(f).map("FOO 1.2.3", "", "1.2.3")
    assert res is not None and res.cpe.vendor == "acme" and res.mapping.confidence == 0.5
    f.write_text("entries:\n - {id: x, pattern: 'foo', cpe: 'acme:foo', confidence: 2}\n")
    with pytest.raises(ValueError, match="confidence"):
        ProgramMapper.from_file(f)


def test_os_facts() -> None:
    w = os_facts({"name": "Microsoft Windows Server 2022 Standard", "version": "10.0.20348", "build": "20348",
                  "revision": "2700", "platform": "windows", "arch": "64-bit"})
    assert w.cpe is not None and w.cpe.product == "windows_server_2022" and w.cpe.version == "10.0.20348.2700"
    r = os_facts({"name": "Red Hat Enterprise Linux", "version": "8.8 (Ootpa)", "major": "8", "platform": "rhel"})
    assert r.cpe is not None and r.cpe.product == "enterprise_linux" and r.cpe.version == "8.0"
    assert (r.ecosystem_base, r.release) == ("Red Hat", "8")
    assert os_facts({"name": "Plan 9", "platform": "plan9"}).cpe is None


@pytest.mark.parametrize(("version", "kind", "want"), [
    ("1:8.9p1-3ubuntu0.10", "deb", "8.9p1"),
    ("1:9.18.19+dfsg-2", "deb", "9.18.19"),
    ("3.0.15-1~deb12u1", "deb", "3.0.15"),
    ("2.4.1", "deb", "2.4.1"),
    ("2.39.1-1.el8", "rpm", "2.39.1"),
    ("1:1.0-1", "rpm", "1.0"),
])
def test_upstream_version(version: str, kind: str, want: str) -> None:
    from kijun.diagnostics.distro import upstream_version

    assert upstream_version(version, kind) == want


def test_distro_mapper_splits_update() -> None:
    from kijun.diagnostics.distro import DistroMapper

    hit = DistroMapper.default().map("openssh", "1:9.6p1-3ubuntu13.5", "deb")
    assert hit is not None
    cpe, mapping = hit
    assert (cpe.vendor, cpe.product, cpe.version, cpe.update) == ("openbsd", "openssh", "9.6", "p1")
    assert mapping.rule == "distro:openssh" and mapping.confidence == 0.7
    assert DistroMapper.default().map("not-listed", "1.0-1", "deb") is None
    with pytest.raises(ValueError, match="entries"):
        DistroMapper.from_yaml("entries: [1]")
