"""Reading and writing the spreadsheets agencies keep their ledgers in (CSV or XLSX).

Why a module of its own: the system ledger and the information-asset list are both kept in
Excel by most agencies, with headers that drift ("システム名" vs "情報システム名称", "格付（機密性）"
vs "機密性"). The reader finds the header row itself, maps headers through alias tables after
NFKC normalisation, and hands back plain text cells with their row numbers; the callers
validate the values. The writers neutralise spreadsheet formulas (CSV/XLSX injection).
Pure: no Django; bytes in, bytes out.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kijun.classification.textio import decode_text

HEADER_SCAN_ROWS = 30
MAX_ROWS = 20000
_STRIP = re.compile(r"[\s・_\-:/（）()「」\[\]]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TableFormatError(ValueError):
    """The file cannot be read as a table at all (no header row, unreadable, too many rows)."""


def norm_header(text: Any) -> str:
    """A header cell compared loosely: NFKC, case-folded, without spaces and punctuation."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", str(text or "")).casefold())


def cell_text(value: Any) -> str:
    """One cell as trimmed text; dates from XLSX become ISO dates, whole floats integers."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


@dataclass(frozen=True)
class Table:
    """Rows of a table as ``(row number, {field: text})``; ``columns`` maps field to the header found."""

    source: str
    header_row: int
    columns: dict[str, str]
    rows: tuple[tuple[int, dict[str, str]], ...]


def map_header(cells: Sequence[Any], aliases: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Field → column index. An exact alias wins over a prefix match; a column is used once."""
    normed = [norm_header(c) for c in cells]
    out: dict[str, int] = {}
    used: set[int] = set()
    for exact in (True, False):
        for fld, names in aliases.items():
            if fld in out:
                continue
            keys = [norm_header(n) for n in names]
            for i, h in enumerate(normed):
                if i in used or not h:
                    continue
                if (h in keys) if exact else any(h.startswith(k) for k in keys if len(k) >= 2):
                    out[fld] = i
                    used.add(i)
                    break
    return out


def table_from_rows(rows: Iterable[tuple[int, Sequence[Any]]], source: str,
                    aliases: Mapping[str, Sequence[str]], required: Sequence[str]) -> Table:
    """Find the header (first row mapping every required field) and collect the non-empty rows."""
    it = iter(rows)
    header: dict[str, int] | None = None
    header_cells: Sequence[Any] = ()
    header_row = 0
    for row_no, cells in it:
        mapping = map_header(cells, aliases)
        if all(f in mapping for f in required):
            header, header_cells, header_row = mapping, cells, row_no
            break
        if row_no >= HEADER_SCAN_ROWS:
            break
    if header is None:
        wanted = ", ".join(f"{f} ({aliases[f][0]})" for f in required)
        raise TableFormatError(f"{source}: no header row naming {wanted} in the first {HEADER_SCAN_ROWS} rows")
    out: list[tuple[int, dict[str, str]]] = []
    for row_no, cells in it:
        values = {f: cell_text(cells[i]) if i < len(cells) else "" for f, i in header.items()}
        if not any(values.values()):
            continue
        if len(out) >= MAX_ROWS:
            raise TableFormatError(f"{source}: more than {MAX_ROWS} rows")
        out.append((row_no, values))
    columns = {f: cell_text(header_cells[i]) for f, i in header.items()}
    return Table(source, header_row, columns, tuple(out))


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for cells in reader:
        yield reader.line_num, cells


def read_csv(data: bytes, source: str, aliases: Mapping[str, Sequence[str]], required: Sequence[str]) -> Table:
    """UTF-8 (with or without BOM) or CP932; comma, then tab, then semicolon."""
    try:
        text = decode_text(data, source)
    except ValueError as exc:
        raise TableFormatError(str(exc)) from exc
    first: TableFormatError | None = None
    for delimiter in (",", "\t", ";"):
        try:
            return table_from_rows(_csv_rows(text, delimiter), source, aliases, required)
        except TableFormatError as exc:
            first = first or exc
        except csv.Error as exc:
            raise TableFormatError(f"{source}: not a readable CSV file ({exc})") from exc
    assert first is not None
    raise first


def read_xlsx(data: bytes, source: str, aliases: Mapping[str, Sequence[str]], required: Sequence[str]) -> Table:
    """Every sheet is tried until one has the header (a cover sheet often comes first)."""
    from openpyxl import load_workbook  # imported here: CSV users need not pay for it

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for corrupt files
        raise TableFormatError(f"{source}: not a readable XLSX workbook ({type(exc).__name__})") from exc
    first: TableFormatError | None = None
    try:
        for ws in wb.worksheets:
            rows = ((n, tuple(r)) for n, r in enumerate(ws.iter_rows(values_only=True), start=1))
            try:
                return table_from_rows(rows, f"{source} [{ws.title}]", aliases, required)
            except TableFormatError as exc:
                first = first or exc
    finally:
        wb.close()
    raise first or TableFormatError(f"{source}: the workbook has no sheets")


def read_table(data: bytes, source: str, aliases: Mapping[str, Sequence[str]], required: Sequence[str]) -> Table:
    """CSV or XLSX, told apart by the zip magic bytes (never by the file name)."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return read_xlsx(data, source, aliases, required)
    return read_csv(data, source, aliases, required)


def safe(value: Any) -> str:
    """Text that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in _FORMULA_START else text


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with BOM (so Excel reads Japanese), CRLF, formula-safe cells."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([safe(h) for h in headers])
    for row in rows:
        writer.writerow([safe(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet with a bold header row; every cell is written as text or a number, never a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=False)
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append([safe(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([v if isinstance(v, int) and not isinstance(v, bool) else safe(v) for v in row])
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def split_list(text: str) -> list[str]:
    """A list cell: separated by ';', '、', newlines or ','."""
    return [p.strip() for p in re.split(r"[;；、,\n]", text) if p.strip()]
