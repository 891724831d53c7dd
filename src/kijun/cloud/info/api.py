"""REST API for information assets and the guided classification helper (added to the cloud router).

Same services and scopes as the pages: reading needs CLOUD_VIEW in the asset's unit, recording
INFO_CLASSIFY there (403 ``permission_denied`` otherwise); stale ``version`` → 409 ``conflict``.
The derived groups are computed on every read and are not accepted as input.
"""

# no ``from __future__ import annotations``: django-ninja must see Query[...] at runtime (paginated filters)
import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from kijun.classification.guide import GuideError, GuideResult
from kijun.classification.restrictions import VocabularyError
from kijun.core.api import ERRORS, SHEET_EXPORT_DOC, BodyId, ErrorOut, PathId, Version, need
from kijun.core.roles import Perm
from kijun.core.uploads import UploadError, check_declared_length
from kijun.web.pagination import Paging

from ..models import InformationAsset, InformationSystem
from ..sheet_import import read_sheet, sheet_policy
from ..tabular import TableFormatError
from .services import (
    ImportOutcome,
    apply_guide,
    export_csv,
    export_xlsx,
    guide_tree,
    guide_walk,
    import_assets,
    parse_assets,
    save_asset,
    save_vocabulary,
    search,
    vocabulary,
    vocabulary_doc,
)

router = Router(tags=["cloud: information classification"])


class AssetOut(Schema):
    id: int
    code: str
    name: str
    description: str
    org_unit_id: int
    confidentiality: int
    integrity: int
    availability: int
    handling_restrictions: list[str]
    restriction_conditions: str
    systems: list[str] = Field(..., description="ledger ids of the linked systems")
    confidential: bool = Field(..., description="要機密情報 (derived: confidentiality 2 or 3)")
    integrity_critical: bool = Field(..., description="要保全情報 (derived: integrity 2)")
    availability_critical: bool = Field(..., description="要安定情報 (derived: availability 2)")
    protected: bool = Field(..., description="要保護情報 (derived: any of the three)")
    version: int
    updated_at: dt.datetime

    @staticmethod
    def resolve_systems(obj: InformationAsset) -> list[str]:
        return sorted(s.code for s in obj.systems.all())

    @staticmethod
    def resolve_confidential(obj: InformationAsset) -> bool:
        return obj.flags.confidential

    @staticmethod
    def resolve_integrity_critical(obj: InformationAsset) -> bool:
        return obj.flags.integrity_critical

    @staticmethod
    def resolve_availability_critical(obj: InformationAsset) -> bool:
        return obj.flags.availability_critical

    @staticmethod
    def resolve_protected(obj: InformationAsset) -> bool:
        return obj.flags.protected


class AssetIn(Schema):
    model_config = ConfigDict(strict=True)  # JSON types as documented: no 0→false, false→0

    code: str = Field(..., min_length=1, max_length=64, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    org_unit_id: BodyId
    confidentiality: int = Field(..., ge=1, le=3)
    integrity: int = Field(..., ge=1, le=2)
    availability: int = Field(..., ge=1, le=2)
    handling_restrictions: list[str] = Field(default_factory=list, max_length=50,
                                             description="codes, Japanese or English names of the vocabulary")
    restriction_conditions: str = Field("", max_length=5000)
    system_ids: list[BodyId] = Field(default_factory=list, max_length=200)
    version: Version | None = Field(None, description="the version you read (updates): 409 when it changed")


class AssetFilter(Schema):
    q: str = ""
    unit: str = ""
    c: str = ""
    i: str = ""
    a: str = ""
    flag: Literal["", "confidential", "integrity_critical", "availability_critical", "protected"] = ""
    restriction: str = ""
    system: str = ""


class AssetExportFilter(AssetFilter):
    format: Literal["csv", "xlsx"] = "csv"


def _scoped(request: HttpRequest, perm: Perm) -> Any:
    acc = need(request, perm)
    return acc.scoped(InformationAsset.objects.select_related("org_unit").prefetch_related("systems"), perm,
                      "org_unit")


@router.get("/cloud/assets", response={200: list[AssetOut], **ERRORS}, summary="Information assets in your scope")
@paginate(Paging)
def cloud_list_assets(request: HttpRequest, filters: Query[AssetFilter]) -> Any:
    return search(_scoped(request, Perm.CLOUD_VIEW), filters.dict())


@router.get("/cloud/assets/export", response={200: str, **ERRORS}, openapi_extra=SHEET_EXPORT_DOC,
            summary="The asset list as CSV or XLSX")
def cloud_export_assets(request: HttpRequest, filters: Query[AssetExportFilter]) -> HttpResponse:
    qs = search(_scoped(request, Perm.CLOUD_VIEW), filters.dict())
    if filters.format == "xlsx":
        return HttpResponse(export_xlsx(qs),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return HttpResponse(export_csv(qs), content_type="text/csv; charset=utf-8")


@router.get("/cloud/assets/{int:asset_id}", response={200: AssetOut, **ERRORS})
def cloud_get_asset(request: HttpRequest, asset_id: PathId) -> InformationAsset:
    return get_object_or_404(_scoped(request, Perm.CLOUD_VIEW), pk=asset_id)


def _apply(request: HttpRequest, asset: InformationAsset, body: AssetIn) -> Status[Any]:
    acc = need(request, Perm.INFO_CLASSIFY)
    unit = get_object_or_404(acc.units(Perm.INFO_CLASSIFY), pk=body.org_unit_id)
    visible = acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_VIEW, "org_unit")
    systems = list(visible.filter(pk__in=body.system_ids))
    if len(systems) != len(set(body.system_ids)):
        return Status(422, {"detail": "a system id is unknown or outside your scope", "code": "invalid"})
    if asset.pk:  # links to systems the caller cannot see are kept
        systems += list(asset.systems.exclude(pk__in=visible.values("pk")))
    creating = asset.pk is None
    try:
        codes = list(vocabulary().resolve_all(body.handling_restrictions))
    except VocabularyError as exc:
        return Status(422, {"detail": str(exc)[:500], "code": "unknown_restriction"})
    for k in ("code", "name", "description", "confidentiality", "integrity", "availability",
              "restriction_conditions"):
        setattr(asset, k, getattr(body, k))
    asset.org_unit, asset.handling_restrictions = unit, codes
    try:
        save_asset(request.user, asset, systems, request=request, expected_version=body.version)  # type: ignore[arg-type]
    except DjangoValidationError as exc:
        return Status(422, {"detail": "; ".join(exc.messages)[:500], "code": "invalid"})
    return Status(201 if creating else 200, asset)


@router.post("/cloud/assets", response={201: AssetOut, 409: ErrorOut, **ERRORS}, summary="Record an information asset")
def cloud_create_asset(request: HttpRequest, body: AssetIn) -> Status[Any]:
    need(request, Perm.INFO_CLASSIFY)
    return _apply(request, InformationAsset(), body)


@router.put("/cloud/assets/{int:asset_id}", response={200: AssetOut, 409: ErrorOut, **ERRORS},
            summary="Update an information asset (optimistic version)")
def cloud_update_asset(request: HttpRequest, asset_id: PathId, body: AssetIn) -> Status[Any]:
    asset = get_object_or_404(_scoped(request, Perm.INFO_CLASSIFY), pk=asset_id)
    return _apply(request, asset, body)


# ---------------------------------------------------------------- guided classification

class GuideIn(Schema):
    model_config = ConfigDict(strict=True)  # JSON types as documented: no 0→false, false→0

    answers: dict[str, bool] = Field(..., description="question id → yes (true) / no (false); {} to start")
    version: Version | None = None


class GuideStepOut(Schema):
    question_id: str
    question_ja: str
    question_en: str
    answer: bool
    explain_ja: str
    explain_en: str
    section: str


class GuideOut(Schema):
    complete: bool
    pending: str | None
    pending_question_ja: str | None
    pending_question_en: str | None
    classification: dict[str, Any] | None
    steps: list[GuideStepOut]
    warnings: list[dict[str, str]]


def _guide_out(result: GuideResult) -> dict[str, Any]:
    q = guide_tree().questions.get(result.pending or "")
    c = result.classification
    return {
        "complete": result.complete, "pending": result.pending,
        "pending_question_ja": q.question_ja if q else None, "pending_question_en": q.question_en if q else None,
        "classification": None if c is None else {
            "confidentiality": int(c.confidentiality), "integrity": int(c.integrity),
            "availability": int(c.availability), "confidential": c.flags.confidential,
            "integrity_critical": c.flags.integrity_critical, "availability_critical": c.flags.availability_critical,
            "protected": c.flags.protected},
        "steps": [{"question_id": s.question_id, "question_ja": s.question_ja, "question_en": s.question_en,
                   "answer": s.answer, "explain_ja": s.explain_ja, "explain_en": s.explain_en, "section": s.section}
                  for s in result.steps],
        "warnings": [{"code": w.code, "message_ja": w.message_ja, "message_en": w.message_en} for w in result.warnings],
    }


@router.post("/cloud/classify/guide", response={200: GuideOut, **ERRORS},
             summary="Walk the guided classification with answers (nothing is stored)")
def cloud_guide_walk(request: HttpRequest, body: GuideIn) -> Status[Any]:
    need(request, Perm.CLOUD_VIEW)
    try:
        return Status(200, _guide_out(guide_walk(body.answers)))
    except GuideError as exc:
        return Status(422, {"detail": str(exc)[:500], "code": "invalid"})


@router.post("/cloud/assets/{int:asset_id}/classify", response={200: GuideOut, 409: ErrorOut, **ERRORS},
             summary="Apply the guided classification's result to an asset (answers must be complete)")
def cloud_classify_asset(request: HttpRequest, asset_id: PathId, body: GuideIn) -> Status[Any]:
    asset = get_object_or_404(_scoped(request, Perm.INFO_CLASSIFY), pk=asset_id)
    try:
        result = apply_guide(request.user, asset, body.answers, request=request,  # type: ignore[arg-type]
                             expected_version=body.version)
    except GuideError as exc:
        return Status(422, {"detail": str(exc)[:500], "code": "invalid"})
    except ValueError as exc:
        return Status(422, {"detail": str(exc)[:500], "code": "incomplete"})
    return Status(200, _guide_out(result))


# ---------------------------------------------------------------- the agency's restriction labels

class RestrictionOut(Schema):
    code: str
    name_ja: str
    name_en: str
    aspect: str
    standard: bool


class VocabularyOut(Schema):
    source: Literal["default", "agency"]
    version: int | None
    text: str = Field(..., description="the vocabulary as YAML (docs/classification.md)")
    restrictions: list[RestrictionOut]


class VocabularyIn(Schema):
    model_config = ConfigDict(strict=True)  # JSON types as documented: no 0→false, false→0

    text: str = Field(..., min_length=1, max_length=50000)
    version: Version | None = None


def _vocabulary_out() -> dict[str, Any]:
    text, row = vocabulary_doc()
    return {"source": "agency" if row else "default", "version": row.version if row else None, "text": text,
            "restrictions": [r.model_dump(exclude={"description_en"}) for r in vocabulary().items]}


@router.get("/cloud/classify/restrictions", response={200: VocabularyOut, **ERRORS},
            summary="Handling-restriction labels: the standard's five and the agency's own (R7 1.2(2))")
def cloud_get_restrictions(request: HttpRequest) -> dict[str, Any]:
    need(request, Perm.CLOUD_VIEW)
    return _vocabulary_out()


@router.put("/cloud/classify/restrictions", response={200: VocabularyOut, 409: ErrorOut, **ERRORS},
            summary="Replace the agency's labels (validated; labels in use cannot be removed)")
def cloud_put_restrictions(request: HttpRequest, body: VocabularyIn) -> Status[Any]:
    need(request, Perm.CLOUD_MANAGE)
    try:
        save_vocabulary(request.user, body.text, request=request, expected_version=body.version)  # type: ignore[arg-type]
    except VocabularyError as exc:
        return Status(422, {"detail": str(exc)[:500], "code": "invalid"})
    return Status(200, _vocabulary_out())


# ---------------------------------------------------------------- import

class RowErrorOut(Schema):
    row: int
    field: str
    value: str
    message: str


class ImportOut(Schema):
    source: str
    rows: int
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    errors: list[RowErrorOut]


def read_upload(request: HttpRequest, file: UploadedFile) -> tuple[bytes, str]:
    """Through kijun.core.uploads (declared length, streamed limit, magic bytes, zip bomb check)."""
    check_declared_length(request.META.get("CONTENT_LENGTH"), sheet_policy())
    return read_sheet(file)


IMPORT_RESPONSES: dict[int, Any] = {200: ImportOut, 400: ImportOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut,
                                    415: ErrorOut, 422: ErrorOut, 507: ErrorOut}


def import_response(outcome: ImportOutcome) -> Status[Any]:
    return Status(200 if outcome.ok else 400, outcome)


@router.post("/cloud/assets/import", response=IMPORT_RESPONSES,
             summary="Import assets from CSV/XLSX: all rows or none (400 lists every row error)")
def cloud_import_assets(request: HttpRequest, file: File[UploadedFile]) -> Status[Any]:
    need(request, Perm.INFO_CLASSIFY)
    try:
        data, name = read_upload(request, file)
        table = parse_assets(data, name)
    except UploadError as exc:
        return Status(exc.status, {"detail": str(exc), "code": exc.code})
    except TableFormatError as exc:
        return Status(422, {"detail": str(exc)[:500], "code": "unreadable"})
    return import_response(import_assets(request.user, table, request=request))  # type: ignore[arg-type]
