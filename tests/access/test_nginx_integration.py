"""Real nginx `auth_request` in front of a static site, with the PDP running as `serve`.

Shows: a managed healthy device gets 200, an unmanaged one 403, MFA step-up 401, and after an
"EDR alert on device" signal the same device's next request is denied. Skipped when Debian's nginx
is not installed (CI installs it). All traffic stays on 127.0.0.1; processes are ours and stopped.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kijun.access.policy import shipped_default_rules

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx not installed (apt-get install nginx-light)")

ROUTES = """
routes:
  - prefix: /reports/
    resource: {id: reports, confidentiality: 2, org_unit: soumu}
"""
GOOD = "managed,agency_furnished,edr_running,edr_healthy,disk_encrypted"

NGINX_CONF = """
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {tmp}/site;
    location / {{
      auth_request /_kijun_authz;
      auth_request_set $kijun_decision $upstream_http_x_kijun_decision;
      auth_request_set $kijun_step_up $upstream_http_x_kijun_step_up;
      add_header X-Kijun-Decision $kijun_decision always;
      add_header X-Kijun-Step-Up $kijun_step_up always;
      try_files $uri =404;
    }}
    location = /_kijun_authz {{
      internal;
      proxy_pass http://127.0.0.1:{pdp_port}/v1/authz/nginx;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Original-Method $request_method;
    }}
  }}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback test URL
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(url)


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, str]]:
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "default.rules.yaml").write_text(shipped_default_rules(), "utf-8")
    (policy / "routes.yaml").write_text(ROUTES, "utf-8")
    (tmp_path / "site" / "reports").mkdir(parents=True)
    (tmp_path / "site" / "reports" / "q3.html").write_text("<p>quarterly report</p>\n")
    pdp_port, web_port = _free_port(), _free_port()
    pdp_log = (tmp_path / "pdp.log").open("wb")
    pdp = subprocess.Popen(
        [sys.executable, "-c", "from kijun.access.cli import app; app()", "serve", "--policy", str(policy),
         "--port", str(pdp_port), "--decision-log", str(tmp_path / "decisions.jsonl")],
        stdout=subprocess.DEVNULL, stderr=pdp_log,
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp_path, port=web_port, pdp_port=pdp_port))
    web = subprocess.Popen([str(NGINX), "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(f"http://127.0.0.1:{pdp_port}/healthz")
        _wait(f"http://127.0.0.1:{web_port}/")
        yield f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{pdp_port}"
    finally:
        for proc in (web, pdp):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        pdp_log.close()


def _headers(device: str, posture: str, authn: str = "mfa") -> dict[str, str]:
    return {"X-Kijun-User": "alice", "X-Kijun-Roles": "staff", "X-Kijun-Org-Unit": "soumu",
            "X-Kijun-Network": "telework", "X-Kijun-Authn": authn, "X-Kijun-Device-Id": device,
            "X-Kijun-Device-Posture": posture, "X-Kijun-Device-Patch-Age": "4", "X-Kijun-Session": f"s-{device}"}


def test_nginx_auth_request_end_to_end(stack: tuple[str, str], tmp_path: Path) -> None:
    web, pdp = stack
    status, headers, body = _get(f"{web}/reports/q3.html", _headers("pc-good", GOOD))
    assert status == 200 and b"quarterly report" in body
    assert headers.get("X-Kijun-Decision") == "allow"

    status, _, _ = _get(f"{web}/reports/q3.html", _headers("home-pc", "edr_running,edr_healthy"))
    assert status == 403  # unmanaged device on telework: deny_c2_telework_unmanaged_device

    status, headers, _ = _get(f"{web}/reports/q3.html", _headers("pc-good", GOOD, authn=""))
    assert status == 401 and headers.get("X-Kijun-Step-Up") == "mfa"

    signal = urllib.request.Request(  # noqa: S310
        f"{pdp}/v1/signals", data=json.dumps({"kind": "edr_alert", "device_id": "pc-good"}).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(signal, timeout=5) as resp:  # noqa: S310
        assert json.loads(resp.read())["revoke"] == ["s-pc-good"]

    status, _, _ = _get(f"{web}/reports/q3.html", _headers("pc-good", GOOD))
    assert status == 403  # same device, same (stale) PEP headers: the PDP remembers the alert

    # The PDP writes decision logs off the request path (DeferredSink): wait briefly for the fourth line.
    log = tmp_path / "decisions.jsonl"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(log.read_text().splitlines()) < 4:
        time.sleep(0.05)
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert [rec["result"]["decision"] for rec in lines] == ["allow", "deny", "step_up", "deny"]
    assert lines[-1]["result"]["determining_policies"] == ["deny_edr_alert"]


def test_serve_with_two_workers(tmp_path: Path) -> None:
    """`serve --workers 2`: uvicorn worker processes each load the policy from the same settings."""
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "default.rules.yaml").write_text(shipped_default_rules(), "utf-8")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from kijun.access.cli import app; app()", "serve", "--policy", str(policy),
         "--port", str(port), "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/healthz", seconds=30)
        body = json.dumps({"principal": {"id": "a", "roles": ["staff"], "org_unit": "x"}, "action": "read",
                           "resource": {"id": "r", "confidentiality": 1, "org_unit": "x"},
                           "context": {"network": "agency"}}).encode()
        for _ in range(4):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/decide", data=body, method="POST",  # noqa: S310
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310
                decision = json.loads(resp.read())
            assert decision["decision"] == "deny"  # unknown device: worst posture
            assert "deny_edr_not_running" in decision["determining_policies"]
    finally:
        proc.terminate()
        proc.wait(timeout=15)
