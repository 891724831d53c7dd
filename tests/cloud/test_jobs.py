"""ISMAP expiry and overdue-duty notices (cloud.jobs), and the cloud dashboard cards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

import kijun.core.jobs as core_jobs
from kijun.cloud.jobs import JOBS, ismap_expiry_notices, lifecycle_overdue_notices, recipients
from kijun.cloud.models import IsmapEntry, IsmapImport, LifecycleItem, RegisterEntry
from kijun.cloud.services import today
from kijun.core.models import Notification

from .web_helpers import make_application

pytestmark = pytest.mark.django_db


def _entry(demo, days: int, **kw: object) -> RegisterEntry:  # type: ignore[no-untyped-def]
    app = make_application(demo["users"]["policy-iso"], demo["units"]["demo-policy-planning"])
    fields: dict[str, object] = {"service_id": "synthetic", "service_name": "Synthetic Storage", "status": "approved",
                                 "ismap_kind": "ismap", "ismap_number": "C99-0001-1",
                                 "ismap_expires_on": today() + dt.timedelta(days=days),
                                 "administrator": "情シス 次郎", "source_application": app}
    fields.update(kw)
    return RegisterEntry.objects.create(**fields)


def test_jobs_are_registered_with_core() -> None:
    assert {j.name for j in JOBS} <= set(core_jobs.registry())


def test_recipients_are_officers_in_scope_and_the_named_administrator(demo) -> None:  # type: ignore[no-untyped-def]
    entry = _entry(demo, 10)
    names = {u.username for u in recipients(entry)}
    # head-iso: chief security officer of the ministry; sysowner: cloud service administrator and named
    assert names == {"head-iso", "sysowner"}


def test_ismap_notices_once_per_threshold(demo, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KIJUN_CLOUD_ISMAP_WARN_DAYS = 60
    entry = _entry(demo, 45)
    _entry(demo, 200, service_id="far", service_name="Far Away")           # outside the window
    _entry(demo, 5, service_id="nonum", service_name="No Number", ismap_number="")
    assert "sent 2 notices" in ismap_expiry_notices()
    assert "sent 0 notices" in ismap_expiry_notices()                      # idempotent
    n = Notification.objects.get(user=demo["users"]["sysowner"])
    assert "Synthetic Storage" in n.title and "残り45日" in n.body and n.key.endswith(":60")
    RegisterEntry.objects.filter(pk=entry.pk).update(ismap_expires_on=today() + dt.timedelta(days=6))
    assert "sent 2 notices" in ismap_expiry_notices()                      # the 7-day reminder
    RegisterEntry.objects.filter(pk=entry.pk).update(ismap_expires_on=today() - dt.timedelta(days=1))
    assert "sent 2 notices" in ismap_expiry_notices()                      # lapsed
    assert Notification.objects.filter(user=demo["users"]["head-iso"], title__contains="期限切れ").count() == 1
    # an imported list without the number: delisted (the list wins over the register's date)
    imp = IsmapImport.objects.create(source_name="list.csv", sha256="0" * 64)
    IsmapEntry.objects.create(ismap_import=imp, registration_number="C99-0009-1", service_name="Other",
                              data={"registration_number": "C99-0009-1", "service_name": "Other"})
    run = core_jobs.run_job("cloud-ismap-expiry")
    # both numbered entries (also the far one) are off the list: two people each
    assert run.ok and run.summary == "2 registrations need attention; sent 4 notices"
    assert Notification.objects.filter(key__endswith=":delisted").count() == 4


def test_overdue_duty_notices(demo) -> None:  # type: ignore[no-untyped-def]
    entry = _entry(demo, 300)
    LifecycleItem.objects.create(entry=entry, duty_id="access_rights_review", phase="operation", text_ja="権限の見直し",
                                 text_en="Review access rights", due_kind="recurring",
                                 due_on=today() - dt.timedelta(days=3), recurrence_days=90)
    LifecycleItem.objects.create(entry=entry, duty_id="later", phase="operation", text_ja="後で", text_en="later",
                                 due_kind="recurring", due_on=today() + dt.timedelta(days=3))
    assert lifecycle_overdue_notices() == "1 overdue duties; sent 2 notices"
    assert lifecycle_overdue_notices() == "1 overdue duties; sent 0 notices"
    assert "権限の見直し" in Notification.objects.filter(key__startswith="cloud-duty:").first().body  # type: ignore[union-attr]


def test_dashboard_cards_and_the_filtered_register(demo, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KIJUN_CLOUD_ISMAP_WARN_DAYS = 60
    soon = _entry(demo, 20)
    _entry(demo, 300, service_id="later", service_name="Later Service", ismap_number="C99-0002-1")
    LifecycleItem.objects.create(entry=soon, duty_id="x", phase="operation", text_ja="確認", text_en="check",
                                 due_kind="recurring", due_on=today() - dt.timedelta(days=1))
    c = Client()
    c.force_login(demo["users"]["head-iso"])
    page = c.get("/").content.decode()
    for testid in ("stat-cloud-overdue", "stat-cloud-ismap", "stat-cloud-pending"):
        assert f'data-testid="{testid}"' in page
    assert 'stat-warn" href="/cloud/?overdue=1"' in page
    overdue = c.get(reverse("cloud_index") + "?overdue=1").content.decode()
    assert "Synthetic Storage" in overdue and "Later Service" not in overdue
    expiring = c.get(reverse("cloud_index") + "?ismap=expiring").content.decode()
    assert "Synthetic Storage" in expiring and "Later Service" not in expiring
    staff = Client()
    staff.force_login(demo["users"]["staff"])
    page = staff.get("/").content.decode()
    assert 'data-testid="stat-cloud-overdue"' in page and 'data-testid="stat-cloud-pending"' not in page


def test_demo_data_is_idempotent_and_audited(demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.cloud.demo import load_demo
    from kijun.cloud.models import InformationAsset, InformationSystem
    from kijun.core.models import AuditEntry

    load_demo(demo["units"])
    n_assets, n_systems = InformationAsset.objects.count(), InformationSystem.objects.count()
    assert n_assets >= 3 and n_systems >= 2
    personnel = InformationAsset.objects.get(code="demo-info-personnel")
    assert personnel.flags.labels_ja() == ["要機密情報", "要保全情報", "要安定情報", "要保護情報"]
    load_demo(demo["units"])
    assert (InformationAsset.objects.count(), InformationSystem.objects.count()) == (n_assets, n_systems)
    assert AuditEntry.objects.filter(action="cloud.asset.create", actor="demo-loader").count() == n_assets
