"""Liveness/readiness probes: public, tiny, no data, and readiness follows the database."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_is_public_and_reveals_nothing(client: Client) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}
    assert "no-store" in resp["Cache-Control"] or "max-age=0" in resp["Cache-Control"]


def test_readyz_reports_database_up(client: Client) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "database": "up"}


def test_readyz_is_503_without_detail_when_the_database_fails(client: Client) -> None:
    def broken(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if sql == "SELECT 1":
            raise DatabaseError("connection refused to secret-host:5432")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(broken):
        resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json() == {"status": "unavailable", "database": "down"}
    assert b"secret-host" not in resp.content
    assert client.get("/readyz").status_code == 200  # recovers on the next request


def test_probes_refuse_other_methods(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


def test_unrouted_api_paths_answer_json_404(client: Client) -> None:
    resp = client.get("/api/v1/cloud/systems/not-a-number")
    assert resp.status_code == 404
    assert resp.json() == {"detail": "not found", "code": "not_found"}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
