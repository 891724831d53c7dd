"""Import of the ISMAP / ISMAP-LIU cloud service list (CSV or XLSX).

The published list's exact columns are not fixed (and have changed over time), so the
importer finds the header row itself and maps columns through alias tables: Japanese
headers such as 登録番号, サービス名称, 事業者名, 登録日, 有効期限 and their variants, or
English ones. A bad row never aborts the import: it becomes a ``RowError`` naming the row,
the field and the value, and the good rows still come through.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kijun.classification.textio import decode_text

REG_NO = re.compile(r"^[A-Z]\d{2}-\d{4}-\d{1,3}$")
HEADER_SCAN_ROWS = 30


class IsmapFormatError(ValueError):
    """The file cannot be read as a list at all (no header row, unknown format)."""


class IsmapEntry(BaseModel):
    """One registered service as listed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    registration_number: str
    service_name: str
    provider_name: str = ""
    registered_on: date | None = None
    expires_on: date | None = None
    liu: bool = False
    service_model: str | None = None
    remarks: str = ""
    row: int = Field(default=0, description="row in the source file (1-based)")
    extra: dict[str, str] = Field(default_factory=dict)

    def is_expired(self, as_of: date) -> bool:
        return expiry_state(self.expires_on, as_of, 0)[0] == "expired"


ExpiryState = Literal["valid", "expiring", "expired"]


def expiry_state(expires_on: date | None, as_of: date, warn_days: int) -> tuple[ExpiryState | None, int | None]:
    """The one place that decides expired / expiring (within ``warn_days``) / valid, and the
    days left. The expiry date is the last valid day. ``(None, None)`` when no date is known."""
    if expires_on is None:
        return None, None
    left = (expires_on - as_of).days
    if left < 0:
        return "expired", left
    return ("expiring" if left <= warn_days else "valid"), left


class RowError(BaseModel):
    model_config = ConfigDict(frozen=True)

    row: int
    field: str
    value: str
    message: str


class IsmapImport(BaseModel):
    """Entries plus row-level errors; ``source`` and ``sheet`` say where they came from."""

    model_config = ConfigDict(frozen=True)

    source: str
    sheet: str | None = None
    header_row: int
    columns: dict[str, str]  # field -> header text as found
    entries: tuple[IsmapEntry, ...]
    errors: tuple[RowError, ...]


def _norm(text: Any) -> str:
    s = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return re.sub(r"[\s・_\-:：/]+", "", s)


_ALIASES: dict[str, tuple[str, ...]] = {
    "registration_number": ("登録番号", "登録no", "登録no.", "registrationnumber", "registrationno",
                            "registrationno.", "registrationid", "番号"),
    "service_name": ("サービス名称", "サービス名", "クラウドサービス名称", "クラウドサービス名", "登録サービス名称",
                     "登録サービス名", "servicename", "cloudservicename", "service"),
    "provider_name": ("事業者名", "事業者名称", "事業者", "クラウドサービス事業者名", "クラウドサービス事業者",
                      "申請者", "申請者名", "提供事業者", "提供事業者名", "提供者", "会社名", "法人名", "provider",
                      "providername", "cloudserviceprovider", "applicant", "company"),
    "registered_on": ("登録日", "登録年月日", "初回登録日", "登録日付", "registrationdate", "registeredon",
                      "dateofregistration"),
    "expires_on": ("有効期限", "有効期限日", "登録有効期限", "登録の有効期限", "有効期間満了日", "有効期間",
                   "expirationdate", "expirydate", "expireson", "validuntil", "expiry"),
    "kind": ("区分", "種別", "制度", "対象制度", "リスト区分", "ismapliu", "liu", "kind", "type", "program"),
    "service_model": ("サービスモデル", "サービス形態", "サービス種別", "servicemodel", "model"),
    "remarks": ("備考", "更新履歴", "履歴", "remarks", "notes", "note"),
}
_NORMALISED = {f: tuple(_norm(a) for a in aliases) for f, aliases in _ALIASES.items()}
REQUIRED = ("registration_number", "service_name")


def map_header(cells: Sequence[Any]) -> dict[str, int]:
    """Field -> column index for one candidate header row (exact alias first, then prefix)."""
    normed = [_norm(c) for c in cells]
    found: dict[str, int] = {}
    for exact in (True, False):
        for fld, aliases in _NORMALISED.items():
            if fld in found:
                continue
            for idx, head in enumerate(normed):
                if not head or idx in found.values():
                    continue
                if (head in aliases) if exact else any(head.startswith(a) for a in aliases if len(a) >= 2):
                    found[fld] = idx
                    break
    return found


_WAREKI = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_WDATE = re.compile(r"(令和|平成|r|h)\s*(元|\d{1,2})\s*[年./]\s*(\d{1,2})\s*[月./]\s*(\d{1,2})")
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: Any, *, last: bool = False) -> date | None:
    """Dates as the list writes them: ISO, 2021/3/12, 2021年3月12日, 令和3年3月12日, Excel cells.

    A cell holding a period ("2021/3/12～2022/7/11") gives its first date, or with ``last``
    its final one - the expiry column is sometimes a validity period."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20000 <= value <= 80000:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError(f"number {value} is not a date")
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    if not text or text in {"-", "ー", "―", "なし", "n/a"}:
        return None
    found: list[date] = [date(int(m[1]), int(m[2]), int(m[3])) for m in _DATE.finditer(text)]
    if not found:
        found = [date(_WAREKI[m[1]] + (1 if m[2] == "元" else int(m[2])), int(m[3]), int(m[4]))
                 for m in _WDATE.finditer(text)]
    if found:
        return found[-1] if last else found[0]
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return parse_date(float(text))
    raise ValueError(f"not a date: {value!r}")


_LIU_TRUE = {"○", "〇", "◯", "yes", "true", "1", "対象", "該当", "✓", "✔"}


def _kind_is_liu(value: str) -> bool | None:
    v = _norm(value)
    if not v:
        return None
    if "liu" in v or v in {_norm(x) for x in _LIU_TRUE}:
        return True
    if "ismap" in v or v in {"no", "false", "0", "-", "×", "非該当"}:
        return False
    return None


def _cell(row: Sequence[Any], idx: int | None) -> Any:
    if idx is None or idx >= len(row):
        return None
    return row[idx]


def _text(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip() if value is not None else ""


def parse_rows(rows: Iterable[tuple[int, Sequence[Any]]], source: str, *, liu: bool | None = None,
               sheet: str | None = None) -> IsmapImport:
    """Parse ``(row_number, cells)`` pairs; the header is searched in the first rows.

    ``liu`` forces every entry's LIU flag (for a file that is the LIU list as a whole);
    otherwise a kind column decides, then a title line above the header mentioning LIU.
    """
    it = iter(rows)
    header: dict[str, int] | None = None
    header_cells: Sequence[Any] = ()
    header_row = 0
    title_liu = False
    for row_no, cells in it:
        mapping = map_header(cells)
        if all(f in mapping for f in REQUIRED):
            header, header_cells, header_row = mapping, cells, row_no
            break
        if any("liu" in _norm(c) for c in cells):
            title_liu = True
        if row_no >= HEADER_SCAN_ROWS:
            break
    if header is None:
        raise IsmapFormatError(
            f"{source}: no header row with a registration number column (登録番号) and a service name "
            f"column (サービス名称) in the first {HEADER_SCAN_ROWS} rows")
    mapped_idx = set(header.values())
    extra_cols = {i: _text(h) for i, h in enumerate(header_cells) if i not in mapped_idx and _text(h)}
    entries: list[IsmapEntry] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for row_no, cells in it:
        if not any(_text(c) for c in cells):
            continue
        entry, errs = _parse_row(row_no, cells, header, extra_cols, liu, title_liu)
        if entry is not None and entry.registration_number in seen:
            errs.append(RowError(row=row_no, field="registration_number", value=entry.registration_number,
                                 message=f"duplicate of row {seen[entry.registration_number]}"))
            entry = None
        if entry is not None and not errs:
            seen[entry.registration_number] = row_no
            entries.append(entry)
        errors.extend(errs)
    columns = {f: _text(header_cells[i]) for f, i in header.items()}
    return IsmapImport(source=source, sheet=sheet, header_row=header_row, columns=columns,
                       entries=tuple(entries), errors=tuple(errors))


def _parse_row(row_no: int, cells: Sequence[Any], header: dict[str, int], extra_cols: dict[int, str],
               liu: bool | None, title_liu: bool) -> tuple[IsmapEntry | None, list[RowError]]:
    errs: list[RowError] = []
    raw_no = _text(_cell(cells, header["registration_number"])).upper().replace(" ", "")
    if not REG_NO.match(raw_no):
        errs.append(RowError(row=row_no, field="registration_number", value=raw_no,
                             message="registration number must look like C21-0008-2" if raw_no else "missing"))
    name = _text(_cell(cells, header["service_name"]))
    if not name:
        errs.append(RowError(row=row_no, field="service_name", value="", message="missing"))
    dates: dict[str, date | None] = {}
    for fld in ("registered_on", "expires_on"):
        raw = _cell(cells, header.get(fld))
        try:
            dates[fld] = parse_date(raw, last=fld == "expires_on")
        except ValueError as exc:
            errs.append(RowError(row=row_no, field=fld, value=_text(raw), message=str(exc)))
    if errs:
        return None, errs
    reg, exp = dates["registered_on"], dates["expires_on"]
    if reg is not None and exp is not None and exp < reg:
        return None, [RowError(row=row_no, field="expires_on", value=exp.isoformat(),
                               message=f"expiry is before the registration date {reg.isoformat()}")]
    is_liu = liu
    if is_liu is None:
        is_liu = _kind_is_liu(_text(_cell(cells, header.get("kind"))))
    if is_liu is None:
        is_liu = title_liu
    model = _text(_cell(cells, header.get("service_model"))) or None
    extra = {head: _text(_cell(cells, i)) for i, head in extra_cols.items() if _text(_cell(cells, i))}
    return IsmapEntry(registration_number=raw_no, service_name=name,
                      provider_name=_text(_cell(cells, header.get("provider_name"))),
                      registered_on=reg, expires_on=exp, liu=is_liu, service_model=model,
                      remarks=_text(_cell(cells, header.get("remarks"))), row=row_no, extra=extra), []


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for cells in reader:
        yield reader.line_num, cells


def parse_csv_bytes(data: bytes, source: str = "<csv>", *, liu: bool | None = None) -> IsmapImport:
    """Comma first, then tab, then semicolon: the first delimiter that yields a header wins
    (deterministic, unlike sniffing, which a stray ';' in a remark can fool)."""
    text = decode_text(data, source)
    first_error: IsmapFormatError | None = None
    for delimiter in (",", "\t", ";"):
        try:
            return parse_rows(_csv_rows(text, delimiter), source, liu=liu)
        except IsmapFormatError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def parse_xlsx_bytes(data: bytes, source: str = "<xlsx>", *, liu: bool | None = None) -> IsmapImport:
    """Read every sheet until one has a recognisable header (lists often start with a cover)."""
    from openpyxl import load_workbook  # imported here: CSV users need not pay for it

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for corrupt files
        raise IsmapFormatError(f"{source}: not a readable XLSX workbook ({type(exc).__name__})") from exc
    try:
        last: IsmapFormatError | None = None
        for ws in wb.worksheets:
            rows = ((n, list(r)) for n, r in enumerate(ws.iter_rows(values_only=True), start=1))
            try:
                return parse_rows(rows, source, liu=liu, sheet=ws.title)
            except IsmapFormatError as exc:
                last = exc
        raise last or IsmapFormatError(f"{source}: workbook has no sheets")
    finally:
        wb.close()


def parse_file(path: Path, *, liu: bool | None = None) -> IsmapImport:
    """CSV or XLSX by content (XLSX is a zip: it starts with ``PK``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IsmapFormatError(f"{path}: cannot read ({exc.strerror})") from exc
    if data[:2] == b"PK":
        return parse_xlsx_bytes(data, str(path), liu=liu)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raise IsmapFormatError(f"{path}: has an Excel name but is not an XLSX workbook")
    return parse_csv_bytes(data, str(path), liu=liu)
