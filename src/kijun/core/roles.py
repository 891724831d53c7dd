"""The standard's roles (R7 §2.1.1) and the permissions each grants.

This module is pure data plus lookups so that every layer (web views, API, CLI, the
permission-matrix tests and the catalog's ``responsible_roles``) reads one table.
A role assignment is always scoped to an organisation unit; the scope covers the unit
and everything below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Perm(StrEnum):
    """Permissions checked by views and API operations."""

    DASHBOARD_VIEW = "dashboard.view"
    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"
    PEOPLE_VIEW = "people.view"
    PEOPLE_MANAGE = "people.manage"
    ROLES_MANAGE = "roles.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    CATALOG_VIEW = "catalog.view"
    CLOUD_VIEW = "cloud.view"          # system ledger, approved-service register, applications in scope
    CLOUD_APPLY = "cloud.apply"        # submit use applications (利用申請)
    CLOUD_APPROVE = "cloud.approve"    # decide use applications (利用申請の許可権限者)
    CLOUD_MANAGE = "cloud.manage"      # ledger, classification, ISMAP list, register maintenance
    DISCOVERY_VIEW = "discovery.view"  # shadow-IT reports
    DISCOVERY_RUN = "discovery.run"    # upload/scan proxy and DNS logs
    POLICY_MANAGE = "policy.manage"    # the agency's 対策基準 (tailoring) and documents register
    INFO_CLASSIFY = "info.classify"    # record information assets with 格付・取扱制限 (§1.2, §3.1.1)
    VULN_VIEW = "vuln.view"            # assets, findings and remediation in scope
    VULN_REMEDIATE = "vuln.remediate"  # update remediation records (owner, status, evidence, exceptions)
    VULN_MANAGE = "vuln.manage"        # feeds sync, inventory upload, SLA settings
    ACCESS_VIEW = "access.view"        # access-control policies and PDP decision logs
    ACCESS_MANAGE = "access.manage"    # author, validate and publish access-control policy bundles


@dataclass(frozen=True, slots=True)
class RoleDef:
    """One role of the standard (or kijun's own administrator role)."""

    code: str
    name_ja: str
    name_en: str
    section: str
    permissions: frozenset[Perm]
    #: True when holding the role makes the holder *responsible* for the scoped unit,
    #: which matters for 兼務禁止: nobody audits a unit they are responsible for.
    responsible: bool = False
    #: True for the audit side of 兼務禁止 (those who carry out audits).
    auditor: bool = False


_READ = frozenset({Perm.DASHBOARD_VIEW, Perm.ORG_VIEW, Perm.PEOPLE_VIEW, Perm.CATALOG_VIEW, Perm.CLOUD_VIEW})
_APPLY = frozenset({Perm.CLOUD_APPLY})
_CLOUD_ADMIN = frozenset({Perm.CLOUD_MANAGE, Perm.DISCOVERY_VIEW, Perm.DISCOVERY_RUN})
_AUDIT = frozenset({Perm.AUDIT_VIEW, Perm.AUDIT_EXPORT})
_MANAGE = frozenset({Perm.ORG_MANAGE, Perm.PEOPLE_MANAGE, Perm.ROLES_MANAGE})
_SEC_ADMIN = frozenset({Perm.POLICY_MANAGE, Perm.INFO_CLASSIFY, Perm.VULN_VIEW, Perm.VULN_REMEDIATE,
                        Perm.VULN_MANAGE, Perm.ACCESS_VIEW, Perm.ACCESS_MANAGE})

ROLES: tuple[RoleDef, ...] = (
    RoleDef("kijun_admin", "kijunシステム管理者", "kijun administrator", "-",
            frozenset(Perm), responsible=False),
    RoleDef("ciso", "最高情報セキュリティ責任者 (CISO)", "Chief Information Security Officer (CISO)",
            "2.1.1(1)(a)", _READ | _AUDIT | frozenset({Perm.DISCOVERY_VIEW, Perm.VULN_VIEW, Perm.ACCESS_VIEW}), responsible=True),
    RoleDef("deputy_ciso", "最高情報セキュリティ副責任者", "Deputy CISO", "2.1.1(1)(b)",
            _READ | _AUDIT | frozenset({Perm.VULN_VIEW}), responsible=True),
    RoleDef("security_committee_member", "情報セキュリティ委員会委員", "Information Security Committee member",
            "2.1.1(2)(a)", _READ),
    RoleDef("audit_officer", "情報セキュリティ監査責任者", "Chief Information Security Auditor",
            "2.1.1(3)(a)", _READ | _AUDIT | frozenset({Perm.VULN_VIEW, Perm.ACCESS_VIEW}),
            auditor=True),
    RoleDef("chief_security_officer", "統括情報セキュリティ責任者", "Head Information Security Officer",
            "2.1.1(4)(a)", _READ | _MANAGE | _CLOUD_ADMIN | _SEC_ADMIN | frozenset({Perm.AUDIT_VIEW}), responsible=True),
    RoleDef("security_officer", "情報セキュリティ責任者", "Information Security Officer",
            "2.1.1(4)(a)", _READ | _MANAGE | _CLOUD_ADMIN | _SEC_ADMIN, responsible=True),
    RoleDef("area_security_officer", "区域情報セキュリティ責任者", "Area Information Security Officer",
            "2.1.1(4)(b)", _READ, responsible=True),
    RoleDef("section_security_officer", "課室情報セキュリティ責任者", "Division/Office Information Security Officer",
            "2.1.1(4)(c)", _READ | _APPLY | frozenset({Perm.INFO_CLASSIFY}), responsible=True),
    RoleDef("system_security_officer", "情報システムセキュリティ責任者",
            "Information System Security Officer", "2.1.1(4)(d)",
            _READ | _APPLY | frozenset({Perm.INFO_CLASSIFY, Perm.VULN_VIEW, Perm.VULN_REMEDIATE}), responsible=True),
    RoleDef("chief_security_advisor", "最高情報セキュリティアドバイザー",
            "Chief Information Security Advisor", "2.1.1(5)(a)", _READ | frozenset({Perm.AUDIT_VIEW})),
    RoleDef("csirt_member", "CSIRT要員", "CSIRT member", "2.1.1(7)(b)",
            _READ | frozenset({Perm.AUDIT_VIEW, Perm.DISCOVERY_VIEW, Perm.DISCOVERY_RUN, Perm.VULN_VIEW,
                               Perm.VULN_REMEDIATE, Perm.VULN_MANAGE, Perm.ACCESS_VIEW})),
    RoleDef("permitting_authority", "利用申請の許可権限者", "Permitting authority for use applications",
            "4.2.1", _READ | frozenset({Perm.CLOUD_APPROVE, Perm.DISCOVERY_VIEW}), responsible=True),
    RoleDef("cloud_service_administrator", "クラウドサービス管理者", "Cloud service administrator",
            "4.2.1", _READ | _APPLY | _CLOUD_ADMIN, responsible=True),
    RoleDef("staff", "職員等", "Staff member", "1.3",
            frozenset({Perm.DASHBOARD_VIEW, Perm.CATALOG_VIEW, Perm.CLOUD_VIEW})),
)

ROLE_BY_CODE: dict[str, RoleDef] = {r.code: r for r in ROLES}
ROLE_CODES: frozenset[str] = frozenset(ROLE_BY_CODE)


def role(code: str) -> RoleDef:
    """Return the role definition for ``code`` or raise ``KeyError`` naming the unknown code."""
    try:
        return ROLE_BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown role code: {code!r}") from None


def permissions_of(codes: list[str] | tuple[str, ...] | set[str] | frozenset[str]) -> frozenset[Perm]:
    """Union of the permissions granted by the given role codes."""
    out: set[Perm] = set()
    for c in codes:
        out |= role(c).permissions
    return frozenset(out)
