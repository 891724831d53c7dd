"""ASVS 13.2.2: the web app can run as a least-privilege PostgreSQL role, and kijun says when it does not."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import DatabaseError, connection, transaction
from typer.testing import CliRunner

from kijun.cli.main import app
from kijun.core import audit, dbroles

pytestmark = pytest.mark.django_db

ROLE = "kijun_app_grant_test"


def test_role_names_are_plain_identifiers() -> None:
    for bad in ["app; DROP TABLE x", "App", "", "a" * 64, 'x"y']:
        with pytest.raises(dbroles.RoleError, match="identifier"):
            dbroles.grant_statements(bad, "owner")
    stmts = dbroles.grant_statements("kijun_app", "kijun_owner")
    assert any(s.startswith("REVOKE UPDATE, DELETE, TRUNCATE ON core_auditentry") for s in stmts)
    assert any("ALTER DEFAULT PRIVILEGES FOR ROLE \"kijun_owner\"" in s for s in stmts)


def test_sqlite_has_no_roles_and_says_so() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("SQLite run only")
    assert dbroles.role_problems() == []
    with pytest.raises(dbroles.RoleError, match="PostgreSQL only"):
        dbroles.grant_app_role("kijun_app")


@pytest.fixture
def pg_role() -> str:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cur:
        cur.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') "
                    f"THEN CREATE ROLE {ROLE} LOGIN; END IF; END $$")
    return ROLE


def test_owner_or_superuser_connection_is_reported(pg_role: str) -> None:
    problems = dbroles.role_problems()  # the test suite connects as the superuser that owns everything
    assert problems and "superuser" in problems[0]
    with pytest.raises(SystemCheckError, match="kijun.W002"):
        call_command("check", deploy=True, databases=["default"], fail_level="WARNING", tags=["database"])
    result = CliRunner().invoke(app, ["db", "check-role"])
    assert result.exit_code == 1


def test_granted_app_role_can_work_but_not_rewrite_history(demo, pg_role: str) -> None:  # type: ignore[no-untyped-def]
    executed = dbroles.grant_app_role(pg_role)
    assert len(executed) == len(dbroles.grant_statements(pg_role, "postgres"))
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(f"SET LOCAL ROLE {pg_role}")
        assert dbroles.role_problems() == []
        entry = audit.record("test.least_privilege", "thing", 1)  # append (and move the head) works
        assert entry.seq > 1
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM core_orgunit")
            assert cur.fetchone()[0] > 0
    for stmt in ["UPDATE core_auditentry SET actor = 'mallory' WHERE seq = 1",
                 "DELETE FROM core_auditcheckpoint", "TRUNCATE core_auditentry",
                 "CREATE TABLE kijun_evil (x int)", "DROP TABLE core_orgunit"]:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"SET LOCAL ROLE {pg_role}")
            cur.execute(stmt)


def test_grant_refuses_missing_role_and_owner(pg_role: str) -> None:
    with pytest.raises(dbroles.RoleError, match="does not exist"):
        dbroles.grant_app_role("kijun_no_such_role_x")
    with pytest.raises(dbroles.RoleError, match="owns the kijun tables"):
        dbroles.grant_app_role("postgres")


def test_cli_dry_run_prints_statements() -> None:
    result = CliRunner().invoke(app, ["db", "grant-app-role", "kijun_app", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert 'GRANT USAGE ON SCHEMA public TO "kijun_app";' in result.output
    bad = CliRunner().invoke(app, ["db", "grant-app-role", "Bad;Name", "--dry-run"])
    assert bad.exit_code == 1
