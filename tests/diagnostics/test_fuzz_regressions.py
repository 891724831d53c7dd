"""Regressions for parser crashes found by the fuzz harness (tests/fuzz): bad input → FeedError."""

from __future__ import annotations

import gzip
import json
import lzma
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kijun.diagnostics._io import FeedError, iter_lines, read_bytes
from kijun.diagnostics.cli import app
from kijun.diagnostics.epss import load_epss
from kijun.diagnostics.inventory import load_csv, load_cyclonedx, load_inventory
from kijun.diagnostics.jvn import parse_jvn
from kijun.diagnostics.kev import load_kev
from kijun.diagnostics.nvd import load_adp_ssvc, load_nvd
from kijun.diagnostics.osmap import os_facts
from kijun.diagnostics.osv import load_osv
from kijun.diagnostics.winmap import MappingError, ProgramMapper


@pytest.mark.parametrize("data", [
    b"\x1f\x8b",  # gzip magic only
    gzip.compress(b"hello world\n" * 50)[:-10],  # truncated stream
    gzip.compress(b"x")[:10] + b"\x00" * 20,  # corrupt deflate data
    b"\xfd7zXZ\x00",  # xz magic only
    lzma.compress(b"hello\n" * 50)[:-8],
])
def test_truncated_or_corrupt_compressed_file_is_feed_error(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "feed.bin"
    p.write_bytes(data)
    with pytest.raises(FeedError, match="feed.bin: truncated or corrupt compressed file"):
        read_bytes(p)
    with pytest.raises(FeedError, match="feed.bin: truncated or corrupt"):
        list(iter_lines(p))


def test_loaders_report_truncated_gzip(tmp_path: Path) -> None:
    for name, load in (("nvd.json.gz", lambda p: load_nvd([p])), ("kev.json.gz", load_kev),
                       ("epss.csv.gz", load_epss), ("inv.csv.gz", lambda p: load_inventory([p]))):
        p = tmp_path / name
        p.write_bytes(b"\x1f\x8b")
        with pytest.raises(FeedError, match=name):
            load(p)


def test_inventory_csv_with_cr_line_ends(tmp_path: Path) -> None:
    p = tmp_path / "inv.csv"
    p.write_bytes(b"host,name,version\rpc1,7-Zip,23.01\rpc2,Chrome,120\r")
    rows = load_csv(p)
    assert [(r.host, r.row["name"]) for r in rows] == [("pc1", "7-Zip"), ("pc2", "Chrome")]


def test_inventory_csv_lone_cr_in_row_never_escapes_csv_error(tmp_path: Path) -> None:
    p = tmp_path / "inv.csv"
    p.write_bytes(b"host,name\na\rb,c\n")
    try:
        load_inventory([p])
    except FeedError as exc:
        assert "inv.csv" in str(exc)


# ---------------------------------------------------------------- JSON of the wrong shape → FeedError

def _write(tmp_path: Path, name: str, doc: object) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc), "utf-8")
    return p


@pytest.mark.parametrize(("doc", "where"), [
    ({"vulnerabilities": [1]}, r"vulnerabilities\[0\]: expected a JSON object"),
    ({"vulnerabilities": [{"cve": {"id": "CVE-1-1", "configurations": ["x"]}}]},
     r"configurations\[0\]: expected a JSON object"),
    ({"vulnerabilities": [{"cve": {"id": "CVE-1-1", "configurations": [{"nodes": [{"cpeMatch": [7]}]}]}}]},
     r"nodes\[0\]\.cpeMatch\[0\]: expected a JSON object"),
    ({"vulnerabilities": [{"cve": {"id": "CVE-1-1", "descriptions": "x"}}]}, r"descriptions: expected a JSON array"),
    ({"vulnerabilities": [{"cve": {"id": "CVE-1-1", "metrics": {"cvssMetricV31": [[]]}}}]},
     r"cvssMetricV31\[0\]: expected a JSON object"),
])
def test_nvd_wrong_shapes(tmp_path: Path, doc: object, where: str) -> None:
    with pytest.raises(FeedError, match=where):
        load_nvd([_write(tmp_path, "nvd.json", doc)])


def test_kev_osv_adp_wrong_shapes(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match=r"kev.json vulnerabilities\[0\]: expected a JSON object"):
        load_kev(_write(tmp_path, "kev.json", {"vulnerabilities": [1]}))
    with pytest.raises(FeedError, match=r"affected\[0\]: expected a JSON object"):
        load_osv([_write(tmp_path, "osv.json", {"id": "X", "affected": ["x"]})])
    with pytest.raises(FeedError, match=r"osv2.json\[0\]: expected a JSON object"):
        load_osv([_write(tmp_path, "osv2.json", [1])])
    with pytest.raises(FeedError, match=r"cve5.json\[0\]: expected a JSON object"):
        load_adp_ssvc([_write(tmp_path, "cve5.json", [1])])


def test_adp_ssvc_without_content_or_id_is_skipped(tmp_path: Path) -> None:
    """No cveMetadata.cveId and no SSVC content id: the record cannot be tied to a CVE, so it is skipped."""
    doc = [{"containers": {"adp": [{"metrics": [{"other": {"type": "ssvc"}}]}]}}]
    assert load_adp_ssvc([_write(tmp_path, "cve5.json", doc)]) == {}
    with_id = [{"cveMetadata": {"cveId": "CVE-2024-1"}, **doc[0]}]
    assert set(load_adp_ssvc([_write(tmp_path, "cve5b.json", with_id)])) == {"CVE-2024-1"}


@pytest.mark.parametrize("line", [b'{"hostIdentifier": "h", "snapshot": [1]}',
                                  b'{"hostIdentifier": "h", "diffResults": [1]}',
                                  b'{"hostIdentifier": "h", "columns": "x"}',
                                  b'{"decorations": "x"}'])
def test_osquery_wrong_shapes(tmp_path: Path, line: bytes) -> None:
    p = tmp_path / "osquery.log"
    p.write_bytes(line + b"\n")
    with pytest.raises(FeedError, match="osquery.log:1: .*expected a JSON"):
        load_inventory([p])


def test_cyclonedx_wrong_shapes(tmp_path: Path) -> None:
    base = {"bomFormat": "CycloneDX", "specVersion": "1.5"}
    with pytest.raises(FeedError, match=r"components\[0\]: expected a JSON object"):
        load_cyclonedx(_write(tmp_path, "bom.json", base | {"components": [1]}))
    with pytest.raises(FeedError, match=r"components\[0\]\.components\[1\]: expected"):
        load_cyclonedx(_write(tmp_path, "bom2.json", base | {"components": [{"components": [{}, "x"]}]}))
    with pytest.raises(FeedError, match="metadata: expected a JSON object"):
        load_cyclonedx(_write(tmp_path, "bom3.json", base | {"metadata": [1]}))


# ---------------------------------------------------------------- OS rows, JVN encodings, mapping files

@pytest.mark.parametrize("row", [{"name": "ubuntu", "platform": "ubuntu", "version": ""},
                                 {"name": "Debian", "platform": "debian", "version": " "},
                                 {"name": "Rocky Linux", "platform": "rocky", "version": ""}])
def test_os_facts_empty_version_is_unknown(row: dict[str, str]) -> None:
    facts = os_facts(row)
    assert facts.cpe is None and facts.ecosystem_base is None


def test_os_facts_still_maps_a_real_version() -> None:
    facts = os_facts({"name": "Ubuntu", "platform": "ubuntu", "version": "22.04.4 LTS"})
    assert facts.ecosystem_base == "Ubuntu" and facts.release == "22.04" and facts.cpe is not None


@pytest.mark.parametrize("enc", ["UTF-4", "EUC-JP", "bogus"])
def test_jvn_bad_xml_encoding_declaration(enc: str) -> None:
    with pytest.raises(FeedError, match="jvn.xml: .*encoding"):
        parse_jvn(f'<?xml version="1.0" encoding="{enc}"?><a/>'.encode(), "jvn.xml")


@pytest.mark.parametrize(("text", "match"), [("a: [", "not valid YAML"), ("entries: [x]", r"entries\[0\]: must be"),
                                             ("entries: [{id: a, cpe: a:b, pattern: x, publishers: 3}]",
                                              r"entries\[0\]: publishers must be a list"),
                                             ("entries: [{id: a, cpe: a:b, pattern: x, confidence: [1]}]",
                                              r"entries\[0\]"),
                                             ("entries: [{id: a}]", r"entries\[0\]: missing 'cpe'")])
def test_program_mapping_errors(text: str, match: str) -> None:
    with pytest.raises(MappingError, match=f"map.yaml: {match}"):
        ProgramMapper.from_yaml(text, "map.yaml")


def test_cli_reports_bad_mapping_file(tmp_path: Path) -> None:
    bad = tmp_path / "map.yaml"
    bad.write_text("a: [", "utf-8")
    inv = tmp_path / "inv.csv"
    inv.write_text("host,name\npc,7-Zip\n", "utf-8")
    res = CliRunner().invoke(app, ["inventory", str(inv), "--mapping", str(bad)])
    assert res.exit_code != 0
    assert "mapping:" in res.output and "not valid YAML" in res.output
    assert "Traceback" not in res.output
