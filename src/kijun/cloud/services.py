"""Changes in the cloud domain, shared by the web UI and the API.

Each function checks the permission in the object's unit, applies 兼務禁止 where a decision is
made, writes the change and its audit entry in one transaction, and leaves the rules to the pure
engine (Engine.assess, approval.approve) so UI, API and CLI decide alike.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify

from kijun.classification.restrictions import vocabulary_from_data
from kijun.core import audit
from kijun.core.incompatible import ensure_not_self_approval
from kijun.core.models import OrgUnit, User
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.services import ConflictError, PermissionDeniedError
from kijun.core.uploads import StoredUpload, UploadPolicy

from .approval import Approval, ApprovalError, approve
from .engine import Assessment, Engine
from .ismap import IsmapEntry as ParsedIsmapEntry
from .ismap import IsmapImport as ParsedImport
from .ismap import parse_csv_bytes, parse_xlsx_bytes
from .ismap_diff import diff_entries, index
from .lifecycle import ChecklistItem, checklist, complete
from .models import (
    InformationAsset,
    InformationSystem,
    IsmapEntry,
    IsmapImport,
    LifecycleEvidence,
    LifecycleItem,
    RegisterEntry,
    RestrictionVocabularyDoc,
    UseApplication,
)
from .request import SystemRef, UseRequest

SYSTEM_FIELDS = ("name", "code", "org_unit", "owner", "system_class", "description", "components", "cloud_services",
                 "business_impact", "internet_facing", "citizen_facing")
APP_FIELDS = ("status", "decision", "approver", "exception_reference", "decision_note")
REGISTER_FIELDS = ("service_name", "status", "max_confidentiality", "max_integrity", "max_availability",
                   "ismap_number", "administrator", "approved_by", "review_due")


def ismap_policy() -> UploadPolicy:
    """ISMAP list uploads: CSV text or XLSX (a zip), at most KIJUN_CLOUD_ISMAP_MAX_BYTES (default 10 MB)."""
    limit = int(getattr(settings, "KIJUN_CLOUD_ISMAP_MAX_BYTES", 10 * 1024 * 1024))
    return UploadPolicy("ISMAP list", max_bytes=limit, allowed_types=frozenset({"text", "zip"}),
                        max_unpacked_bytes=100 * 1024 * 1024)


@lru_cache(maxsize=1)
def base_engine() -> Engine:
    """The engine with the shipped rules, duties, vocabulary and policy (immutable, built once)."""
    return Engine.default()


@lru_cache(maxsize=8)
def _engine_for(doc: tuple[int, str] | None) -> Engine:
    base = base_engine()
    if doc is None:
        return base
    return Engine(base.rules, base.duties, vocabulary_from_data(yaml.safe_load(doc[1]), "agency vocabulary"),
                  base.policy)


def engine() -> Engine:
    """The engine with the agency's handling-restriction vocabulary when it has edited one
    (RestrictionVocabularyDoc; one small query, cached per version), else the shipped data."""
    row = RestrictionVocabularyDoc.objects.filter(pk=1).values_list("version", "text").first()
    return _engine_for(None if row is None else (int(row[0]), str(row[1])))


def warn_days() -> int:
    """The ISMAP expiry warning window: KIJUN_CLOUD_ISMAP_WARN_DAYS (Django setting, else the environment),
    else the agency policy's ``expiry_warning_days`` (90), so warnings and the engine's "expiring" agree."""
    raw = getattr(settings, "KIJUN_CLOUD_ISMAP_WARN_DAYS", None) or os.environ.get("KIJUN_CLOUD_ISMAP_WARN_DAYS")
    if raw is not None and str(raw).strip().isdigit():
        return int(str(raw).strip())
    return base_engine().policy.expiry_warning_days


def _require(actor: User, perm: Perm, unit: OrgUnit | None) -> None:
    if not access_for(actor).has(perm, unit):
        raise PermissionDeniedError(perm.value)


def today() -> dt.date:
    return timezone.localdate()


def current_listing() -> dict[str, ParsedIsmapEntry] | None:
    """The latest imported ISMAP list keyed by registration number, or None before any import."""
    latest = IsmapImport.objects.order_by("-uploaded_at", "-id").first()
    if latest is None:
        return None
    return index(ParsedIsmapEntry.model_validate(e.data) for e in IsmapEntry.objects.filter(ismap_import=latest))


# ---------------------------------------------------------------- system ledger

def save_system(actor: User, system: InformationSystem, *, request: HttpRequest | None = None,
                expected_version: int | None = None) -> InformationSystem:
    _require(actor, Perm.CLOUD_MANAGE, system.org_unit)
    with transaction.atomic():
        before = None
        if system.pk:
            current = InformationSystem.objects.select_for_update().get(pk=system.pk)
            _require(actor, Perm.CLOUD_MANAGE, current.org_unit)
            if expected_version is not None and current.version != expected_version:
                raise ConflictError("system")
            before = audit.snapshot(current, SYSTEM_FIELDS)
            system.version = current.version + 1
        system.save()
        audit.record("cloud.system.update" if before else "cloud.system.create", "information_system", system.pk,
                     str(system), actor=actor, request=request, before=before,
                     after=audit.snapshot(system, SYSTEM_FIELDS))
    return system


# ---------------------------------------------------------------- use applications

def information_items(assets: list[InformationAsset]) -> list[dict[str, Any]]:
    """The engine's ``information`` entries for recorded assets (their levels and restriction codes)."""
    return [{"name": a.name, "confidentiality": a.confidentiality, "integrity": a.integrity,
             "availability": a.availability, "handling_restrictions": list(a.handling_restrictions)} for a in assets]


def _assess(actor: User, use_request: UseRequest, system: InformationSystem | None,
            as_of: dt.date | None) -> tuple[UseRequest, Assessment]:
    if system is not None:
        _require(actor, Perm.CLOUD_VIEW, system.org_unit)
        use_request = use_request.model_copy(update={"system": SystemRef(
            name=system.name, ledger_id=system.code, system_class=system.system_class)})
    use_request = use_request.model_copy(update={"applicant": actor.username})
    register = RegisterEntry.objects.filter(service_name__iexact=use_request.service.name).first()
    if register is not None and use_request.service.register_status is None:
        service = use_request.service.model_copy(update={"register_status": register.status})
        use_request = use_request.model_copy(update={"service": service})
    return use_request, engine().assess(use_request, as_of=as_of or today(), listing=current_listing())


def _fill(app: UseApplication, use_request: UseRequest, result: Assessment) -> None:
    svc, info = use_request.service, use_request.information
    app.service_name, app.provider = svc.name[:200], svc.provider[:200]
    app.ismap_kind, app.ismap_number = svc.ismap.kind, (svc.ismap.registration_number or "")[:32]
    app.contract_basis, app.data_locations = svc.contract_basis or "", ", ".join(svc.data_locations)[:200]
    app.info_name = "; ".join(i.name for i in info if i.name)[:200]
    app.confidentiality = result.classification.confidentiality
    app.integrity = result.classification.integrity
    app.availability = result.classification.availability
    app.handling_restrictions = list(result.classification.handling_restrictions)
    app.task, app.request = use_request.task.description, use_request.model_dump(mode="json")
    app.assessment, app.decision, app.track = result.model_dump(mode="json"), result.decision, result.track


def _check_assets(actor: User, assets: list[InformationAsset]) -> None:
    for a in assets:
        _require(actor, Perm.CLOUD_VIEW, a.org_unit)


def submit_application(actor: User, use_request: UseRequest, *, unit: OrgUnit,
                       system: InformationSystem | None = None, request: HttpRequest | None = None,
                       as_of: dt.date | None = None, draft: bool = False,
                       assets: list[InformationAsset] | None = None) -> tuple[UseApplication, Assessment]:
    """Record a use application (or a draft of one) and the engine's pre-assessment of it.

    A draft is assessed too, so the applicant sees the likely answer while still editing; it is
    re-assessed when submitted. ``assets`` are the recorded information assets it concerns
    (their classifications are expected to be in ``use_request.information`` already)."""
    _require(actor, Perm.CLOUD_APPLY, unit)
    _check_assets(actor, assets or [])
    use_request, result = _assess(actor, use_request, system, as_of)
    app = UseApplication(applicant=actor, org_unit=unit, system=system,
                         status=UseApplication.Status.DRAFT if draft else UseApplication.Status.SUBMITTED)
    _fill(app, use_request, result)
    with transaction.atomic():
        app.save()
        app.information_assets.set(assets or [])
        audit.record("cloud.application.draft" if draft else "cloud.application.submit", "use_application", app.pk,
                     str(app), actor=actor, request=request,
                     after={"service": use_request.service.name, "unit": unit.code, "decision": result.decision,
                            "track": result.track, "ruleset": result.ruleset, "status": app.status,
                            "assets": [a.code for a in assets or []]})
    return app, result


def _own_open(actor: User, app: UseApplication, allowed: tuple[str, ...], expected_version: int | None) -> UseApplication:
    """Lock the application; only its applicant may change it, and only in ``allowed`` states."""
    current = UseApplication.objects.select_for_update().get(pk=app.pk)
    if current.applicant_id != actor.pk:
        raise PermissionDeniedError("only the applicant may change an application")
    if expected_version is not None and current.version != expected_version:
        raise ConflictError("application")
    if current.status not in allowed:
        raise ApprovalError(f"the application is {current.status}")
    return current


def update_draft(actor: User, app: UseApplication, use_request: UseRequest, *, unit: OrgUnit,
                 system: InformationSystem | None = None, assets: list[InformationAsset] | None = None,
                 submit: bool = False, request: HttpRequest | None = None,
                 expected_version: int | None = None) -> tuple[UseApplication, Assessment]:
    """Change a draft (draft → draft) and optionally submit it (draft → submitted), re-assessed."""
    _require(actor, Perm.CLOUD_APPLY, unit)
    _check_assets(actor, assets or [])
    use_request, result = _assess(actor, use_request, system, None)
    with transaction.atomic():
        current = _own_open(actor, app, (UseApplication.Status.DRAFT,), expected_version)
        before = audit.snapshot(current, APP_FIELDS)
        _fill(current, use_request, result)
        current.org_unit, current.system = unit, system
        if submit:
            current.status = UseApplication.Status.SUBMITTED
        current.version += 1
        current.save()
        current.information_assets.set(assets or [])
        audit.record("cloud.application.submit" if submit else "cloud.application.update", "use_application",
                     current.pk, str(current), actor=actor, request=request, before=before,
                     after={**audit.snapshot(current, APP_FIELDS), "assets": [a.code for a in assets or []]})
    return current, result


def submit_draft(actor: User, app: UseApplication, *, request: HttpRequest | None = None,
                 expected_version: int | None = None) -> UseApplication:
    """Submit a saved draft as it is (draft → submitted); the assessment is redone for today."""
    stored = UseRequest.model_validate(app.request)
    assets = list(app.information_assets.all())
    current, _result = update_draft(actor, app, stored, unit=app.org_unit, system=app.system, assets=assets,
                                    submit=True, request=request, expected_version=expected_version)
    return current


def withdraw_application(actor: User, app: UseApplication, *, reason: str = "", request: HttpRequest | None = None,
                         expected_version: int | None = None) -> UseApplication:
    """The applicant withdraws a draft or a submitted application (→ withdrawn, final)."""
    _require(actor, Perm.CLOUD_APPLY, app.org_unit)
    with transaction.atomic():
        current = _own_open(actor, app, (UseApplication.Status.DRAFT, UseApplication.Status.SUBMITTED),
                            expected_version)
        before = audit.snapshot(current, APP_FIELDS)
        current.status = UseApplication.Status.WITHDRAWN
        current.decision_note = reason.strip()[:2000]
        current.version += 1
        current.save()
        audit.record("cloud.application.withdraw", "use_application", current.pk, str(current), actor=actor,
                     request=request, before=before, after=audit.snapshot(current, APP_FIELDS))
    return current


def _service_id(name: str) -> str:
    base = slugify(name)[:60] or "service"
    sid = base if base[0].isalnum() else f"s{base}"[:60]
    existing = RegisterEntry.objects.filter(service_name__iexact=name).first()
    if existing is not None:
        return str(existing.service_id)
    n, candidate = 2, sid
    while RegisterEntry.objects.filter(service_id=candidate).exists():
        candidate = f"{sid}-{n}"
        n += 1
    return candidate


def decide_application(actor: User, app: UseApplication, *, approve_it: bool, note: str = "",
                       administrator: str = "", domains: tuple[str, ...] = (), exception_reference: str = "",
                       review_note: str = "", request: HttpRequest | None = None,
                       expected_version: int | None = None) -> RegisterEntry | None:
    """Approve (creating/updating the register entry) or reject a submitted application.

    Raises IncompatibleRolesError for one's own application (兼務禁止 §2.1.1(8)(a)(i)) and
    ApprovalError when the engine's approval guard refuses (not_permitted, a needs_exception
    without the 例外措置 reference, a needs_review without a note, no administrator).
    """
    _require(actor, Perm.CLOUD_APPROVE, app.org_unit)
    ensure_not_self_approval(app.applicant.pk, actor.pk, subject=app.service_name)
    with transaction.atomic():
        current = UseApplication.objects.select_for_update().get(pk=app.pk)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError("application")
        if current.status != UseApplication.Status.SUBMITTED:
            raise ApprovalError(f"the application is {current.status}; only submitted applications are decided")
        before = audit.snapshot(current, APP_FIELDS)
        entry = None
        if approve_it:
            if not administrator.strip():
                raise ApprovalError("4.2.1(4)(c): designate the cloud service administrator")
            row = approve(
                UseRequest.model_validate(current.request), Assessment.model_validate(current.assessment),
                Approval(service_id=_service_id(current.service_name), approved_by=actor.username,
                         approved_on=today(), administrator=administrator.strip(), domains=domains,
                         exception_reference=exception_reference.strip() or None,
                         review_note=review_note.strip() or None))
            entry = RegisterEntry.objects.select_for_update().filter(service_id=row.service_id).first()
            reg_before = audit.snapshot(entry, REGISTER_FIELDS) if entry else None
            fields = RegisterEntry.fields_from(row)
            if entry is None:
                entry = RegisterEntry(service_id=row.service_id, source_application=current, **fields)
            else:
                for k, v in fields.items():
                    setattr(entry, k, v)
                entry.source_application = current
                entry.version += 1
            entry.save()
            _replace_checklist(entry, current, Assessment.model_validate(current.assessment))
            audit.record("cloud.register.update" if reg_before else "cloud.register.create", "register_entry",
                         entry.pk, entry.service_name, actor=actor, request=request, before=reg_before,
                         after=audit.snapshot(entry, REGISTER_FIELDS))
            current.status = UseApplication.Status.APPROVED
            current.exception_reference = exception_reference.strip()
            current.decision_note = review_note.strip() or note.strip()
        else:
            if not note.strip():
                raise ApprovalError("give the reason for the rejection")
            current.status = UseApplication.Status.REJECTED
            current.decision_note = note.strip()
        current.approver = actor
        current.decided_at = timezone.now()
        current.version += 1
        current.save()
        audit.record("cloud.application.approve" if approve_it else "cloud.application.reject", "use_application",
                     current.pk, str(current), actor=actor, request=request, before=before,
                     after=audit.snapshot(current, APP_FIELDS))
    app.refresh_from_db()
    return entry


# ---------------------------------------------------------------- lifecycle checklist

def _replace_checklist(entry: RegisterEntry, app: UseApplication, assessment: Assessment) -> None:
    """Date the assessment's duties from the approval; a re-approval replaces the open items.

    The person assigned to a duty and its evidence files carry over to the new item of the same
    duty; an open item with evidence whose duty is no longer required is kept, so no evidence is lost."""
    old = list(LifecycleItem.objects.filter(entry=entry, status="open"))
    new = LifecycleItem.objects.bulk_create([
        LifecycleItem(entry=entry, application=app, duty_id=i.duty_id, phase=i.phase, owner_roles=list(i.owner_roles),
                      cites=list(i.cites), text_ja=i.text_ja, text_en=i.text_en, due_kind=i.due_kind,
                      due_on=i.due_on, recurrence_days=i.recurrence_days)
        for i in checklist(assessment.duties, start=today())])
    by_duty = {i.duty_id: i for i in new}
    with_files = set(LifecycleEvidence.objects.filter(item__in=old).values_list("item_id", flat=True))
    keep: list[int] = []
    for item in old:
        target = by_duty.get(item.duty_id)
        if target is None:
            if item.pk in with_files:
                keep.append(item.pk)
            continue
        if item.owner_id and not target.owner_id:
            LifecycleItem.objects.filter(pk=target.pk).update(owner_id=item.owner_id)
            target.owner_id = item.owner_id
        if item.pk in with_files:
            LifecycleEvidence.objects.filter(item=item).update(item=target)
    LifecycleItem.objects.filter(pk__in=[i.pk for i in old if i.pk not in keep]).delete()


def complete_item(actor: User, item: LifecycleItem, *, evidence: str, request: HttpRequest | None = None) -> None:
    """Record a duty as carried out; a recurring duty rolls forward to its next due date (lifecycle.complete)."""
    _require(actor, Perm.CLOUD_MANAGE, None)
    with transaction.atomic():
        current = LifecycleItem.objects.select_for_update().get(pk=item.pk)
        if current.status != "open":
            raise ApprovalError("this item is already done")
        before = {"status": current.status, "due_on": str(current.due_on)}
        pure = ChecklistItem(duty_id=current.duty_id, phase=current.phase, owner_roles=tuple(current.owner_roles),
                             cites=tuple(current.cites), text_ja=current.text_ja, text_en=current.text_en,
                             due_kind=current.due_kind, due_on=current.due_on,
                             recurrence_days=current.recurrence_days, evidence=tuple(current.evidence))
        done = complete(pure, today(), [evidence.strip()] if evidence.strip() else [])
        current.status, current.due_on, current.evidence = done.status, done.due_on, list(done.evidence)
        current.done_by, current.done_on = actor, today()
        current.version += 1
        current.save()
        audit.record("cloud.lifecycle.complete", "lifecycle_item", current.pk, str(current), actor=actor,
                     request=request, before=before,
                     after={"status": current.status, "due_on": str(current.due_on), "evidence": evidence.strip()})


# ---------------------------------------------------------------- ISMAP list

def parse_upload(stored: StoredUpload) -> ParsedImport:
    data = stored.path.read_bytes()
    if stored.detected_type == "zip":
        return parse_xlsx_bytes(data, stored.display_name or "<xlsx>")
    return parse_csv_bytes(data, stored.display_name or "<csv>")


def import_ismap(actor: User, stored: StoredUpload, *, request: HttpRequest | None = None) -> IsmapImport:
    """Parse a stored upload, record it with its row errors and the diff against the previous import."""
    _require(actor, Perm.CLOUD_MANAGE, None)
    parsed = parse_upload(stored)
    previous = IsmapImport.objects.order_by("-uploaded_at", "-id").first()
    old = [ParsedIsmapEntry.model_validate(e.data) for e in IsmapEntry.objects.filter(ismap_import=previous)] if previous else []
    entries = list(index(parsed.entries).values())
    diff = diff_entries(old, entries, as_of=today())
    diff_doc: dict[str, Any] = diff.model_dump(mode="json")
    diff_doc["previous_id"] = previous.pk if previous else None
    with transaction.atomic():
        imp = IsmapImport.objects.create(
            uploaded_by=actor, source_name=stored.display_name[:200], sha256=stored.sha256, size=stored.size,
            entry_count=len(entries), errors=[e.model_dump(mode="json") for e in parsed.errors], diff=diff_doc)
        IsmapEntry.objects.bulk_create([
            IsmapEntry(ismap_import=imp, registration_number=e.registration_number, service_name=e.service_name[:300],
                       provider_name=e.provider_name[:300], registered_on=e.registered_on, expires_on=e.expires_on,
                       liu=e.liu, data=e.model_dump(mode="json")) for e in entries])
        audit.record("cloud.ismap.import", "ismap_import", imp.pk, imp.source_name, actor=actor, request=request,
                     after={"sha256": stored.sha256, "entries": len(entries), "row_errors": len(parsed.errors),
                            "added": len(diff.added), "removed": len(diff.removed), "expired": len(diff.expired),
                            "changed": len(diff.changed)})
    return imp
