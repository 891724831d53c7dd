"""兼務禁止 (R7 §2.1.1(8)): roles one person must not hold at the same time (pure, reusable).

Two rules from the standard: (i) whoever applies for an approval or permission must not be the
one who grants it; (ii) an auditee must not audit themselves. Workflows call these checks before
they record a decision; the exception carries a Japanese and an English message so the web UI,
API and CLI all report the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SECTION = "2.1.1(8)"


class IncompatibleRolesError(Exception):
    """Raised when an action would make one person hold two roles the standard keeps apart."""

    def __init__(self, code: str, message_ja: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_ja = message_ja
        self.message_en = message_en

    def message(self, language: str) -> str:
        return self.message_ja if language.startswith("ja") else self.message_en


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a responsibility or audit applies: a unit (materialised path "/1/4/") or a system."""

    kind: str  # "unit" | "system"
    key: str

    def overlaps(self, other: Scope) -> bool:
        if self.kind != other.kind:
            return False
        if self.kind == "unit":
            return self.key.startswith(other.key) or other.key.startswith(self.key)
        return self.key == other.key


def ensure_not_self_approval(applicant_id: int, approver_id: int, *, subject: str = "") -> None:
    """Refuse a decision where the approver is the applicant (§2.1.1(8)(a)(i))."""
    if applicant_id == approver_id:
        what = f"「{subject}」" if subject else ""
        raise IncompatibleRolesError(
            "self_approval",
            f"兼務禁止（統一基準 {SECTION}）: 申請者{what}は自らの申請を承認・許可できません。"
            "上司等の他の権限者に承認を依頼してください。",
            f"Incompatible roles (Common Standards {SECTION}): you cannot approve your own application"
            f"{' ' + repr(subject) if subject else ''}; ask your supervisor or another authorised person.",
        )


def ensure_independent_auditor(responsibilities: Iterable[Scope], target: Scope, *, subject: str = "") -> None:
    """Refuse an audit whose auditor is responsible for the audited unit or system (§2.1.1(8)(a)(ii)).

    Responsibility over a parent unit covers its sub-units, and responsibility for a sub-unit is
    part of what an audit of the parent examines, so any overlap of scopes conflicts.
    """
    for resp in responsibilities:
        if resp.overlaps(target):
            label = f"「{subject}」" if subject else ""
            raise IncompatibleRolesError(
                "auditor_not_independent",
                f"兼務禁止（統一基準 {SECTION}）: 監査対象{label}について責任を負う者は、その監査を実施できません。",
                f"Incompatible roles (Common Standards {SECTION}): an auditor cannot audit a unit or system "
                f"they are responsible for{' (' + subject + ')' if subject else ''}.",
            )
