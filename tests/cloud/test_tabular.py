"""Spreadsheet reading/writing (cloud.tabular) and the ledger/asset row checks (cloud.sheets): pure."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from kijun.classification.restrictions import load_vocabulary
from kijun.cloud.sheets import (
    ASSET_ALIASES,
    ASSET_REQUIRED,
    LEDGER_ALIASES,
    LEDGER_REQUIRED,
    asset_rows,
    headers,
    ledger_rows,
    parse_flag,
    parse_level,
)
from kijun.cloud.tabular import TableFormatError, csv_bytes, read_table, safe, split_list, xlsx_bytes

VOCAB = load_vocabulary()


def _assets(text: str, encoding: str = "utf-8") -> tuple[list, list]:  # type: ignore[type-arg]
    table = read_table(text.encode(encoding), "t.csv", ASSET_ALIASES, ASSET_REQUIRED)
    return asset_rows(table, VOCAB)


def test_header_found_below_a_title_and_variant_headers_mapped() -> None:
    text = ("情報資産管理台帳（令和7年度）\n\n"
            "資産番号,情報資産名称,所管課室,格付（機密性）,完全性,可用性,取扱い制限,備考\n"
            "INFO-1,申請書類,政策企画課,機密性2情報,完全性2情報,1,複製禁止；暗号化必須,x\n")
    table = read_table(text.encode("cp932"), "t.csv", ASSET_ALIASES, ASSET_REQUIRED)
    assert table.header_row == 3
    assert table.columns["confidentiality"] == "格付(機密性)"
    rows, errors = asset_rows(table, VOCAB)
    assert errors == []
    (row,) = rows
    assert (row.code, row.confidentiality, row.integrity, row.availability) == ("INFO-1", 2, 2, 1)
    assert row.handling_restrictions == ("encryption_required", "no_copy") and row.row == 4


def test_every_row_error_is_reported_with_row_and_field() -> None:
    rows, errors = _assets(
        "code,name,org_unit,confidentiality,integrity,availability,handling_restrictions\n"
        "a-1,ok,u,1,1,1,\n"
        "a-2,,u,4,1,1,\n"              # name missing, level out of range
        "bad id!,x,u,1,3,1,極秘扱い\n"  # bad code, integrity 3, unknown restriction
        "A-1,dup,u,1,1,1,\n")           # duplicate code (case-insensitive)
    assert [r.code for r in rows] == ["a-1", "A-1"]
    assert {(e.row, e.field) for e in errors} == {
        (3, "name"), (3, "confidentiality"), (4, "code"), (4, "integrity"), (4, "handling_restrictions"),
        (5, "code")}
    assert "duplicate of row 2" in next(e.message for e in errors if e.row == 5)


def test_no_header_is_a_format_error() -> None:
    with pytest.raises(TableFormatError, match="no header row"):
        read_table(b"a,b,c\n1,2,3\n", "t.csv", ASSET_ALIASES, ASSET_REQUIRED)
    with pytest.raises(TableFormatError):
        read_table(b"\xff\xfe\x00garbage\x81", "t.csv", ASSET_ALIASES, ASSET_REQUIRED)
    with pytest.raises(TableFormatError, match="XLSX"):
        read_table(b"PK\x03\x04not a zip", "t.xlsx", ASSET_ALIASES, ASSET_REQUIRED)


def test_xlsx_roundtrip_keeps_japanese_and_never_writes_formulas() -> None:
    data = xlsx_bytes("情報資産", headers(ASSET_ALIASES),
                      [["=1+1", "@SUM(A1)", "-x", "u", 3, 1, 2, "", "", ""]])
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None
    assert ws["A1"].value == "管理番号" and ws["A2"].value == "'=1+1" and ws["A2"].data_type == "s"
    assert ws["E2"].value == 3
    table = read_table(data, "t.xlsx", ASSET_ALIASES, ASSET_REQUIRED)
    assert table.rows[0][1]["code"] == "'=1+1" and table.rows[0][1]["confidentiality"] == "3"


def test_xlsx_with_cover_sheet_and_date_cells() -> None:
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover["A1"] = "表紙"
    ws = wb.create_sheet("台帳")
    ws.append(["台帳ID", "システム名", "所管組織", "業務影響度", "インターネット公開"])
    ws.append(["SYS-1", "受付", "demo", "高", "○"])
    ws.append(["SYS-2", "文書", "demo", date(2025, 1, 1), "いいえ"])
    buf = io.BytesIO()
    wb.save(buf)
    table = read_table(buf.getvalue(), "l.xlsx", LEDGER_ALIASES, LEDGER_REQUIRED)
    assert table.source.endswith("[台帳]")
    rows, errors = ledger_rows(table, ["A", "B", "C"])
    assert [(r.code, r.business_impact, r.internet_facing) for r in rows] == [("SYS-1", "high", True)]
    assert [(e.row, e.field, e.value) for e in errors] == [(3, "business_impact", "2025-01-01")]


def test_ledger_class_matching_is_tolerant_but_strict_about_unknown_classes() -> None:
    text = ("台帳ID,情報システム名,所管組織,情報システムの格付\n"
            "s1,a,u,b\ns2,a,u,区分A（高度な対策を要する情報システム）\ns3,a,u,Z\ns4,a,u,\n")
    rows, errors = ledger_rows(read_table(text.encode(), "l.csv", LEDGER_ALIASES, LEDGER_REQUIRED), ["A", "B", "C"])
    assert [(r.code, r.system_class) for r in rows] == [("s1", "B"), ("s2", "A"), ("s4", "")]
    assert [(e.row, e.field) for e in errors] == [(4, "system_class")]


def test_level_flag_and_list_parsing() -> None:
    assert [parse_level(x, 3) for x in ("2", "機密性3情報", "C1", "２", "", "12", "4")] == [2, 3, 1, 2, None, None, None]
    assert parse_level("3", 2) is None
    assert [parse_flag(x) for x in ("○", "はい", "yes", "", "×", "maybe")] == [True, True, True, False, False, None]
    assert split_list("a; b、c\nd,,") == ["a", "b", "c", "d"]


def test_csv_export_is_formula_safe_utf8_with_bom() -> None:
    data = csv_bytes(["code", "name"], [["=cmd|' /C calc'!A0", "+1"], ["ok", "名前"]])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "'=cmd" in text and "'+1" in text and "名前" in text
    assert safe(None) == "" and safe("\tx") == "'\tx"
