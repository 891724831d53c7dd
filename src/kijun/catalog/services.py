"""Changes to the agency's 対策基準 and documents register, shared by the web UI, the API and the CLI.

Each function checks the permission in the object's unit, refuses stale edits (optimistic
``version``), writes the change and its audit entry (kijun.core.audit.record) in one transaction,
and leaves the rules to the pure module :mod:`kijun.catalog.tailoring` so UI, API and CLI agree.

The 対策基準 belongs to an organisation (the top-level 府省庁 unit).  Anyone with CATALOG_VIEW somewhere
inside the organisation may read it; changing it needs POLICY_MANAGE at the organisation itself
(the 統括情報セキュリティ責任者 level), because one bureau must not rewrite the whole agency's standard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from kijun.core import audit
from kijun.core.models import OrgUnit, User
from kijun.core.permissions import ROOT_SCOPE, access_for
from kijun.core.roles import Perm
from kijun.core.services import ConflictError, PermissionDeniedError

from .ids import is_valid
from .models import AgencyDocument, PolicyClause, PolicyClauseChange, TailoredPolicy
from .store import default_catalog
from .tailoring import Clause, Param, check_clause

CLAUSE_FIELDS = ("status", "reason", "wording_ja", "wording_en", "parameters", "title", "anchor")
DOCUMENT_FIELDS = ("title", "kind", "edition", "owner_unit", "requirement_ids", "last_reviewed", "notes")


class TailoringError(ValueError):
    """The clause or document is not valid; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _require(actor: User, perm: Perm, unit: OrgUnit | None) -> None:
    if not access_for(actor).has(perm, unit):
        raise PermissionDeniedError(perm.value)


def today() -> dt.date:
    return timezone.localdate()


def review_days() -> int:
    """Documents not reviewed for this many days count as stale (KIJUN_CATALOG_REVIEW_DAYS, default 365)."""
    return int(getattr(settings, "KIJUN_CATALOG_REVIEW_DAYS", 365))


# ---------------------------------------------------------------- organisations

def organisation_of(unit: OrgUnit) -> OrgUnit:
    """The top-level unit (府省庁) above ``unit`` — the owner of the 対策基準."""
    top = int(unit.path.strip("/").split("/")[0])
    return unit if unit.pk == top else OrgUnit.objects.get(pk=top)


def visible_organisations(user: Any) -> QuerySet[OrgUnit]:
    """Top-level units in whose subtree the user holds CATALOG_VIEW."""
    paths = access_for(user).grants.get(Perm.CATALOG_VIEW, set())
    qs = OrgUnit.objects.filter(parent__isnull=True)
    if ROOT_SCOPE in paths:
        return qs
    return qs.filter(pk__in={int(p.strip("/").split("/")[0]) for p in paths if p.strip("/")})


def can_edit(user: Any, org: OrgUnit) -> bool:
    return access_for(user).has(Perm.POLICY_MANAGE, org)


# ---------------------------------------------------------------- 対策基準

def default_title(org: OrgUnit) -> str:
    return f"{org.name}情報セキュリティ対策基準"


def policy_of(org: OrgUnit) -> TailoredPolicy:
    """The stored tailoring, or an unsaved default (every requirement included) before the first edit."""
    found = TailoredPolicy.objects.filter(org_unit=org).first()
    if found is not None:
        return found
    return TailoredPolicy(org_unit=org, edition=default_catalog().edition.code, title=default_title(org),
                          version=0)


def to_clause(row: PolicyClause) -> Clause:
    return Clause(
        clause_id=row.clause_id, excluded=row.status == PolicyClause.Status.EXCLUDED, reason=row.reason,
        wording_ja=row.wording_ja, wording_en=row.wording_en,
        parameters=tuple(Param(str(p["id"]), str(p["label"]), str(p["value"])) for p in row.parameters or []),
        is_addition=row.is_addition, anchor=row.anchor, title=row.title,
        updated_by=row.updated_by.username if row.updated_by_id and row.updated_by else "",
        updated_at=row.updated_at)


def policy_clauses(policy: TailoredPolicy) -> list[Clause]:
    if policy.pk is None:
        return []
    return [to_clause(r) for r in policy.clauses.select_related("updated_by").order_by("clause_id")]


def _clause_state(row: PolicyClause | None) -> dict[str, Any] | None:
    return audit.snapshot(row, CLAUSE_FIELDS) if row is not None else None


def _locked_policy(actor: User, org: OrgUnit, request: HttpRequest | None) -> TailoredPolicy:
    policy = TailoredPolicy.objects.select_for_update().filter(org_unit=org).first()
    if policy is None:
        policy = TailoredPolicy.objects.create(org_unit=org, edition=default_catalog().edition.code,
                                               title=default_title(org))
        audit.record("catalog.policy.create", "agency_policy", policy.pk, policy.title, actor=actor,
                     request=request, after={"org_unit": org.code, "edition": policy.edition})
    return policy


def save_clause(actor: User, org: OrgUnit, clause: Clause, *, expected_version: int | None,
                request: HttpRequest | None = None) -> PolicyClause | None:
    """Record the agency's tailoring of one clause; a clause back at the default is deleted.

    ``expected_version`` is the version the editor loaded (0 = the clause had no tailoring yet);
    a mismatch raises ConflictError.  Returns the stored row (None when reset to the default).
    """
    _require(actor, Perm.POLICY_MANAGE, org)
    cat = default_catalog()
    with transaction.atomic():
        policy = _locked_policy(actor, org, request)
        row = PolicyClause.objects.select_for_update().filter(policy=policy, clause_id=clause.clause_id).first()
        if expected_version is not None and (row.version if row else 0) != expected_version:
            raise ConflictError("policy clause")
        if row is not None and row.is_addition != clause.is_addition:
            raise TailoringError([f"{clause.clause_id} already exists as another kind of clause"])
        others = [] if row is not None else policy.clauses.filter(is_addition=True).values_list("clause_id", flat=True)
        problems = check_clause(cat, clause, list(others))
        if problems:
            raise TailoringError(problems)
        before = _clause_state(row)
        if not clause.tailored:
            if row is None:
                return None
            row.delete()
            after, action, result = None, "reset", None
        else:
            row = row or PolicyClause(policy=policy, clause_id=clause.clause_id, is_addition=clause.is_addition,
                                      version=0)
            row.status = PolicyClause.Status.EXCLUDED if clause.excluded else PolicyClause.Status.INCLUDED
            row.reason = clause.reason.strip() if clause.excluded else ""
            row.wording_ja, row.wording_en = clause.wording_ja.strip(), clause.wording_en.strip()
            row.parameters = [{"id": p.id, "label": p.label, "value": p.value} for p in clause.parameters]
            row.anchor, row.title = clause.anchor, clause.title.strip()
            row.version += 1
            row.updated_by = actor
            row.save()
            after, action, result = _clause_state(row), ("create" if before is None else "update"), row
        _log_change(actor, policy, clause.clause_id, action, before, after, request)
    return result


def delete_addition(actor: User, org: OrgUnit, clause_id: str, *, expected_version: int | None,
                    request: HttpRequest | None = None) -> None:
    """Remove an agency-specific clause (the standard's requirements cannot be deleted, only excluded)."""
    _require(actor, Perm.POLICY_MANAGE, org)
    with transaction.atomic():
        policy = _locked_policy(actor, org, request)
        row = PolicyClause.objects.select_for_update().filter(policy=policy, clause_id=clause_id,
                                                              is_addition=True).first()
        if row is None or (expected_version is not None and row.version != expected_version):
            raise ConflictError("policy clause")
        before = _clause_state(row)
        row.delete()
        _log_change(actor, policy, clause_id, "delete", before, None, request)


def _log_change(actor: User, policy: TailoredPolicy, clause_id: str, action: str, before: dict[str, Any] | None,
                after: dict[str, Any] | None, request: HttpRequest | None) -> None:
    now = timezone.now()
    PolicyClauseChange.objects.create(policy=policy, clause_id=clause_id, at=now, actor=actor,
                                      actor_label=actor.username, action=action, before=before, after=after)
    policy.version += 1
    policy.save(update_fields=["version", "updated_at"])
    audit.record(f"catalog.policy.clause.{action}", "policy_clause", f"{policy.pk}:{clause_id}"[:64],
                 f"{policy.title} {clause_id}", actor=actor, request=request, before=before, after=after)


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """Names of the fields a history entry changed (for the per-clause history table)."""
    b, a = before or {}, after or {}
    return [k for k in CLAUSE_FIELDS if b.get(k) != a.get(k) and (b.get(k) or a.get(k))]


def update_policy_meta(actor: User, org: OrgUnit, *, title: str, version_label: str,
                       expected_version: int | None, request: HttpRequest | None = None) -> TailoredPolicy:
    """Rename the 対策基準 or set its version label (shown in exports)."""
    _require(actor, Perm.POLICY_MANAGE, org)
    with transaction.atomic():
        policy = _locked_policy(actor, org, request)
        if expected_version is not None and expected_version not in (0, policy.version):
            raise ConflictError("policy")
        before = audit.snapshot(policy, ("title", "version_label"))
        policy.title, policy.version_label = title.strip()[:200], version_label.strip()[:32]
        policy.version += 1
        policy.save()
        audit.record("catalog.policy.update", "agency_policy", policy.pk, policy.title, actor=actor, request=request,
                     before=before, after=audit.snapshot(policy, ("title", "version_label")))
    return policy


# ---------------------------------------------------------------- documents register

def check_requirement_ids(ids: Iterable[str]) -> list[str]:
    """Problems with the ids a document cites (empty when every id is in the catalog)."""
    cat = default_catalog()
    problems = []
    for nid in ids:
        if not is_valid(nid):
            problems.append(f"bad id syntax {nid!r} (expected e.g. 4.2.1(2)(c))")
        elif nid not in cat:
            problems.append(f"{nid!r} is not in catalog {cat.edition.code}")
    return problems


def save_document(actor: User, doc: AgencyDocument, *, expected_version: int | None = None,
                  request: HttpRequest | None = None) -> AgencyDocument:
    _require(actor, Perm.POLICY_MANAGE, doc.owner_unit)
    problems = check_requirement_ids(doc.requirement_ids)
    if problems:
        raise TailoringError(problems)
    with transaction.atomic():
        before = None
        if doc.pk:
            current = AgencyDocument.objects.select_for_update().get(pk=doc.pk)
            _require(actor, Perm.POLICY_MANAGE, current.owner_unit)
            if expected_version is not None and current.version != expected_version:
                raise ConflictError("document")
            before = audit.snapshot(current, DOCUMENT_FIELDS)
            doc.version = current.version + 1
        doc.save()
        audit.record("catalog.document.update" if before else "catalog.document.create", "agency_document", doc.pk,
                     doc.title, actor=actor, request=request, before=before,
                     after=audit.snapshot(doc, DOCUMENT_FIELDS))
    return doc


def stale_q(prefix: str = "") -> Q:
    """Documents needing attention: an open review item, never reviewed, or reviewed too long ago."""
    cutoff = today() - dt.timedelta(days=review_days())
    return (Q(**{f"{prefix}review_items__status": "open"}) | Q(**{f"{prefix}last_reviewed__isnull": True})
            | Q(**{f"{prefix}last_reviewed__lt": cutoff}))


def with_review_state(qs: QuerySet[AgencyDocument]) -> QuerySet[AgencyDocument]:
    """Annotate ``open_items`` (open review worklist entries) for the list badges."""
    return qs.annotate(open_items=Count("review_items", filter=Q(review_items__status="open")))


def review_state(doc: AgencyDocument, open_items: int) -> str:
    """``needs_review`` (an edition change hit it), ``overdue`` (not reviewed in time) or ``ok``."""
    if open_items:
        return "needs_review"
    if doc.last_reviewed is None or doc.last_reviewed < today() - dt.timedelta(days=review_days()):
        return "overdue"
    return "ok"


# ---------------------------------------------------------------- exports

EXPORT_FORMATS = ("oscal", "csv", "xlsx")


def export_policy(org: OrgUnit, fmt: str, now: dt.datetime) -> tuple[str | bytes, str, str]:
    """The organisation's 対策基準 as (content, content type, file name): an OSCAL profile (JSON),
    CSV or XLSX with Japanese headers.  Raises ValueError for an unknown format."""
    import json

    from .oscal import profile_to_oscal
    from .tailoring import POLICY_COLUMNS, policy_rows, table_csv, table_xlsx, to_agency_policy

    cat = default_catalog()
    policy = policy_of(org)
    clauses = policy_clauses(policy)
    base = f"kijun-policy-{org.code}"
    if fmt == "oscal":
        pol = to_agency_policy(org.name, policy.title, policy.version_label, clauses,
                               catalog_href=f"kijun-catalog-{cat.edition.code}.json")
        doc = profile_to_oscal(pol, cat, now)
        return json.dumps(doc, ensure_ascii=False, indent=2), "application/json", f"{base}-profile.json"
    if fmt == "csv":
        return table_csv(POLICY_COLUMNS, policy_rows(cat, clauses)), "text/csv; charset=utf-8", f"{base}.csv"
    if fmt == "xlsx":
        data = table_xlsx(POLICY_COLUMNS, policy_rows(cat, clauses), "対策基準", now)
        return data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{base}.xlsx"
    raise ValueError(f"unknown format {fmt!r}: use oscal, csv or xlsx")
