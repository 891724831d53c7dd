"""Stored shadow-IT scans and the decisions taken on what they found.

A ``Scan`` keeps the engine's JSON report (schema in docs/discovery.md), not the uploaded logs:
logs name people and are deleted once scanned. Each user's drill-down rows are kept apart, one
``ScanUser`` row per user: a 10 M line log has ~2 M of them (hundreds of MB of JSON, over
PostgreSQL's jsonb limit), and the report pages need only the summary. Scans belong to an org unit, so they are visible
only to people whose DISCOVERY_VIEW scope covers that unit.

An ``AppDecision`` is the organisation's answer to one discovered app or unknown domain (issue 6
item 4: sanctioned / prohibited / under review / ignored, with a reason). Decisions are per unit
and remembered for later scans: the report page shows the latest decision next to every row.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scan(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Completed")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Uploaded files")
        DIRECTORY = "directory", _("Server log directory")

    unit = models.ForeignKey("core.OrgUnit", on_delete=models.PROTECT, related_name="discovery_scans",
                             verbose_name=_("Unit"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    title = models.CharField(_("Title"), max_length=200, blank=True)
    #: the users' file names, display metadata only (stored files had random names and are gone)
    file_names = models.JSONField(default=list)
    formats = models.JSONField(default=list)
    register_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DONE)
    error = models.TextField(blank=True)
    lines = models.BigIntegerField(default=0)
    malformed = models.BigIntegerField(default=0)
    apps = models.IntegerField(default=0)
    unsanctioned = models.IntegerField(default=0)
    unknown_domains = models.IntegerField(default=0)
    users = models.IntegerField(default=0)
    report = models.JSONField(default=dict)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.UPLOAD)
    #: the time window (since inclusive, until exclusive), as for `kijun discover scan --since/--until`
    since = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    #: background job progress (services.py): bytes of the inputs read so far, events found so far
    bytes_total = models.BigIntegerField(default=0)
    bytes_done = models.BigIntegerField(default=0)
    events_done = models.BigIntegerField(default=0)
    current_file = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    #: what the job needs to run (stored upload paths, formats, register, NSS template); when it
    #: ends only the options its page shows (the NSS template) are kept
    params = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "-created_at"])]

    def __str__(self) -> str:
        return self.title or f"scan {self.pk}"

    def label(self) -> str:
        return self.title or ", ".join(self.file_names)[:200] or f"#{self.pk}"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def nss_template(self) -> str:
        """The Zscaler NSS feed template the scan was given ("" for none): kept in ``params`` after
        the job ends, as the page shows it among the scan's options."""
        return str((self.params or {}).get("nss_template") or "")

    def percent(self) -> int:
        """Share of the input bytes read (100 once done)."""
        if self.status == self.Status.DONE:
            return 100
        if not self.bytes_total:
            return 0
        return min(99, int(100 * self.bytes_done / self.bytes_total))


class ScanFile(models.Model):
    """One input of a scan, with the fingerprint that detects a second submission of the same file.

    ``fingerprint`` is ``sha256:<hex>`` of an upload's content, or ``file:<path>:<size>:<mtime_ns>``
    for a file of the server's log directory (hashing a multi-gigabyte file just to compare would
    double the I/O of the scan).
    """

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=300)
    size = models.BigIntegerField(default=0)
    fingerprint = models.CharField(max_length=400, db_index=True)

    class Meta:
        ordering = ["scan_id", "position"]

    def __str__(self) -> str:
        return self.name


class ScanUser(models.Model):
    """One user's drill-down rows of a finished scan, as the compact JSON array of the report's
    ``users[position].usage`` (text: read whole for one user's page or an export, never queried)."""

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="user_rows")
    position = models.PositiveIntegerField()
    user = models.TextField()
    usage = models.TextField()

    class Meta:
        ordering = ["scan_id", "position"]
        constraints = [models.UniqueConstraint(fields=["scan", "position"], name="discovery_scanuser_unique")]

    def __str__(self) -> str:
        return self.user


class AppDecision(models.Model):
    """The latest decision for one report row key (``app id``, ``app@domain`` or ``?domain``) in a unit."""

    class Decision(models.TextChoices):
        SANCTIONED = "sanctioned", _("Sanctioned")
        PROHIBITED = "prohibited", _("Prohibited")
        UNDER_REVIEW = "under_review", _("Under review")
        IGNORED = "ignored", _("Ignored")

    unit = models.ForeignKey("core.OrgUnit", on_delete=models.PROTECT, related_name="discovery_decisions")
    key = models.CharField(max_length=300)
    name = models.CharField(max_length=300, blank=True)
    decision = models.CharField(_("Decision"), max_length=16, choices=Decision.choices)
    reason = models.TextField(_("Reason"), blank=True, max_length=2000)
    scan = models.ForeignKey(Scan, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    decided_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "key"], name="discovery_decision_unique")]
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}: {self.decision}"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.pk, "unit_id": self.unit_id, "key": self.key, "name": self.name,
                "decision": self.decision, "reason": self.reason, "scan_id": self.scan_id,
                "decided_by": self.decided_by.username if self.decided_by else None,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None,
                "version": self.version}
