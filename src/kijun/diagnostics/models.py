"""Database records of continuous diagnostics (常時システム診断・対処; R7 §2.1.2, §6.1–6.5, §7.1.6).

The matching itself is done by the pure engine in this package. These tables keep:

* the inventory: hosts (in an org unit, optionally part of a system of the cloud ledger), the
  software installed on each host, and the *distinct* (product, version) pairs those rows collapse to;
* the intelligence: NVD CVEs (raw record + content hash for incremental sync), KEV, EPSS, JVN, OSV;
* the results: per-pair matches (with the engine's reason), findings fanned out to hosts in SQL,
  per-vulnerability facts with the SSVC outcome for each Mission & Well-being level;
* remediation records per (system, vulnerability) — or (host, vulnerability) for hosts without a
  system — with owner, due date, status, exception expiry, evidence and their history.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kijun.cloud.models import InformationSystem
from kijun.core.models import OrgUnit, User

#: SSVC outcomes stored as ranks (higher = more urgent), so SQL can take MAX() and sort.
OUTCOMES = [(0, "Track"), (1, "Track*"), (2, "Attend"), (3, "Act")]
OUTCOME_RANK = {name: rank for rank, name in OUTCOMES}
OUTCOME_NAME = dict(OUTCOMES)
MISSIONS = [("low", _("Low")), ("medium", _("Medium")), ("high", _("High"))]


class Host(models.Model):
    """An asset that reports an inventory (server, PC, appliance)."""

    name = models.CharField(_("host"), max_length=255)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="vuln_hosts",
                                 verbose_name=_("organisation unit"))
    system = models.ForeignKey(InformationSystem, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="vuln_hosts", verbose_name=_("information system"))
    mission = models.CharField(_("mission & well-being"), max_length=8, choices=MISSIONS, default="medium")
    os_name = models.CharField(_("operating system"), max_length=200, blank=True)
    source = models.CharField(_("last inventory file"), max_length=200, blank=True)
    inventory_at = models.DateTimeField(_("last inventory"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["org_unit", "name"], name="diag_host_unit_name")]

    def __str__(self) -> str:
        return self.name


class Software(models.Model):
    """One distinct (product, version) pair: what the engine matches, once for all hosts."""

    key = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the identity fields")
    kind = models.CharField(max_length=16)
    name = models.CharField(max_length=300)
    version = models.CharField(max_length=200, blank=True)
    product = models.CharField(max_length=300, help_text="CPE vendor:product or Ecosystem/package")
    cpe = models.CharField(max_length=600, blank=True)
    ecosystem = models.CharField(max_length=64, blank=True)
    package = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["product", "version"]
        indexes = [models.Index(fields=["product"], name="diag_sw_product")]

    def __str__(self) -> str:
        return f"{self.product} {self.version}"


class Installed(models.Model):
    """A software row on a host, as the last inventory reported it (unmapped rows have no software)."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="installed")
    software = models.ForeignKey(Software, on_delete=models.PROTECT, null=True, blank=True, related_name="installs",
                                 db_index=False)  # the (software, host) index serves lookups by software
    kind = models.CharField(max_length=16)
    name = models.CharField(max_length=300)
    version = models.CharField(max_length=200, blank=True)
    publisher = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=200, blank=True)
    mapping_rule = models.CharField(max_length=200, blank=True)
    mapping_confidence = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["host", "name"]
        indexes = [models.Index(fields=["software", "host"], name="diag_inst_sw_host")]
        constraints = [models.UniqueConstraint(fields=["host", "software"], condition=Q(software__isnull=False),
                                               name="diag_inst_host_sw")]

    def __str__(self) -> str:
        return f"{self.host_id}:{self.name} {self.version}"


# ------------------------------------------------------------------ intelligence (synced feeds)

class NvdCve(models.Model):
    """An NVD CVE record; ``data`` is the CVE API 2.0 ``cve`` object the engine compiles."""

    cve_id = models.CharField(max_length=32, unique=True)
    published = models.CharField(max_length=40, blank=True)
    modified = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=40, blank=True)
    description = models.TextField(blank=True)
    cvss_version = models.CharField(max_length=8, blank=True)
    cvss_score = models.FloatField(null=True, blank=True)
    cvss_vector = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=16, blank=True)
    criteria = models.PositiveIntegerField(default=0, help_text="cpeMatch criteria in the configurations")
    data = models.JSONField()
    content_hash = models.CharField(max_length=64)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["cve_id"]

    def __str__(self) -> str:
        return self.cve_id


class KevListing(models.Model):
    """CISA Known Exploited Vulnerabilities catalogue entry."""

    cve_id = models.CharField(max_length=32, unique=True)
    vendor_project = models.CharField(max_length=200, blank=True)
    product = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=400, blank=True)
    date_added = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    ransomware = models.CharField(max_length=16, blank=True)
    content_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.cve_id


class EpssEntry(models.Model):
    """FIRST EPSS score of a CVE (the latest synced score_date)."""

    cve_id = models.CharField(max_length=32, unique=True)
    score = models.FloatField()
    percentile = models.FloatField()
    score_date = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"{self.cve_id} {self.score}"


class JvnAdvisory(models.Model):
    """A JVN iPedia record (``data``: the parsed record, affected products with parsed ranges)."""

    jvn_id = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=500, blank=True)
    cves = models.JSONField(default=list)
    modified = models.CharField(max_length=40, blank=True)
    data = models.JSONField()
    content_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.jvn_id


class OsvAdvisory(models.Model):
    """An OSV record (``data``: the OSV JSON document)."""

    osv_id = models.CharField(max_length=100, unique=True)
    modified = models.CharField(max_length=40, blank=True)
    aliases = models.JSONField(default=list)
    data = models.JSONField()
    content_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.osv_id


class SyncRun(models.Model):
    """One ``kijun vuln sync`` (or upload): what each feed added, changed, left alone."""

    at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150, blank=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"sync {self.at:%Y-%m-%d %H:%M}"


# ------------------------------------------------------------------ results

class Vulnerability(models.Model):
    """Facts of a vulnerability that matched something, with the SSVC outcome per mission level."""

    vuln_id = models.CharField(max_length=100, unique=True)
    cve_id = models.CharField(max_length=32, blank=True)
    summary = models.TextField(blank=True)
    cvss_score = models.FloatField(null=True, blank=True)
    cvss_vector = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=16, blank=True)
    kev = models.BooleanField(default=False)
    kev_due = models.DateField(null=True, blank=True)
    kev_added = models.DateField(null=True, blank=True)
    ransomware = models.CharField(max_length=16, blank=True)
    epss = models.FloatField(null=True, blank=True)
    epss_percentile = models.FloatField(null=True, blank=True)
    exploitation = models.CharField(max_length=8)
    automatable = models.CharField(max_length=4)
    technical_impact = models.CharField(max_length=8)
    basis = models.JSONField(default=list)
    outcome_low = models.PositiveSmallIntegerField(choices=OUTCOMES)
    outcome_medium = models.PositiveSmallIntegerField(choices=OUTCOMES)
    outcome_high = models.PositiveSmallIntegerField(choices=OUTCOMES)
    jvn_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["vuln_id"]

    def __str__(self) -> str:
        return self.vuln_id


class Match(models.Model):
    """The engine's verdict for one distinct pair: vulnerable to ``vuln`` and why.

    ``host_specific`` matches come from AND / "running on" configurations, which hold only on hosts
    that also have the platform; their findings are written per host instead of fanned out.
    """

    software = models.ForeignKey(Software, on_delete=models.CASCADE, related_name="matches")
    vuln = models.ForeignKey(Vulnerability, on_delete=models.CASCADE, related_name="matches")
    sources = models.CharField(max_length=32)
    reason = models.JSONField()
    notes = models.JSONField(default=list)
    host_specific = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["software", "vuln", "host_specific"], name="diag_match_uniq")]

    def __str__(self) -> str:
        return f"{self.software_id}:{self.vuln_id}"


class Finding(models.Model):
    """A vulnerable pair on a host (written set-based by the fan-out; never edited by people)."""

    # Single-column FK indexes are left out where a composite index below already starts with the
    # column (host, vuln) or nothing looks rows up by it (software, match): every index slows the fan-out.
    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="findings", db_index=False)
    software = models.ForeignKey(Software, on_delete=models.CASCADE, related_name="findings", db_index=False)
    vuln = models.ForeignKey(Vulnerability, on_delete=models.CASCADE, related_name="findings", db_index=False)
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="findings", db_index=False)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    system = models.ForeignKey(InformationSystem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = models.PositiveSmallIntegerField(choices=OUTCOMES)
    running_on = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["vuln", "system"], name="diag_find_vuln_sys"),
                   models.Index(fields=["vuln", "host"], name="diag_find_vuln_host")]
        constraints = [models.UniqueConstraint(fields=["host", "software", "vuln"], name="diag_finding_uniq")]

    def __str__(self) -> str:
        return f"{self.host_id}:{self.software_id}:{self.vuln_id}"


class SlaSetting(models.Model):
    """Days to remediate per SSVC outcome when the vulnerability is not in KEV (agency SLA)."""

    outcome = models.PositiveSmallIntegerField(choices=OUTCOMES, unique=True)
    days = models.PositiveIntegerField(_("days to remediate"))
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{OUTCOME_NAME[self.outcome]}: {self.days}"


class Remediation(models.Model):
    """What the agency does about one vulnerability on one system (or on one host without a system)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        FIXED = "fixed", _("Fixed")
        RISK_ACCEPTED = "risk_accepted", _("Risk accepted (exception)")
        FALSE_POSITIVE = "false_positive", _("False positive")

    vuln = models.ForeignKey(Vulnerability, on_delete=models.CASCADE, related_name="remediations")
    system = models.ForeignKey(InformationSystem, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="vuln_remediations")
    host = models.ForeignKey(Host, on_delete=models.CASCADE, null=True, blank=True, related_name="remediations")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("owner"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    outcome = models.PositiveSmallIntegerField(choices=OUTCOMES, default=0)
    findings = models.PositiveIntegerField(default=0, help_text="findings at the last match")
    due_on = models.DateField(_("due date"), null=True, blank=True)
    due_basis = models.CharField(max_length=16, blank=True, help_text="kev | sla | manual")
    exception_expires = models.DateField(_("exception expires"), null=True, blank=True)
    evidence = models.TextField(_("evidence notes"), blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-outcome", "due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="diag_rem_status_due")]
        constraints = [
            models.UniqueConstraint(fields=["system", "vuln"], condition=Q(system__isnull=False), name="diag_rem_sys"),
            models.UniqueConstraint(fields=["host", "vuln"], condition=Q(system__isnull=True), name="diag_rem_host"),
            models.CheckConstraint(condition=Q(system__isnull=False) | Q(host__isnull=False), name="diag_rem_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.vuln.vuln_id} @ {self.system or self.host}"

    @property
    def outcome_name(self) -> str:
        return OUTCOME_NAME[self.outcome]

    @property
    def is_overdue(self) -> bool:
        return (self.status in (self.Status.OPEN, self.Status.IN_PROGRESS) and self.due_on is not None
                and self.due_on < timezone.localdate())


class RemediationEvent(models.Model):
    """History of a remediation record (people's edits and the matcher's automatic changes)."""

    remediation = models.ForeignKey(Remediation, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=32)
    changes = models.JSONField(default=dict)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.remediation_id} {self.action}"


class TrendPoint(models.Model):
    """Open remediation records per outcome and overdue, per unit and day (for the trend chart)."""

    day = models.DateField()
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    track = models.PositiveIntegerField(default=0)
    track_star = models.PositiveIntegerField(default=0)
    attend = models.PositiveIntegerField(default=0)
    act = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["day", "org_unit"], name="diag_trend_day_unit")]

    def __str__(self) -> str:
        return f"{self.day} {self.org_unit_id}"
