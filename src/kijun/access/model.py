"""Typed access request and decision: the PDP's input and output contract.

The request is what a PEP (nginx, Envoy, an application) knows about one access: who, with which
authentication, from which device and network, doing what to which classified resource. Missing
device information is not an error but the worst posture (unknown device: unmanaged, no EDR, never
patched), so a PEP that cannot tell is denied wherever posture matters: the PDP fails closed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ACTIONS: tuple[str, ...] = ("read", "write", "download", "upload", "delete", "share", "admin")
NETWORKS: tuple[str, ...] = ("agency", "telework", "external")
HANDLING_RESTRICTIONS: tuple[str, ...] = (
    "no_copy",  # 複製禁止
    "no_takeout",  # 持出禁止
    "no_distribution",  # 配付禁止
    "encryption_required",  # 暗号化必須
    "destroy_after_reading",  # 読後廃棄
)
AUTH_LEVELS: tuple[str, ...] = ("mfa", "phishing_resistant")
OUTCOMES: tuple[str, ...] = ("allow", "deny", "step_up")

Action = Literal["read", "write", "download", "upload", "delete", "share", "admin"]
Network = Literal["agency", "telework", "external"]
Handling = Literal["no_copy", "no_takeout", "no_distribution", "encryption_required", "destroy_after_reading"]
Outcome = Literal["allow", "deny", "step_up"]
AuthLevel = Literal["mfa", "phishing_resistant"]

_ID = r"^[^\x00-\x1f\x7f]{1,256}$"
UNKNOWN_PATCH_AGE = 100_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Principal(_Strict):
    id: str = Field(pattern=_ID)
    roles: tuple[str, ...] = ()
    org_unit: str = Field(default="", max_length=256)
    disabled: bool = False


class Resource(_Strict):
    id: str = Field(pattern=_ID)
    confidentiality: int = Field(ge=1, le=3)
    integrity: int = Field(default=1, ge=1, le=2)
    availability: int = Field(default=1, ge=1, le=2)
    handling: tuple[Handling, ...] = ()
    org_unit: str = Field(default="", max_length=256)


class Authn(_Strict):
    """Authentication strength of this session. Phishing-resistant authentication is multi-factor."""

    mfa: bool = False
    phishing_resistant: bool = False

    @model_validator(mode="after")
    def _pr_is_mfa(self) -> Authn:
        if self.phishing_resistant and not self.mfa:
            object.__setattr__(self, "mfa", True)
        return self


class Device(_Strict):
    """Device posture. Defaults describe an unknown device: the worst case."""

    id: str = Field(default="unknown", pattern=_ID)
    managed: bool = False
    agency_furnished: bool = False
    edr_running: bool = False
    edr_healthy: bool = False
    os_patch_age_days: int = Field(default=UNKNOWN_PATCH_AGE, ge=0, le=UNKNOWN_PATCH_AGE)
    disk_encrypted: bool = False


class RequestTime(_Strict):
    hour: int = Field(ge=0, le=23)
    weekday: int = Field(ge=1, le=7)


class RequestContext(_Strict):
    network: Network = "external"
    authn: Authn = Authn()
    device: Device = Device()
    time: RequestTime | None = None  # None: derived from the engine's clock


class AccessRequest(_Strict):
    """One access to decide. ``session_id`` lets the PDP re-evaluate it later on signals."""

    principal: Principal
    action: Action
    resource: Resource
    context: RequestContext = RequestContext()
    session_id: str | None = Field(default=None, pattern=_ID)


class Decision(_Strict):
    """The PDP's answer. ``determining_policies`` are the @id values of the policies that decided.

    ``obligations.step_up`` names the authentication level the PEP must obtain before retrying
    (only when ``decision == "step_up"``).
    """

    decision: Outcome
    determining_policies: tuple[str, ...]
    reasons: tuple[str, ...]
    obligations: dict[str, str] = {}
    evaluated_at: str
    policy_revision: str
    decision_id: str
    request_hash: str
