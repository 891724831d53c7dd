"""An idempotent demo organisation so a new user can sign in and look around at once.

Passwords are random per installation (never in the repository) and kept in
DATA_DIR/demo_logins.json (mode 0600) so repeated loads print the same logins.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from . import audit
from .models import OrgUnit, RoleAssignment, User
from .plugins import domain_modules

UNITS: list[tuple[str, str, str, str, str | None]] = [
    # code, name, English name, kind, parent code
    ("demo-ministry", "デモ省", "Ministry of Demonstration", "organisation", None),
    ("demo-secretariat", "大臣官房", "Minister's Secretariat", "bureau", "demo-ministry"),
    ("demo-it-division", "情報システム課", "IT Systems Division", "division", "demo-secretariat"),
    ("demo-general-affairs", "総務課", "General Affairs Division", "division", "demo-secretariat"),
    ("demo-policy-bureau", "政策局", "Policy Bureau", "bureau", "demo-ministry"),
    ("demo-policy-planning", "政策企画課", "Policy Planning Division", "division", "demo-policy-bureau"),
    ("demo-audit-office", "監査室", "Audit Office", "division", "demo-secretariat"),
]

PEOPLE: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    # username, display name, unit, [(role, scope unit)]
    ("admin", "管理 太郎", "demo-it-division", [("kijun_admin", "demo-ministry")]),
    ("ciso", "最高 情子", "demo-secretariat", [("ciso", "demo-ministry")]),
    ("head-iso", "統括 一郎", "demo-it-division",
     [("chief_security_officer", "demo-ministry"), ("permitting_authority", "demo-ministry")]),
    ("auditor", "監査 花子", "demo-audit-office", [("audit_officer", "demo-ministry")]),
    ("sysowner", "情シス 次郎", "demo-it-division",
     [("system_security_officer", "demo-it-division"), ("cloud_service_administrator", "demo-ministry")]),
    ("policy-iso", "政策 三郎", "demo-policy-planning", [("section_security_officer", "demo-policy-planning")]),
    ("csirt", "対応 四郎", "demo-it-division", [("csirt_member", "demo-ministry")]),
    ("staff", "職員 五月", "demo-policy-planning", [("staff", "demo-policy-planning")]),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    display_name: str
    roles: str


def _logins_file() -> Path:
    return Path(settings.DATA_DIR) / "demo_logins.json"


def _load_passwords() -> dict[str, str]:
    path = _logins_file()
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return data
    return {}


def _save_passwords(pw: dict[str, str]) -> None:
    path = _logins_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(pw, fh)


def _load_domain_demos(units: dict[str, OrgUnit], domains: Iterable[str] | None) -> None:
    """Let each domain app add its own idempotent demo records (``kijun.<domain>.demo.load_demo(units)``).

    Domains own their demo data so that the core loader never imports domain models; each loader must
    create only what is missing, like this one.
    """
    for _domain, module in domain_modules("demo", domains):
        module.load_demo(units)


def load_demo(domains: Iterable[str] | None = None) -> list[DemoLogin]:
    """Create what is missing; never duplicate; return the demo logins.

    ``domains`` limits which domain apps add their demo records (None: all of them, as ``make run`` does;
    the test fixture passes only the domain under test, which keeps thousands of tests fast).
    """
    passwords = _load_passwords()
    changed = False
    with transaction.atomic():
        units: dict[str, OrgUnit] = {}
        for code, name, name_en, kind, parent in UNITS:
            unit = OrgUnit.objects.filter(code=code).first()
            if unit is None:
                unit = OrgUnit(code=code, name=name, name_en=name_en, kind=kind,
                               parent=units[parent] if parent else None)
                unit.save()
                audit.record("unit.create", "org_unit", unit.pk, unit.name, actor_label="demo-loader",
                             after={"code": code, "kind": kind})
            units[code] = unit
        out: list[DemoLogin] = []
        for username, display, unit_code, roles in PEOPLE:
            user = User.objects.filter(username=username).first()
            if user is None or username not in passwords:
                passwords[username] = "demo-" + secrets.token_urlsafe(12)
                changed = True
            if user is None:
                user = User(username=username, display_name=display, unit=units[unit_code],
                            email=f"{username}@demo.example.jp", language="ja")
                user.set_password(passwords[username])
                user.save()
                audit.record("person.create", "person", user.pk, username, actor_label="demo-loader")
            elif changed and not user.check_password(passwords[username]):
                user.set_password(passwords[username])
                user.save(update_fields=["password"])
            for role_code, scope in roles:
                _ra, created = RoleAssignment.objects.get_or_create(user=user, role=role_code, unit=units[scope])
                if created:
                    audit.record("role.grant", "role_assignment", _ra.pk, str(_ra), actor_label="demo-loader",
                                 after={"user": username, "role": role_code, "unit": scope})
            out.append(DemoLogin(username, passwords[username], display, ", ".join(r for r, _ in roles)))
        _load_domain_demos(units, domains)
    if changed:
        _save_passwords(passwords)
    return out
