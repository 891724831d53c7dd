"""兼務禁止 checks (R7 §2.1.1(8)) as reusable pure functions."""

from __future__ import annotations

import pytest

from kijun.core.incompatible import (
    IncompatibleRolesError,
    Scope,
    ensure_independent_auditor,
    ensure_not_self_approval,
)


def test_self_approval_refused_with_both_languages() -> None:
    with pytest.raises(IncompatibleRolesError) as ei:
        ensure_not_self_approval(7, 7, subject="クラウド利用申請")
    assert ei.value.code == "self_approval"
    assert "2.1.1(8)" in ei.value.message("ja") and "承認" in ei.value.message("ja")
    assert "approve your own" in ei.value.message("en")


def test_other_approver_allowed() -> None:
    ensure_not_self_approval(7, 8)


@pytest.mark.parametrize(("resp", "target", "conflict"), [
    ("/1/2/", "/1/2/", True),       # same unit
    ("/1/", "/1/2/3/", True),       # responsible for a parent of the audited unit
    ("/1/2/3/", "/1/2/", True),     # responsible for a sub-unit of the audited unit
    ("/1/4/", "/1/2/", False),      # sibling units are independent
    ("/1/2/", "/1/22/", False),     # path prefix must match whole ids
])
def test_auditor_independence_by_unit(resp: str, target: str, conflict: bool) -> None:
    call = lambda: ensure_independent_auditor([Scope("unit", resp)], Scope("unit", target))  # noqa: E731
    if conflict:
        with pytest.raises(IncompatibleRolesError) as ei:
            call()
        assert ei.value.code == "auditor_not_independent"
    else:
        call()


def test_system_scope() -> None:
    with pytest.raises(IncompatibleRolesError):
        ensure_independent_auditor([Scope("system", "SYS-1")], Scope("system", "SYS-1"))
    ensure_independent_auditor([Scope("system", "SYS-1")], Scope("system", "SYS-2"))
    ensure_independent_auditor([Scope("unit", "/1/")], Scope("system", "/1/"))
