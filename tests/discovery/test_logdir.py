"""The server-side log directory: listing, and refusal of every way out of it (web and API)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from kijun.discovery.logdir import LogDirError, list_files, resolve
from kijun.discovery.models import Scan

from .web_helpers import SQUID

BASE = "/api/v1/discovery"


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    root = tmp_path / "logs"
    (root / "squid").mkdir(parents=True)
    (root / "access.log").write_bytes(SQUID)
    (root / "squid" / "access.log.1").write_bytes(SQUID.replace(b"tanaka", b"kimura"))
    (root / ".hidden.log").write_bytes(SQUID)
    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0\n")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.log").write_bytes(SQUID)
    os.symlink(outside, root / "link-out.log")
    os.symlink(tmp_path / "elsewhere", root / "dir-out")
    os.symlink(root / "access.log", root / "squid" / "link-in.log")
    os.utime(root / "access.log", (1714500000, 1714500000))
    return root


ESCAPES = ["../secret.txt", "/etc/passwd", "squid/../../secret.txt", "link-out.log", "dir-out/x.log",
           ".hidden.log", "squid", "", "access.log\x00", "..", "squid\\access.log.1",
           "nope.log"]


def test_listing_shows_only_files_inside(logdir: Path) -> None:
    files = {f.path: f for f in list_files(logdir)}
    assert set(files) == {"access.log", "squid/access.log.1", "squid/link-in.log"}
    assert files["access.log"].size == len(SQUID) and files["access.log"].modified.year == 2024
    assert list(files)[0] == "squid/access.log.1"  # newest first: the old file (and its link) come last


@pytest.mark.parametrize("name", ESCAPES)
def test_resolve_refuses_escapes(logdir: Path, name: str) -> None:
    with pytest.raises(LogDirError):
        resolve(logdir, name)


def test_resolve_accepts_listed_files(logdir: Path) -> None:
    path, entry = resolve(logdir, "squid/link-in.log")
    assert path == (logdir / "access.log").resolve() and entry.path == "squid/link-in.log"
    assert entry.fingerprint.startswith("file:squid/link-in.log:")


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(LogDirError):
        list_files(tmp_path / "none")


def _post(c, demo, files, **extra):  # type: ignore[no-untyped-def]
    return c.post(reverse("discovery_files"), {"unit": demo["units"]["demo-policy-planning"].pk, "format": "auto",
                                                "register_source": "none", "files": files, **extra})


def test_directory_page_lists_and_scans(login_as, demo, logdir, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KIJUN_DISCOVERY_LOG_DIR = str(logdir)
    c = login_as("sysowner")
    page = c.get(reverse("discovery_files")).content.decode()
    assert "squid/access.log.1" in page and "access.log" in page
    assert "secret" not in page and ".hidden" not in page and "dir-out" not in page
    assert reverse("discovery_files") in c.get(reverse("discovery_index")).content.decode()
    r = _post(c, demo, ["access.log", "squid/access.log.1"], title="サーバー", since="2024-05-01")
    assert r.status_code == 302, r.content.decode()[:1500]
    scan = Scan.objects.get()
    assert (scan.status, scan.source, scan.file_names, scan.lines) == \
        ("done", "directory", ["access.log", "squid/access.log.1"], 12)
    assert (logdir / "access.log").exists()  # the administrator's files are left alone
    assert _post(c, demo, ["access.log"]).status_code == 409  # same file, same size and date
    assert _post(c, demo, ["access.log"], rescan="on").status_code == 302


@pytest.mark.parametrize("name", ["../secret.txt", "/etc/passwd", "link-out.log", "dir-out/x.log", "squid/../../secret.txt"])
def test_directory_page_refuses_traversal(login_as, demo, logdir, settings, name) -> None:  # type: ignore[no-untyped-def]
    settings.KIJUN_DISCOVERY_LOG_DIR = str(logdir)
    r = _post(login_as("sysowner"), demo, [name])
    assert r.status_code == 422 and Scan.objects.count() == 0
    assert "root:x" not in r.content.decode()


def test_directory_api(login_as, demo, logdir, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KIJUN_DISCOVERY_LOG_DIR = str(logdir)
    c = login_as("sysowner")
    listing = c.get(f"{BASE}/logdir").json()
    assert listing["configured"] and {f["path"] for f in listing["files"]} == \
        {"access.log", "squid/access.log.1", "squid/link-in.log"}
    unit = demo["units"]["demo-policy-planning"].pk
    for name in ("../secret.txt", "link-out.log", "/etc/passwd"):
        r = c.post(f"{BASE}/scans/from-directory", {"unit_id": unit, "files": [name]}, content_type="application/json")
        assert r.status_code == 404 and r.json()["code"] == "not_in_log_dir" and "root:x" not in r.content.decode()
    r = c.post(f"{BASE}/scans/from-directory", {"unit_id": unit, "files": ["access.log"], "until": "2024-05-01"},
               content_type="application/json")
    assert r.status_code == 201 and r.json()["source"] == "directory"
    assert r.json()["until"].startswith("2024-05-01T15:00:00")  # the whole day in +09:00
    r = c.post(f"{BASE}/scans/from-directory", {"unit_id": unit, "files": ["access.log"], "since": "x",
                                                 "force": True}, content_type="application/json")
    assert r.status_code == 201 and r.json()["status"] == "failed" and "since" in r.json()["error"]


def test_without_a_configured_directory(login_as, demo, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings.KIJUN_DISCOVERY_LOG_DIR = ""
    monkeypatch.delenv("KIJUN_DISCOVERY_LOG_DIR", raising=False)
    c = login_as("sysowner")
    assert 'data-testid="no-log-dir"' in c.get(reverse("discovery_files")).content.decode()
    assert c.get(f"{BASE}/logdir").json() == {"configured": False, "files": []}
    r = c.post(f"{BASE}/scans/from-directory", {"unit_id": demo["units"]["demo-policy-planning"].pk,
                                                 "files": ["a.log"]}, content_type="application/json")
    assert r.status_code == 201 and r.json()["status"] == "failed" and "KIJUN_DISCOVERY_LOG_DIR" in r.json()["error"]


def test_staff_cannot_list_the_directory(login_as, logdir, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KIJUN_DISCOVERY_LOG_DIR = str(logdir)
    c = login_as("staff")
    assert c.get(reverse("discovery_files")).status_code == 403
    assert c.get(f"{BASE}/logdir").status_code == 403
