"""Diagnostics pages and API: uploads, remediation edits, exports, scope, query-count flatness."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from kijun.core.models import AuditEntry
from kijun.diagnostics import synthetic
from kijun.diagnostics.models import Finding, Host, Installed, NvdCve, Remediation
from kijun.diagnostics.services import ingest_files, rematch, today

from .conftest_shared import sample
from .dbhelpers import write_inventory

pytestmark = pytest.mark.django_db


def test_demo_data_is_loaded_and_scoped(login_as) -> None:  # type: ignore[no-untyped-def]
    # 政策企画課 PCs and 情報システム課 servers; the system security officer of 情報システム課 sees only theirs
    c = login_as("sysowner")
    r = c.get(reverse("diagnostics_hosts"))
    body = r.content.decode()
    assert r.status_code == 200 and "web-01" in body and "pc-101" not in body
    pc = Host.objects.get(name="pc-101")
    assert c.get(reverse("diagnostics_host_detail", args=[pc.pk])).status_code == 404
    rem = Remediation.objects.filter(host=pc).first()
    assert c.get(reverse("diagnostics_remediation_detail", args=[rem.pk])).status_code == 404
    # ... and the CVE page lists only hosts in scope
    r = c.get(reverse("diagnostics_vuln_detail", args=["CVE-2099-0002"]))
    assert r.status_code == 200 and "pc-101" not in r.content.decode()


def test_dashboard_counts_chart_and_cards(login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("csirt")
    r = c.get(reverse("diagnostics_index"))
    html = r.content.decode()
    assert r.status_code == 200
    assert 'data-testid="count-act"' in html and "<svg" in html and 'data-testid="trend-chart"' in html
    assert "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    home = c.get("/").content.decode()
    assert 'data-testid="stat-vuln-act"' in home and 'data-testid="stat-vuln-overdue"' in home
    assert 'data-testid="stat-vuln-act"' not in login_as("staff").get("/").content.decode()


def test_vuln_page_shows_facts_hosts_and_criterion(login_as) -> None:  # type: ignore[no-untyped-def]
    r = login_as("csirt").get(reverse("diagnostics_vuln_detail", args=["CVE-2099-0001"]))
    html = r.content.decode()
    assert "KEV" in html and "2099-01-26" in html and "0.9123" in html
    assert "web-01" in html and "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*" in html and "&gt;=8.5,&lt;9.8" in html
    r = login_as("csirt").get(reverse("diagnostics_vuln_detail", args=["CVE-2099-0003"]))
    assert "cpe:2.3:o:microsoft:windows_10_22h2" in r.content.decode()  # the "running on" platform


def test_remediation_edit_through_the_ui(login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("csirt")
    rem = Remediation.objects.get(vuln__vuln_id="CVE-2099-0001")
    url = reverse("diagnostics_remediation_detail", args=[rem.pk])
    r = c.post(url, {"status": "risk_accepted", "version": rem.version, "note": "x"})
    assert r.status_code == 200 and "有効期限" in r.content.decode()  # refused, form error shown
    r = c.post(url, {"status": "in_progress", "version": rem.version, "due_on": "2099-01-20", "note": "パッチ適用予定"})
    assert r.status_code == 302
    rem.refresh_from_db()
    assert rem.status == "in_progress" and rem.due_on == dt.date(2099, 1, 20) and "パッチ適用予定" in rem.evidence
    r = c.post(url, {"status": "open", "version": rem.version - 1})  # stale version
    assert r.status_code == 200 and "他の" in r.content.decode()
    # read-only users see no form and cannot post
    viewer = login_as("auditor")
    assert "<form method=\"post\">" not in viewer.get(url).content.decode()
    assert viewer.post(url, {"status": "fixed", "version": rem.version}).status_code == 403


def test_remediation_list_filters_and_exports(login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("csirt")
    r = c.get(reverse("diagnostics_remediations") + "?outcome=3")
    assert "CVE-2099-0001" in r.content.decode() and "CVE-2099-0002" not in r.content.decode()
    host = Host.objects.get(name="web-01")
    host.name = "=HYPERLINK(1)"  # an attacker-chosen host name must not become a formula
    host.save()
    r = c.get(reverse("diagnostics_remediation_export") + "?format=csv&status=all")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "脆弱性ID" and any(row[4] == "'=HYPERLINK(1)" for row in rows[1:])
    r = c.get(reverse("diagnostics_remediation_export") + "?format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws["A1"].value == "脆弱性ID" and ws.max_row == Remediation.objects.filter(status__in=("open", "in_progress")).count() + 1
    r = c.get(reverse("diagnostics_findings_export") + "?format=csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == Finding.objects.count() + 1 and rows[0][0] == "ホスト"


def test_coverage_lists_unmapped(login_as) -> None:  # type: ignore[no-untyped-def]
    r = login_as("csirt").get(reverse("diagnostics_coverage"))
    html = r.content.decode()
    assert "庁内文書管理クライアント" in html and 'data-testid="mapped-pct"' in html


def test_upload_inventory_and_feed(login_as, demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    c = login_as("csirt")
    unit = demo["units"]["demo-general-affairs"]
    inv = write_inventory(tmp_path, [("ga-pc-1", "program", "Google Chrome", "119.0.6045.200", "Google LLC", ""),
                                     ("ga-pc-1", "program", "=cmd", "1", "", "")])
    with inv.open("rb") as fh:
        r = c.post(reverse("diagnostics_upload_inventory"), {"unit": unit.pk, "file": fh})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Finding.objects.filter(host__name="ga-pc-1", vuln__vuln_id="CVE-2099-0002").exists()
    assert AuditEntry.objects.filter(action="diagnostics.inventory.ingest").exists()
    # a broken file: clear error, nothing stored
    bad = tmp_path / "bad.json"
    bad.write_text('{"bomFormat": "CycloneDX", "components": 5}', encoding="utf-8")
    before = Installed.objects.count()
    with bad.open("rb") as fh:
        r = c.post(reverse("diagnostics_upload_inventory"), {"unit": unit.pk, "file": fh})
    assert r.status_code == 400 and "読み取れません" in r.content.decode()
    assert Installed.objects.count() == before
    # a feed: KEV with a new entry for the Chrome CVE raises its outcome
    kev = synthetic.kev_doc()
    due = today() + dt.timedelta(days=3)  # earlier than the SLA date the record has: the KEV date wins
    kev["vulnerabilities"].append(dict(kev["vulnerabilities"][0], cveID="CVE-2099-0002", dueDate=due.isoformat()))
    p = tmp_path / "kev.json"
    p.write_text(json.dumps(kev), encoding="utf-8")
    with p.open("rb") as fh:
        r = c.post(reverse("diagnostics_upload_feed"), {"kind": "kev", "file": fh})
    assert r.status_code == 302
    rem = Remediation.objects.get(vuln__vuln_id="CVE-2099-0002", host__name="ga-pc-1")
    assert rem.vuln.kev and rem.due_on == due and rem.due_basis == "kev"
    assert rem.outcome >= 2  # exploitation active now
    # users without VULN_MANAGE cannot upload
    assert login_as("sysowner").get(reverse("diagnostics_upload_inventory")).status_code == 403


def test_rematch_button_and_sla(login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("csirt")
    assert c.post(reverse("diagnostics_rematch")).status_code == 302
    assert login_as("sysowner").post(reverse("diagnostics_rematch")).status_code == 403
    c = login_as("csirt")
    r = c.post(reverse("diagnostics_sla"), {"days_3": 3, "days_2": 14, "days_1": 60, "days_0": 120})
    assert r.status_code == 302 and AuditEntry.objects.filter(action="diagnostics.sla.update").exists()


def test_api_lists_and_patch(login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("csirt")
    data = c.get("/api/v1/diagnostics/summary").json()
    assert data["by_outcome"]["Act"] >= 1
    rem = Remediation.objects.get(vuln__vuln_id="CVE-2099-0001")
    url = f"/api/v1/diagnostics/remediations/{rem.pk}"
    r = c.patch(url, {"status": "risk_accepted", "version": rem.version}, content_type="application/json")
    assert r.status_code == 422
    r = c.patch(url, {"status": "in_progress", "version": rem.version + 5}, content_type="application/json")
    assert r.status_code == 409
    r = c.patch(url, {"status": "in_progress", "version": rem.version, "note": "api"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    host = Host.objects.get(name="web-01")
    found = c.get(f"/api/v1/diagnostics/hosts/{host.pk}/findings").json()["items"]
    assert found[0]["vuln_id"] == "CVE-2099-0001" and found[0]["reason"]["nvd"]["range"] == ">=8.5,<9.8"
    assert login_as("sysowner").get(f"/api/v1/diagnostics/hosts/{Host.objects.get(name='pc-101').pk}/findings").status_code == 404


def _grow(demo: dict[str, Any], tmp_path: Path, n: int) -> None:
    rows = []
    for h in range(n):
        for r in synthetic.INVENTORY:
            rows.append((f"{r[0]}-x{h}", *r[1:]))
    ingest_files([write_inventory(tmp_path, rows, f"grow{n}.csv")], unit=demo["units"]["demo-policy-planning"],
                 actor_label="test")
    rematch(actor_label="test")


PAGES = ["diagnostics_index", "diagnostics_hosts", "diagnostics_remediations", "diagnostics_coverage"]


@pytest.mark.parametrize("name", PAGES)
def test_list_pages_have_flat_query_counts(login_as, demo, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    c = login_as("csirt")
    _grow(demo, tmp_path, 2)
    c.get(reverse(name))  # warm caches (session, permissions)
    with CaptureQueriesContext(connection) as small:
        assert c.get(reverse(name)).status_code == 200
    _grow(demo, tmp_path, 15)
    with CaptureQueriesContext(connection) as large:
        assert c.get(reverse(name)).status_code == 200
    assert len(large) == len(small), f"{name}: {len(small)} → {len(large)} queries (N+1?)"


@pytest.mark.parametrize("name", ["diagnostics_vuln_detail", "diagnostics_host_detail"])
def test_detail_pages_have_flat_query_counts(login_as, demo, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    c = login_as("csirt")

    def url() -> str:
        if name == "diagnostics_vuln_detail":
            return reverse(name, args=["CVE-2099-0002"])
        return reverse(name, args=[Host.objects.get(name="pc-101").pk])

    _grow(demo, tmp_path, 2)
    c.get(url())
    with CaptureQueriesContext(connection) as small:
        c.get(url())
    _grow(demo, tmp_path, 15)
    with CaptureQueriesContext(connection) as large:
        c.get(url())
    assert len(large) == len(small)


def test_reference_sample_upload(login_as, demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The real-shaped CycloneDX sample goes through the upload path (magic bytes, suffix, parser)."""
    src = sample("cyclonedx_min.json")
    c = login_as("csirt")
    with src.open("rb") as fh:
        r = c.post(reverse("diagnostics_upload_inventory"), {"unit": demo["units"]["demo-it-division"].pk, "file": fh})
    assert r.status_code == 302
    assert Installed.objects.filter(source__icontains="").exclude(host__name__in=[r[0] for r in synthetic.INVENTORY]).exists()
    assert NvdCve.objects.exists() and today()
