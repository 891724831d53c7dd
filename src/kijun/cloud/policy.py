"""The agency's 利用判断基準 (criteria for allowing use of cloud services, R7 4.2.1(1)(a)(i)).

The standard makes each agency set these; the defaults below are deliberately conservative
and every one of them is documented in docs/cloud.md. Agencies override them with a YAML
file of the same fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kijun.classification.datafile import read_yaml, validate


class PolicyError(ValueError):
    """Invalid policy file."""


class UsePolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed_locations_confidential: tuple[str, ...] = ("JP",)
    accepted_governing_law: tuple[str, ...] = ("JP",)
    accepted_jurisdiction: tuple[str, ...] = ("JP",)
    allow_c3_in_cloud: bool = False
    allow_liu_for_c2_low_impact: bool = True
    non_ismap_confidential: Literal["needs_exception", "not_permitted"] = "needs_exception"
    nonconfidential_task_categories: tuple[str, ...] | None = None
    high_security_system_classes: tuple[str, ...] = ("A",)
    expiry_warning_days: int = Field(default=90, ge=0, le=3650)
    min_sla_availability_critical: float = Field(default=99.9, ge=0, le=100)
    settings_review_days: int = Field(default=180, ge=1, le=3650)
    access_review_days: int = Field(default=90, ge=1, le=3650)
    ismap_check_days: int = Field(default=90, ge=1, le=3650)

    @field_validator("allowed_locations_confidential", "accepted_governing_law", "accepted_jurisdiction")
    @classmethod
    def _upper(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted({v.strip().upper() for v in value if v.strip()}))

    def merged(self, overrides: dict[str, Any]) -> UsePolicy:
        """A copy with ``overrides`` applied and validated (used for per-request overrides)."""
        return policy_from_data({**self.model_dump(), **overrides}, "policy overrides")


def policy_from_data(data: Any, source: str = "<data>") -> UsePolicy:
    return validate(UsePolicy, {} if data is None else data, source, PolicyError)


def load_policy(path: Path | None = None) -> UsePolicy:
    """The agency's policy file, or the shipped default (data/policy.yaml)."""
    return policy_from_data(*read_yaml(path, "kijun.cloud", "data/policy.yaml"))
