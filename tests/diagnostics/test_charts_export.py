"""Pure helpers of the web layer: the SVG trend chart and the CSV/XLSX exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from openpyxl import load_workbook

from kijun.diagnostics.charts import Point, trend_svg
from kijun.diagnostics.export import csv_bytes, safe_cell, xlsx_bytes


def test_trend_svg_is_escaped_scaled_and_script_free() -> None:
    pts = [Point(f"2026-11-{d:02d}", d % 3, 1, 0, 5, d % 2) for d in range(1, 31)]
    svg = trend_svg(pts, {"act": "<b>Act</b>", "overdue": "期限超過"}, title='a "title"')
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<b>" not in svg and "&lt;b&gt;Act&lt;/b&gt;" in svg and "&quot;title&quot;" in svg
    assert "<script" not in svg and "style=" not in svg
    labels = [int(v) for v in re.findall(r'text-anchor="end" fill="#555">(\d+)<', svg)]
    assert labels == [0, 2, 4, 6, 8]  # max total 8: whole-number gridlines
    assert svg.count("<rect") >= 30 and "<polyline" in svg


def test_one_day_is_a_narrow_bar() -> None:
    svg = trend_svg([Point("2026-11-26", 1, 0, 0, 4, 0)], {}, width=720)
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths and max(widths) < 30


def test_exports_neutralise_formulas() -> None:
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("@SUM") == "'@SUM" and safe_cell("a\x01b") == "a\ufffdb"
    assert safe_cell(3) == 3
    data = csv_bytes(["ホスト", "日付"], [["-cmd", dt.date(2026, 11, 26)], ["ok", None]])
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["ホスト", "日付"], ["'-cmd", "2026-11-26"], ["ok", ""]]
    ws = load_workbook(io.BytesIO(xlsx_bytes(["ホスト", "件数"], [["+x", 3]], "検出結果"))).active
    assert ws.title == "検出結果" and ws["A2"].value == "'+x" and ws["B2"].value == 3 and ws.freeze_panes == "A2"
