"""Lifecycle duties: the person who owns a duty, evidence files (uploads, download as attachment,
limits) and notices to the owner."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

import kijun.core.jobs  # noqa: F401  (loads the domain jobs in order; see test_jobs)
from kijun.cloud.jobs import lifecycle_overdue_notices
from kijun.cloud.models import LifecycleEvidence, LifecycleItem, RegisterEntry
from kijun.cloud.services import today
from kijun.core.models import AuditEntry, Notification

pytestmark = pytest.mark.django_db


def _client(demo, username: str) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(demo["users"][username])
    return c


def _item(**kw: object) -> LifecycleItem:
    entry = RegisterEntry.objects.create(service_id="svc", service_name="Svc", status="approved")
    fields: dict[str, object] = {"entry": entry, "duty_id": "access_rights_review", "phase": "operation",
                                 "text_ja": "アクセス権の見直し", "text_en": "Review access rights",
                                 "owner_roles": ["cloud_service_administrator"], "due_kind": "recurring",
                                 "due_on": today() - dt.timedelta(days=1), "recurrence_days": 90}
    fields.update(kw)
    return LifecycleItem.objects.create(**fields)


def test_assign_owner_and_notice_to_the_owner(demo) -> None:  # type: ignore[no-untyped-def]
    item = _item()
    admin = _client(demo, "sysowner")   # cloud service administrator: CLOUD_MANAGE
    url = reverse("cloud_lifecycle_owner", kwargs={"pk": item.pk})
    staff = demo["users"]["staff"]
    assert _client(demo, "policy-iso").post(url, {"owner": staff.pk}).status_code == 403
    assert admin.post(url, {"owner": staff.pk}).status_code == 302
    item.refresh_from_db()
    assert item.owner == staff and item.version == 2
    assert AuditEntry.objects.get(action="cloud.lifecycle.assign").after["owner_name"] == "staff"
    page = admin.get(reverse("cloud_register_detail", kwargs={"pk": item.entry_id})).content.decode()
    assert "職員 五月" in page and "クラウドサービス管理者" in page and "cloud_service_administrator" not in page
    lifecycle_overdue_notices()
    assert Notification.objects.filter(user=staff, key__startswith="cloud-duty:").count() == 1
    assert admin.post(url, {"owner": ""}).status_code == 302
    item.refresh_from_db()
    assert item.owner is None


def test_evidence_file_upload_download_and_limits(demo, settings) -> None:  # type: ignore[no-untyped-def]
    item = _item()
    admin = _client(demo, "sysowner")
    url = reverse("cloud_lifecycle_complete", kwargs={"pk": item.pk})
    pdf = b"%PDF-1.7\n\x00\x01binary evidence\n%%EOF"
    r = admin.post(url, {"evidence": "権限一覧を確認", "file": SimpleUploadedFile("確認記録.pdf", pdf)})
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.status == "open" and item.due_on == today() + dt.timedelta(days=90)   # recurring: rolled forward
    ev = LifecycleEvidence.objects.get()
    assert ev.display_name == "確認記録.pdf" and ev.size == len(pdf) and ev.stored_name != "確認記録.pdf"
    assert AuditEntry.objects.filter(action="cloud.lifecycle.evidence", object_id=str(item.pk)).exists()
    staff = _client(demo, "staff")   # CLOUD_VIEW may read the evidence
    page = staff.get(reverse("cloud_register_detail", kwargs={"pk": item.entry_id})).content.decode()
    assert "確認記録.pdf" in page
    d = staff.get(reverse("cloud_evidence_download", kwargs={"pk": ev.pk}))
    assert d.status_code == 200 and d.content == pdf
    assert d["Content-Type"] == "application/octet-stream" and "attachment" in d["Content-Disposition"]
    # too large: refused, nothing recorded, no file left behind
    from kijun.cloud.duties.services import evidence_dir

    files_before = sorted(p.name for p in evidence_dir().iterdir())
    assert ev.stored_name in files_before
    settings.KIJUN_CLOUD_EVIDENCE_MAX_BYTES = 10
    r = admin.post(url, {"file": SimpleUploadedFile("big.bin", b"x" * 100)}, follow=True)
    assert "受け付けられませんでした" in r.content.decode()
    assert LifecycleEvidence.objects.count() == 1
    assert sorted(p.name for p in evidence_dir().iterdir()) == files_before
    # a missing file answers 404, not an error
    (evidence_dir() / ev.stored_name).unlink()
    assert staff.get(reverse("cloud_evidence_download", kwargs={"pk": ev.pk})).status_code == 404


def test_reapproval_keeps_owners_and_evidence(demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.cloud.services import decide_application

    from .web_helpers import make_application

    unit = demo["units"]["demo-policy-planning"]
    head, staff = demo["users"]["head-iso"], demo["users"]["staff"]
    first = make_application(demo["users"]["policy-iso"], unit)
    entry = decide_application(head, first, approve_it=True, administrator="情シス 次郎")
    assert entry is not None
    item = entry.lifecycle_items.get(duty_id="access_rights_review")
    item.owner = staff
    item.save()
    LifecycleEvidence.objects.create(item=item, stored_name="f1", display_name="記録.pdf", sha256="0" * 64, size=1)
    again = make_application(demo["users"]["policy-iso"], unit)
    decide_application(head, again, approve_it=True, administrator="情シス 次郎")
    new = entry.lifecycle_items.get(duty_id="access_rights_review")
    assert new.pk != item.pk and new.application == again
    assert new.owner == staff and [e.display_name for e in new.evidence_files.all()] == ["記録.pdf"]
