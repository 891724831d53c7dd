"""Access-decision throughput: kijun's compiled path vs cedarpy, in one process, same requests.

Runs, in one process on the same seeded requests against the shipped default policy (28 rules):

* naive baseline      cedarpy.is_authorized(request, policy TEXT, entities JSON, schema=TEXT)
* cedarpy delta       PolicySet parsed once, base Entities + per-request delta, dict ids
* cedarpy preloaded   PolicySet + one Entities store holding every request's user and resource
                      (built once, outside the timing), dict ids, one call per request
* cedarpy batch       the same handles, is_authorized_batch, 1000 requests per call
* kijun match only    the generated per-action function (bit mask of matching policies)
* kijun Engine        Engine.decide, compiled path: the Verdict with precedence, step-up,
                      decision id, clock reading (timestamp and request hash computed lazily)
* kijun PDP           PDP.evaluate: overlay check, Engine, counters, session tracking
* kijun PDP + log     the same with a DeferredSink decision log (every deny and step-up, 1 %
                      of allows); the writer is drained inside the timing
* kijun Decision      Engine.decide(...).to_decision(): the pydantic contract type with the
                      canonical-JSON request hash, what an HTTP response serialises
* kijun Cedar         Engine(fast=False).decide: the Cedar backend

Throughput is the best of --rounds untimed loops; p50/p99 come from one extra loop timing each
request (for the batch: each batch's time / 1000). Ratios are to the best cedarpy variant of the
same run, by throughput and by p50; in addition, a paired measurement runs the best cedarpy
variant and kijun back to back on each block of 1000 requests and prints the median per-block
ratio, which stays meaningful when the machine is shared (compare ratios, not absolute figures). The fast path and Cedar are checked to agree
on every request. Then the HTTP PDP: POST /v1/decide and GET /v1/authz/nginx through an
in-process ASGI client and, with --loopback, through uvicorn on 127.0.0.1 with 1 and 2 worker
processes and a bounded thread-pool client (--concurrency connections, --http-n requests).

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

from kijun.access.decision_log import MemorySink
from kijun.access.engine import Engine, PreparedPolicy, _cedar_from_data
from kijun.access.logqueue import DeferredSink
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


def throughput(fn: Callable[[Any], Any], items: list[Any], rounds: int) -> float:
    """Best wall time of ``rounds`` plain loops (no per-item timer calls)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best


def pct(lat: list[float], q: float) -> float:
    ordered = sorted(lat)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e6


def row(name: str, n: int, total: float, lat: list[float] | None) -> dict[str, Any]:
    return {"variant": name, "n": n, "per_s": n / total,
            "p50": pct(lat, 0.50) if lat else float("nan"), "p99": pct(lat, 0.99) if lat else float("nan")}


def measure(name: str, fn: Callable[[Any], Any], items: list[Any], rounds: int) -> dict[str, Any]:
    _, lat = timed(fn, items)
    return row(name, len(items), throughput(fn, items, rounds), lat)


def cedar_forms(requests: list[AccessRequest]) -> tuple[list[dict[str, Any]], list[str], list[Any]]:
    """Cedar requests with a unique user and resource id per request (so one preloaded store can
    hold all of them), each request's own entity JSON, and all entities together."""
    calls, deltas, everything = [], [], []
    for i, req in enumerate(requests):
        data = req.model_dump()
        data["principal"]["id"], data["resource"]["id"] = f"u{i}", f"r{i}"
        call = _cedar_from_data(data)
        calls.append(call.request)
        deltas.append(call.entities)
        everything += json.loads(call.entities)
    return calls, deltas, everything


def in_process(args: argparse.Namespace) -> list[dict[str, Any]]:
    src = default_source()
    prepared = PreparedPolicy.compile(src)
    assert prepared.fast is not None
    requests = make_requests(args.n)
    calls, deltas, everything = cedar_forms(requests)
    preloaded = cedarpy.Entities.from_json_str(json.dumps(everything), prepared.schema)
    text, schema_text = src.cedar_text(), src.schema
    rounds = args.rounds
    indexed = list(range(len(requests)))
    rows = []

    naive = indexed[: args.naive_n]
    rows.append(measure("naive: cedarpy, policy+schema text per call",
                        lambda i: cedarpy.is_authorized(calls[i], text, deltas[i], schema=schema_text), naive, 1))
    rows.append(measure("cedarpy PolicySet + Entities base + per-request delta",
                        lambda i: cedarpy.is_authorized(
                            calls[i], prepared.full, prepared.base_entities.with_added_json_str(deltas[i])),
                        indexed, rounds))
    rows.append(measure("cedarpy PolicySet + preloaded Entities, per call",
                        lambda i: cedarpy.is_authorized(calls[i], prepared.full, preloaded), indexed, rounds))
    chunks = [calls[i:i + 1000] for i in range(0, len(calls), 1000)]
    batch_results: list[Any] = []
    best = float("inf")
    per_request: list[float] = []  # each batch's time divided by its size (for p50/p99)
    for _ in range(rounds):
        start = time.perf_counter()
        batch_results = []
        for chunk in chunks:
            t0 = time.perf_counter()
            batch_results += cedarpy.is_authorized_batch(chunk, prepared.full, preloaded)
            per_request.append((time.perf_counter() - t0) / len(chunk))
        best = min(best, time.perf_counter() - start)
    rows.append(row("cedarpy PolicySet + preloaded Entities, batch 1000", len(calls), best, per_request))

    fast = prepared.fast
    rows.append(measure("kijun compiled match only (bit mask)",
                        lambda r: fast.matchers[r.action](r.principal, r.resource, r.context, r.context.time,
                                                          fast.roles_of(r.principal.roles)), requests, rounds))
    fast_engine = Engine(prepared, clock=lambda: datetime.now(UTC))
    rows.append(measure("kijun Engine.decide, compiled (Verdict)", fast_engine.decide, requests, rounds))
    pdp = PDP(lambda: src)
    assert pdp.reload()
    rows.append(measure("kijun PDP.evaluate, compiled, no log", pdp.evaluate, requests, rounds))

    sink = DeferredSink(MemorySink())
    logged = PDP(lambda: src, sink=sink, log_sample=0.01)
    assert logged.reload()

    def logged_run(req: AccessRequest) -> None:
        logged.evaluate(req)

    _, lat = timed(logged_run, requests)
    sink.flush()
    sink.inner.records.clear()  # type: ignore[attr-defined]
    start = time.perf_counter()
    for req in requests:
        logged.evaluate(req)
    sink.flush()
    rows.append(row("kijun PDP.evaluate + deferred decision log", len(requests), time.perf_counter() - start, lat))
    sink.close()
    rows.append(measure("kijun Engine.decide + to_decision (pydantic, hash)",
                        lambda r: fast_engine.decide(r).to_decision(), requests, 1))
    cedar_engine = Engine(prepared, fast=False)
    rows.append(measure("kijun Engine.decide, Cedar backend", cedar_engine.decide, requests, 1))

    paired_ratios(requests, calls, prepared, preloaded, fast_engine, pdp)

    mismatches = 0
    outcomes = dict.fromkeys(("allow", "deny", "step_up"), 0)
    for req, cedar_raw in zip(requests, batch_results, strict=True):
        a, b = fast_engine.decide(req), cedar_engine.decide(req)
        outcomes[a.decision] += 1
        if (a.decision, a.determining_policies, a.obligations) != (b.decision, b.determining_policies, b.obligations):
            mismatches += 1
        if cedar_raw.allowed != (a.decision == "allow"):
            mismatches += 1
    print(f"fast path vs Cedar on {len(requests)} requests: {mismatches} mismatches; outcomes {outcomes}")
    assert mismatches == 0
    return rows


NGINX_HEADERS = {"X-Original-Method": "GET", "X-Original-URI": "/docs/a", "X-Kijun-User": "alice",
                 "X-Kijun-Roles": "staff", "X-Kijun-Org-Unit": "soumu", "X-Kijun-Network": "telework",
                 "X-Kijun-Authn": "mfa", "X-Kijun-Device-Id": "pc1", "X-Kijun-Device-Patch-Age": "3",
                 "X-Kijun-Device-Posture": "managed,agency_furnished,edr_running,edr_healthy,disk_encrypted"}


def paired_ratios(requests: list[AccessRequest], calls: list[dict[str, Any]], prepared: PreparedPolicy,
                  preloaded: Any, engine: Engine, pdp: PDP, block: int = 1000) -> None:
    """Interleaved measurement, robust on a shared machine: for each block of 1000 requests the
    best cedarpy variant (per call or batch, preloaded store) and kijun run back to back, so both
    see the same background load; the per-block ratios are summarised by their median."""
    ratios: dict[str, list[float]] = {"Engine.decide": [], "PDP.evaluate": []}
    for start in range(0, len(requests), block):
        reqs, cs = requests[start:start + block], calls[start:start + block]
        t0 = time.perf_counter()
        for c in cs:
            cedarpy.is_authorized(c, prepared.full, preloaded)
        t1 = time.perf_counter()
        cedarpy.is_authorized_batch(cs, prepared.full, preloaded)
        t2 = time.perf_counter()
        for r in reqs:
            engine.decide(r)
        t3 = time.perf_counter()
        for r in reqs:
            pdp.evaluate(r)
        t4 = time.perf_counter()
        cedar_best = min(t1 - t0, t2 - t1)
        ratios["Engine.decide"].append(cedar_best / (t3 - t2))
        ratios["PDP.evaluate"].append(cedar_best / (t4 - t3))
    for name, values in ratios.items():
        ordered = sorted(values)
        print(f"paired ratio kijun {name} (compiled) / best cedarpy, {len(values)} blocks of {block}: "
              f"median {ordered[len(ordered) // 2]:.1f}x, min {ordered[0]:.1f}x, max {ordered[-1]:.1f}x")


async def http_in_process(n: int) -> list[dict[str, Any]]:
    src = default_source()
    pdp = PDP(lambda: PolicySource(src.schema, src.files, routes=ROUTES, revision=src.revision))
    assert pdp.reload()
    app = create_app(pdp)
    requests = [r.model_dump(mode="json") for r in make_requests(n, seed=7)]
    rows = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pdp") as client:
        for name, call in (
            ("HTTP in-process POST /v1/decide", lambda i: client.post("/v1/decide", json=requests[i])),
            ("HTTP in-process GET /v1/authz/nginx", lambda i: client.get("/v1/authz/nginx", headers=NGINX_HEADERS)),
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


def _wait_ready(port: int, workers: int) -> None:
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


def http_loopback(n: int, concurrency: int, workers: int) -> list[dict[str, Any]]:
    """uvicorn on 127.0.0.1 (``kijun access serve``), ``concurrency`` keep-alive connections."""
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
        rows = []
        try:
            _wait_ready(port, workers)
            bodies = [json.dumps(r.model_dump(mode="json")) for r in make_requests(n, seed=9)]
            per_worker = n // concurrency
            json_headers = {"Content-Type": "application/json"}
            for label, method, path in (("POST /v1/decide", "POST", "/v1/decide"),
                                        ("GET /v1/authz/nginx", "GET", "/v1/authz/nginx")):

                def worker(w: int, method: str = method, path: str = path) -> list[float]:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    lat = []
                    for i in range(per_worker):
                        t0 = time.perf_counter()
                        if method == "POST":
                            conn.request(method, path, body=bodies[w * per_worker + i], headers=json_headers)
                        else:
                            conn.request(method, path, headers=NGINX_HEADERS)
                        response = conn.getresponse()
                        response.read()
                        assert response.status in (200, 401, 403), response.status
                        lat.append(time.perf_counter() - t0)
                    conn.close()
                    return lat

                start = time.perf_counter()
                with ThreadPoolExecutor(concurrency) as pool:
                    lat = [x for part in pool.map(worker, range(concurrency)) for x in part]
                rows.append(row(f"HTTP loopback {label}, {workers} worker(s), {concurrency} conns", len(lat),
                                time.perf_counter() - start, lat))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="requests for the prepared variants")
    parser.add_argument("--naive-n", type=int, default=2000, help="requests for the naive baseline")
    parser.add_argument("--rounds", type=int, default=3, help="throughput: best of this many loops")
    parser.add_argument("--http-n", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--loopback", action="store_true", help="also measure uvicorn over 127.0.0.1")
    parser.add_argument("--no-http", action="store_true", help="in-process decision variants only")
    args = parser.parse_args()

    rows = in_process(args)
    if not args.no_http:
        rows += asyncio.run(http_in_process(args.http_n))
    if args.loopback:
        for workers in (1, 2):
            rows += http_loopback(args.http_n, concurrency=args.concurrency, workers=workers)
    naive = rows[0]["per_s"]
    best_name, best_cedar = max(((r["variant"], r["per_s"]) for r in rows if r["variant"].startswith("cedarpy")),
                                key=lambda item: item[1])
    print(f"\n{'variant':56} {'n':>7} {'decisions/s':>12} {'p50 µs':>9} {'p99 µs':>9} {'× naive':>8} {'× best cedarpy':>15}")
    for r in rows:
        print(f"{r['variant']:56} {r['n']:>7} {r['per_s']:>12,.0f} {r['p50']:>9.1f} {r['p99']:>9.1f} "
              f"{r['per_s'] / naive:>8.1f} {r['per_s'] / best_cedar:>15.2f}")
    by_name = {r["variant"]: r["per_s"] for r in rows}
    p50 = {r["variant"]: r["p50"] for r in rows}
    best_p50_name, best_p50 = min(((r["variant"], r["p50"]) for r in rows if r["variant"].startswith("cedarpy")),
                                  key=lambda item: item[1])
    print(f"\nbest cedarpy variant this run: {best_name} ({best_cedar:,.0f}/s); "
          f"lowest cedarpy p50: {best_p50_name} ({best_p50:.1f} µs; batch = batch time / 1000)")
    for name in ("kijun compiled match only (bit mask)", "kijun Engine.decide, compiled (Verdict)",
                 "kijun PDP.evaluate, compiled, no log", "kijun PDP.evaluate + deferred decision log",
                 "kijun Engine.decide + to_decision (pydantic, hash)"):
        print(f"ratio {name} / best cedarpy: {by_name[name] / best_cedar:.1f}x throughput, "
              f"{best_p50 / p50[name]:.1f}x by p50  (/ naive: {by_name[name] / naive:.0f}x)")


if __name__ == "__main__":
    main()
