"""Least-privilege PostgreSQL roles (ASVS 13.2.2): the web app connects as a role that owns nothing.

The audit tables' trigger (migration core.0003) refuses UPDATE/DELETE/TRUNCATE for every role that is not
the table owner, so the append-only guarantee only holds when the application does *not* connect as the
owner or as a superuser. ``kijun db grant-app-role`` gives an existing login role exactly what the app
needs (and, through default privileges, what later migrations create); ``kijun db check-role`` and the
``kijun.W002`` database check tell an operator when the app still runs with too much power.
"""

from __future__ import annotations

import re

from django.core import checks
from django.db import connection

AUDIT_TABLES = ("core_auditentry", "core_auditcheckpoint")
_IDENT = re.compile(r"^[a-z_][a-z0-9_$]{0,62}$")


class RoleError(ValueError):
    """A role name that is not a plain lower-case identifier, or a database that is not PostgreSQL."""


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise RoleError(f"role name must be a lower-case SQL identifier (a-z, 0-9, _), got {name!r}")
    return f'"{name}"'


def grant_statements(role: str, owner: str) -> list[str]:
    """The GRANTs that let ``role`` run kijun (read/write rows) but not change schema or rewrite history."""
    r, o = _ident(role), _ident(owner)
    audit = ", ".join(AUDIT_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
        # Defence in depth beside the trigger: the app role may only read and append audit rows.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {audit} FROM {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]


def _require_postgres() -> None:
    if connection.vendor != "postgresql":
        raise RoleError("database roles apply to PostgreSQL only (this database is "
                        f"{connection.vendor}); SQLite has no roles — protect the file instead")


def grant_app_role(role: str) -> list[str]:
    """Run :func:`grant_statements` as the current (owner) connection; return what was executed."""
    _require_postgres()
    with connection.cursor() as cur:  # nosemgrep: kijun-raw-sql -- role catalogue queries and GRANTs (ops CLI, not a request path); names validated
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cur.fetchone() is None:
            raise RoleError(f"role {role!r} does not exist; create it first: CREATE ROLE {role} LOGIN PASSWORD '…'")
        cur.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = %s",
                    [AUDIT_TABLES[0]])
        row = cur.fetchone()
        if row is None:
            raise RoleError("the kijun tables do not exist yet; run `kijun migrate` as the owner role first")
        owner = str(row[0])
        if owner == role:
            raise RoleError(f"role {role!r} owns the kijun tables; the app role must be a different role")
        stmts = grant_statements(role, owner)
        for stmt in stmts:
            cur.execute(stmt)
    return stmts


def role_problems() -> list[str]:
    """Why the current connection has more power than the app should (empty when least-privilege)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cur:  # nosemgrep: kijun-raw-sql -- role catalogue queries and GRANTs (ops CLI, not a request path); names validated
        cur.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, superuser = cur.fetchone() or ("?", False)
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(%s) "
                    "AND pg_has_role(current_user, tableowner, 'MEMBER')", [list(AUDIT_TABLES)])
        owned = [r[0] for r in cur.fetchall()]
    problems = []
    if superuser:
        problems.append(f"connected as superuser {user!r}: the audit trigger cannot protect the log")
    elif owned:
        problems.append(f"connected as {user!r}, owner of {', '.join(owned)}: the audit trigger lets owners "
                        "rewrite history")
    return problems


def check_app_role(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    """``kijun.W002`` for ``manage.py check --deploy --database default`` on PostgreSQL."""
    databases = kwargs.get("databases") or []
    if "default" not in databases:  # type: ignore[operator]
        return []
    return [checks.Warning(p, hint="Run the web app as a non-owner role: `kijun db grant-app-role ROLE` "
                                   "(docs/security.md).", id="kijun.W002") for p in role_problems()]
