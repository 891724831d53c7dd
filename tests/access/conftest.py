"""Shared fixtures for the access tests: the default policy compiled once, a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest

from kijun.access.engine import Engine, PreparedPolicy
from kijun.access.model import AccessRequest
from kijun.access.policy import default_source

NOW = datetime(2026, 1, 6, 1, 0, tzinfo=UTC)  # 10:00 JST, Tuesday
GOOD_DEVICE: dict[str, Any] = {
    "id": "pc-1",
    "managed": True,
    "agency_furnished": True,
    "edr_running": True,
    "edr_healthy": True,
    "os_patch_age_days": 3,
    "disk_encrypted": True,
}


def ids() -> Callable[[], str]:
    counter = count(1)
    return lambda: f"d{next(counter)}"


@pytest.fixture(scope="session")
def prepared() -> PreparedPolicy:
    return PreparedPolicy.compile(default_source())


@pytest.fixture
def engine(prepared: PreparedPolicy) -> Engine:
    return Engine(prepared, clock=lambda: NOW, new_id=ids())


def make_request(**overrides: Any) -> AccessRequest:
    """A staff member reading a c2 document of their unit from the agency network, good device."""
    data: dict[str, Any] = {
        "principal": {"id": "alice", "roles": ["staff"], "org_unit": "soumu"},
        "action": "read",
        "resource": {"id": "doc-1", "confidentiality": 2, "org_unit": "soumu"},
        "context": {"network": "agency", "authn": {"mfa": False}, "device": dict(GOOD_DEVICE)},
    }
    for key, value in overrides.items():
        target = data
        *path, last = key.split("__")
        for part in path:
            target = target[part]
        target[last] = value
    return AccessRequest.model_validate(data)
