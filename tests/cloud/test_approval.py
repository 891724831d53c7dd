from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from kijun.cloud.approval import Approval, ApprovalError, approve
from kijun.cloud.engine import Engine
from kijun.cloud.register import check_register, dump_yaml, parse_yaml
from kijun.cloud.request import UseRequest

ENGINE = Engine.default()
AS_OF = date(2025, 7, 1)


def _request(applicant: str = "山田 太郎", **service: Any) -> UseRequest:
    svc: dict[str, Any] = {
        "name": "Synthetic Files", "provider": "Example KK", "contract_basis": "negotiated",
        "ismap": {"kind": "ismap", "registration_number": "X99-0001-1", "expires_on": "2026-12-31"},
        "data_locations": ["JP"], "governing_law": "JP", "jurisdiction": "JP", "data_deletion_on_exit": True}
    svc.update(service)
    return UseRequest.model_validate({"applicant": applicant, "service": svc, "information": [
        {"confidentiality": 2, "integrity": 2, "availability": 1, "handling_restrictions": ["暗号化必須"]}]})


def _approval(**kw: Any) -> Approval:
    base: dict[str, Any] = {"service_id": "synthetic-files", "approved_by": "permitting-authority",
                            "approved_on": AS_OF, "administrator": "cloud-admin", "domains": ["files.example.com"]}
    base.update(kw)
    return Approval.model_validate(base)


def test_approval_records_the_service_with_its_classes_and_conditions() -> None:
    req = _request()
    assessment = ENGINE.assess(req, as_of=AS_OF)
    entry = approve(req, assessment, _approval())
    assert entry.status == "approved" and entry.administrator == "cloud-admin"
    assert (entry.max_confidentiality, entry.max_integrity, entry.max_availability) == (2, 2, 1)
    assert set(entry.conditions) == {"encrypt_data", "integrity_controls"}
    assert entry.ismap_registration_number == "X99-0001-1" and entry.ismap_expires_on == date(2026, 12, 31)
    assert entry.review_due == date(2025, 9, 29)  # the shortest recurring duty: access review, 90 days
    assert entry.notes.startswith("kijun-r7-default/1: permitted_with_conditions")
    assert check_register([entry], AS_OF) == []
    assert parse_yaml(dump_yaml([entry], AS_OF)).entries == (entry,)


def test_incompatible_roles_applicant_cannot_approve() -> None:
    req = _request(applicant="Ｙａｍａｄａ")
    with pytest.raises(ApprovalError, match=r"2\.1\.1\(8\)\(a\)\(i\)"):
        approve(req, ENGINE.assess(req, as_of=AS_OF), _approval(approved_by="yamada "))


def test_not_permitted_is_never_approved() -> None:
    req = _request(contract_basis="terms_of_service", ismap={"kind": "none"})
    with pytest.raises(ApprovalError, match="tos_confidential_unlisted"):
        approve(req, ENGINE.assess(req, as_of=AS_OF), _approval())


def test_needs_exception_needs_the_exception_reference() -> None:
    req = _request(ismap={"kind": "none"}, provider_auditable=True)
    assessment = ENGINE.assess(req, as_of=AS_OF)
    assert assessment.decision == "needs_exception"
    with pytest.raises(ApprovalError, match=r"2\.2\.2\(2\)\(b\)"):
        approve(req, assessment, _approval())
    entry = approve(req, assessment, _approval(exception_reference="EXC-2025-001"))
    assert entry.ismap_kind == "none" and entry.ismap_registration_number is None
    assert "exception EXC-2025-001" in entry.notes


def test_needs_review_needs_a_note() -> None:
    req = _request(data_locations=[])
    assessment = ENGINE.assess(req, as_of=AS_OF)
    assert assessment.decision == "needs_review"
    with pytest.raises(ApprovalError, match="review_note"):
        approve(req, assessment, _approval(review_note="  "))
    entry = approve(req, assessment, _approval(review_note="provider confirmed Tokyo region in writing",
                                               review_due=date(2026, 1, 1)))
    assert entry.review_due == date(2026, 1, 1) and "Tokyo region" in entry.notes


def test_administrator_is_required() -> None:
    with pytest.raises(ValueError):
        _approval(administrator="")
