"""Flat exports of the catalog: JSON (one document) and CSV (one row per node).

CSV headers are Japanese first with the English field name in brackets so the file opens readably
in Excel (written with a UTF-8 BOM for that reason) while staying machine-mappable.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from .catalog import Catalog
from .model import Node

CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "ID"),
    ("kind", "種別"),
    ("parent", "親ID"),
    ("title_ja", "見出し（日本語・非公式訳）"),
    ("title_en", "見出し（英語）"),
    ("summary_ja", "要約（日本語）"),
    ("summary_en", "要約（英語）"),
    ("summary_status", "要約の状態"),
    ("purpose_ja", "目的・趣旨の要約（日本語）"),
    ("purpose_en", "目的・趣旨の要約（英語）"),
    ("responsible_roles", "担当ロール"),
    ("applies_to", "適用対象タグ"),
    ("lifecycle_phase", "ライフサイクル"),
    ("related", "関連ID"),
)


def node_json(n: Node) -> dict[str, Any]:
    """One node as the stable JSON object used by ``show --json``, ``list --json`` and exports."""
    return {
        "id": n.id,
        "kind": n.kind.value,
        "parent": n.parent,
        "title_en": n.title_en,
        "title_en_status": n.title_en_status,
        "title_ja": n.title_ja,
        "title_ja_status": n.title_ja_status,
        "summary_en": n.summary_en,
        "summary_ja": n.summary_ja,
        "summary_status": n.summary_status,
        "purpose_en": n.purpose_en,
        "purpose_ja": n.purpose_ja,
        "responsible_roles": list(n.responsible_roles),
        "tags": {"applies_to": list(n.tags.applies_to), "lifecycle_phase": list(n.tags.lifecycle_phase)},
        "related": list(n.related),
    }


def catalog_json(cat: Catalog) -> dict[str, Any]:
    """The whole catalog: edition facts, counts per kind and every node in document order."""
    return {
        "edition": cat.edition.model_dump(),
        "counts": cat.counts(),
        "nodes": [node_json(n) for n in cat],
    }


def catalog_csv(cat: Catalog) -> str:
    """CSV text (with BOM) of every node, list fields joined with ``;``."""
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([f"{ja} [{key}]" for key, ja in CSV_COLUMNS])
    for n in cat:
        w.writerow(_row(n))
    return buf.getvalue()


def _row(n: Node) -> list[str]:
    """One node as a flat row in ``CSV_COLUMNS`` order (tags lifted, lists joined with ";")."""
    row = node_json(n)
    flat = {**row, "applies_to": row["tags"]["applies_to"], "lifecycle_phase": row["tags"]["lifecycle_phase"]}
    return [_cell(flat.get(key)) for key, _ in CSV_COLUMNS]


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, list | tuple):
        return ";".join(str(x) for x in v)
    return str(v)


def catalog_xlsx(cat: Catalog, now: datetime) -> bytes:
    """An Excel workbook (one sheet, Japanese headers, filters, frozen header row) as bytes.

    ``now`` is recorded as the workbook's creation and modification time (clock passed in).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"統一基準{cat.edition.code.upper()}"
    ws.append([ja for _, ja in CSV_COLUMNS])
    ws.append([key for key, _ in CSV_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for n in cat:
        ws.append(_row(n))
    widths = {"id": 18, "kind": 11, "parent": 14, "title_ja": 40, "title_en": 40, "summary_ja": 60,
              "summary_en": 60, "purpose_ja": 50, "purpose_en": 50}
    for idx, (key, _) in enumerate(CSV_COLUMNS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = widths.get(key, 18)
    for row_cells in ws.iter_rows(min_row=3):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B3"
    ws.auto_filter.ref = f"A2:{ws.cell(row=2, column=len(CSV_COLUMNS)).column_letter}{ws.max_row}"
    wb.properties.created = now.replace(tzinfo=None)
    wb.properties.modified = now.replace(tzinfo=None)
    wb.properties.creator = "kijun"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
