"""Access-decision throughput: kijun's prepared evaluator vs re-parsing Cedar per request.

Runs, in one process on the same seeded requests against the shipped default policy (28 rules):

* naive baseline   cedarpy.is_authorized(request, policy TEXT, entities JSON TEXT, schema=TEXT)
                   (policies and schema re-parsed on every call)
* cedarpy prepared PolicySet + Schema parsed once, Entities base + per-request delta, dict ids
* cedarpy batch    the same handles, is_authorized_batch (1000 per call)
* kijun (cedar)    Engine(fast=False).decide: full pipeline (validation-free dump, hash, precedence)
* kijun (fast)     Engine.decide with the compiled fast path (the default)

and checks that the fast path and Cedar agree on every request. Then the HTTP PDP: p50/p99 of
POST /v1/decide and GET /v1/authz/nginx through an in-process ASGI client, and optionally
(--loopback) through uvicorn on 127.0.0.1 (1 and 2 worker processes) with a bounded
thread-pool client (8 connections, --http-n requests).

    .venv/bin/python benchmarks/bench_access.py [--n 20000] [--naive-n 2000] [--loopback]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cedarpy

try:  # starlette >= 1.x pairs with httpx2; older stacks with httpx
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef]

from kijun.access.engine import Engine, PreparedPolicy, _cedar_from_data
from kijun.access.model import ACTIONS, HANDLING_RESTRICTIONS, NETWORKS, AccessRequest
from kijun.access.pdp import PDP
from kijun.access.policy import PolicySource, default_source, shipped_default_rules
from kijun.access.server import create_app

NOW = datetime(2026, 1, 6, 1, 0, tzinfo=UTC)
ROLES = ["staff", "manager", "auditor", "sysadmin", "contractor"]
UNITS = ["soumu", "jinji", "joho", "kaikei"]
ROUTES = "routes:\n  - prefix: /docs/\n    resource: {id: docs, confidentiality: 2, org_unit: soumu}\n"


def make_requests(n: int, seed: int = 42) -> list[AccessRequest]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        out.append(AccessRequest.model_validate({
            "principal": {"id": f"user{rng.randrange(5000)}", "roles": rng.sample(ROLES, rng.randint(1, 2)),
                          "org_unit": rng.choice(UNITS)},
            "action": rng.choices(ACTIONS, weights=[50, 15, 10, 5, 3, 5, 2])[0],
            "resource": {"id": f"doc{rng.randrange(20000)}", "confidentiality": rng.choices([1, 2, 3], [5, 4, 1])[0],
                         "integrity": rng.randint(1, 2), "org_unit": rng.choice(UNITS),
                         "handling": rng.sample(HANDLING_RESTRICTIONS, rng.choice([0, 0, 0, 1]))},
            "context": {
                "network": rng.choices(NETWORKS, [6, 3, 1])[0],
                "authn": {"mfa": rng.random() < 0.7, "phishing_resistant": rng.random() < 0.3},
                "device": {"id": f"pc{rng.randrange(3000)}", "managed": rng.random() < 0.9,
                           "agency_furnished": rng.random() < 0.8, "edr_running": rng.random() < 0.97,
                           "edr_healthy": rng.random() < 0.97, "os_patch_age_days": rng.choice([1, 7, 14, 29, 45, 120]),
                           "disk_encrypted": rng.random() < 0.95},
                "time": {"hour": rng.randrange(24), "weekday": rng.randint(1, 7)},
            },
        }))
    return out


def timed(fn: Callable[[Any], Any], items: list[Any]) -> tuple[float, list[float]]:
    lat = []
    start = time.perf_counter()
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        lat.append(time.perf_counter() - t0)
    return time.perf_counter() - start, lat


def pct(lat: list[float], q: float) -> float:
    ordered = sorted(lat)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e6


def row(name: str, n: int, total: float, lat: list[float] | None) -> dict[str, Any]:
    return {"variant": name, "n": n, "per_s": n / total,
            "p50": pct(lat, 0.50) if lat else float("nan"), "p99": pct(lat, 0.99) if lat else float("nan")}


def in_process(args: argparse.Namespace) -> list[dict[str, Any]]:
    src = default_source()
    prepared = PreparedPolicy.compile(src)
    requests = make_requests(args.n)
    dumps = []
    for req in requests:
        data = req.model_dump()
        dumps.append(_cedar_from_data(data))
    text, schema_text = src.cedar_text(), src.schema
    rows = []

    naive = dumps[: args.naive_n]
    total, lat = timed(lambda c: cedarpy.is_authorized(c.request, text, c.entities, schema=schema_text), naive)
    rows.append(row("naive: cedarpy, policy+schema text per call", len(naive), total, lat))

    def prepared_call(c: Any) -> Any:
        return cedarpy.is_authorized(c.request, prepared.full, prepared.base_entities.with_added_json_str(c.entities))

    total, lat = timed(prepared_call, dumps)
    rows.append(row("cedarpy prepared (PolicySet+Entities, dict ids)", len(dumps), total, lat))

    # Batch: one merged entity store per batch (ids are unique per request kind here).
    start = time.perf_counter()
    for i in range(0, len(dumps), 1000):
        chunk = dumps[i:i + 1000]
        merged: dict[str, Any] = {}
        for c in chunk:
            for ent in json.loads(c.entities):
                merged[json.dumps(ent["uid"], sort_keys=True)] = ent
        cedarpy.is_authorized_batch([c.request for c in chunk], prepared.full, list(merged.values()))
    rows.append(row("cedarpy is_authorized_batch (1000/call)", len(dumps), time.perf_counter() - start, None))

    cedar_engine = Engine(prepared, clock=lambda: NOW, fast=False)
    total, lat = timed(cedar_engine.decide, requests)
    rows.append(row("kijun Engine.decide, Cedar backend", len(requests), total, lat))

    fast_engine = Engine(prepared, clock=lambda: NOW)
    total, lat = timed(fast_engine.decide, requests)
    rows.append(row("kijun Engine.decide, compiled fast path", len(requests), total, lat))

    assert prepared.fast is not None
    data = [r.model_dump() for r in requests]
    for d, r in zip(data, requests, strict=True):
        d["context"]["time"] = r.context.time.model_dump() if r.context.time else None
    total, lat = timed(prepared.fast.matching, data)
    rows.append(row("fast path policy matching only", len(data), total, lat))

    mismatches = 0
    for req in requests:
        a, b = fast_engine.decide(req), cedar_engine.decide(req)
        if (a.decision, a.determining_policies, a.obligations) != (b.decision, b.determining_policies, b.obligations):
            mismatches += 1
    outcomes = dict.fromkeys(("allow", "deny", "step_up"), 0)
    for req in requests:
        outcomes[fast_engine.decide(req).decision] += 1
    print(f"fast path vs Cedar on {len(requests)} requests: {mismatches} mismatches; outcomes {outcomes}")
    return rows


async def http_in_process(n: int) -> list[dict[str, Any]]:
    src = default_source()
    pdp = PDP(lambda: PolicySource(src.schema, src.files, routes=ROUTES, revision=src.revision))
    assert pdp.reload()
    app = create_app(pdp)
    requests = [r.model_dump(mode="json") for r in make_requests(n, seed=7)]
    headers = {"X-Original-Method": "GET", "X-Original-URI": "/docs/a", "X-Kijun-User": "alice",
               "X-Kijun-Roles": "staff", "X-Kijun-Org-Unit": "soumu", "X-Kijun-Network": "telework",
               "X-Kijun-Authn": "mfa", "X-Kijun-Device-Id": "pc1", "X-Kijun-Device-Patch-Age": "3",
               "X-Kijun-Device-Posture": "managed,agency_furnished,edr_running,edr_healthy,disk_encrypted"}
    rows = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pdp") as client:
        for name, call in (
            ("HTTP in-process POST /v1/decide", lambda i: client.post("/v1/decide", json=requests[i])),
            ("HTTP in-process GET /v1/authz/nginx", lambda i: client.get("/v1/authz/nginx", headers=headers)),
        ):
            lat = []
            start = time.perf_counter()
            for i in range(n):
                t0 = time.perf_counter()
                response = await call(i)
                lat.append(time.perf_counter() - t0)
                assert response.status_code in (200, 401, 403)
            rows.append(row(name, n, time.perf_counter() - start, lat))
    return rows


def http_loopback(n: int, concurrency: int, workers: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        policy = Path(tmp)
        (policy / "default.rules.yaml").write_text(shipped_default_rules(), "utf-8")
        (policy / "routes.yaml").write_text(ROUTES, "utf-8")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-c", "from kijun.access.cli import app; app()", "serve",
                                 "--policy", str(policy), "--port", str(port), "--workers", str(workers)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    probe.request("GET", "/healthz")
                    probe.getresponse().read()
                    probe.close()
                    break
                except OSError:
                    time.sleep(0.2)
            time.sleep(0.5 * workers)  # let every worker finish loading
            bodies = [json.dumps(r.model_dump(mode="json")) for r in make_requests(n, seed=9)]
            per_worker = n // concurrency

            def worker(w: int) -> list[float]:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                lat = []
                for i in range(per_worker):
                    t0 = time.perf_counter()
                    conn.request("POST", "/v1/decide", body=bodies[w * per_worker + i],
                                 headers={"Content-Type": "application/json"})
                    conn.getresponse().read()
                    lat.append(time.perf_counter() - t0)
                conn.close()
                return lat

            start = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                lat = [x for part in pool.map(worker, range(concurrency)) for x in part]
            return [row(f"HTTP loopback POST /v1/decide, {workers} worker(s), conc. {concurrency}", len(lat),
                        time.perf_counter() - start, lat)]
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="requests for the prepared variants")
    parser.add_argument("--naive-n", type=int, default=2000, help="requests for the naive baseline")
    parser.add_argument("--http-n", type=int, default=3000)
    parser.add_argument("--loopback", action="store_true", help="also measure uvicorn over 127.0.0.1")
    args = parser.parse_args()

    rows = in_process(args)
    rows += asyncio.run(http_in_process(args.http_n))
    if args.loopback:
        for workers in (1, 2):
            rows += http_loopback(args.http_n, concurrency=8, workers=workers)
    naive = rows[0]["per_s"]
    best_cedar = max(r["per_s"] for r in rows if r["variant"].startswith("cedarpy"))
    print(f"\n{'variant':52} {'n':>7} {'decisions/s':>12} {'p50 µs':>9} {'p99 µs':>9} {'× naive':>8} {'× best cedarpy':>15}")
    for r in rows:
        print(f"{r['variant']:52} {r['n']:>7} {r['per_s']:>12,.0f} {r['p50']:>9.0f} {r['p99']:>9.0f} "
              f"{r['per_s'] / naive:>8.1f} {r['per_s'] / best_cedar:>15.2f}")
    engine_rows = {r["variant"]: r["per_s"] for r in rows}
    fast = engine_rows["kijun Engine.decide, compiled fast path"]
    cedar_engine = engine_rows["kijun Engine.decide, Cedar backend"]
    print(f"\nratio kijun fast path / naive baseline: {fast / naive:.1f}x")
    print(f"ratio kijun Cedar backend / naive baseline: {cedar_engine / naive:.1f}x")
    print(f"ratio kijun fast path / best cedarpy variant: {fast / best_cedar:.1f}x")


if __name__ == "__main__":
    main()
