"""CSV and XLSX exports of a report. Files are written to a temporary name and renamed, so a
failure never leaves a half-written export behind. CSV is UTF-8 with BOM (opens cleanly in Excel).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from kijun.discovery.report import RISK_NOTES, AppUsage, Report, UserAppUsage

APP_COLUMNS = (
    "key", "status", "register_status", "name_ja", "name_en", "vendor", "category", "users",
    "source_ips", "transactions", "bytes_up", "bytes_down", "first_seen", "last_seen", "hq_country",
    "data_locations", "ismap", "terms_only", "risk_notes", "risk_notes_ja", "top_hosts",
)  # fmt: skip
USER_COLUMNS = (
    "user", "key", "name", "status", "transactions", "bytes_up", "bytes_down", "first_seen", "last_seen",
)  # fmt: skip


def _app_row(a: AppUsage) -> list[Any]:
    return [
        a.key, a.status, a.register_status or "", a.name_ja, a.name_en, a.vendor or "", a.category or "",
        a.users, a.source_ips, a.transactions, _n(a.bytes_up), _n(a.bytes_down), a.first_seen or "",
        a.last_seen or "", a.hq_country or "", ";".join(a.data_locations or []), a.ismap or "",
        "true" if a.terms_only else "false", ";".join(a.risk_notes),
        "；".join(RISK_NOTES[r][0] for r in a.risk_notes), ";".join(h.host for h in a.hosts[:5]),
    ]  # fmt: skip


def _n(v: int | None) -> int | str:
    return "" if v is None else v


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _safe(row: list[Any]) -> list[Any]:
    """Neutralise spreadsheet formulas (log fields are attacker-influenced) and control characters."""
    out: list[Any] = []
    for v in row:
        if isinstance(v, str):
            v = _CONTROL.sub("\ufffd", v)
            if v[:1] in ("=", "+", "-", "@", "\t", "\r"):
                v = "'" + v
        out.append(v)
    return out


XLSX_MAX_ROWS = 1_048_576
"""Rows per worksheet Excel can open (a 10 M line log has about 2 M drill-down rows)."""


def app_rows(report: Report) -> Iterator[list[Any]]:
    for a in [*report.apps, *report.unknown_domains]:
        yield _safe(_app_row(a))


def user_rows(report: Report) -> Iterator[list[Any]]:
    for u in report.users:
        yield from usage_rows(u.user, u.usage)


def usage_rows(user: str, usage: Iterable[UserAppUsage]) -> Iterator[list[Any]]:
    """One user's drill-down as ``USER_COLUMNS`` rows (formulas neutralised)."""
    for x in usage:
        yield _safe([user, x.key, x.name, x.status, x.transactions, _n(x.bytes_up), _n(x.bytes_down),
                     x.first_seen or "", x.last_seen or ""])  # fmt: skip


def users_csv_chunks(users: Iterable[tuple[str, Iterable[UserAppUsage]]]) -> Iterator[bytes]:
    """The per-user drill-down as UTF-8 CSV (with BOM), a user at a time: a 10 M line log has ~2 M
    rows, more than a worksheet holds and too many to build in memory for a download."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(USER_COLUMNS)
    yield ("\ufeff" + buf.getvalue()).encode("utf-8")
    for user, usage in users:
        buf.seek(0)
        buf.truncate()
        w.writerows(usage_rows(user, usage))
        yield buf.getvalue().encode("utf-8")


def write_users_csv(report: Report, path: str | Path) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            for chunk in users_csv_chunks((u.user, u.usage) for u in report.users):
                f.write(chunk)

    _atomic(Path(path), write)


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv_stream(report: Report, out: IO[str]) -> None:
    """One row per discovered app and unknown domain, columns ``APP_COLUMNS``."""
    w = csv.writer(out)
    w.writerow(APP_COLUMNS)
    w.writerows(app_rows(report))


def write_csv(report: Report, path: str | Path) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
            write_csv_stream(report, f)

    _atomic(Path(path), write)


def write_xlsx(report: Report, path: str | Path) -> None:
    """Sheets: summary, apps, unknown domains, users (per-user drill-down; continued on users_2, …
    past Excel's row limit), sources."""
    from openpyxl import Workbook

    def write(tmp: Path) -> None:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("summary")
        t = report.totals
        for k, v in [
            ("schema_version", report.schema_version), ("generated_at", report.generated_at),
            ("since", report.since or ""), ("until", report.until or ""), ("register", report.register or ""),
            ("pseudonymised", str(report.pseudonymised).lower()), ("lines", t.lines), ("events", t.events),
            ("malformed", t.malformed), ("users", t.users), ("source_ips", t.source_ips), ("apps", t.apps),
            ("sanctioned_apps", t.sanctioned_apps), ("unsanctioned_apps", t.unsanctioned_apps),
            ("unknown_domains", t.unknown_domains), ("bytes_up", _n(t.bytes_up)),
            ("bytes_down", _n(t.bytes_down)),
        ]:  # fmt: skip
            ws.append(_safe([k, v]))
        for title, items in (("apps", report.apps), ("unknown_domains", report.unknown_domains)):
            ws = wb.create_sheet(title)
            ws.append(list(APP_COLUMNS))
            for a in items:
                ws.append(_safe(_app_row(a)))
        sheet = 1
        ws = wb.create_sheet("users")
        ws.append(list(USER_COLUMNS))
        room = XLSX_MAX_ROWS - 1
        for row in user_rows(report):
            if not room:  # Excel opens at most XLSX_MAX_ROWS rows per sheet: continue on the next
                sheet += 1
                ws = wb.create_sheet(f"users_{sheet}")
                ws.append(list(USER_COLUMNS))
                room = XLSX_MAX_ROWS - 1
            ws.append(row)
            room -= 1
        ws = wb.create_sheet("sources")
        ws.append(["source", "format", "encoding", "compressed", "lines", "events", "malformed", "skipped",
                   "sample_line", "sample_reason", "sample_text"])  # fmt: skip
        for s in report.sources:
            skipped = ";".join(f"{k}={v}" for k, v in sorted(s.skipped.items()))
            base = [s.source, s.format, s.encoding, str(s.compressed).lower(), s.lines, s.events, s.malformed,
                    skipped]  # fmt: skip
            if not s.malformed_samples:
                ws.append(_safe([*base, "", "", ""]))
            for m in s.malformed_samples:
                ws.append(_safe([*base, m.line, m.reason, m.text]))
        wb.save(tmp)

    _atomic(Path(path), write)
