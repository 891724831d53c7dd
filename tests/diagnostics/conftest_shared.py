"""Where the shared reference samples live (read at run time, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
FORMATS = SHARED / "reference" / "formats"


def sample(name: str) -> Path:
    p = FORMATS / name
    if not p.exists():
        pytest.skip(f"shared reference sample {name} not available")
    return p
