"""The agency's 対策基準 as a tailoring of the standard — pure rules shared by web, API and CLI.

Every requirement of the standard is part of the agency's 対策基準 unless the agency records a
deviation, so a tailoring is a short list of :class:`Clause` entries: a requirement marked
not-applicable (with the reason), the agency's own wording, parameter values (review periods and
the like), or an agency-specific clause with its own id.  This module validates those entries
against the catalog, turns them into the OSCAL profile input (:class:`oscal.AgencyPolicy`) and
into flat CSV/XLSX tables with Japanese headers for people who review the 対策基準 in Excel.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .catalog import Catalog
from .ids import NodeKind, is_valid
from .oscal import AGENCY_CLAUSE_ID, AgencyAddition, AgencyClause, AgencyParameter, AgencyPolicy

PARAM_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,40}$")
_CLAUSE_ID = re.compile(AGENCY_CLAUSE_ID)
#: Requirement-level kinds a 対策基準 clause may tailor (chapters/sections are only headings).
TAILORABLE = frozenset({NodeKind.ITEM, NodeKind.GROUP, NodeKind.REQUIREMENT})


@dataclass(frozen=True, slots=True)
class Param:
    """An agency value for a requirement, e.g. ``review-period`` = 年1回."""

    id: str
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Clause:
    """One recorded deviation of the agency's 対策基準 from "included as the standard says"."""

    clause_id: str
    excluded: bool = False
    reason: str = ""
    wording_ja: str = ""
    wording_en: str = ""
    parameters: tuple[Param, ...] = ()
    is_addition: bool = False
    anchor: str = ""
    title: str = ""
    updated_by: str = ""
    updated_at: datetime | None = field(default=None, compare=False)

    @property
    def tailored(self) -> bool:
        """True when the clause differs from the standard's default in any way."""
        return bool(self.is_addition or self.excluded or self.wording_ja or self.wording_en or self.parameters)


def parse_parameters(text: str) -> tuple[list[Param], list[str]]:
    """Parameters from the editor's text box: one per line, ``id | label | value``.

    Returns the parameters and a list of problems (line number and what is wrong); blank lines are
    skipped.  ``id`` must be a short token so it can become part of an OSCAL param id.
    """
    params: list[Param] = []
    problems: list[str] = []
    seen: set[str] = set()
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            problems.append(f"line {no}: expected 'id | label | value'")
            continue
        pid, label, value = parts
        if not PARAM_ID.match(pid):
            problems.append(f"line {no}: id {pid!r} must start with a letter and use letters, digits, - _ .")
        elif pid in seen:
            problems.append(f"line {no}: id {pid!r} is used twice")
        else:
            seen.add(pid)
            params.append(Param(pid, label[:200], value[:500]))
    return params, problems


def format_parameters(params: Iterable[Param]) -> str:
    """The inverse of :func:`parse_parameters` (for the edit form)."""
    return "\n".join(f"{p.id} | {p.label} | {p.value}" for p in params)


def check_clause(cat: Catalog, clause: Clause, other_addition_ids: Iterable[str] = ()) -> list[str]:
    """Problems with one clause (empty when fine): ids unknown to the catalog, wrong kinds, an
    exclusion without a reason, an addition without title or wording, a reused addition id."""
    problems: list[str] = []
    if clause.is_addition:
        if not _CLAUSE_ID.match(clause.clause_id):
            problems.append(f"agency clause id {clause.clause_id!r} must start with a letter and contain a hyphen "
                            "(e.g. DEMO-1)")
        if clause.clause_id in set(other_addition_ids):
            problems.append(f"agency clause id {clause.clause_id!r} is already used")
        problems += _check_target(cat, clause.anchor, "anchor")
        if not clause.title.strip():
            problems.append("an agency clause needs a title")
        if not (clause.wording_ja.strip() or clause.wording_en.strip()):
            problems.append("an agency clause needs its wording")
        if clause.excluded:
            problems.append("an agency clause cannot be excluded; delete it instead")
    else:
        problems += _check_target(cat, clause.clause_id, "clause")
    if clause.excluded and not clause.reason.strip():
        problems.append("give the reason why the requirement does not apply")
    return problems


def _check_target(cat: Catalog, nid: str, what: str) -> list[str]:
    if not is_valid(nid):
        return [f"{what}: bad id syntax {nid!r}"]
    if nid not in cat:
        return [f"{what}: id {nid!r} is not in catalog {cat.edition.code}"]
    if cat.get(nid).kind not in TAILORABLE:
        return [f"{what}: {nid!r} is a {cat.get(nid).kind.value}; choose an item, group or requirement"]
    return []


def to_agency_policy(agency: str, title: str, version: str, clauses: Iterable[Clause],
                     catalog_href: str = "kijun-catalog-r7.json") -> AgencyPolicy:
    """The OSCAL profile input for a stored tailoring (see :func:`oscal.profile_to_oscal`)."""
    rows = list(clauses)
    excluded = [c for c in rows if c.excluded and not c.is_addition]
    return AgencyPolicy(
        agency=agency, title=title, version=version, catalog_href=catalog_href,
        exclude=[c.clause_id for c in excluded],
        exclude_reasons={c.clause_id: c.reason for c in excluded if c.reason},
        parameters=[AgencyParameter(control=c.clause_id, id=p.id, label=p.label, value=p.value)
                    for c in rows if not c.is_addition for p in c.parameters],
        additions=[AgencyAddition(control=c.clause_id, text_ja=c.wording_ja, text_en=c.wording_en) for c in rows
                   if not c.is_addition and not c.excluded and (c.wording_ja or c.wording_en)],
        clauses=[AgencyClause(id=c.clause_id, anchor=c.anchor, title=c.title, text_ja=c.wording_ja,
                              text_en=c.wording_en) for c in rows if c.is_addition],
    )


POLICY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("clause_id", "条項ID"),
    ("kind", "種別"),
    ("source", "区分"),
    ("title_ja", "見出し"),
    ("status", "適用"),
    ("reason", "適用除外の理由"),
    ("wording_ja", "機関等の文言（日本語）"),
    ("wording_en", "機関等の文言（英語）"),
    ("parameters", "パラメータ"),
    ("anchor", "関連する統一基準の条項"),
    ("updated_by", "最終更新者"),
    ("updated_at", "最終更新日時"),
)


def policy_rows(cat: Catalog, clauses: Iterable[Clause]) -> list[dict[str, str]]:
    """Every clause of the agency's 対策基準 in document order: the standard's requirements (with the
    agency's tailoring, if any) and each agency clause right after its anchor's requirements.
    Rows carry the ``POLICY_COLUMNS`` keys plus ``title_en`` (for the English UI, not exported)."""
    by_id = {c.clause_id: c for c in clauses}
    additions: dict[str, list[Clause]] = {}
    for c in by_id.values():
        if c.is_addition and c.anchor in cat:
            below = cat.descendants(c.anchor)
            additions.setdefault(below[-1].id if below else c.anchor, []).append(c)
    rows: list[dict[str, str]] = []
    for n in cat:
        if n.kind is NodeKind.REQUIREMENT or (n.id in by_id and n.kind in TAILORABLE):
            rows.append({**_row(n.id, n.kind.value, "standard", n.title_ja, by_id.get(n.id)), "title_en": n.title_en})
        for a in sorted(additions.get(n.id, []), key=lambda x: x.clause_id):
            rows.append({**_row(a.clause_id, "agency_clause", "agency", a.title, a), "title_en": a.title})
    return rows


def _row(cid: str, kind: str, source: str, title: str, c: Clause | None) -> dict[str, str]:
    return {
        "clause_id": cid, "kind": kind, "source": "統一基準" if source == "standard" else "機関等独自",
        "title_ja": title,
        "status": "適用除外" if c is not None and c.excluded else "適用",
        "reason": c.reason if c else "", "wording_ja": c.wording_ja if c else "",
        "wording_en": c.wording_en if c else "",
        "parameters": "; ".join(f"{p.label}={p.value}" for p in c.parameters) if c else "",
        "anchor": c.anchor if c else "", "updated_by": c.updated_by if c else "",
        "updated_at": c.updated_at.isoformat(timespec="seconds") if c and c.updated_at else "",
    }


def safe_cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection): agency wording is free text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def table_csv(columns: Iterable[tuple[str, str]], rows: Iterable[Mapping[str, str]]) -> str:
    """CSV with a BOM (Excel reads the Japanese), CRLF, headers ``日本語 [field]``, formula-safe."""
    cols = list(columns)
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([f"{ja} [{key}]" for key, ja in cols])
    for r in rows:
        w.writerow([safe_cell(str(r.get(key, ""))) for key, _ in cols])
    return buf.getvalue()


def table_xlsx(columns: Iterable[tuple[str, str]], rows: Iterable[Mapping[str, str]], sheet: str,
               now: datetime) -> bytes:
    """One-sheet workbook: Japanese header row, field-name row, filters, frozen panes, wrapped text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    cols = list(columns)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append([ja for _, ja in cols])
    ws.append([key for key, _ in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([safe_cell(str(r.get(key, ""))) for key, _ in cols])
    for idx in range(1, len(cols) + 1):
        ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = 24
    for row_cells in ws.iter_rows(min_row=3):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B3"
    ws.auto_filter.ref = f"A2:{ws.cell(row=2, column=len(cols)).column_letter}{max(ws.max_row, 2)}"
    wb.properties.created = now.replace(tzinfo=None)
    wb.properties.modified = now.replace(tzinfo=None)
    wb.properties.creator = "kijun"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
