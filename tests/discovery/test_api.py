"""Discovery API: multipart scan, report JSON, scoped and paged listing, decisions, limits."""

from __future__ import annotations

import json

import pytest

from kijun.core.models import AuditEntry, RoleAssignment, User
from kijun.discovery.models import AppDecision, Scan, ScanUser

from .web_helpers import make_scan, squid_file, upload_files, w3c_gz_file

pytestmark = pytest.mark.django_db
BASE = "/api/v1/discovery"


def _create(client, demo, query: str = "", **extra):  # type: ignore[no-untyped-def]
    data = {"logs": [squid_file(), w3c_gz_file()], **extra}
    return client.post(f"{BASE}/scans?unit_id={demo['units']['demo-policy-planning'].pk}{query}", data)


def test_create_scan_by_multipart_and_read_the_report(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    r = _create(c, demo, query="&title=API%20scan")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["lines"], body["malformed"], body["apps"], body["unsanctioned"], body["users"]) == (11, 1, 3, 3, 4)
    assert body["created_by"] == "sysowner" and body["formats"] == ["squid", "w3c"]
    resp = c.get(f"{BASE}/scans/{body['id']}/report")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/json" and resp.streaming
    rep = json.loads(b"".join(resp.streaming_content))
    assert rep["schema_version"] == 1 and rep["top_unsanctioned_apps"][0] == "dropbox"
    # the users' rows live in ScanUser; the API gives the whole document, as the engine built it
    stored = Scan.objects.get(pk=body["id"])
    assert all("usage" not in u for u in stored.report["users"])
    assert ScanUser.objects.filter(scan=stored).count() == len(rep["users"]) == 4
    assert all(u["usage"] and u["usage"][0]["transactions"] >= 1 for u in rep["users"])
    assert sum(x["transactions"] for u in rep["users"] for x in u["usage"]) == sum(
        u["transactions"] for u in rep["users"]
    )
    assert rep["sources"][0]["malformed_samples"][0]["line"] == 6
    assert c.get(f"{BASE}/scans/{body['id']}").json()["title"] == "API scan"
    assert AuditEntry.objects.filter(action="discovery.scan", object_id=str(body["id"])).exists()
    assert upload_files() == []


def test_listing_is_scoped_and_paged(client, demo) -> None:  # type: ignore[no-untyped-def]
    inside = [make_scan(demo["units"]["demo-policy-planning"], demo["users"]["admin"]) for _ in range(3)]
    outside = make_scan(demo["units"]["demo-it-division"], demo["users"]["admin"])
    u = User.objects.create(username="bureau-csirt", unit=demo["units"]["demo-policy-bureau"])
    RoleAssignment.objects.create(user=u, role="csirt_member", unit=demo["units"]["demo-policy-bureau"])
    client.force_login(u)
    page = client.get(f"{BASE}/scans?limit=2").json()
    assert page["count"] == 3 and len(page["items"]) == 2
    assert {i["id"] for i in client.get(f"{BASE}/scans").json()["items"]} == {s.pk for s in inside}
    assert client.get(f"{BASE}/scans/{outside.pk}").status_code == 404
    assert client.get(f"{BASE}/scans/{outside.pk}/report").status_code == 404
    assert client.get(f"{BASE}/scans?limit=501").status_code == 422
    r = client.post(f"{BASE}/decisions", {"scan_id": outside.pk, "key": "dropbox", "decision": "ignored"},
                    content_type="application/json")
    assert r.status_code == 404 and not AppDecision.objects.exists()
    r = client.post(f"{BASE}/scans?unit_id={demo['units']['demo-it-division'].pk}", {"logs": [squid_file()]})
    assert r.status_code == 404 and Scan.objects.count() == 4


def test_oversize_upload_is_413_and_leaves_nothing(login_as, demo, settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.KIJUN_DISCOVERY_MAX_UPLOAD = 300
    c = login_as("sysowner")
    r = _create(c, demo, logs=[SimpleUploadedFile("big.log", b"x" * 4000)])
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert Scan.objects.count() == 0 and upload_files() == []


def test_bad_format_and_undetectable_logs(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = login_as("sysowner")
    assert _create(c, demo, query="&format=apache").status_code == 422
    # an accepted upload that cannot be read is a failed scan (status and error), audited
    r = _create(c, demo, logs=[SimpleUploadedFile("x.txt", b"hello\nworld\n")])
    assert r.status_code == 201 and r.json()["status"] == "failed" and "could not detect" in r.json()["error"]
    assert Scan.objects.get().status == "failed" and upload_files() == []
    assert AuditEntry.objects.filter(action="discovery.scan", outcome="failure").exists()
    r = _create(c, demo, logs=[SimpleUploadedFile("a.bin", b"\x00\x01binary")])
    assert r.status_code == 201 and r.json()["status"] == "failed" and "binary content" in r.json()["error"]
    assert upload_files() == []


def test_decisions_api(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    scan_id = _create(c, demo).json()["id"]
    r = c.post(f"{BASE}/decisions", {"scan_id": scan_id, "key": "chatgpt", "decision": "prohibited",
                                     "reason": "約款のみ"}, content_type="application/json")
    assert r.status_code == 200, r.content
    d = r.json()
    assert d["decision"] == "prohibited" and d["decided_by"] == "sysowner" and d["version"] == 1
    r = c.post(f"{BASE}/decisions", {"scan_id": scan_id, "key": "chatgpt", "decision": "ignored", "version": 5},
               content_type="application/json")
    assert r.status_code == 409
    r = c.post(f"{BASE}/decisions", {"scan_id": scan_id, "key": "nope", "decision": "ignored"},
               content_type="application/json")
    assert r.status_code == 404
    listing = c.get(f"{BASE}/decisions").json()
    assert listing["count"] == 1 and listing["items"][0]["key"] == "chatgpt"
    assert AuditEntry.objects.filter(action="discovery.decide").count() == 1
    ciso = login_as("ciso")
    r = ciso.post(f"{BASE}/decisions", {"scan_id": scan_id, "key": "chatgpt", "decision": "ignored"},
                  content_type="application/json")
    assert r.status_code == 403
    assert ciso.post(f"{BASE}/scans?unit_id=1", {"logs": [squid_file()]}).status_code == 403


def test_failed_scan_is_listed_with_its_error(login_as, demo) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    c = login_as("sysowner")
    scan_id = _create(c, demo, logs=[SimpleUploadedFile("x.txt", b"hello\nworld\n")]).json()["id"]
    listing = c.get(reverse("discovery_index")).content.decode()
    assert "could not detect the log format" in listing
    page = c.get(reverse("discovery_scan", kwargs={"pk": scan_id}))
    assert page.status_code == 200 and "could not detect the log format" in page.content.decode()
