"""Turning an assessed use application into a register entry (R7 4.2.1(4), 4.2.3(2)(b)-(c)).

The permitting authority decides; the engine only pre-assesses. This module enforces what
the standard attaches to the decision itself, so every caller (web view, API, CLI) gets the
same guard: never one's own application (兼務禁止, 2.1.1(8)(a)(i)), no approval of a
``not_permitted`` assessment, an exceptional-measure reference for ``needs_exception``
(2.2.2(2)(b)), a recorded review note for ``needs_review``, and a designated cloud service
administrator on every approval (4.2.1(4)(c), 4.2.3(2)(c)).
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field

from kijun.cloud.engine import Assessment
from kijun.cloud.register import RegisterEntry
from kijun.cloud.request import UseRequest


class ApprovalError(ValueError):
    """The approval is not allowed as given; the message names the requirement."""


class Approval(BaseModel):
    """What the permitting authority adds when approving."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service_id: str
    approved_by: str = Field(min_length=1)
    approved_on: date
    administrator: str = Field(min_length=1, description="クラウドサービス管理者 designated on approval")
    domains: tuple[str, ...] = ()
    tenant: str | None = None
    review_due: date | None = None
    exception_reference: str | None = Field(default=None, description="例外措置 approval id (2.2.2)")
    review_note: str | None = Field(default=None, description="how the open points of needs_review were settled")


def _same_person(a: str | None, b: str | None) -> bool:
    def norm(x: str) -> str:
        return unicodedata.normalize("NFKC", x).strip().casefold()

    return bool(a and b and norm(a) == norm(b))


def approve(request: UseRequest, assessment: Assessment, approval: Approval) -> RegisterEntry:
    """The register entry recording the approved service, or ``ApprovalError``."""
    if _same_person(request.applicant, approval.approved_by):
        raise ApprovalError("2.1.1(8)(a)(i): the applicant cannot approve their own application; "
                            "it goes to a supervisor or another relevant person (2.1.1(8)(b))")
    if assessment.decision == "not_permitted":
        blocking = ", ".join(r.rule for r in assessment.reasons if r.decision == "not_permitted")
        raise ApprovalError(f"4.2.1(4)(b): the assessment is not_permitted ({blocking}); "
                            "change the request or apply for an exceptional measure (2.2.2) first")
    if assessment.decision == "needs_exception" and not approval.exception_reference:
        raise ApprovalError("2.2.2(2)(b): a needs_exception assessment is approved only with the "
                            "reference of the approved exceptional measure")
    if assessment.decision == "needs_review" and not (approval.review_note or "").strip():
        raise ApprovalError("4.2.1(4)(b): record how the open review points were settled (review_note)")
    cls = assessment.classification
    review_due = approval.review_due
    if review_due is None:
        intervals = [d.recurrence_days for d in assessment.duties["operation"] if d.recurrence_days]
        review_due = approval.approved_on + timedelta(days=min(intervals)) if intervals else None
    notes = f"{assessment.ruleset}: {assessment.decision}"
    if approval.exception_reference:
        notes += f"; exception {approval.exception_reference}"
    if approval.review_note:
        notes += f"; review: {approval.review_note.strip()}"
    svc = assessment.service
    return RegisterEntry.model_validate({
        "service_id": approval.service_id,
        "service_name": svc.name,
        "provider": svc.provider,
        "status": "approved",
        "contract_basis": svc.contract_basis,
        "ismap_kind": svc.ismap_kind,
        "ismap_registration_number": svc.ismap_registration_number if svc.ismap_kind != "none" else None,
        "ismap_expires_on": svc.ismap_expires_on if svc.ismap_kind != "none" else None,
        "max_confidentiality": cls.confidentiality,
        "max_integrity": cls.integrity,
        "max_availability": cls.availability,
        "domains": approval.domains,
        "tenant": approval.tenant,
        "administrator": approval.administrator,
        "approved_by": approval.approved_by,
        "approved_on": approval.approved_on,
        "review_due": review_due,
        "conditions": tuple(c.id for c in assessment.conditions),
        "notes": notes,
    })
