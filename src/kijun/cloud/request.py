"""Typed input of a use application (利用申請) as the decision engine reads it.

Everything a reviewer needs is a field here: facts about the service, the information to
be handled, the task, and optionally the system. Unknown facts stay ``None`` rather than
being guessed, because the engine answers "needs review" for an unknown it needs.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ContractBasis = Literal["terms_of_service", "negotiated"]
IsmapKind = Literal["ismap", "ismap_liu", "none"]
ServiceModel = Literal["iaas", "paas", "saas", "unknown"]
Impact = Literal["low", "medium", "high"]
RegisterStatus = Literal["approved", "prohibited", "under_review"]


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({v.strip().upper() for v in values if v.strip()}))


class IsmapClaim(BaseModel):
    """What the applicant says about the ISMAP listing; an imported list overrides it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: IsmapKind = "none"
    registration_number: str | None = None
    expires_on: date | None = None


class ServiceFacts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    provider: str = ""
    contract_basis: ContractBasis | None = Field(
        default=None, description="terms_of_service = 約款/standard terms; negotiated = individual contract")
    service_model: ServiceModel = "unknown"
    ismap: IsmapClaim = IsmapClaim()
    data_locations: tuple[str, ...] = Field(default=(), description="countries/regions where data is stored, e.g. JP")
    region_selectable: bool | None = None
    governing_law: str | None = None
    jurisdiction: str | None = None
    provider_auditable: bool | None = None
    encryption_at_rest: bool | None = None
    sla_availability: float | None = Field(default=None, ge=0, le=100)
    backup: bool | None = None
    data_deletion_on_exit: bool | None = None
    register_status: RegisterStatus | None = None

    @field_validator("data_locations")
    @classmethod
    def _upper(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _codes(value)

    @field_validator("governing_law", "jurisdiction")
    @classmethod
    def _upper_one(cls, value: str | None) -> str | None:
        return value.strip().upper() if value and value.strip() else None


class InformationItem(BaseModel):
    """One kind of information to be handled; restrictions are vocabulary labels or codes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = ""
    confidentiality: int = Field(ge=1, le=3)
    integrity: int = Field(ge=1, le=2)
    availability: int = Field(ge=1, le=2)
    handling_restrictions: tuple[str, ...] = ()


class TaskSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str = ""
    category: str | None = None
    impact: Impact | None = Field(default=None, description="業務・情報の影響度 of the task")
    liu_target_task: bool | None = Field(default=None, description="task is on the ISMAP-LIU target-task list")
    external_sharing: bool = Field(default=False, description="information is shared with parties outside the agency")


class SystemRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = None
    ledger_id: str | None = None
    system_class: str | None = None


class UseRequest(BaseModel):
    """A use application: service + information + task (+ system)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: date | None = None
    applicant: str | None = None
    service: ServiceFacts
    information: tuple[InformationItem, ...] = Field(min_length=1)
    task: TaskSpec = TaskSpec()
    system: SystemRef | None = None
