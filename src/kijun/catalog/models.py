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


# ---------------------------------------------------------------- the agency's 対策基準 (tailoring)

class TailoredPolicy(models.Model):
    """An organisation's 対策基準 as a tailoring of the standard: every requirement is included
    unless a :class:`PolicyClause` row says otherwise, so only the agency's deviations are stored."""

    org_unit = models.OneToOneField("core.OrgUnit", on_delete=models.PROTECT, related_name="agency_policy")
    edition = models.CharField(max_length=16)
    title = models.CharField(max_length=200)
    version_label = models.CharField(max_length=32, default="1")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.title


class PolicyClause(models.Model):
    """One tailored clause: a requirement of the standard (``clause_id`` is its id) or an agency
    addition (``is_addition``; own id, hung under ``anchor``, a catalog id)."""

    class Status(models.TextChoices):
        INCLUDED = "included", "included"
        EXCLUDED = "excluded", "excluded"

    policy = models.ForeignKey(TailoredPolicy, on_delete=models.CASCADE, related_name="clauses")
    clause_id = models.CharField(max_length=64)
    is_addition = models.BooleanField(default=False)
    anchor = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INCLUDED)
    reason = models.TextField(blank=True)
    title = models.CharField(max_length=200, blank=True)
    wording_ja = models.TextField(blank=True)
    wording_en = models.TextField(blank=True)
    #: [{"id": "review-period", "label": "見直し周期", "value": "年1回"}]
    parameters = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey("core.User", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["policy", "clause_id"], name="uniq_policy_clause")]

    def __str__(self) -> str:
        return f"{self.policy_id}:{self.clause_id}"


class PolicyClauseChange(models.Model):
    """Per-clause history shown on the clause page (the audit log has the same change, hash-chained)."""

    policy = models.ForeignKey(TailoredPolicy, on_delete=models.CASCADE, related_name="changes")
    clause_id = models.CharField(max_length=64)
    at = models.DateTimeField()
    actor = models.ForeignKey("core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=32)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["policy", "clause_id"])]

    def __str__(self) -> str:
        return f"{self.clause_id} {self.action}"


# ---------------------------------------------------------------- agency documents register

class AgencyDocument(models.Model):
    """An internal rule, manual or procedure and the requirement ids it implements."""

    class Kind(models.TextChoices):
        RULE = "rule", "rule"
        MANUAL = "manual", "manual"
        PROCEDURE = "procedure", "procedure"
        OTHER = "other", "other"

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MANUAL)
    edition = models.CharField(max_length=16)
    owner_unit = models.ForeignKey("core.OrgUnit", on_delete=models.PROTECT, related_name="agency_documents")
    requirement_ids = models.JSONField(default=list)
    last_reviewed = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class ReviewRun(models.Model):
    """A revision review: the diff between two editions applied to one organisation's documents and
    対策基準 clauses.  ``edition_a``/``edition_b`` are source keys (``catalog:r7``, ``official:r9``)."""

    org_unit = models.ForeignKey("core.OrgUnit", on_delete=models.PROTECT, related_name="catalog_reviews")
    edition_a = models.CharField(max_length=40)
    edition_b = models.CharField(max_length=40)
    summary = models.JSONField(default=dict)
    created_by = models.ForeignKey("core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.edition_a} → {self.edition_b}"


class ReviewItem(models.Model):
    """One worklist entry: a document or a 対策基準 clause hit by changes of the run's diff."""

    class Target(models.TextChoices):
        DOCUMENT = "document", "document"
        CLAUSE = "clause", "clause"

    run = models.ForeignKey(ReviewRun, on_delete=models.CASCADE, related_name="items")
    target = models.CharField(max_length=16, choices=Target.choices)
    document = models.ForeignKey(AgencyDocument, on_delete=models.CASCADE, null=True, related_name="review_items")
    clause_id = models.CharField(max_length=64, blank=True)
    tailored = models.BooleanField(default=False)
    changes = models.JSONField(default=list)
    status = models.CharField(max_length=8, default="open")
    note = models.TextField(blank=True)
    done_by = models.ForeignKey("core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    done_at = models.DateTimeField(null=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["target", "id"]

    def __str__(self) -> str:
        return self.clause_id or str(self.document_id)
