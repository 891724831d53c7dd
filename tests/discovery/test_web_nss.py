"""Zscaler NSS logs in the operator's own feed template: the upload form, the log-directory form and
the API take the template, refuse a bad one before anything is stored, detect NSS files with it and
pass it to the engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kijun.discovery import services
from kijun.discovery.models import Scan

from .web_helpers import SQUID, upload_files

pytestmark = pytest.mark.django_db
BASE = "/api/v1/discovery"

# Pipe-separated: no format's auto-detection recognises these lines without the template.
TEMPLATE = "%s{time}|%s{login}|%s{cip}|%s{eurl}|%d{reqsize}|%d{respsize}|%s{action}"
NSS_LINES = (
    "Wed May  1 10:00:00 2024|tanaka|10.1.2.3|www.dropbox.com/home|1820|5123|Allowed\n"
    "Wed May  1 10:00:05 2024|suzuki|10.1.2.4|chatgpt.com/c/1|900|20000|Allowed\n"
    "Wed May  1 10:00:09 2024|tanaka|10.1.2.3|dl.dropboxusercontent.com/s/x|100|300000|Allowed\n"
    "Wed May  1 10:00:12 2024|suzuki|10.1.2.4|files.unknown-widget.example/|10|20|Blocked\n"
    "a line in no known shape\n"
)
KV_NSS = "eurl=www.dropbox.com/home\tlogin=tanaka\tcip=10.1.2.3\treqsize=1\trespsize=2\n" * 3


@pytest.fixture
def nss_log(tmp_path: Path) -> Path:
    path = tmp_path / "zscaler-web.log"
    path.write_text(NSS_LINES, encoding="utf-8")
    return path


def _form(demo, log: Path | bytes, **extra):  # type: ignore[no-untyped-def]
    content = log.read_bytes() if isinstance(log, Path) else log
    return {"unit": demo["units"]["demo-policy-planning"].pk, "title": "", "format": "auto",
            "register_source": "none", "logs": [SimpleUploadedFile("zscaler-web.log", content)], **extra}


def _check_report(scan: Scan) -> None:
    assert scan.status == "done", scan.error
    assert scan.formats == ["nss"] and scan.nss_template == TEMPLATE
    assert (scan.lines, scan.malformed, scan.users) == (5, 1, 2)
    apps = {a["key"]: a for a in scan.report["apps"]}
    assert set(apps) == {"dropbox", "chatgpt"}
    assert (apps["dropbox"]["users"], apps["dropbox"]["transactions"], apps["dropbox"]["bytes_up"],
            apps["dropbox"]["bytes_down"]) == (1, 2, 1920, 305123)
    # zone-less NSS times are read in KIJUN_DISCOVERY_TZ (+09:00)
    assert apps["dropbox"]["first_seen"] == "2024-05-01T01:00:00+00:00"
    assert [u["registrable_domain"] for u in scan.report["unknown_domains"]] == ["unknown-widget.example"]


def test_upload_with_a_custom_template_gives_the_apps(login_as, demo, nss_log: Path) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    # without the template the file is in no known format: refused at once
    r = c.post(reverse("discovery_new"), _form(demo, nss_log))
    assert r.status_code == 422 and "could not detect the log format" in r.content.decode()
    assert Scan.objects.count() == 0
    # with it (pasted as the NSS console shows it, with its trailing \n) the file is detected as NSS
    r = c.post(reverse("discovery_new"), _form(demo, nss_log, nss_template=TEMPLATE + "\\n"))
    assert r.status_code == 302, r.content.decode()[:2000]
    scan = Scan.objects.get()
    _check_report(scan)
    assert scan.params == {"nss_template": TEMPLATE} and upload_files() == []
    page = c.get(reverse("discovery_scan", kwargs={"pk": scan.pk})).content.decode()
    assert 'data-testid="nss-template"' in page and "%s{login}|%s{cip}" in page


def test_the_template_works_with_the_format_chosen_and_beside_other_formats(login_as, demo, nss_log: Path) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    r = c.post(reverse("discovery_new"), _form(demo, nss_log, format="nss", nss_template=TEMPLATE))
    assert r.status_code == 302, r.content.decode()[:2000]
    _check_report(Scan.objects.get())
    # auto: a Squid file next to the NSS one is still detected as Squid
    data = _form(demo, nss_log, nss_template=TEMPLATE, rescan="on")
    data["logs"].append(SimpleUploadedFile("access.log", SQUID))
    r = c.post(reverse("discovery_new"), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Scan.objects.order_by("-id").first().formats == ["nss", "squid"]  # type: ignore[union-attr]


@pytest.mark.parametrize(("template", "reason"), [
    ("just text", "no %s{field} specifiers"),
    ("%s{time}|%s{1st}|%s{eurl}", "bad character in group name"),
])
def test_a_bad_template_is_a_form_error(login_as, demo, nss_log: Path, template: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    r = c.post(reverse("discovery_new"), _form(demo, nss_log, nss_template=template))
    assert r.status_code == 400
    form = r.context["form"]
    assert list(form.errors) == ["nss_template"] and reason in form.errors["nss_template"][0]
    assert Scan.objects.count() == 0 and upload_files() == []


def test_a_template_longer_than_the_limit_is_a_form_error(login_as, demo, nss_log: Path) -> None:  # type: ignore[no-untyped-def]
    c = login_as("sysowner")
    r = c.post(reverse("discovery_new"),
               _form(demo, nss_log, nss_template=TEMPLATE + "|%s{x}" * services.NSS_TEMPLATE_MAX))
    assert r.status_code == 400 and "nss_template" in r.context["form"].errors
    assert Scan.objects.count() == 0


@pytest.mark.parametrize("fmt", ["auto", "nss"])
def test_nss_lines_that_do_not_match_the_template_are_refused(login_as, demo, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """key=value NSS lines read with a template would all be malformed: refused now, not scanned."""
    c = login_as("sysowner")
    r = c.post(reverse("discovery_new"), _form(demo, KV_NSS.encode(), format=fmt, nss_template=TEMPLATE))
    assert r.status_code == 422 and "do not match the NSS feed template" in r.content.decode()
    assert Scan.objects.count() == 0 and upload_files() == []


def test_clean_nss_template() -> None:
    assert services.clean_nss_template(None) is None
    assert services.clean_nss_template("  \n") is None
    assert services.clean_nss_template(f" {TEMPLATE}\\n\r\n") == TEMPLATE
    assert services.clean_nss_template(r"%s{time}\t%s{eurl}") == r"%s{time}\t%s{eurl}"
    with pytest.raises(ValueError, match="at most"):
        services.clean_nss_template("%s{eurl}" * 300)


def test_directory_scan_with_a_template(login_as, demo, nss_log: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KIJUN_DISCOVERY_LOG_DIR = str(nss_log.parent)
    c = login_as("sysowner")
    data = {"unit": demo["units"]["demo-policy-planning"].pk, "title": "", "format": "auto",
            "register_source": "none", "files": [nss_log.name]}
    r = c.post(reverse("discovery_files"), {**data, "nss_template": "%s{eurl"})
    assert r.status_code == 400 and "nss_template" in r.context["form"].errors and Scan.objects.count() == 0
    r = c.post(reverse("discovery_files"), {**data, "nss_template": TEMPLATE})
    assert r.status_code == 302, r.content.decode()[:2000]
    scan = Scan.objects.get()
    _check_report(scan)
    assert nss_log.exists()  # files of the log directory are read in place


def test_api_takes_the_template(login_as, demo, nss_log: Path, settings) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import quote

    c = login_as("sysowner")
    unit = demo["units"]["demo-policy-planning"].pk
    logs = {"logs": [SimpleUploadedFile("zscaler-web.log", nss_log.read_bytes())]}
    r = c.post(f"{BASE}/scans?unit_id={unit}&nss_template={quote('%s{eurl')}", logs)
    assert r.status_code == 422 and r.json()["code"] == "bad_nss_template", r.content
    assert Scan.objects.count() == 0 and upload_files() == []
    logs = {"logs": [SimpleUploadedFile("zscaler-web.log", nss_log.read_bytes())]}
    r = c.post(f"{BASE}/scans?unit_id={unit}&nss_template={quote(TEMPLATE)}", logs)
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "done" and r.json()["nss_template"] == TEMPLATE
    _check_report(Scan.objects.get(pk=r.json()["id"]))
    assert c.get(f"{BASE}/scans/{r.json()['id']}").json()["nss_template"] == TEMPLATE

    settings.KIJUN_DISCOVERY_LOG_DIR = str(nss_log.parent)
    body = {"unit_id": unit, "files": [nss_log.name], "force": True}
    r = c.post(f"{BASE}/scans/from-directory", {**body, "nss_template": "no specifiers"},
               content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "bad_nss_template" and Scan.objects.count() == 1
    r = c.post(f"{BASE}/scans/from-directory", {**body, "nss_template": TEMPLATE}, content_type="application/json")
    assert r.status_code == 201, r.content
    _check_report(Scan.objects.get(pk=r.json()["id"]))
