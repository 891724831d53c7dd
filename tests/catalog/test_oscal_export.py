"""OSCAL catalog/profile, JSON and CSV exports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from kijun.catalog.catalog import Catalog
from kijun.catalog.export import CSV_COLUMNS, catalog_csv, catalog_json, catalog_xlsx
from kijun.catalog.ids import NodeKind
from kijun.catalog.import_official import OfficialImport
from kijun.catalog.oscal import (
    AgencyAddition,
    AgencyParameter,
    AgencyPolicy,
    PolicyError,
    catalog_to_oscal,
    oscal_id,
    profile_to_oscal,
)

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def _walk_controls(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in items:
        out.append(c)
        out += _walk_controls(c.get("controls", []))
    return out


def _all_controls(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def groups(gs: list[dict[str, Any]]) -> None:
        for g in gs:
            out.extend(_walk_controls(g.get("controls", [])))
            groups(g.get("groups", []))

    groups(doc["catalog"]["groups"])
    return out


def test_oscal_catalog_structure(catalog: Catalog) -> None:
    doc = catalog_to_oscal(catalog, NOW)
    assert doc["catalog"]["metadata"]["oscal-version"] == "1.1.2"
    assert doc["catalog"]["metadata"]["last-modified"] == "2026-04-01T09:00:00+00:00"
    assert [g["id"] for g in doc["catalog"]["groups"]] == [f"ch{i}" for i in range(1, 9)]
    controls = _all_controls(doc)
    labels = {p["value"] for c in controls for p in c["props"] if p["name"] == "label"}
    expected = {n.id for n in catalog if n.kind not in (NodeKind.CHAPTER, NodeKind.SECTION, NodeKind.SUBITEM)}
    assert labels == expected
    ids = [c["id"] for c in controls]
    assert len(ids) == len(set(ids)) and all(TOKEN.match(i) for i in ids)
    c = next(c for c in controls if c["id"] == oscal_id("4.2.1(1)(a)"))
    assert c["title"] == catalog.get("4.2.1(1)(a)").title_en
    assert [p["name"] for p in c["parts"]][:2] == ["overview", "overview-ja"]
    assert [p["props"][0]["value"] for p in c["parts"][0]["parts"]][:2] == ["4.2.1(1)(a)(i)", "4.2.1(1)(a)(ii)"]
    assert not any(p["name"] == "statement" for c in controls for p in c["parts"])
    assert catalog_to_oscal(catalog, NOW) == doc  # deterministic


def test_oscal_catalog_with_official_statements(catalog: Catalog, official: OfficialImport) -> None:
    doc = catalog_to_oscal(catalog, NOW, official)
    c = next(c for c in _all_controls(doc) if c["id"] == oscal_id("2.1.1(8)(a)"))
    stm = c["parts"][0]
    assert stm["name"] == "statement" and stm["prose"] == official.nodes["2.1.1(8)(a)"].text
    assert [p["prose"] for p in stm["parts"]] == [official.nodes["2.1.1(8)(a)(i)"].text,
                                                 official.nodes["2.1.1(8)(a)(ii)"].text]


def _policy(**kw: Any) -> AgencyPolicy:
    base: dict[str, Any] = {"agency": "架空省", "title": "架空省情報セキュリティ対策基準", "version": "2026.1"}
    base.update(kw)
    return AgencyPolicy.model_validate(base)


def test_profile_include_all_and_tailoring(catalog: Catalog) -> None:
    doc = profile_to_oscal(_policy(), catalog, NOW)
    assert doc["profile"]["imports"][0]["include-all"] == {}
    assert "modify" not in doc["profile"]
    pol = _policy(
        exclude=["2.1.1(1)(b)"],
        parameters=[AgencyParameter(control="2.3.1(1)(a)", id="self-check-frequency", label="自己点検の頻度", value="年1回")],
        additions=[AgencyAddition(control="4.2.1(2)(a)", text_ja="ISMAP登録サービスに限る。", text_en="ISMAP-listed only.")],
    )
    doc = profile_to_oscal(pol, catalog, NOW)
    ids = doc["profile"]["imports"][0]["include-controls"][0]["with-ids"]
    assert oscal_id("2.1.1(1)(b)") not in ids and oscal_id("2.1.1(1)(a)") in ids
    assert len(ids) == len(catalog.of_kind(NodeKind.REQUIREMENT)) - 1
    alters = {a["control-id"]: a for a in doc["profile"]["modify"]["alters"]}
    assert alters[oscal_id("2.3.1(1)(a)")]["adds"][0]["params"][0]["values"] == ["年1回"]
    prose = [p["prose"] for p in alters[oscal_id("4.2.1(2)(a)")]["adds"][0]["parts"]]
    assert prose == ["ISMAP登録サービスに限る。", "ISMAP-listed only."]


def test_profile_rejects_unknown_ids(catalog: Catalog) -> None:
    pol = _policy(include=["4.2.1(2)(a)", "9.9.9(1)(a)", "4.2"], parameters=[
        AgencyParameter(control="4.2.1(2)(A)", id="x", label="x", value="1")])
    with pytest.raises(PolicyError) as ei:
        profile_to_oscal(pol, catalog, NOW)
    msg = str(ei.value)
    assert "'9.9.9(1)(a)' is not in catalog r7" in msg and "bad id syntax '4.2.1(2)(A)'" in msg
    assert "'4.2' is a section" in msg
    with pytest.raises(ValueError, match="timezone-aware"):
        catalog_to_oscal(catalog, datetime(2026, 1, 1))  # noqa: DTZ001


def test_trestle_validates_catalog_and_profile(catalog: Catalog) -> None:
    """compliance-trestle's OSCAL models accept both documents (skipped if trestle is absent)."""
    tc = pytest.importorskip("trestle.oscal.catalog")
    tp = pytest.importorskip("trestle.oscal.profile")
    cat_doc = json.loads(json.dumps(catalog_to_oscal(catalog, NOW)))
    parsed = tc.Catalog.parse_obj(cat_doc["catalog"])
    assert len(parsed.groups) == 8
    pol = _policy(exclude=["2.1.1(1)(b)"], parameters=[
        AgencyParameter(control="2.3.1(1)(a)", id="p1", label="l", value="v")],
        additions=[AgencyAddition(control="4.2.1(2)(a)", text_ja="追加")])
    prof = tp.Profile.parse_obj(json.loads(json.dumps(profile_to_oscal(pol, catalog, NOW)))["profile"])
    assert prof.imports[0].include_controls is not None


def test_json_and_csv_exports(catalog: Catalog) -> None:
    doc = catalog_json(catalog)
    assert doc["counts"] == catalog.counts()
    assert [n["id"] for n in doc["nodes"]] == list(catalog.nodes)
    text = catalog_csv(catalog)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "ID [id]" and rows[0][3].startswith("見出し") and len(rows[0]) == len(CSV_COLUMNS)
    assert len(rows) == len(catalog) + 1
    row = next(r for r in rows if r[0] == "4.2.1(2)(a)")
    n = catalog.get("4.2.1(2)(a)")
    assert row[3] == n.title_ja and row[10] == ";".join(n.responsible_roles)


def test_xlsx_export(catalog: Catalog) -> None:
    from openpyxl import load_workbook

    data = catalog_xlsx(catalog, NOW)
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][3] == "見出し（日本語・非公式訳）" and rows[1][0] == "id"
    assert len(rows) == len(catalog) + 2
    by_id = {r[0]: r for r in rows[2:]}
    assert by_id["7.3.1(3)(a)"][3] == catalog.get("7.3.1(3)(a)").title_ja
    assert ws.freeze_panes == "B3"
