"""From a use application to the flat facts the rules are written against.

Keeping the arithmetic (dates, location sets, high-water marks) here and the judgement in
data (rules.yaml) is what lets an agency read and edit its rules without reading Python:
each rule only compares named facts with values. ``FACT_VALUES`` is the contract between
the two and is checked when rules load.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from kijun.classification.levels import Classification, highest
from kijun.classification.restrictions import RestrictionVocabulary
from kijun.cloud.ismap import IsmapEntry, expiry_state
from kijun.cloud.ismap_diff import lookup
from kijun.cloud.policy import UsePolicy
from kijun.cloud.request import UseRequest

FactValue = bool | int | str | None

#: Every fact and the values it can take (None = unknown).
FACT_VALUES: dict[str, tuple[FactValue, ...]] = {
    "confidential": (True, False),
    "c_level": (1, 2, 3),
    "c3": (True, False),
    "integrity_critical": (True, False),
    "availability_critical": (True, False),
    "critical": (True, False),
    "r_no_copy": (True, False),
    "r_no_removal": (True, False),
    "r_no_distribution": (True, False),
    "r_encryption_required": (True, False),
    "r_dispose_after_reading": (True, False),
    "agency_restrictions": (True, False),
    "contract_basis": ("terms_of_service", "negotiated", None),
    "service_model": ("iaas", "paas", "saas", "unknown"),
    "ismap_kind": ("ismap", "ismap_liu", "none"),
    "ismap_status": ("valid", "expiring", "expired", "unverified", "not_found", "not_listed"),
    "location_status": ("in_policy", "out_of_policy", "unknown"),
    "region_selectable": (True, False, None),
    "law_status": ("accepted", "not_accepted", "unknown"),
    "provider_auditable": (True, False, None),
    "encryption_at_rest": (True, False, None),
    "sla_status": ("meets", "below", "unknown"),
    "backup": (True, False, None),
    "data_deletion_on_exit": (True, False, None),
    "register_status": ("approved", "prohibited", "under_review", None),
    "task_impact": ("low", "medium", "high", None),
    "liu_target_task": (True, False, None),
    "external_sharing": (True, False),
    "task_in_scope": (True, False),
    "has_system": (True, False),
    "high_security_system": (True, False),
    "c3_allowed": (True, False),
    "liu_c2_allowed": (True, False),
    "non_ismap_policy": ("needs_exception", "not_permitted"),
}

#: Placeholders that reason and condition texts may use.
PARAMS = ("system_class", "allowed_locations", "data_locations", "ismap_number", "ismap_expires_on", "min_sla", "sla",
          "agency_restriction_names", "governing_law", "jurisdiction", "service_name")


@dataclass(frozen=True)
class FactSheet:
    facts: dict[str, FactValue]
    params: dict[str, str]
    classification: Classification
    ismap_entry: IsmapEntry | None
    warnings: tuple[str, ...] = field(default=())


def _ismap(request: UseRequest, policy: UsePolicy, as_of: date,
           listing: Mapping[str, IsmapEntry] | None) -> tuple[str, str, IsmapEntry | None, list[str]]:
    claim = request.service.ismap
    warnings: list[str] = []
    number = (claim.registration_number or "").strip().upper() or None
    entry = lookup(listing, number) if listing is not None else None
    kind: str = claim.kind
    expires = claim.expires_on
    if entry is not None:
        listed_kind = "ismap_liu" if entry.liu else "ismap"
        if kind not in ("none", listed_kind):
            warnings.append(f"request says {kind} but the imported list has {number} as {listed_kind}")
        kind, expires = listed_kind, entry.expires_on
    elif kind == "none" and number:
        warnings.append(f"registration number {number} given but ismap.kind is none")
    if kind == "none":
        return kind, "not_listed", entry, warnings
    if listing is not None and entry is None:
        return kind, "not_found", None, warnings
    state, _ = expiry_state(expires, as_of, policy.expiry_warning_days)
    return kind, state or "unverified", entry, warnings


def _location(request: UseRequest, policy: UsePolicy) -> str:
    locs = set(request.service.data_locations)
    if not locs:
        return "unknown"
    return "in_policy" if locs <= set(policy.allowed_locations_confidential) else "out_of_policy"


def _law(request: UseRequest, policy: UsePolicy) -> str:
    law, court = request.service.governing_law, request.service.jurisdiction
    if (law is not None and law not in policy.accepted_governing_law) or (
            court is not None and court not in policy.accepted_jurisdiction):
        return "not_accepted"
    if law is None or court is None:
        return "unknown"
    return "accepted"


def build_facts(request: UseRequest, policy: UsePolicy, vocabulary: RestrictionVocabulary, as_of: date,
                listing: Mapping[str, IsmapEntry] | None = None) -> FactSheet:
    """Compute the facts; raises ``VocabularyError`` for an unknown restriction label."""
    items = [
        Classification.model_validate({
            "confidentiality": it.confidentiality, "integrity": it.integrity, "availability": it.availability,
            "handling_restrictions": vocabulary.resolve_all(it.handling_restrictions)})
        for it in request.information
    ]
    top = highest(items)
    flags = top.flags
    restrictions = set(top.handling_restrictions)
    agency = sorted(r for r in restrictions if not vocabulary.is_standard(r))
    kind, status, entry, warnings = _ismap(request, policy, as_of, listing)
    svc = request.service
    sla = svc.sla_availability
    sla_status = "unknown" if sla is None else ("meets" if sla >= policy.min_sla_availability_critical else "below")
    in_scope = (policy.nonconfidential_task_categories is None
                or (request.task.category or "") in policy.nonconfidential_task_categories)
    facts: dict[str, FactValue] = {
        "confidential": flags.confidential,
        "c_level": int(top.confidentiality),
        "c3": int(top.confidentiality) == 3,
        "integrity_critical": flags.integrity_critical,
        "availability_critical": flags.availability_critical,
        "critical": flags.integrity_critical or flags.availability_critical,
        "r_no_copy": "no_copy" in restrictions,
        "r_no_removal": "no_removal" in restrictions,
        "r_no_distribution": "no_distribution" in restrictions,
        "r_encryption_required": "encryption_required" in restrictions,
        "r_dispose_after_reading": "dispose_after_reading" in restrictions,
        "agency_restrictions": bool(agency),
        "contract_basis": svc.contract_basis,
        "service_model": svc.service_model,
        "ismap_kind": kind,
        "ismap_status": status,
        "location_status": _location(request, policy),
        "region_selectable": svc.region_selectable,
        "law_status": _law(request, policy),
        "provider_auditable": svc.provider_auditable,
        "encryption_at_rest": svc.encryption_at_rest,
        "sla_status": sla_status,
        "backup": svc.backup,
        "data_deletion_on_exit": svc.data_deletion_on_exit,
        "register_status": svc.register_status,
        "task_impact": request.task.impact,
        "liu_target_task": request.task.liu_target_task,
        "external_sharing": request.task.external_sharing,
        "task_in_scope": in_scope,
        "has_system": request.system is not None,
        "high_security_system": request.system is not None
        and request.system.system_class in policy.high_security_system_classes,
        "c3_allowed": policy.allow_c3_in_cloud,
        "liu_c2_allowed": policy.allow_liu_for_c2_low_impact,
        "non_ismap_policy": policy.non_ismap_confidential,
    }
    expires = entry.expires_on if entry is not None else svc.ismap.expires_on
    params = {
        "allowed_locations": ", ".join(policy.allowed_locations_confidential),
        "data_locations": ", ".join(svc.data_locations) or "?",
        "ismap_number": (entry.registration_number if entry else svc.ismap.registration_number) or "?",
        "ismap_expires_on": expires.isoformat() if expires else "?",
        "min_sla": f"{policy.min_sla_availability_critical:g}",
        "sla": "?" if sla is None else f"{sla:g}",
        "agency_restriction_names": ", ".join(f"{vocabulary.get(c).name_ja}" for c in agency),
        "governing_law": svc.governing_law or "?",
        "jurisdiction": svc.jurisdiction or "?",
        "service_name": svc.name,
        "system_class": (request.system.system_class if request.system else None) or "?",
    }
    return FactSheet(facts, params, top, entry, tuple(warnings))
