"""PostgreSQL: refuse UPDATE, DELETE and TRUNCATE on the audit tables for every role but the owner.

The application connects as a non-owner role (docs/security.md), so even a compromised application
cannot rewrite history; the owner (who runs migrations) could disable the trigger anyway, so
exempting it costs nothing and keeps test-database flushes working. SQLite has no roles: there the
hash chain and signed checkpoints are the protection.
"""

from django.db import migrations

TABLES = ("core_auditentry", "core_auditcheckpoint")

FUNCTION = """
CREATE OR REPLACE FUNCTION kijun_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE owner name;
BEGIN
  SELECT tableowner INTO owner FROM pg_tables WHERE schemaname = TG_TABLE_SCHEMA AND tablename = TG_TABLE_NAME;
  IF pg_has_role(current_user, owner, 'MEMBER') THEN
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'kijun audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for t in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {t}_no_rewrite ON {t}")
        schema_editor.execute(f"CREATE TRIGGER {t}_no_rewrite BEFORE UPDATE OR DELETE ON {t} "
                              "FOR EACH ROW EXECUTE FUNCTION kijun_audit_append_only()")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}")
        schema_editor.execute(f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                              "FOR EACH STATEMENT EXECUTE FUNCTION kijun_audit_append_only()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for t in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {t}_no_rewrite ON {t}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}")
    schema_editor.execute("DROP FUNCTION IF EXISTS kijun_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_head")]
    operations = [migrations.RunPython(forwards, backwards)]
