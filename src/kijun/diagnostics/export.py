"""CSV and XLSX bytes for the diagnostics exports (findings, remediation records, coverage).

CSV is UTF-8 with BOM so spreadsheet software opens Japanese text; text cells that a spreadsheet
would run as a formula (``= + - @`` or a leading tab/CR) are prefixed with ``'``, and control
characters are replaced — host names, program names and notes come from inventories people send in.
XLSX has the same (Japanese) headers, a frozen header row and typed numbers/dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

Cell = str | int | float | dt.date | None
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value: Cell) -> Cell:
    if isinstance(value, str):
        value = _CONTROL.sub("\ufffd", value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    for row in rows:
        w.writerow(["" if v is None else v.isoformat() if isinstance(v, dt.date) else safe_cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[Cell]], title: str) -> bytes:
    wb = Workbook(write_only=False)
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(list(headers))
    for c in ws[1]:
        c.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for i, h in enumerate(headers, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(10, min(50, len(h) * 2 + 4))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = ["csv_bytes", "safe_cell", "xlsx_bytes"]
