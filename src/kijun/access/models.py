"""Database records of dynamic access control (R7 §7.3): policy sets authored in the UI, the
resources they protect, published (signed) bundle revisions, PDP credentials and decision logs.

The rules themselves are the pure model of rules.py: a ``PolicyRule`` row stores exactly the
fields of ``kijun.access.rules.Rule`` so the same validation and Cedar generation apply to rules
written in YAML, through the CLI and in the UI.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from kijun.core.models import OrgUnit, User

OUTCOMES = [("allow", _("Allow")), ("deny", _("Deny")), ("step_up", _("Step-up authentication"))]
STEP_UP_LEVELS = [("mfa", _("Multi-factor authentication")),
                  ("phishing_resistant", _("Phishing-resistant authentication"))]


class PolicySet(models.Model):
    """An organisation's access-control policy (アクセス制御方針, §7.3.1(3)): rules, hand-written
    Cedar and the resources under dynamic access control. ``version`` guards concurrent edits and is
    raised by every change inside the set, so a publish always signs what the publisher saw."""

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=64, unique=True,
                            help_text=_("Used by PDPs to fetch the bundle (?policy_set=code)."))
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="access_policy_sets",
                                 verbose_name=_("organisation unit"))
    description = models.TextField(_("description"), blank=True)
    hand_cedar = models.TextField(_("hand-written Cedar"), blank=True)
    seeded_from_default = models.BooleanField(default=False)
    reviewed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def needs_review(self) -> bool:
        return self.seeded_from_default and self.reviewed_at is None


class PolicyRule(models.Model):
    """One readable rule (the fields of rules.Rule); ``conditions`` use the mapping form."""

    policy_set = models.ForeignKey(PolicySet, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(default=0)
    rule_id = models.CharField(_("rule id"), max_length=80)
    outcome = models.CharField(_("outcome"), max_length=16, choices=OUTCOMES)
    step_up_to = models.CharField(_("step up to"), max_length=24, choices=STEP_UP_LEVELS, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    references = models.JSONField(default=list, blank=True)
    roles = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["policy_set", "rule_id"], name="access_rule_unique_id")]

    def __str__(self) -> str:
        return self.rule_id

    def as_rule(self) -> dict[str, Any]:
        """The rule as rules.Rule input (validated by the caller)."""
        data: dict[str, Any] = {"id": self.rule_id, "outcome": self.outcome, "description": self.description,
                                "references": list(self.references), "roles": list(self.roles),
                                "actions": list(self.actions), "when": list(self.conditions)}
        if self.step_up_to:
            data["step_up_to"] = self.step_up_to
        return data


class ProtectedResource(models.Model):
    """A resource under dynamic access control (§7.3.1(1)) with its classification; its URL prefix
    becomes a route of the bundle, so the PEP endpoints know what a path is."""

    policy_set = models.ForeignKey(PolicySet, on_delete=models.CASCADE, related_name="resources")
    resource_id = models.CharField(_("resource id"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    path_prefix = models.CharField(_("URL prefix"), max_length=200, blank=True)
    confidentiality = models.PositiveSmallIntegerField(_("confidentiality"), default=2)
    integrity = models.PositiveSmallIntegerField(_("integrity"), default=1)
    availability = models.PositiveSmallIntegerField(_("availability"), default=1)
    handling = models.JSONField(default=list, blank=True)
    owner_unit = models.CharField(_("owning unit code"), max_length=100, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["resource_id"]
        constraints = [models.UniqueConstraint(fields=["policy_set", "resource_id"],
                                               name="access_resource_unique_id")]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.name}"


class PolicyRevision(models.Model):
    """A published, signed bundle. Immutable once written; the newest is what PDPs download."""

    policy_set = models.ForeignKey(PolicySet, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    revision = models.CharField(max_length=64, help_text="policy digest (manifest revision)")
    bundle = models.BinaryField()
    bundle_sha256 = models.CharField(max_length=64)
    cedar_text = models.TextField()
    rules_yaml = models.TextField(blank=True)
    routes_yaml = models.TextField(blank=True)
    key_id = models.CharField(max_length=32)
    note = models.CharField(_("note"), max_length=500, blank=True)
    published_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["policy_set", "number"], name="access_revision_unique")]

    def __str__(self) -> str:
        return f"{self.policy_set.code} r{self.number}"


class PdpToken(models.Model):
    """A credential for one PDP: download this set's bundle and ship its decision logs, nothing else.
    Only the SHA-256 of the secret is stored; the secret is shown once."""

    policy_set = models.ForeignKey(PolicySet, on_delete=models.CASCADE, related_name="pdp_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (kjp_{self.prefix}…)"


class DecisionLogEntry(models.Model):
    """One shipped decision-log event (decision_log.log_record), principal already hashed by the PDP."""

    policy_set = models.ForeignKey(PolicySet, on_delete=models.CASCADE, related_name="decision_logs")
    decision_id = models.CharField(max_length=64)
    timestamp = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)
    policy_revision = models.CharField(max_length=64, blank=True)
    decision = models.CharField(max_length=16, db_index=True)
    policies = models.CharField(max_length=1000, blank=True, help_text="',id1,id2,' for portable filtering")
    principal = models.CharField(max_length=80, db_index=True)
    action = models.CharField(max_length=16, blank=True)
    resource_id = models.CharField(max_length=256, blank=True)
    network = models.CharField(max_length=16, blank=True)
    path = models.CharField(max_length=64, blank=True)
    record = models.JSONField(default=dict)

    class Meta:
        ordering = ["-timestamp", "-id"]
        constraints = [models.UniqueConstraint(fields=["policy_set", "decision_id"], name="access_log_unique_id")]

    def __str__(self) -> str:
        return self.decision_id

    def policy_list(self) -> list[str]:
        return [p for p in self.policies.split(",") if p]
