"""Column layouts of the system ledger and the information-asset list, and row validation.

Pure: a row of text cells becomes a typed row or a list of ``RowError`` naming the row, the
field and the value. Things only the database knows (does the unit exist, is it in the
user's scope, which person is the owner) are checked by the service layer, which adds its
own row errors in the same shape, so the user sees every problem of a file at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from kijun.classification.restrictions import RestrictionVocabulary, VocabularyError
from kijun.cloud.tabular import Table, split_list

_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
_YES = {"yes", "y", "true", "1", "はい", "○", "〇", "◯", "✓", "有", "あり", "該当"}
_NO = {"no", "n", "false", "0", "いいえ", "×", "-", "無", "なし", "非該当", ""}
_IMPACT = {"low": "low", "低": "low", "小": "low", "medium": "medium", "中": "medium",
           "high": "high", "高": "high", "大": "high"}


class RowError(BaseModel):
    """One problem of one row (``row`` is the spreadsheet row number)."""

    model_config = ConfigDict(frozen=True)

    row: int
    field: str
    value: str
    message: str


# ---------------------------------------------------------------- layouts

#: information asset columns: field → (Japanese export header, other accepted headers...)
ASSET_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("管理番号", "資産番号", "情報資産番号", "ID", "コード", "asset id", "code"),
    "name": ("名称", "情報資産名", "情報資産名称", "情報名", "情報の名称", "name"),
    "description": ("説明", "概要", "内容", "description"),
    "org_unit": ("所管組織", "所管課室", "管理組織", "担当課室", "組織", "課室", "owning unit", "org unit", "unit"),
    "confidentiality": ("機密性", "機密性格付", "格付機密性", "confidentiality", "C"),
    "integrity": ("完全性", "完全性格付", "格付完全性", "integrity", "I"),
    "availability": ("可用性", "可用性格付", "格付可用性", "availability", "A"),
    "handling_restrictions": ("取扱制限", "取扱い制限", "handling restrictions", "restrictions"),
    "restriction_conditions": ("取扱条件", "取扱制限の条件", "条件", "restriction conditions", "conditions"),
    "systems": ("情報システム", "関連システム", "取り扱うシステム", "システム", "systems"),
}
ASSET_REQUIRED = ("code", "name", "org_unit", "confidentiality", "integrity", "availability")
#: columns written after the data columns on export only (derived, never read back)
ASSET_DERIVED = ("要機密情報", "要保全情報", "要安定情報", "要保護情報")

LEDGER_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("台帳ID", "台帳番号", "システムID", "システム番号", "管理番号", "ledger id", "code"),
    "name": ("情報システム名", "システム名", "情報システム名称", "システム名称", "名称", "system name", "name"),
    "org_unit": ("所管組織", "所管課室", "担当課室", "組織", "課室", "部署", "unit", "org unit"),
    "owner": ("情報システムセキュリティ責任者", "システム責任者", "責任者", "owner"),
    "system_class": ("情報システムの格付", "システム区分", "格付区分", "格付", "区分", "system class", "class"),
    "description": ("概要", "説明", "業務概要", "description"),
    "components": ("構成要素", "構成", "主な構成要素", "components"),
    "cloud_services": ("利用クラウドサービス", "クラウドサービス", "利用サービス", "cloud services"),
    "business_impact": ("業務影響度", "影響度", "business impact", "impact"),
    "internet_facing": ("インターネット公開", "インターネット接続", "外部公開", "internet facing"),
    "citizen_facing": ("国民向け", "国民等向け", "国民・事業者向け", "citizen facing"),
}
LEDGER_REQUIRED = ("code", "name", "org_unit")


def headers(aliases: dict[str, tuple[str, ...]]) -> list[str]:
    """The Japanese export headers, in layout order (each is also an accepted import header)."""
    return [names[0] for names in aliases.values()]


# ---------------------------------------------------------------- typed rows

class AssetRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    row: int
    code: str
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    org_unit: str
    confidentiality: int = Field(ge=1, le=3)
    integrity: int = Field(ge=1, le=2)
    availability: int = Field(ge=1, le=2)
    handling_restrictions: tuple[str, ...] = ()
    restriction_conditions: str = ""
    systems: tuple[str, ...] = ()


class LedgerRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    row: int
    code: str
    name: str = Field(min_length=1, max_length=200)
    org_unit: str
    owner: str = ""
    system_class: str = ""
    description: str = ""
    components: tuple[str, ...] = ()
    cloud_services: tuple[str, ...] = ()
    business_impact: str = "low"
    internet_facing: bool = False
    citizen_facing: bool = False


def parse_level(text: str, top: int) -> int | None:
    """``2``, ``機密性2``, ``機密性2情報``, ``C2``, ``２`` → 2; None when no level 1..top is named."""
    digits = re.findall(r"\d", text)
    if len(digits) != 1:
        return None
    level = int(digits[0])
    return level if 1 <= level <= top else None


def parse_flag(text: str) -> bool | None:
    word = text.strip().casefold()
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


def _code(row: int, value: str, errors: list[RowError]) -> str:
    if not _SLUG.match(value):
        errors.append(RowError(row=row, field="code", value=value,
                               message="missing" if not value else "use letters, digits, '-' or '_' (at most 64)"))
    return value


def _duplicates(rows: Sequence[tuple[int, str]], errors: list[RowError]) -> None:
    seen: dict[str, int] = {}
    for row, code in rows:
        key = code.casefold()
        if key in seen:
            errors.append(RowError(row=row, field="code", value=code, message=f"duplicate of row {seen[key]}"))
        else:
            seen[key] = row


def asset_rows(table: Table, vocabulary: RestrictionVocabulary) -> tuple[list[AssetRow], list[RowError]]:
    """Typed asset rows and every row error of the table (the caller decides what to write)."""
    rows: list[AssetRow] = []
    errors: list[RowError] = []
    for n, cells in table.rows:
        errs: list[RowError] = []
        code = _code(n, cells.get("code", ""), errs)
        if not cells.get("name"):
            errs.append(RowError(row=n, field="name", value="", message="missing"))
        if not cells.get("org_unit"):
            errs.append(RowError(row=n, field="org_unit", value="", message="missing"))
        levels: dict[str, int] = {}
        for fld, top in (("confidentiality", 3), ("integrity", 2), ("availability", 2)):
            level = parse_level(cells.get(fld, ""), top)
            if level is None:
                errs.append(RowError(row=n, field=fld, value=cells.get(fld, ""), message=f"a level from 1 to {top}"))
            else:
                levels[fld] = level
        codes: tuple[str, ...] = ()
        try:
            codes = vocabulary.resolve_all(split_list(cells.get("handling_restrictions", "")))
        except VocabularyError as exc:
            errs.append(RowError(row=n, field="handling_restrictions", value=cells.get("handling_restrictions", ""),
                                 message=str(exc)))
        if len(cells.get("name", "")) > 200:
            errs.append(RowError(row=n, field="name", value=cells["name"][:40], message="at most 200 characters"))
        if errs:
            errors.extend(errs)
            continue
        rows.append(AssetRow(row=n, code=code, name=cells["name"], description=cells.get("description", ""),
                             org_unit=cells["org_unit"], handling_restrictions=codes,
                             restriction_conditions=cells.get("restriction_conditions", ""),
                             systems=tuple(split_list(cells.get("systems", ""))), **levels))
    _duplicates([(r.row, r.code) for r in rows], errors)
    return rows, sorted(errors, key=lambda e: (e.row, e.field))


def ledger_rows(table: Table, class_ids: Sequence[str]) -> tuple[list[LedgerRow], list[RowError]]:
    """Typed ledger rows; ``class_ids`` are the classes of the agency's standard."""
    rows: list[LedgerRow] = []
    errors: list[RowError] = []
    known = {c.casefold(): c for c in class_ids}
    for n, cells in table.rows:
        errs: list[RowError] = []
        code = _code(n, cells.get("code", ""), errs)
        for fld in ("name", "org_unit"):
            if not cells.get(fld):
                errs.append(RowError(row=n, field=fld, value="", message="missing"))
        if len(cells.get("name", "")) > 200:
            errs.append(RowError(row=n, field="name", value=cells["name"][:40], message="at most 200 characters"))
        raw_class = cells.get("system_class", "")
        system_class = ""
        if raw_class:
            system_class = known.get(raw_class.casefold(), "")
            if not system_class:  # "区分A（高度な…）" → A
                match = [c for k, c in known.items() if re.match(rf"^(区分|class)?\s*{re.escape(k)}(\W|$)",
                                                                   raw_class.casefold())]
                system_class = match[0] if len(match) == 1 else ""
            if not system_class:
                errs.append(RowError(row=n, field="system_class", value=raw_class,
                                     message=f"not a class of the standard ({', '.join(class_ids)})"))
        impact_raw = cells.get("business_impact", "")
        impact = _IMPACT.get(impact_raw.strip().casefold(), "") if impact_raw else "low"
        if not impact:
            errs.append(RowError(row=n, field="business_impact", value=impact_raw, message="low, medium or high"))
        flags: dict[str, bool] = {}
        for fld in ("internet_facing", "citizen_facing"):
            flag = parse_flag(cells.get(fld, ""))
            if flag is None:
                errs.append(RowError(row=n, field=fld, value=cells.get(fld, ""), message="yes or no"))
            else:
                flags[fld] = flag
        if errs:
            errors.extend(errs)
            continue
        rows.append(LedgerRow(row=n, code=code, name=cells["name"], org_unit=cells["org_unit"],
                              owner=cells.get("owner", ""), system_class=system_class,
                              description=cells.get("description", ""),
                              components=tuple(split_list(cells.get("components", ""))),
                              cloud_services=tuple(split_list(cells.get("cloud_services", ""))),
                              business_impact=impact, **flags))
    _duplicates([(r.row, r.code) for r in rows], errors)
    return rows, sorted(errors, key=lambda e: (e.row, e.field))
