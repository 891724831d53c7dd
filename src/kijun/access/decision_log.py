"""Decision log: one JSON line per decision, modelled on OPA's decision-log events.

A record holds what is needed to explain and audit a decision (who/what/posture summary, result,
determining policies, policy revision, request hash) and nothing secret: requests never carry
tokens or cookies, and the HTTP adapters do not copy such headers. With ``mask_principal`` the user
id is replaced by a keyed hash (HMAC-SHA256 with an agency secret), so logs can be kept while the
personal identifier stays pseudonymous and can be erased by discarding the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from typing import IO, Any, Protocol

from .model import AccessRequest, Decision


class DecisionSink(Protocol):
    def write(self, record: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class MaskingRules:
    """How personal data is written. ``principal_key`` set -> principal ids are HMAC-hashed."""

    principal_key: bytes | None = None
    drop_org_unit: bool = False

    def principal(self, principal_id: str) -> str:
        if self.principal_key is None:
            return principal_id
        digest = hmac.new(self.principal_key, principal_id.encode(), hashlib.sha256).hexdigest()
        return "hmac:" + digest[:32]


def log_record(
    request: AccessRequest,
    decision: Decision,
    masking: MaskingRules | None = None,
    metrics: dict[str, float] | None = None,
    path: str = "",
) -> dict[str, Any]:
    """Build the JSON-serialisable log record for one decision."""
    masking = masking or MaskingRules()
    ctx = request.context
    return {
        "decision_id": decision.decision_id,
        "timestamp": decision.evaluated_at,
        "policy_revision": decision.policy_revision,
        "path": path,
        "request_hash": decision.request_hash,
        "input": {
            "principal": masking.principal(request.principal.id),
            "roles": list(request.principal.roles),
            "org_unit": None if masking.drop_org_unit else request.principal.org_unit,
            "action": request.action,
            "resource": {
                "id": request.resource.id,
                "confidentiality": request.resource.confidentiality,
                "integrity": request.resource.integrity,
                "handling": list(request.resource.handling),
            },
            "network": ctx.network,
            "authn": ctx.authn.model_dump(),
            "device": ctx.device.model_dump(),
            "session_id": request.session_id,
        },
        "result": {
            "decision": decision.decision,
            "determining_policies": list(decision.determining_policies),
            "obligations": dict(decision.obligations),
        },
        "metrics": metrics or {},
    }


class JsonLinesSink:
    """Appends records as JSON lines to a text stream (a file opened in append mode, or stdout)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str) -> JsonLinesSink:
        return cls(open(path, "a", encoding="utf-8"))  # noqa: SIM115 - closed by close()

    def close(self) -> None:
        with self._lock:
            self._stream.close()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class MemorySink:
    """Keeps records in a list (tests, the UI preview)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self.records.append(record)


__all__ = ["DecisionSink", "JsonLinesSink", "MaskingRules", "MemorySink", "log_record"]
