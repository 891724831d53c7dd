"""Database side of the catalog. The catalog itself is packaged YAML (our summaries); the official
wording is copyrighted, so it lives only in the user's database after `kijun catalog import-official
FILE --store`. SearchDoc rows feed full-text search (FTS5 trigram on SQLite, pg_trgm on PostgreSQL)."""

from __future__ import annotations

from django.db import models


class OfficialText(models.Model):
    edition = models.CharField(max_length=16)
    node_id = models.CharField(max_length=64)
    title = models.TextField(blank=True)
    text = models.TextField(blank=True)
    purpose = models.TextField(blank=True)
    source_sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["edition", "node_id"], name="uniq_official_text")]

    def __str__(self) -> str:
        return f"{self.edition} {self.node_id}"


class SearchDoc(models.Model):
    """One searchable document per catalog node: ids, titles, summaries and official wording, folded
    with NFKC + casefold so full-width/half-width and case never matter."""

    edition = models.CharField(max_length=16)
    node_id = models.CharField(max_length=64)
    position = models.PositiveIntegerField()
    body = models.TextField()

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["edition", "node_id"], name="uniq_search_doc")]

    def __str__(self) -> str:
        return self.node_id
