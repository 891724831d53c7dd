"""Fault: a killed web worker is replaced and the service keeps answering (issue 8, item 8)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    """Worker processes of the server (not multiprocessing's resource tracker)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)  # noqa: S603, S607
    workers = set()
    for child in (int(x) for x in out.stdout.split()):
        try:
            cmd = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmd:
            workers.add(child)
    return workers


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 - loopback test server
        return int(r.status)


def test_killed_worker_is_replaced(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIJUN_DATABASE")}
    env.update({"KIJUN_DATA_DIR": str(tmp_path), "KIJUN_LOCAL_HTTP": "1", "KIJUN_SECRET_KEY": "t" * 50})
    kijun = [sys.executable, "-m", "kijun.cli.main"]
    subprocess.run([*kijun, "migrate"], env=env, check=True, capture_output=True, timeout=120)  # noqa: S603
    port = _free_port()
    proc = subprocess.Popen([*kijun, "serve", "--port", str(port), "--workers", "2", "--no-scheduler"],  # noqa: S603
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/login/"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if _get(url) == 200 and len(_children(proc.pid)) >= 2:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        before = _children(proc.pid)
        assert len(before) >= 2, "server did not start two workers"
        victim = sorted(before)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.time() + 30
        replaced = False
        while time.time() < deadline:
            now = _children(proc.pid)
            if victim not in now and len(now) >= 2:
                replaced = True
                break
            time.sleep(0.5)
        assert replaced, "the killed worker was not replaced"
        assert all(_get(url) == 200 for _ in range(10))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
