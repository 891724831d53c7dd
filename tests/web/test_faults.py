"""Faults: interrupted writes leave nothing behind; a killed database connection heals without a restart.

(a) Every service writes its change and its audit entry in one transaction. The audit writer is made to
    fail — before it writes, or after it has appended the entry and moved the chain head — and the
    change, the entry and the head must all be absent afterwards (issue 8 item 8, "interrupted imports
    leave no half-written state"; the demo loader is the import exercised here).
(b) PostgreSQL only: the server terminates the application's connection (``pg_terminate_backend`` from a
    second connection, as a PostgreSQL restart or failover does). Requests go through Django's real WSGI
    handler in-process, so ``close_old_connections`` runs on request start and end like in production
    (the test client disconnects it). With persistent connections and CONN_HEALTH_CHECKS, an idle
    connection killed between requests is replaced before use; a connection killed during a request makes
    that one request fail with a generic 500 that the kijun.security logger records, and the next request
    succeeds on a new backend — without restarting the app. The PostgreSQL server itself is never
    restarted (other tests share it).
(c) PostgreSQL only, through the ASGI handler that `kijun serve` runs: with the default connection
    settings no request leaves a connection open (persistent connections leaked one per request under
    ASGI; the default is now CONN_MAX_AGE=0).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections

from kijun.core import audit
from kijun.core.models import AuditEntry, AuditHead, OrgUnit, RoleAssignment, User
from kijun.core.services import grant_role, save_person, save_unit
from kijun.core.tokens import issue_token

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class Crash(RuntimeError):
    """The simulated fault (process killed, disk full, bug) in the middle of a write."""


def _state() -> tuple[int, int, str, int, int, int]:
    head = AuditHead.objects.filter(pk=1).first()
    return (AuditEntry.objects.count(), head.seq if head else 0, head.last_hash if head else "",
            OrgUnit.objects.count(), User.objects.count(), RoleAssignment.objects.count())


@pytest.fixture(params=["before_audit_write", "after_audit_write"])
def crashing_record(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Patch audit.record to raise — at its start, or after it has appended the entry and moved the head."""
    real = audit.record
    calls: list[str] = []

    def fake(action: str, *args: Any, **kwargs: Any) -> AuditEntry:
        calls.append(action)
        if request.param == "after_audit_write":
            entry = real(action, *args, **kwargs)
            assert AuditEntry.objects.filter(pk=entry.pk).exists()  # the half-write really happened
        raise Crash(action)

    monkeypatch.setattr(audit, "record", fake)
    return calls


def test_interrupted_unit_create_writes_nothing(demo, crashing_record) -> None:  # type: ignore[no-untyped-def]
    before = _state()
    unit = OrgUnit(name="新設課", code="new-div", kind="division", parent=demo["units"]["demo-secretariat"])
    with pytest.raises(Crash):
        save_unit(demo["users"]["admin"], unit)
    assert crashing_record == ["unit.create"]
    assert _state() == before
    assert not OrgUnit.objects.filter(code="new-div").exists()


def test_interrupted_unit_update_keeps_the_old_row(demo, crashing_record) -> None:  # type: ignore[no-untyped-def]
    old = OrgUnit.objects.get(code="demo-it-division")
    before = _state()
    edited = OrgUnit.objects.get(pk=old.pk)
    edited.name = "改名された課"
    with pytest.raises(Crash):
        save_unit(demo["users"]["admin"], edited, expected_version=old.version)
    assert _state() == before
    fresh = OrgUnit.objects.get(pk=old.pk)
    assert (fresh.name, fresh.version) == (old.name, old.version)


def test_interrupted_role_grant_writes_nothing(demo, crashing_record) -> None:  # type: ignore[no-untyped-def]
    staff = demo["users"]["staff"]
    before = _state()
    with pytest.raises(Crash):
        grant_role(demo["users"]["admin"], staff, "csirt_member", demo["units"]["demo-ministry"])
    assert crashing_record == ["role.grant"]
    assert _state() == before
    assert not RoleAssignment.objects.filter(user=staff, role="csirt_member").exists()


def test_interrupted_person_update_keeps_password_and_flags(demo, crashing_record) -> None:  # type: ignore[no-untyped-def]
    staff = User.objects.get(username="staff")
    before = _state()
    edited = User.objects.get(pk=staff.pk)
    edited.is_active = False
    with pytest.raises(Crash):
        save_person(demo["users"]["admin"], edited, password="a-brand-new-long-password-123")
    assert _state() == before
    fresh = User.objects.get(pk=staff.pk)
    assert fresh.is_active and fresh.password == staff.password and fresh.version == staff.version


def test_interrupted_demo_import_writes_nothing(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The loader crashes on its 5th audit entry: no unit, person, role, entry or logins file remains."""
    from pathlib import Path

    from kijun.core.demo import load_demo

    logins = Path(settings.DATA_DIR) / "demo_logins.json"
    logins.unlink(missing_ok=True)
    real = audit.record
    n = {"calls": 0}

    def fake(*args: Any, **kwargs: Any) -> AuditEntry:
        n["calls"] += 1
        if n["calls"] == 5:
            raise Crash("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(audit, "record", fake)
    before = _state()
    with pytest.raises(Crash):
        load_demo()
    assert n["calls"] == 5
    assert _state() == before
    assert not logins.exists()
    monkeypatch.setattr(audit, "record", real)
    assert len(load_demo()) > 0 and OrgUnit.objects.filter(code="demo-ministry").exists()  # a rerun completes


# --- (b) PostgreSQL: connection terminated server-side ----------------------------------------------

def _wsgi_get(handler: WSGIHandler, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """One request through the production WSGI handler (request_started/finished signals included)."""
    environ: dict[str, Any] = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_HOST": "127.0.0.1",
                               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1",
                               "wsgi.input": io.BytesIO(b""), "wsgi.errors": io.StringIO()}
    environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    setup_testing_defaults(environ)
    status: list[str] = []

    def start_response(s: str, _h: list[tuple[str, str]], _exc: Any = None) -> Callable[[bytes], None]:
        status.append(s)
        return lambda _b: None

    resp = handler(environ, start_response)
    try:
        body = b"".join(resp)
    finally:
        resp.close()  # type: ignore[attr-defined]  # fires request_finished, as a WSGI server does
    return int(status[0].split()[0]), body


@pytest.fixture
def pg_killer(settings) -> Iterator[Callable[[int], None]]:  # type: ignore[no-untyped-def]
    """A second connection that terminates a backend (and waits until it is gone)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    import psycopg

    s = connection.settings_dict
    with psycopg.connect(host=s["HOST"] or None, port=s["PORT"] or None, user=s["USER"] or None,
                         password=s["PASSWORD"] or None, dbname=s["NAME"], autocommit=True) as other:
        def kill(pid: int) -> None:
            if pid == other.info.backend_pid:
                return  # never this helper's own connection
            row = other.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()
            assert row is not None and row[0] is True, f"backend {pid} was not terminated"

        yield kill


@pytest.fixture
def persistent_connections(monkeypatch: pytest.MonkeyPatch, settings) -> None:  # type: ignore[no-untyped-def]
    """Production connection settings: kept 60 s between requests, health-checked before reuse."""
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True  # the setting under test
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    connection.close()
    connection.ensure_connection()  # re-reads CONN_MAX_AGE / CONN_HEALTH_CHECKS
    yield
    connection.close()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def security_records() -> Iterator[list[logging.LogRecord]]:
    """Records of the kijun.security logger, as its configured handler receives them."""
    logger = logging.getLogger("kijun.security")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def _backend_pid() -> int:
    connection.ensure_connection()
    return int(connection.connection.info.backend_pid)  # type: ignore[union-attr]


@pytest.mark.postgres
def test_idle_connection_killed_between_requests_is_replaced(  # type: ignore[no-untyped-def]
        demo, pg_killer, persistent_connections, security_records) -> None:
    _tok, raw = issue_token(demo["users"]["admin"], "fault", 1)
    auth = {"Authorization": f"Bearer {raw}"}
    handler = WSGIHandler()
    assert _wsgi_get(handler, "/api/v1/units", auth)[0] == 200
    first = _backend_pid()
    assert _wsgi_get(handler, "/api/v1/units", auth)[0] == 200
    assert _backend_pid() == first, "the connection should persist between requests (CONN_MAX_AGE)"
    pg_killer(first)
    statuses = [_wsgi_get(handler, "/api/v1/units", auth)[0] for _ in range(5)]
    # The health check (SELECT 1 before reuse) notices the dead connection and reconnects: no failure at all.
    assert statuses == [200] * 5
    assert _backend_pid() != first


@pytest.mark.postgres
def test_connection_killed_mid_request_fails_once_logged_then_recovers(  # type: ignore[no-untyped-def]
        demo, pg_killer, persistent_connections, security_records) -> None:
    _tok, raw = issue_token(demo["users"]["admin"], "fault", 1)
    auth = {"Authorization": f"Bearer {raw}"}
    handler = WSGIHandler()
    assert _wsgi_get(handler, "/api/v1/units", auth)[0] == 200
    victim = _backend_pid()
    armed = {"on": True}

    def kill_before_unit_query(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if armed["on"] and "core_orgunit" in sql:
            armed["on"] = False
            pg_killer(victim)  # the server goes away after the token lookup, mid-request
        return execute(sql, params, many, context)

    with connection.execute_wrapper(kill_before_unit_query):
        failed_status, failed_body = _wsgi_get(handler, "/api/v1/units", auth)
    assert not armed["on"], "the fault was never injected"
    assert failed_status == 500
    assert b"Traceback" not in failed_body and b"psycopg" not in failed_body  # generic error page
    events = [(r.getMessage(), getattr(r, "kijun", {})) for r in security_records]
    assert ("server_error", "/api/v1/units", 500) in {(e, k.get("path"), k.get("status")) for e, k in events}
    assert any(e == "unhandled_exception" and k.get("error") == "OperationalError" for e, k in events)
    # Later requests succeed on a new backend, in the same process (no app restart).
    assert [_wsgi_get(handler, "/api/v1/units", auth)[0] for _ in range(3)] == [200] * 3
    assert _backend_pid() != victim


# --- (c) the ASGI stack that `kijun serve` runs (uvicorn → Django ASGIHandler) -------------------------

def _asgi_statuses(paths: list[str], headers: dict[str, str]) -> list[int]:
    import asyncio

    import httpx
    from django.core.asgi import get_asgi_application

    app = get_asgi_application()

    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return [(await c.get(p, headers=headers)).status_code for p in paths]

    return asyncio.run(run())


def _app_backends() -> list[int]:
    """Backends connected to the test database other than this thread's own connection."""
    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND backend_type = 'client backend'")
        return [int(r[0]) for r in cur.fetchall()]


@pytest.mark.postgres
def test_asgi_with_persistent_connections_does_not_leak_them(  # type: ignore[no-untyped-def]
        demo, pg_killer, monkeypatch) -> None:
    _tok, raw = issue_token(demo["users"]["admin"], "fault", 1)
    auth = {"Authorization": f"Bearer {raw}"}
    from kijun.web import settings as kijun_settings

    # the production default (tests run with KIJUN_DB_CONN_MAX_AGE=0 set explicitly)
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", kijun_settings.DB_CONN_MAX_AGE_DEFAULT)
    opened: list[Any] = []  # every client connection the app opens, so the test can close them all
    wrapper_cls = type(connections["default"])
    real_new = wrapper_cls.get_new_connection

    def recording_new(self: Any, params: Any) -> Any:
        conn = real_new(self, params)
        opened.append(conn)
        return conn

    monkeypatch.setattr(wrapper_cls, "get_new_connection", recording_new)
    try:
        before = len(_app_backends())
        assert _asgi_statuses(["/api/v1/units"] * 20, auth) == [200] * 20
        leaked = len(_app_backends()) - before
    finally:
        for conn in opened:  # leave nothing open behind for the test database's teardown
            if conn is not connection.connection:
                conn.close()
    assert leaked <= 2, f"{leaked} connections left open by 20 sequential requests"
