from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from kijun.cloud.ismap import (
    IsmapFormatError,
    map_header,
    parse_csv_bytes,
    parse_date,
    parse_file,
)
from kijun.cloud.ismap_diff import diff_entries, expiry_warnings

FIX = Path(__file__).parent / "fixtures"


def test_utf8_bom_list_with_title_rows_and_bad_rows() -> None:
    imp = parse_file(FIX / "ismap_synthetic_utf8.csv")
    assert imp.header_row == 3
    assert imp.columns["registration_number"] == "登録番号" and imp.columns["expires_on"] == "有効期限"
    numbers = [e.registration_number for e in imp.entries]
    assert numbers == ["X21-0001-1", "X21-0001-2", "X22-0002-1", "X23-0003-1"]
    first = imp.entries[0]
    assert (first.service_name, first.provider_name) == ("合成ストレージ", "テスト事業者株式会社")
    assert (first.registered_on, first.expires_on, first.liu) == (date(2021, 3, 12), date(2022, 7, 11), False)
    liu = imp.entries[2]
    assert liu.liu and liu.registered_on == date(2022, 11, 1) and liu.expires_on == date(2026, 2, 28)
    assert imp.entries[3].service_name == "WEBフォーム合成"  # NFKC: full-width letters folded
    assert imp.entries[3].provider_name == "Example, Inc."
    errors = {(e.row, e.field) for e in imp.errors}
    assert errors == {(9, "registration_number"), (10, "service_name"), (11, "registered_on"),
                      (12, "expires_on"), (13, "registration_number")}
    dup = next(e for e in imp.errors if e.row == 13)
    assert "duplicate of row 4" in dup.message


def test_cp932_list_with_variant_headers_periods_and_liu_marks() -> None:
    imp = parse_file(FIX / "ismap_synthetic_cp932.csv")
    assert imp.errors == ()
    chat, iaas = imp.entries
    assert chat.liu and not iaas.liu
    assert chat.registered_on == date(2024, 4, 1) and chat.expires_on == date(2025, 7, 31)
    assert iaas.registered_on == date(2024, 5, 1) and iaas.expires_on == date(2026, 8, 31)
    assert chat.service_model == "SaaS"
    assert chat.extra == {"URL": "https://chat.example.invalid"}
    forced = parse_file(FIX / "ismap_synthetic_cp932.csv", liu=True)
    assert all(e.liu for e in forced.entries)


def test_xlsx_with_cover_sheet_datetime_and_serial_cells(tmp_path: Path) -> None:
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "表紙"
    cover.append(["ISMAP-LIU クラウドサービスリスト（合成）"])
    ws = wb.create_sheet("リスト")
    ws.append(["ISMAP-LIU クラウドサービスリスト（合成）"])
    ws.append(["Registration No.", "Service Name", "Provider", "Registration Date", "Expiration Date"])
    ws.append(["X25-0100-1", "Synthetic Notes", "Example GK", datetime(2025, 1, 15), 46203])
    ws.append(["X25-0101-1", "Synthetic Forms", "Example GK", "2025/02/01", None])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    imp = parse_file(path)
    assert imp.sheet == "リスト" and imp.header_row == 2
    a, b = imp.entries
    assert a.registered_on == date(2025, 1, 15) and a.expires_on == date(2026, 6, 30)
    assert a.liu and b.liu  # the title above the header names LIU
    assert b.expires_on is None


def test_not_a_list(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(IsmapFormatError, match="登録番号"):
        parse_file(bad)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not excel", encoding="utf-8")
    with pytest.raises(IsmapFormatError, match="not an XLSX"):
        parse_file(fake)
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(IsmapFormatError, match="readable XLSX"):
        parse_file(corrupt)
    with pytest.raises(IsmapFormatError, match="cannot read"):
        parse_file(tmp_path / "missing.csv")


def test_undecodable_bytes_are_reported() -> None:
    with pytest.raises(ValueError, match="not UTF-8 or CP932"):
        parse_csv_bytes(b"\x80\x81\xff\xfe", "x.csv")


def test_header_mapping_prefers_exact_names() -> None:
    mapping = map_header(["登録日（初回）", "登録番号", "サービス名称（英語）", "サービス名称", "有効期限"])
    assert mapping == {"registration_number": 1, "service_name": 3, "expires_on": 4, "registered_on": 0}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2021-03-12", date(2021, 3, 12)), ("2021/3/12", date(2021, 3, 12)), ("2021年3月12日", date(2021, 3, 12)),
     ("令和3年3月12日", date(2021, 3, 12)), ("令和元年5月1日", date(2019, 5, 1)), ("平成31年4月30日", date(2019, 4, 30)),
     ("R3.3.12", date(2021, 3, 12)), ("２０２１／３／１２", date(2021, 3, 12)), (44267, date(2021, 3, 12)),
     ("44267", date(2021, 3, 12)), ("", None), ("-", None), (None, None)],
)
def test_dates(raw: object, expected: date | None) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["soon", "2021/13/40", 12, True])
def test_bad_dates(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_date(raw)


@settings(max_examples=50, deadline=None)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)))
def test_date_formats_round_trip(d: date) -> None:
    assert parse_date(d.isoformat()) == d
    assert parse_date(f"{d.year}年{d.month}月{d.day}日") == d
    assert parse_date(f"{d.year}/{d.month}/{d.day}") == d


def _csv(rows: list[str]) -> bytes:
    return ("登録番号,サービス名称,事業者名,登録日,有効期限,区分\n" + "\n".join(rows) + "\n").encode("utf-8")


def test_diff_and_expiry() -> None:
    old = parse_csv_bytes(_csv(["X21-0001-1,A,P,2021/1/1,2025/6/30,ISMAP", "X21-0002-1,B,P,2021/1/1,2026/1/1,ISMAP",
                                "X21-0003-1,C,P,2021/1/1,2026/1/1,ISMAP"]))
    new = parse_csv_bytes(_csv(["X21-0001-1,A,P,2021/1/1,2025/6/30,ISMAP", "X21-0002-1,B2,P,2021/1/1,2027/1/1,ISMAP",
                                "X21-0004-1,D,Q,2025/1/1,2025/7/20,ISMAP-LIU"]))
    d = diff_entries(old.entries, new.entries, date(2025, 7, 1))
    assert [e.registration_number for e in d.added] == ["X21-0004-1"]
    assert [e.registration_number for e in d.removed] == ["X21-0003-1"]
    assert [e.registration_number for e in d.expired] == ["X21-0001-1"]
    (change,) = d.changed
    assert {(f.field, f.old, f.new) for f in change.changes} == {
        ("service_name", "B", "B2"), ("expires_on", "2026-01-01", "2027-01-01")}
    assert d.unchanged == 1
    warnings = expiry_warnings(new.entries, date(2025, 7, 1), 30)
    assert [(w.registration_number, w.status, w.days_left) for w in warnings] == [
        ("X21-0001-1", "expired", -1), ("X21-0004-1", "expiring", 19)]
    assert expiry_warnings(new.entries, date(2025, 7, 1), 10)[-1].registration_number == "X21-0001-1"


def test_tab_and_semicolon_separated_lists() -> None:
    tsv = "登録番号\tサービス名称\t備考\nX21-0001-1\tA\tnote; with, both\n".encode()
    imp = parse_csv_bytes(tsv)
    assert imp.entries[0].remarks == "note; with, both"
    ssv = "登録番号;サービス名称\nX21-0001-1;B\n".encode()
    assert parse_csv_bytes(ssv).entries[0].service_name == "B"
    comma = "登録番号,サービス名称,備考\nX21-0001-1,C,\"a;b;c;d;e\"\n".encode()
    assert parse_csv_bytes(comma).entries[0].remarks == "a;b;c;d;e"
