"""Discovery pages: upload → report → drill-down → export → decisions, with limits and scope."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kijun.core.models import AuditEntry
from kijun.discovery.models import AppDecision, Scan

from .web_helpers import REGISTER, make_scan, squid_file, upload_files, w3c_gz_file

pytestmark = pytest.mark.django_db


def _upload(client, demo, **extra):  # type: ignore[no-untyped-def]
    data = {"unit": demo["units"]["demo-policy-planning"].pk, "title": "5月分", "format": "auto",
            "register_source": "none", "logs": [squid_file(), w3c_gz_file()], **extra}
    return client.post(reverse("discovery_new"), data)


def test_upload_squid_and_gzip_w3c_gives_the_report(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    r = _upload(c, demo, register_source="upload",
                register=SimpleUploadedFile("register.csv", REGISTER, content_type="text/csv"))
    assert r.status_code == 302, r.content.decode()[:2000]
    scan = Scan.objects.get()
    assert r["Location"] == reverse("discovery_scan", kwargs={"pk": scan.pk})
    assert (scan.lines, scan.malformed, scan.apps, scan.unsanctioned, scan.unknown_domains, scan.users) == \
        (11, 1, 3, 2, 1, 4)
    assert scan.file_names == ["access.log", "proxysg.log.gz"]
    assert scan.formats == ["squid", "w3c"]
    assert scan.register_name == "register.csv"
    apps = {a["key"]: a for a in scan.report["apps"]}
    assert apps["dropbox"]["status"] == "unsanctioned"
    assert (apps["dropbox"]["users"], apps["dropbox"]["transactions"], apps["dropbox"]["bytes_up"],
            apps["dropbox"]["bytes_down"]) == (2, 3, 700, 11123)
    assert apps["cybozu-cloud@agency.cybozu.com"]["status"] == "sanctioned"
    assert [u["domain"] if "domain" in u else u["registrable_domain"] for u in scan.report["unknown_domains"]] == \
        ["unknown-widget.example"]
    assert upload_files() == []  # logs are deleted once scanned

    page = c.get(r["Location"]).content.decode()
    assert "5月分" in page and "Dropbox" in page and "unknown-widget.example" in page
    assert "<svg" in page and "<script" not in page.split("</header>")[1]
    # the malformed line is shown with its line number and reason
    assert "this line is not a squid record" in page and "could not convert string to float" in page
    # per-user drill-down
    r = c.get(reverse("discovery_user", kwargs={"pk": scan.pk}) + "?u=tanaka")
    assert r.status_code == 200 and "Dropbox" in r.content.decode()
    assert c.get(reverse("discovery_user", kwargs={"pk": scan.pk}) + "?u=nobody").status_code == 404
    r = c.get(reverse("discovery_unknown", kwargs={"pk": scan.pk}))
    assert "files.unknown-widget.example" in r.content.decode()


def test_scan_is_audited(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    _upload(c, demo)
    scan = Scan.objects.get()
    e = AuditEntry.objects.get(action="discovery.scan", outcome="success")
    assert e.object_id == str(scan.pk) and e.actor == "sysowner"
    assert e.after["lines"] == 11 and e.after["files"] == ["access.log", "proxysg.log.gz"]


def test_csv_and_xlsx_export(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    _upload(c, demo)
    scan = Scan.objects.get()
    r = c.get(reverse("discovery_export_csv", kwargs={"pk": scan.pk}))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    body = r.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    by_key = {row["key"]: row for row in rows}
    assert set(by_key) == {"dropbox", "chatgpt", "cybozu-cloud", "?unknown-widget.example"}
    assert by_key["dropbox"]["status"] == "unsanctioned" and by_key["dropbox"]["transactions"] == "3"
    assert by_key["dropbox"]["bytes_down"] == "11123"
    assert by_key["?unknown-widget.example"]["status"] == "unknown-domain"
    r = c.get(reverse("discovery_export_xlsx", kwargs={"pk": scan.pk}))
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    assert wb.sheetnames == ["summary", "apps", "unknown_domains", "users", "sources"]
    xlsx_users = list(wb["users"].iter_rows(values_only=True))[1:]
    r = c.get(reverse("discovery_export_users_csv", kwargs={"pk": scan.pk}))
    assert r.status_code == 200 and r.streaming and r["Content-Type"].startswith("text/csv")
    body = b"".join(r.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    users = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert users[0][:4] == ["user", "key", "name", "status"] and len(users) - 1 == len(xlsx_users) > 0
    assert ["tanaka", "dropbox"] in [u[:2] for u in users]
    assert AuditEntry.objects.filter(action="discovery.export").count() == 3


def test_oversize_upload_is_413_and_leaves_nothing(login_as, demo, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KIJUN_DISCOVERY_MAX_UPLOAD = 200
    c = login_as("sysowner")
    r = _upload(c, demo, logs=[SimpleUploadedFile("big.log", b"x" * 5000)])
    assert r.status_code == 413
    assert Scan.objects.count() == 0 and upload_files() == []


def test_gzip_bomb_is_refused(login_as, demo, settings) -> None:  # type: ignore[no-untyped-def]
    import gzip

    settings.KIJUN_DISCOVERY_MAX_UNPACKED = 10_000
    c = login_as("sysowner")
    r = _upload(c, demo, logs=[SimpleUploadedFile("bomb.log.gz", gzip.compress(b"a" * 1_000_000))])
    assert r.status_code == 422 and "expands beyond" in r.content.decode()
    assert Scan.objects.count() == 0 and upload_files() == []
    assert AuditEntry.objects.filter(action="discovery.scan", outcome="failure").exists()


def test_undetectable_format_is_a_form_error(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    r = _upload(c, demo, logs=[SimpleUploadedFile("notes.txt", "ただのメモ\n二行目\n".encode())])
    assert r.status_code == 422 and "could not detect the log format" in r.content.decode()
    assert Scan.objects.count() == 0 and upload_files() == []


def test_new_scan_needs_files_and_a_unit_in_scope(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    c = login_as("csirt")
    assert c.get(reverse("discovery_new")).status_code == 200
    r = c.post(reverse("discovery_new"), {"unit": demo["units"]["demo-policy-planning"].pk, "format": "auto",
                                          "register_source": "none"})
    assert r.status_code == 400 and Scan.objects.count() == 0
    staff = login_as("staff")
    assert staff.post(reverse("discovery_new"), {"logs": [squid_file()]}).status_code == 403


def test_out_of_scope_scan_is_404(client, demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.core.models import RoleAssignment, User

    outside = make_scan(demo["units"]["demo-it-division"], demo["users"]["admin"])
    inside = make_scan(demo["units"]["demo-policy-planning"], demo["users"]["admin"])
    u = User.objects.create(username="bureau-csirt", unit=demo["units"]["demo-policy-bureau"])
    RoleAssignment.objects.create(user=u, role="csirt_member", unit=demo["units"]["demo-policy-bureau"])
    client.force_login(u)
    for name in ("discovery_scan", "discovery_unknown", "discovery_export_csv"):
        assert client.get(reverse(name, kwargs={"pk": outside.pk})).status_code == 404
        assert client.get(reverse(name, kwargs={"pk": inside.pk})).status_code == 200
    listing = client.get(reverse("discovery_index")).content.decode()
    assert reverse("discovery_scan", kwargs={"pk": inside.pk}) in listing
    assert reverse("discovery_scan", kwargs={"pk": outside.pk}) not in listing
    r = client.post(reverse("discovery_decide", kwargs={"pk": outside.pk}), {"key": "dropbox", "decision": "ignored"})
    assert r.status_code == 404 and not AppDecision.objects.exists()


def test_decisions_are_saved_audited_and_remembered(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    _upload(c, demo)
    scan = Scan.objects.get()
    page = c.get(reverse("discovery_scan", kwargs={"pk": scan.pk})).content.decode()
    # nothing is preselected: "Save" on an undecided row must not sanction the service
    assert '<select name="decision"' in page and 'required><option value="" selected>' in page
    url = reverse("discovery_decide", kwargs={"pk": scan.pk})
    c.post(url, {"key": "dropbox", "name": "Dropbox", "decision": "", "reason": ""})
    assert not AppDecision.objects.exists()
    r = c.post(url, {"key": "dropbox", "name": "Dropbox", "decision": "prohibited", "reason": "個人契約"})
    assert r.status_code == 302
    d = AppDecision.objects.get()
    assert (d.key, d.decision, d.reason, d.decided_by.username, d.unit.code) == \
        ("dropbox", "prohibited", "個人契約", "sysowner", "demo-policy-planning")
    e = AuditEntry.objects.get(action="discovery.decide")
    assert e.before is None and e.after["decision"] == "prohibited"
    # a stale version is refused, the current one accepted and audited with before/after
    c.post(url, {"key": "dropbox", "decision": "ignored", "version": 99})
    assert AppDecision.objects.get().decision == "prohibited"
    c.post(url, {"key": "dropbox", "decision": "under_review", "version": 1})
    d.refresh_from_db()
    assert d.decision == "under_review" and d.version == 2
    last = AuditEntry.objects.filter(action="discovery.decide").order_by("-seq").first()
    assert last.before["decision"] == "prohibited" and last.after["decision"] == "under_review"
    # a key that is not in the report is refused
    c.post(url, {"key": "no-such-app", "decision": "ignored"})
    assert AppDecision.objects.count() == 1
    # remembered for the next scan of the unit (the same files again: "scan again" overrides the duplicate check)
    _upload(c, demo, rescan="on")
    newer = Scan.objects.order_by("-id").first()
    page = c.get(reverse("discovery_scan", kwargs={"pk": newer.pk})).content.decode()
    assert "審査中" in page or "Under review" in page
    # ... and applied as the baseline: the register status of the row is the decision
    rows = {a["key"]: a for a in newer.report["apps"]}
    assert rows["dropbox"]["register_status"] == "under_review" and rows["dropbox"]["status"] == "unsanctioned"
    assert newer.register_name == "decisions"
    c.post(reverse("discovery_decide", kwargs={"pk": newer.pk}),
           {"key": "?unknown-widget.example", "name": "widget", "decision": "sanctioned"})
    _upload(c, demo, rescan="on")
    third = Scan.objects.order_by("-id").first()
    keys = {a["key"]: a["status"] for a in third.report["apps"]}
    assert keys.get("@unknown-widget.example") == "sanctioned", keys
    assert third.report["unknown_domains"] == []
    # viewers without DISCOVERY_RUN see no decision buttons and cannot post
    ciso = login_as("ciso")
    assert "decide-form" not in ciso.get(reverse("discovery_scan", kwargs={"pk": newer.pk})).content.decode()
    assert ciso.post(url, {"key": "dropbox", "decision": "ignored"}).status_code == 403


def test_oversize_upload_with_csrf_enforced(demo, settings) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    settings.KIJUN_DISCOVERY_MAX_UPLOAD = 200
    c = Client(enforce_csrf_checks=True)
    c.force_login(demo["users"]["sysowner"])
    c.get(reverse("discovery_new"))
    token = c.cookies["csrftoken"].value if "csrftoken" in c.cookies else ""
    r = c.post(reverse("discovery_new"), {"csrfmiddlewaretoken": token, "unit": demo["units"]["demo-it-division"].pk,
                                          "format": "auto", "register_source": "none",
                                          "logs": [SimpleUploadedFile("big.log", b"x" * 5000)]})
    assert r.status_code == 413 and "at most 200 bytes" in r.content.decode()
    assert Scan.objects.count() == 0 and upload_files() == []


def test_the_cloud_register_can_be_the_baseline(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.discovery import store

    if store.cloud_register_source() is None:
        pytest.skip("the cloud web layer (kijun.cloud.models.RegisterEntry) is not installed")
    from kijun.cloud.models import RegisterEntry

    RegisterEntry.objects.create(service_id="dropbox-agency", service_name="Dropbox（庁契約）", status="approved",
                                 domains=["dropbox.com", "dropboxusercontent.com"])
    c = login_as("sysowner")
    r = _upload(c, demo, register_source="cloud")
    assert r.status_code == 302, r.content.decode()[:1000]
    scan = Scan.objects.get()
    rows = {a["key"]: a for a in scan.report["apps"]}
    assert (rows["dropbox@dropbox.com"]["status"], rows["dropbox@dropbox.com"]["transactions"]) == ("sanctioned", 2)
    assert rows["dropbox@dropboxusercontent.com"]["status"] == "sanctioned"
    assert rows["chatgpt"]["status"] == "unsanctioned"
    assert scan.register_name == "cloud register"
