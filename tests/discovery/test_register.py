"""The sanctioned-services register file (YAML and CSV)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kijun.discovery.catalog import Catalog
from kijun.discovery.matcher import Matcher
from kijun.discovery.model import DiscoveryError
from kijun.discovery.register import load_register, parse_register

CSV = "app,domain,status,name,note\nbox,,approved,,全庁導入\n,agency.cybozu.com,許可,庁内kintone,\nchatgpt,,禁止,,\n"


def test_csv_register_with_japanese_statuses(tmp_path: Path) -> None:
    p = tmp_path / "register.csv"
    p.write_bytes(CSV.encode("cp932"))
    reg = load_register(p)
    assert [(e.app, e.domain, e.status) for e in reg.entries] == [
        ("box", None, "approved"),
        (None, "agency.cybozu.com", "approved"),
        ("chatgpt", None, "prohibited"),
    ]
    assert reg.entries[0].note == "全庁導入"


def test_yaml_register(tmp_path: Path) -> None:
    p = tmp_path / "register.yaml"
    p.write_text("schema_version: 1\nservices:\n  - app: zoom\n    status: under review\n", encoding="utf-8")
    assert load_register(p).entries[0].status == "under_review"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("services:\n  - {app: box, status: maybe}\n", "not approved, prohibited or under_review"),
        ("services:\n  - {status: approved}\n", "give 'app'"),
        ("services:\n  - {domain: 'http://x.example/', status: approved}\n", "bad domain"),
        ("services:\n  - {app: box, status: approved}\n  - {app: box, status: prohibited}\n", "duplicate"),
        ("services: 3\n", "expected a 'services' list"),
        ("services: [\n", "not valid YAML"),
    ],
)
def test_register_errors(text: str, message: str) -> None:
    with pytest.raises(DiscoveryError, match=message):
        parse_register(text, "reg.yaml", "yaml")


def test_unknown_app_id_is_an_error(catalog: Catalog) -> None:
    reg = parse_register("services:\n  - {app: dropbx, status: approved}\n", "reg.yaml")
    with pytest.raises(DiscoveryError, match="unknown app id 'dropbx'"):
        Matcher(catalog, reg)


def test_missing_register_file(tmp_path: Path) -> None:
    with pytest.raises(DiscoveryError, match="cannot read register"):
        load_register(tmp_path / "nope.yaml")
