"""Load benchmark of the real web app: ``kijun serve`` (uvicorn) on loopback, driven by wrk.

What it does, end to end, in a throwaway KIJUN_DATA_DIR:

1. ``kijun migrate`` on a fresh SQLite database (or, when KIJUN_DATABASE_URL points at PostgreSQL,
   on a fresh ``kijun_bench_<pid>`` database on that server, dropped afterwards);
2. loads the demo organisation, then bulk-generates realistic volume with the ORM: ~300 org units
   under the demo ministry, ~3,000 people with role assignments, 1,000 ledger systems, 10,000 hosts with
   50,000 installed-software rows, and 100,000 audit entries whose hash
   chain is computed with :func:`kijun.core.auditchain.entry_hash` (so ``kijun audit verify`` passes);
3. times ``kijun audit verify`` over the whole log (CLI wall time and the in-process verifier);
4. starts ``kijun serve --no-scheduler`` with KIJUN_LOCAL_HTTP=1 on a free port, signs in through
   the login form (CSRF token + session cookie) and issues an API token;
5. drives each endpoint with wrk (a Lua script reports p50/p99 and non-200 responses), or with a
   Python httpx/threads generator when wrk is absent (``--generator python`` forces it);
6. prints one table: req/s, p50/p99 latency, error rate, and throughput as a ratio to the baseline —
   a static file (/static/kijun/kijun.css) served by the same process. The verify line compares with
   the research reference of 293k records/s (minimal chain records, no database) measured here.

Run: ``.venv/bin/python benchmarks/bench_web.py [--duration 8 --connections 8 --workers 2]``.
Any non-200 answer or socket error is counted and makes the script exit non-zero after the table. On
PostgreSQL with the default KIJUN_DB_CONN_MAX_AGE=60, uvicorn's ASGI stack leaves one connection open per
request ("too many clients" within seconds; pinned in tests/web/test_faults.py); KIJUN_DB_CONN_MAX_AGE=0
runs clean until that is fixed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
KIJUN = str(VENV_BIN / "kijun") if (VENV_BIN / "kijun").exists() else "kijun"
VERIFY_REFERENCE_PER_S = 293_000  # research notes: minimal chain, 200k records in 0.68 s on this machine kind

N_BUREAUS = 20
DIVISIONS_PER_BUREAU = 14  # 20 + 280 = 300 units
N_PEOPLE = 3_000
N_AUDIT = 100_000
N_SYSTEMS = 1_000
N_HOSTS = 10_000  # assets reporting inventories (diagnostics), 5 installed packages each
DEEP_PAGE = 1_500  # 50 entries a page: offset 75,000

WRK_LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"bad":%d,"sock":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), b,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Result:
    name: str
    path: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 1.0


# --- database and data -----------------------------------------------------------------------------

def make_database(data_dir: Path) -> tuple[str | None, str | None]:
    """Return (KIJUN_DATABASE_URL for the run, PostgreSQL database to drop afterwards)."""
    base = os.environ.get("KIJUN_DATABASE_URL", "")
    if not base:
        return None, None
    if not base.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"bench_web: unsupported KIJUN_DATABASE_URL scheme: {base.split(':')[0]}")
    import psycopg

    name = f"kijun_bench_{os.getpid()}"
    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), name


def drop_database(name: str) -> None:
    import psycopg

    parts = urlsplit(os.environ["KIJUN_DATABASE_URL"])
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def run_cli(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([KIJUN, *args], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"bench_web: `kijun {' '.join(args)}` failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout


def generate(rng: random.Random) -> dict[str, int]:
    """Bulk-create units, people, role assignments and a correctly chained audit log (Django is set up)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from kijun.core import audit, auditchain
    from kijun.core.models import AuditEntry, AuditHead, OrgUnit, RoleAssignment, User
    from kijun.core.roles import ROLES

    ministry = OrgUnit.objects.get(code="demo-ministry")
    with transaction.atomic():
        bureaus = OrgUnit.objects.bulk_create([
            OrgUnit(name=f"第{i + 1}局", name_en=f"Bureau {i + 1}", code=f"bench-b{i:02d}", kind="bureau",
                    parent=ministry) for i in range(N_BUREAUS)])
        for b in bureaus:
            b.path = f"{ministry.path}{b.pk}/"
        OrgUnit.objects.bulk_update(bureaus, ["path"])
        divisions = OrgUnit.objects.bulk_create([
            OrgUnit(name=f"{b.name}第{j + 1}課", name_en=f"{b.name_en} Division {j + 1}",
                    code=f"{b.code}-d{j:02d}", kind="division", parent=b)
            for b in bureaus for j in range(DIVISIONS_PER_BUREAU)])
        by_id = {b.pk: b for b in bureaus}
        for d in divisions:
            d.path = f"{by_id[d.parent_id].path}{d.pk}/"
        OrgUnit.objects.bulk_update(divisions, ["path"])

        unusable = make_password(None)
        people = User.objects.bulk_create([
            User(username=f"user{i:05d}", display_name=f"職員 {i:05d}", email=f"user{i:05d}@bench.example.jp",
                 unit=rng.choice(divisions), password=unusable, language="ja", is_active=rng.random() > 0.03)
            for i in range(N_PEOPLE)])
        responsible = [r.code for r in ROLES if r.responsible and r.code != "ciso"]
        assignments = [RoleAssignment(user=p, role="staff", unit=p.unit) for p in people]
        for p in rng.sample(people, N_PEOPLE // 10):
            assignments.append(RoleAssignment(user=p, role=rng.choice(responsible),
                                              unit=by_id[p.unit.parent_id]))
        RoleAssignment.objects.bulk_create(assignments)

        head = audit.locked_head()
        seq, prev = head.seq, head.last_hash
        actions = [("unit.update", "org_unit"), ("person.update", "person"), ("role.grant", "role_assignment"),
                   ("auth.login", "person"), ("audit.export", "audit_log")]
        at = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
        batch: list[AuditEntry] = []
        for _ in range(N_AUDIT):
            seq += 1
            at += dt.timedelta(seconds=rng.randint(1, 600), microseconds=rng.randint(0, 999_999))
            actor = rng.choice(people)
            action, otype = rng.choice(actions)
            unit = rng.choice(divisions)
            e = AuditEntry(
                seq=seq, at=at, actor=actor.username, actor_id=actor.pk, source_ip=f"10.0.{seq % 250}.{seq % 199}",
                action=action, object_type=otype, object_id=str(unit.pk), object_repr=unit.name,
                before={"name": unit.name, "code": unit.code, "kind": "division", "parent": unit.parent_id},
                after={"name": unit.name + "（改）", "code": unit.code, "kind": "division", "parent": unit.parent_id},
                prev_hash=prev)
            e.entry_hash = auditchain.entry_hash(prev, audit.payload_of(e))
            prev = e.entry_hash
            batch.append(e)
            if len(batch) == 5_000:
                AuditEntry.objects.bulk_create(batch)
                batch.clear()
        AuditEntry.objects.bulk_create(batch)
        AuditHead.objects.filter(pk=1).update(seq=seq, last_hash=prev)
        _systems_and_assets(rng, divisions, people)
    from kijun.cloud.models import InformationSystem
    from kijun.diagnostics.models import Host, Installed

    return {"units": OrgUnit.objects.count(), "people": User.objects.count(),
            "roles": RoleAssignment.objects.count(), "audit": AuditEntry.objects.count(),
            "systems": InformationSystem.objects.count(), "hosts": Host.objects.count(),
            "installed": Installed.objects.count()}


def _systems_and_assets(rng: random.Random, divisions: list[object], people: list[object]) -> None:
    """1,000 ledger systems and 10,000 hosts with installed software (issue 8's load data)."""
    import hashlib

    from kijun.cloud.models import InformationSystem
    from kijun.diagnostics.models import Host, Installed, Software

    systems = InformationSystem.objects.bulk_create([
        InformationSystem(name=f"業務システム{i:04d}", code=f"sys-{i:04d}", org_unit=rng.choice(divisions),
                          owner=rng.choice(people), system_class=rng.choice("ABC"),
                          business_impact=rng.choice(["low", "medium", "high"]),
                          internet_facing=rng.random() < 0.2, description="ベンチマーク用の台帳データ")
        for i in range(N_SYSTEMS)])
    products = [("microsoft", "edge"), ("google", "chrome"), ("mozilla", "firefox"), ("openbsd", "openssh"),
                ("apache", "http_server"), ("nginx", "nginx"), ("postgresql", "postgresql"), ("oracle", "jdk"),
                ("adobe", "acrobat_reader"), ("7-zip", "7-zip")]
    software = Software.objects.bulk_create([
        Software(key=hashlib.sha256(f"{v}:{p}:{n}".encode()).hexdigest(), kind="cpe", name=p,
                 version=f"{n // 10}.{n % 10}", product=f"{v}:{p}",
                 cpe=f"cpe:2.3:a:{v}:{p}:{n // 10}.{n % 10}:*:*:*:*:*:*:*")
        for v, p in products for n in range(20)])
    hosts = Host.objects.bulk_create([
        Host(name=f"pc-{i:05d}", org_unit=rng.choice(divisions), system=rng.choice(systems),
             mission=rng.choice(["low", "medium", "high"]), os_name="Windows 11 Enterprise")
        for i in range(N_HOSTS)])
    rows = []
    for h in hosts:
        for sw in rng.sample(software, 5):
            rows.append(Installed(host=h, software=sw, kind="cpe", name=sw.name, version=sw.version))
        if len(rows) >= 10_000:
            Installed.objects.bulk_create(rows)
            rows.clear()
    Installed.objects.bulk_create(rows)


# --- the server and signing in ------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    fh = log.open("wb")
    proc = subprocess.Popen([KIJUN, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                             "--no-scheduler"], env=env, stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench_web: kijun serve exited ({proc.returncode}); log:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login/", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("bench_web: kijun serve did not answer within 60 s")


def sign_in(base: str, username: str, password: str) -> str:
    """Log in through the form (CSRF token + cookie) and return the session cookie value."""
    with httpx.Client(base_url=base, timeout=30) as c:
        page = c.get("/login/")
        m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if m is None:
            raise SystemExit("bench_web: no CSRF token on the login page")
        r = c.post("/login/", data={"csrfmiddlewaretoken": m.group(1), "username": username, "password": password})
        if r.status_code != 302:
            raise SystemExit(f"bench_web: sign-in failed with HTTP {r.status_code}")
        sid = c.cookies.get("sessionid")
        if not sid:
            raise SystemExit("bench_web: sign-in set no session cookie")
        return sid


# --- load generators -----------------------------------------------------------------------------

def run_wrk(base: str, name: str, path: str, headers: dict[str, str], duration: int, conns: int,
            threads: int, script: Path) -> Result:
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--timeout", "10s", "-s", str(script)]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, base + path], capture_output=True, text=True, check=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise SystemExit(f"bench_web: unexpected wrk output:\n{out}")
    d = json.loads(line[len("WRKJSON "):])
    n = int(d["requests"])
    return Result(name, path, n, n / (d["duration_us"] / 1e6), d["p50_us"] / 1000, d["p99_us"] / 1000,
                  int(d["bad"]) + int(d["sock"]))


def run_python(base: str, name: str, path: str, headers: dict[str, str], duration: int, conns: int) -> Result:
    """Fallback when wrk is absent: ``conns`` threads, each a keep-alive httpx client, closed loop."""
    lat: list[list[float]] = [[] for _ in range(conns)]
    errs = [0] * conns
    stop = time.monotonic() + duration

    def worker(i: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=10) as c:
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                try:
                    ok = c.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                lat[i].append(time.perf_counter() - t0)
                if not ok:
                    errs[i] += 1

    start = time.monotonic()
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.monotonic() - start
    all_lat = sorted(x for xs in lat for x in xs)
    n = len(all_lat)
    q = statistics.quantiles(all_lat, n=100, method="inclusive") if n > 1 else [all_lat[0] if n else 0.0] * 99
    return Result(name, path, n, n / elapsed, q[49] * 1000, q[98] * 1000, sum(errs))


# --- main -----------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=int, default=8, help="seconds per endpoint (default 8)")
    ap.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    ap.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    ap.add_argument("--keep", action="store_true", help="keep the data directory (and PostgreSQL database)")
    args = ap.parse_args()

    use_wrk = args.generator == "wrk" or (args.generator == "auto" and shutil.which("wrk") is not None)
    if args.generator == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("bench_web: wrk not found (apt-get install -y wrk), or use --generator python")
    if not use_wrk:
        print("wrk not found: using the Python httpx/threads load generator", file=sys.stderr)

    data_dir = Path(tempfile.mkdtemp(prefix="kijun-bench-web-"))
    db_url, pg_name = make_database(data_dir)
    env = {**os.environ, "KIJUN_DATA_DIR": str(data_dir), "KIJUN_LOCAL_HTTP": "1",
           "KIJUN_SECRET_KEY": secrets.token_urlsafe(48), "DJANGO_SETTINGS_MODULE": "kijun.web.settings"}
    if db_url:
        env["KIJUN_DATABASE_URL"] = db_url
    server: subprocess.Popen[bytes] | None = None
    try:
        t0 = time.perf_counter()
        run_cli(env, "migrate")
        run_cli(env, "demo", "load")
        os.environ.update({k: env[k] for k in ("KIJUN_DATA_DIR", "KIJUN_LOCAL_HTTP", "KIJUN_SECRET_KEY",
                                               "DJANGO_SETTINGS_MODULE")})
        if db_url:
            os.environ["KIJUN_DATABASE_URL"] = db_url
        import django

        django.setup()
        from django.db import connection

        from kijun.core.checkpoints import verify_log
        from kijun.core.models import User
        from kijun.core.tokens import issue_token

        counts = generate(random.Random(20251126))
        t_data = time.perf_counter() - t0
        logins = json.loads((data_dir / "demo_logins.json").read_text(encoding="utf-8"))
        _tok, api_token = issue_token(User.objects.get(username="admin"), "bench", 1)
        connection.close()

        t1 = time.perf_counter()
        verified = json.loads(run_cli(env, "audit", "verify", "--json"))
        t_cli = time.perf_counter() - t1
        if not verified["ok"]:
            raise SystemExit(f"bench_web: generated audit chain does not verify: {verified['first_break']}")
        t2 = time.perf_counter()
        res = verify_log()
        t_inproc = time.perf_counter() - t2
        connection.close()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(env, port, args.workers, data_dir / "serve.log")
        sid = sign_in(base, "admin", logins["admin"])
        cookie = {"Cookie": f"sessionid={sid}"}
        bearer = {"Authorization": f"Bearer {api_token}"}
        targets: list[tuple[str, str, dict[str, str]]] = [
            ("static kijun.css (baseline)", "/static/kijun/kijun.css", {}),
            ("dashboard", "/", cookie),
            ("organisation list", "/org/units/", cookie),
            ("people list", "/org/people/", cookie),
            ("audit list p1", "/audit/", cookie),
            (f"audit list p{DEEP_PAGE}", f"/audit/?page={DEEP_PAGE}", cookie),
            ("API /units", "/api/v1/units", bearer),
            ("API /audit?limit=100", "/api/v1/audit?limit=100", bearer),
            ("system ledger", "/cloud/systems/", cookie),
            ("API /cloud/systems", "/api/v1/cloud/systems", bearer),
            ("hosts list", "/diagnostics/hosts/", cookie),
            ("API /diagnostics/hosts", "/api/v1/diagnostics/hosts", bearer),
        ]
        with httpx.Client(base_url=base, timeout=30) as c:  # every target must answer 200 before timing it
            for name, path, hdrs in targets:
                resp = c.get(path, headers=hdrs)
                if resp.status_code != 200:
                    raise SystemExit(f"bench_web: {name} {path} answered {resp.status_code} before the run")
        script = data_dir / "report.lua"
        script.write_text(WRK_LUA, encoding="utf-8")
        results: list[Result] = []
        for name, path, hdrs in targets:
            if use_wrk:
                results.append(run_wrk(base, name, path, hdrs, args.duration, args.connections, args.threads, script))
            else:
                results.append(run_python(base, name, path, hdrs, args.duration, args.connections))
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        if pg_name and not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(pg_name)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    engine = "PostgreSQL" if db_url else "SQLite"
    gen = "wrk" if use_wrk else "python httpx/threads"
    print(f"\nkijun web load benchmark — {engine}, uvicorn workers={args.workers}, {gen} "
          f"c={args.connections} {args.duration}s/endpoint, cpus={os.cpu_count()}")
    print(f"data: {counts['units']} units, {counts['people']} people, {counts['roles']} role assignments, "
          f"{counts['audit']} audit entries (generated in {t_data:.1f}s)\n")
    baseline = results[0].rps
    hdr = f"{'endpoint':<30} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>8} {'vs static':>10}"
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        print(f"{r.name:<30} {r.rps:>9.1f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.error_rate:>7.2%} "
              f"{r.rps / baseline:>9.3f}x")
    n = verified["checked"]
    print(f"\naudit verify ({n} entries): CLI {t_cli:.2f}s wall = {n / t_cli:,.0f} entries/s "
          f"({n / t_cli / VERIFY_REFERENCE_PER_S:.2f}x the 293k/s reference); in-process "
          f"{t_inproc:.2f}s = {res.checked / t_inproc:,.0f} entries/s "
          f"({res.checked / t_inproc / VERIFY_REFERENCE_PER_S:.2f}x)")
    bad = [r for r in results if r.errors]
    if bad:
        raise SystemExit(f"bench_web: errors on {', '.join(r.name for r in bad)}")


if __name__ == "__main__":
    main()
