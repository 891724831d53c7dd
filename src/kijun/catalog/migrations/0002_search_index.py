"""Full-text search for Japanese (no word spaces): FTS5 with the trigram tokenizer on SQLite,
pg_trgm GIN index on PostgreSQL. Both accelerate substring search of three or more characters."""

from django.db import migrations


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_searchfts USING fts5("
            "body, content='catalog_searchdoc', content_rowid='id', tokenize='trigram')")
        schema_editor.execute(
            "CREATE TRIGGER IF NOT EXISTS catalog_searchdoc_ai AFTER INSERT ON catalog_searchdoc BEGIN "
            "INSERT INTO catalog_searchfts(rowid, body) VALUES (new.id, new.body); END")
        schema_editor.execute(
            "CREATE TRIGGER IF NOT EXISTS catalog_searchdoc_ad AFTER DELETE ON catalog_searchdoc BEGIN "
            "INSERT INTO catalog_searchfts(catalog_searchfts, rowid, body) VALUES ('delete', old.id, old.body); END")
        schema_editor.execute(
            "CREATE TRIGGER IF NOT EXISTS catalog_searchdoc_au AFTER UPDATE ON catalog_searchdoc BEGIN "
            "INSERT INTO catalog_searchfts(catalog_searchfts, rowid, body) VALUES ('delete', old.id, old.body); "
            "INSERT INTO catalog_searchfts(rowid, body) VALUES (new.id, new.body); END")
    elif vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS catalog_searchdoc_body_trgm ON catalog_searchdoc "
            "USING gin (body gin_trgm_ops)")


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for t in ("ai", "ad", "au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS catalog_searchdoc_{t}")
        schema_editor.execute("DROP TABLE IF EXISTS catalog_searchfts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS catalog_searchdoc_body_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
