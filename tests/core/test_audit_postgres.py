"""On PostgreSQL a non-owner application role cannot update, delete or truncate audit rows."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from kijun.core import audit

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

APP_ROLE = "kijun_app_test"


@pytest.fixture
def app_role():  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the SQLite run relies on the hash chain)")
    with connection.cursor() as cur:
        cur.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') "
                    f"THEN CREATE ROLE {APP_ROLE} NOLOGIN; END IF; END $$")
        cur.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON core_auditentry TO {APP_ROLE}")
    return APP_ROLE


@pytest.mark.parametrize("statement", [
    "UPDATE core_auditentry SET actor = 'mallory' WHERE seq = 1",
    "DELETE FROM core_auditentry WHERE seq = 1",
    "TRUNCATE core_auditentry",
])
def test_non_owner_cannot_rewrite_history(demo, app_role, statement) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"SET LOCAL ROLE {app_role}")
        cur.execute(statement)


def test_non_owner_can_still_append(demo, app_role) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"SET LOCAL ROLE {app_role}")
        cur.execute("SELECT count(*) FROM core_auditentry")
        assert cur.fetchone()[0] > 0
        cur.execute("RESET ROLE")
    assert audit.record("test.append", "thing", 1).seq > 1
