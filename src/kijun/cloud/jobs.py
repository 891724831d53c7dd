"""Periodic jobs of the cloud domain (added to ``kijun jobs`` by kijun.core.jobs).

- ``cloud-ismap-expiry``: warn about approved services whose ISMAP registration has lapsed,
  expires within the warning window, or has dropped off the imported list (R7 4.2.1(2)(c),
  4.2.2(4)(a)). Recipients: the cloud service administrators and (chief) information security
  officers whose scope covers the applying unit (agency-wide holders otherwise), and the person
  named as the entry's administrator. Once per entry, expiry date and threshold.
- ``cloud-lifecycle-overdue``: warn the same people once per overdue lifecycle duty and due date.

The window is ``KIJUN_CLOUD_ISMAP_WARN_DAYS`` (Django setting, else the environment variable),
else the agency policy's ``expiry_warning_days`` (default 90) so the job and the engine's
"expiring" status agree.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from kijun.core.jobs import Job, notify
from kijun.core.models import RoleAssignment, User

from .expiry import Registration, warnings_for
from .models import LifecycleItem, RegisterEntry
from .services import current_listing, today, warn_days

RECIPIENT_ROLES = ("cloud_service_administrator", "security_officer", "chief_security_officer")


def recipients(entry: RegisterEntry) -> list[User]:
    """Role holders in scope of the entry's applying unit (or all, for an entry with no application),
    plus the person the entry names as its administrator (by user name, display name or e-mail)."""
    qs = RoleAssignment.objects.filter(role__in=RECIPIENT_ROLES, user__is_active=True).select_related("user", "unit")
    app = entry.source_application
    unit_path = app.org_unit.path if app is not None else None
    users: dict[int, User] = {}
    for ra in qs:
        if unit_path is None or unit_path.startswith(ra.unit.path):
            users[ra.user.pk] = ra.user
    name = entry.administrator.strip()
    if name:
        for u in User.objects.filter(Q(username=name) | Q(display_name=name) | Q(email__iexact=name), is_active=True):
            users[u.pk] = u
    return sorted(users.values(), key=lambda u: u.pk)


def _entries() -> list[RegisterEntry]:
    return list(RegisterEntry.objects.filter(status=RegisterEntry.Status.APPROVED).exclude(ismap_number="")
                .select_related("source_application__org_unit"))


def ismap_expiry_notices() -> str:
    entries = {str(e.pk): e for e in _entries()}
    regs = [Registration(k, e.service_name, e.ismap_number, e.ismap_expires_on) for k, e in entries.items()]
    warnings = warnings_for(regs, as_of=today(), warn_days=warn_days(), listing=current_listing())
    sent = 0
    for w in warnings:
        if w.stage == "expired":
            title = f"ISMAP登録の有効期限切れ: {w.service_name} / ISMAP registration expired"
            ja = f"{w.expires_on} に有効期限が切れています。"
            en = f"It expired on {w.expires_on}."
        elif w.stage == "delisted":
            title = f"ISMAPリストに掲載なし: {w.service_name} / Not on the ISMAP list"
            ja = "最新の取込みリストに登録番号がありません。登録の取消し・失効を確認してください。"
            en = "The registration number is not on the latest imported list; check whether it was withdrawn."
        else:
            title = f"ISMAP登録の有効期限が近づいています: {w.service_name} / ISMAP registration expires soon"
            ja = f"{w.expires_on} に有効期限を迎えます（残り{w.days_left}日）。"
            en = f"It expires on {w.expires_on} ({w.days_left} days left)."
        body = (f"{w.service_name}（{w.registration_number}）: {ja}\n"
                "利用継続の可否と更新状況を確認してください（統一基準 4.2.1(2)(c)）。\n"
                f"{w.service_name} ({w.registration_number}): {en} Check the renewal and whether use may continue.")
        for user in recipients(entries[w.key]):
            sent += notify(user, w.notice_key, title, body)
    return f"{len(warnings)} registrations need attention; sent {sent} notices"


def lifecycle_overdue_notices() -> str:
    items: list[Any] = list(LifecycleItem.objects.filter(status="open", due_on__lt=today(),
                                                         entry__status=RegisterEntry.Status.APPROVED)
                            .select_related("entry__source_application__org_unit", "owner"))
    sent = 0
    for item in items:
        title = f"ライフサイクル上の対応が期限切れです: {item.entry.service_name} / Overdue cloud lifecycle duty"
        body = (f"{item.entry.service_name}: {item.text_ja}（期限 {item.due_on}）\n"
                f"{item.entry.service_name}: {item.text_en} (due {item.due_on})")
        people = recipients(item.entry)
        if item.owner is not None and item.owner.is_active and item.owner not in people:
            people.append(item.owner)   # the person the duty is assigned to
        for user in people:
            sent += notify(user, f"cloud-duty:{item.pk}:{item.due_on}", title, body)
    return f"{len(items)} overdue duties; sent {sent} notices"


JOBS: tuple[Job, ...] = (
    Job("cloud-ismap-expiry", 24 * 60, ismap_expiry_notices,
        "Warn about approved services whose ISMAP registration expired, expires soon or left the list"),
    Job("cloud-lifecycle-overdue", 24 * 60, lifecycle_overdue_notices,
        "Warn cloud service administrators and security officers of overdue lifecycle duties"),
)
