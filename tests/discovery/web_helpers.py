"""Small logs and helpers shared by the discovery web and API tests (our own fixtures)."""

from __future__ import annotations

import gzip
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from kijun.core.models import OrgUnit, User
from kijun.discovery import store
from kijun.discovery.models import Scan

# 6 lines: 4 events (dropbox x2 by tanaka, chatgpt by suzuki, kintone tenant by suzuki),
# 1 Squid "NONE error" line (no host: skipped) and 1 malformed line.
SQUID = (
    b"1714525200.123    245 10.1.2.3 TCP_TUNNEL/200 5123 CONNECT www.dropbox.com:443 tanaka HIER_DIRECT/162.125.1.18 -\n"
    b"1714525201.456     88 10.1.2.4 TCP_MISS/200 18342 GET http://agency.cybozu.com/k/12/ suzuki HIER_DIRECT/103.79.14.1 text/html\n"
    b"1714525202.001   1203 10.1.2.4 TCP_TUNNEL/200 98011 CONNECT chatgpt.com:443 suzuki HIER_DIRECT/104.18.32.47 -\n"
    b"1714525203.500     20 10.1.2.3 TCP_TUNNEL/200 1000 CONNECT dl.dropboxusercontent.com:443 tanaka HIER_DIRECT/1.2.3.4 -\n"
    b"1714525204.010     15 10.1.2.4 NONE_NONE/000 0 NONE error:transaction-end-before-headers - HIER_NONE/- -\n"
    b"this line is not a squid record\n"
)

W3C = (
    b"#Software: SGOS 7.3.10.1\n"
    b"#Fields: date time c-ip cs-username sc-status cs-method cs-host sc-bytes cs-bytes\n"
    b"2024-05-01 01:00:00 10.9.0.1 sato 200 CONNECT www.dropbox.com 5000 700\n"
    b"2024-05-01 01:00:05 10.9.0.1 sato 200 POST unknown-widget.example 300 40\n"
    b"2024-05-01 01:00:09 10.9.0.2 ito 200 GET files.unknown-widget.example 100 10\n"
)

REGISTER = b"app,domain,status,name,note\n,agency.cybozu.com,approved,agency kintone,\n"


def squid_file(name: str = "access.log") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, SQUID, content_type="text/plain")


def w3c_gz_file(name: str = "proxysg.log.gz") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, gzip.compress(W3C), content_type="application/gzip")


def make_scan(unit: OrgUnit, user: User | None = None) -> Scan:
    """A stored scan of the small Squid log in ``unit`` (for matrix and scope tests)."""
    actor = user or User.objects.filter(is_superuser=False).first() or User.objects.create(username="scan-runner")
    return store.run_scan(actor, unit, [store.LogUpload([SQUID], "access.log")])


def upload_files() -> list[Any]:
    return list((store.upload_dir()).glob("*")) if store.upload_dir().exists() else []
