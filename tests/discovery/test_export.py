"""CSV/XLSX exports: content, formula neutralisation, atomic writes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kijun.discovery.catalog import Catalog
from kijun.discovery.engine import LogInput, scan
from kijun.discovery.export import APP_COLUMNS, write_csv, write_xlsx
from kijun.discovery.report import Report

LINES = [
    "timestamp,user,src_ip,host,bytes_up,bytes_down",
    '1714525200,=HYPERLINK("http://evil"),10.0.0.1,www.dropbox.com,10,20',
    "1714525201,tanaka,10.0.0.2,files.unknown.example.jp,1,2",
]


@pytest.fixture
def report(catalog: Catalog) -> Report:
    return scan([LogInput(LINES, "x.csv")], catalog=catalog)


def test_csv_export(report: Report, tmp_path: Path) -> None:
    out = tmp_path / "apps.csv"
    write_csv(report, out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == APP_COLUMNS
    by_key = {r[0]: dict(zip(APP_COLUMNS, r, strict=True)) for r in rows[1:]}
    assert by_key["dropbox"]["bytes_up"] == "10" and by_key["dropbox"]["status"] == "unsanctioned"
    assert by_key["?example.jp"]["status"] == "unknown-domain"
    assert "ISMAP" in by_key["dropbox"]["risk_notes_ja"]
    assert [p.name for p in tmp_path.iterdir()] == ["apps.csv"]  # no temp file left behind


def test_xlsx_export_neutralises_formulas(report: Report, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    write_xlsx(report, out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["summary", "apps", "unknown_domains", "users", "sources"]
    users = list(wb["users"].iter_rows(values_only=True))[1:]
    names = {r[0] for r in users}
    assert "tanaka" in names
    assert any(isinstance(n, str) and n.startswith("'=HYPERLINK") for n in names)
    summary = dict(wb["summary"].iter_rows(values_only=True))
    assert summary["events"] == 2 and summary["unknown_domains"] == 1


def test_failed_write_leaves_nothing(report: Report, tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_csv(report, tmp_path / "missing-dir" / "apps.csv")
    assert list(tmp_path.iterdir()) == []


def test_xlsx_users_continue_on_more_sheets_past_the_row_limit(
    report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kijun.discovery import export

    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 2)  # a header and one row per sheet
    out = tmp_path / "report.xlsx"
    write_xlsx(report, out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["summary", "apps", "unknown_domains", "users", "users_2", "sources"]
    rows = [r for name in ("users", "users_2") for r in list(wb[name].iter_rows(values_only=True))]
    assert rows[0] == rows[2] and rows[0][0] == "user"  # each sheet has the header
    assert sorted(str(r[1]) for r in (rows[1], rows[3])) == ["?example.jp", "dropbox"]


def test_users_csv_has_one_row_per_user_and_service(report: Report, tmp_path: Path) -> None:
    from kijun.discovery.export import USER_COLUMNS, write_users_csv

    out = tmp_path / "users.csv"
    write_users_csv(report, out)
    rows = list(csv.reader(out.read_bytes().decode("utf-8-sig").splitlines()))
    assert tuple(rows[0]) == USER_COLUMNS
    assert sorted((r[0], r[1]) for r in rows[1:]) == [("'=HYPERLINK(\"http://evil\")", "dropbox"), ("tanaka", "?example.jp")]
    assert oct(out.stat().st_mode & 0o777) == "0o600"
