"""Background scans: progress to 100 % in a real worker thread, failures shown with their error,
duplicate submissions, time windows in the form and the API, interrupted scans reaped."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from kijun.core.models import AuditEntry
from kijun.discovery import services
from kijun.discovery.engine import ScanProgress
from kijun.discovery.models import Scan, ScanFile

from .web_helpers import SQUID, squid_file, upload_files

BASE = "/api/v1/discovery"


def _form(demo, **extra):  # type: ignore[no-untyped-def]
    return {"unit": demo["units"]["demo-policy-planning"].pk, "title": "", "format": "auto",
            "register_source": "none", "logs": [squid_file()], **extra}


def _wait(pk: int, timeout: float = 60.0) -> Scan:
    """Wait for the scan's worker thread, then read the row.

    SQLite's in-memory test database uses a shared cache with table locks: a read while the worker
    holds a write transaction fails at once with "database table is locked" (no busy wait), so reads
    happen after the thread ends, and a lock met while polling is retried.
    """
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for t in threading.enumerate():
            if t.name == f"kijun-scan-{pk}":
                t.join(max(0.0, end - time.monotonic()))
        try:
            obj = Scan.objects.get(pk=pk)
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.1)
            continue
        if not obj.active:
            return obj
        time.sleep(0.1)
    raise AssertionError(f"scan {pk} still {Scan.objects.get(pk=pk).status} after {timeout}s")


@pytest.mark.django_db(transaction=True)
def test_upload_runs_in_the_background_and_reaches_100_percent(login_as, demo, background_scans) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    r = c.post(reverse("discovery_new"), _form(demo, title="夜間"))
    assert r.status_code == 302
    scan = Scan.objects.get()
    assert r["Location"] == reverse("discovery_scan", kwargs={"pk": scan.pk})
    assert scan.status in ("queued", "running", "done") and scan.bytes_total == len(SQUID)
    done = _wait(scan.pk)
    assert done.status == "done", done.error
    assert (done.percent(), done.bytes_done, done.lines, done.apps) == (100, len(SQUID), 6, 3)
    assert done.params == {} and upload_files() == []
    assert [(f.name, f.size) for f in done.files.all()] == [("access.log", len(SQUID))]
    # the API and the htmx fragment say the same; the fragment asks htmx to reload the finished page
    p = c.get(f"{BASE}/scans/{scan.pk}/progress").json()
    assert (p["status"], p["percent"], p["bytes_done"], p["bytes_total"], p["lines"]) == \
        ("done", 100, len(SQUID), len(SQUID), 6)
    frag = c.get(reverse("discovery_progress", kwargs={"pk": scan.pk}), HTTP_HX_REQUEST="true")
    assert frag["HX-Refresh"] == "true" and 'data-status="done"' in frag.content.decode()
    page = c.get(r["Location"]).content.decode()
    assert "Dropbox" in page and "夜間" in page
    assert AuditEntry.objects.filter(action="discovery.scan_queued", object_id=str(scan.pk)).exists()
    assert AuditEntry.objects.filter(action="discovery.scan", object_id=str(scan.pk), outcome="success").exists()


@pytest.mark.django_db(transaction=True)
def test_api_upload_is_a_background_job(login_as, demo, background_scans) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    unit = demo["units"]["demo-policy-planning"].pk
    r = c.post(f"{BASE}/scans?unit_id={unit}&since=2024-05-01T01:00:01Z", {"logs": [squid_file()]})
    assert r.status_code == 201, r.content
    assert r.json()["status"] in ("queued", "running", "done") and r.json()["since"].startswith("2024-05-01T01:00:01")
    done = _wait(r.json()["id"])
    assert done.status == "done" and done.report["sources"][0]["skipped"]["outside_window"] == 1


def test_progress_is_written_to_the_row(demo) -> None:  # type: ignore[no-untyped-def]
    scan = Scan.objects.create(unit=demo["units"]["demo-policy-planning"], status="running", bytes_total=300)
    cb = services._Progress(scan.pk, [100, 200])
    cb(ScanProgress("b.log", 1, 2, 42, 50, 200))
    scan.refresh_from_db()
    assert (scan.bytes_done, scan.events_done, scan.current_file, scan.percent()) == (150, 42, "b.log", 50)
    cb(ScanProgress("b.log", 1, 2, 43, 60, 200))  # within a second: not written again
    scan.refresh_from_db()
    assert scan.bytes_done == 150


def test_running_page_polls_without_inline_script(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    scan = Scan.objects.create(unit=demo["units"]["demo-policy-planning"], status="running", bytes_total=1000,
                               bytes_done=250, events_done=7, current_file="big.log", progress_at=timezone.now())
    ScanFile.objects.create(scan=scan, name="big.log", size=1000, fingerprint="sha256:x")
    html = login_as("sysowner").get(reverse("discovery_scan", kwargs={"pk": scan.pk})).content.decode()
    assert f'hx-get="/discovery/scans/{scan.pk}/progress/"' in html and 'hx-trigger="every 2s"' in html
    assert 'value="25"' in html and "big.log" in html
    assert "<script" not in html.split("</header>")[1]


def test_a_failing_file_gives_a_failed_scan_with_a_clear_error(login_as, demo, tmp_path, settings,
                                                                 monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings.KIJUN_DISCOVERY_LOG_DIR = str(tmp_path)
    settings.KIJUN_DISCOVERY_BACKGROUND = True
    started: list[int] = []
    monkeypatch.setattr(services, "start", started.append)
    log = tmp_path / "rotated.log"
    log.write_bytes(SQUID)
    c = login_as("sysowner")
    r = c.post(reverse("discovery_files"), {"unit": demo["units"]["demo-policy-planning"].pk, "format": "auto",
                                            "register_source": "none", "files": ["rotated.log"]})
    assert r.status_code == 302
    scan = Scan.objects.get()
    assert scan.status == "queued"
    log.unlink()  # the file vanishes (log rotation) before the worker starts
    services.execute(scan.pk)
    scan.refresh_from_db()
    assert scan.status == "failed" and "rotated.log" in scan.error and "cannot read" in scan.error
    page = c.get(reverse("discovery_scan", kwargs={"pk": scan.pk})).content.decode()
    assert "This scan failed:" in page or "このスキャンは失敗しました" in page
    assert c.get(f"{BASE}/scans/{scan.pk}/progress").json()["status"] == "failed"
    assert AuditEntry.objects.filter(action="discovery.scan", object_id=str(scan.pk), outcome="failure").exists()


def test_duplicate_upload_is_reported_and_can_be_forced(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    first = c.post(reverse("discovery_new"), _form(demo))
    assert first.status_code == 302
    original = Scan.objects.get()
    again = c.post(reverse("discovery_new"), _form(demo, logs=[squid_file("renamed.log")]))
    body = again.content.decode()
    assert again.status_code == 409 and Scan.objects.count() == 1
    assert f"#{original.pk}" in body and "renamed.log" in body
    assert reverse("discovery_scan", kwargs={"pk": original.pk}) in body
    assert upload_files() == []  # the refused upload was not kept
    forced = c.post(reverse("discovery_new"), _form(demo, rescan="on"))
    assert forced.status_code == 302 and Scan.objects.count() == 2
    # another unit may scan the same file; the API answers 409 with the earlier scan's id
    other = demo["units"]["demo-it-division"].pk
    assert c.post(f"{BASE}/scans?unit_id={other}", {"logs": [squid_file()]}).status_code == 201
    r = c.post(f"{BASE}/scans?unit_id={other}", {"logs": [squid_file()]})
    assert r.status_code == 409 and r.json()["code"] == "duplicate"
    assert c.post(f"{BASE}/scans?unit_id={other}&force=true", {"logs": [squid_file()]}).status_code == 201


def test_a_failed_scan_does_not_count_as_a_duplicate(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    scan = Scan.objects.create(unit=demo["units"]["demo-policy-planning"], status="failed", error="x")
    import hashlib

    ScanFile.objects.create(scan=scan, name="access.log", size=len(SQUID),
                            fingerprint="sha256:" + hashlib.sha256(SQUID).hexdigest())
    assert login_as("sysowner").post(reverse("discovery_new"), _form(demo)).status_code == 302


def test_time_window_in_the_form(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    r = c.post(reverse("discovery_new"), _form(demo, since="2024-05-01T10:00:01+09:00", until="2024-05-01T01:00:03Z"))
    assert r.status_code == 302
    scan = Scan.objects.get()
    assert scan.since.isoformat() == "2024-05-01T01:00:01+00:00" and scan.report["totals"]["events"] == 2
    assert scan.report["sources"][0]["skipped"]["outside_window"] == 2
    assert "2024-05-01" in c.get(r["Location"]).content.decode()


@pytest.mark.parametrize(("since", "until", "field"), [
    ("yesterday", "", "since"),
    ("", "2024-13-01", "until"),
    ("2024-05-02", "2024-05-01T23:00", "until"),
])
def test_bad_time_window_is_a_form_error(login_as, demo, since, until, field) -> None:  # type: ignore[no-untyped-def]
    r = login_as("sysowner").post(reverse("discovery_new"), _form(demo, since=since, until=until))
    assert r.status_code == 400 and Scan.objects.count() == 0
    assert field in r.context["form"].errors and upload_files() == []


def test_bad_time_window_in_the_api(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    # like unreadable logs, an accepted request with a bad window is a failed scan that says why
    c = login_as("sysowner")
    unit = demo["units"]["demo-policy-planning"].pk
    r = c.post(f"{BASE}/scans?unit_id={unit}&since=2024-05-02&until=2024-05-01", {"logs": [squid_file()]})
    assert r.status_code == 201 and r.json()["status"] == "failed" and "later than since" in r.json()["error"]
    r = c.post(f"{BASE}/scans?unit_id={unit}&until=soon", {"logs": [squid_file()]})
    assert r.status_code == 201 and r.json()["error"].startswith("until: bad date/time")
    assert r.json()["file_names"] == ["access.log"] and upload_files() == []
    assert AuditEntry.objects.filter(action="discovery.scan", outcome="failure").count() == 2


def test_interrupted_scans_are_reaped(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    unit = demo["units"]["demo-policy-planning"]
    old = timezone.now() - timedelta(hours=1)
    stale = Scan.objects.create(unit=unit, status="running", progress_at=old)
    fresh = Scan.objects.create(unit=unit, status="running", progress_at=timezone.now())
    Scan.objects.filter(pk__in=[stale.pk, fresh.pk]).update(created_at=old)
    login_as("sysowner").get(reverse("discovery_index"))
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == "failed" and "interrupted" in stale.error
    assert fresh.status == "running"


def test_uploaded_files_are_removed_when_the_job_ends(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kijun.discovery import store

    scan = store.run_scan(demo["users"]["sysowner"], demo["units"]["demo-policy-planning"],
                          [store.LogUpload([SQUID], "a.log")])
    assert scan.status == "done" and upload_files() == [] and scan.params == {}
