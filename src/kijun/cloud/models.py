"""Database records of the cloud domain: system ledger, use applications, the approved-service
register and the imported ISMAP list (R7 §2.1.2, §4.2, §5.1).

The decisions themselves are made by the pure engine in this package (engine.py, approval.py);
these models only keep what was asked, what the engine answered and what the permitting
authority decided, so the register can be exported in the ``kijun.cloud.register/v1`` format.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from kijun.classification.levels import Classification, DerivedFlags, derive_flags
from kijun.core.models import OrgUnit, User

from .register import RegisterEntry as RegisterRow

IMPACTS = [("low", _("Low")), ("medium", _("Medium")), ("high", _("High"))]
DECISIONS = [("permitted", _("Permitted")), ("permitted_with_conditions", _("Permitted with conditions")),
             ("needs_review", _("Needs review")), ("needs_exception", _("Needs an exceptional measure")),
             ("not_permitted", _("Not permitted"))]


class InformationSystem(models.Model):
    """One entry of the information system ledger (情報システム台帳, §2.1.2)."""

    name = models.CharField(_("system name"), max_length=200)
    code = models.SlugField(_("ledger id"), max_length=64, unique=True)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="systems",
                                 verbose_name=_("organisation unit"))
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_systems",
                              verbose_name=_("information system security officer"))
    #: an id of the agency's classification standard (SystemClassStandard); not a fixed choice list
    system_class = models.CharField(_("system class"), max_length=32, default="C")
    description = models.TextField(_("description"), blank=True)
    components = models.TextField(_("components"), blank=True,
                                  help_text=_("Servers, software, networks and terminals, one per line."))
    cloud_services = models.TextField(_("cloud services used"), blank=True,
                                      help_text=_("One service per line."))
    business_impact = models.CharField(_("business impact of an incident"), max_length=8, choices=IMPACTS,
                                       default="low")
    internet_facing = models.BooleanField(_("reachable from the internet"), default=False)
    citizen_facing = models.BooleanField(_("used by citizens or businesses"), default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def service_list(self) -> list[str]:
        return [s.strip() for s in self.cloud_services.splitlines() if s.strip()]

    def component_list(self) -> list[str]:
        return [s.strip() for s in self.components.splitlines() if s.strip()]


class SystemClassStandard(models.Model):
    """The agency's information system classification standard (R7 5.1.1(1)(a)) as YAML.

    One row (pk=1); absent until someone edits it, in which case the shipped default
    (kijun/classification/data/system_classes.yaml) applies. Validated by the pure engine
    (classification.system_class.standard_from_data) before it is saved."""

    text = models.TextField(_("classification standard (YAML)"))
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"system class standard v{self.version}"


class RestrictionVocabularyDoc(models.Model):
    """The agency's handling-restriction vocabulary (R7 §1.2(2)) as YAML: the standard's five
    labels plus the agency's own. One row (pk=1); absent until edited, in which case the shipped
    vocabulary (kijun/classification/data/handling_restrictions.yaml) applies. Validated by the
    pure engine (classification.restrictions.vocabulary_from_data) before it is saved."""

    text = models.TextField(_("handling restriction vocabulary (YAML)"))
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"restriction vocabulary v{self.version}"


class InformationAsset(models.Model):
    """An information asset or category with its classification (格付) and handling
    restrictions (取扱制限), R7 §1.2.

    Only the levels and restriction codes are stored; 要機密/要保全/要安定/要保護 are derived
    by the pure engine on every read (``flags``), so they can never disagree with the levels."""

    code = models.SlugField(_("asset id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="information_assets",
                                 verbose_name=_("owning unit"))
    confidentiality = models.PositiveSmallIntegerField(_("confidentiality"), default=1)
    integrity = models.PositiveSmallIntegerField(_("integrity"), default=1)
    availability = models.PositiveSmallIntegerField(_("availability"), default=1)
    handling_restrictions = models.JSONField(_("handling restrictions"), default=list, blank=True)
    restriction_conditions = models.TextField(_("conditions of the handling restrictions"), blank=True)
    systems = models.ManyToManyField(InformationSystem, blank=True, related_name="information_assets",
                                     verbose_name=_("information systems"))
    guide_answers = models.JSONField(default=dict, blank=True,
                                     help_text="answers of the guided classification last applied")
    classified_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def classification(self) -> Classification:
        return Classification.model_validate({
            "confidentiality": self.confidentiality, "integrity": self.integrity,
            "availability": self.availability, "handling_restrictions": tuple(self.handling_restrictions)})

    @property
    def flags(self) -> DerivedFlags:
        return derive_flags(self.confidentiality, self.integrity, self.availability)

    @property
    def short(self) -> str:
        return f"C{self.confidentiality}/I{self.integrity}/A{self.availability}"


class UseApplication(models.Model):
    """A use application (利用申請) with the engine's pre-assessment and the decision on it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    applicant = models.ForeignKey(User, on_delete=models.PROTECT, related_name="cloud_applications")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="cloud_applications",
                                 verbose_name=_("organisation unit"))
    system = models.ForeignKey(InformationSystem, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="applications", verbose_name=_("information system"))
    service_name = models.CharField(_("service name"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    ismap_kind = models.CharField(_("ISMAP listing"), max_length=16, default="none")
    ismap_number = models.CharField(_("ISMAP registration number"), max_length=32, blank=True)
    contract_basis = models.CharField(_("contract basis"), max_length=24, blank=True)
    data_locations = models.CharField(_("data locations"), max_length=200, blank=True)
    info_name = models.CharField(_("information"), max_length=200, blank=True)
    confidentiality = models.PositiveSmallIntegerField(_("confidentiality"), default=1)
    integrity = models.PositiveSmallIntegerField(_("integrity"), default=1)
    availability = models.PositiveSmallIntegerField(_("availability"), default=1)
    handling_restrictions = models.JSONField(default=list, blank=True)
    task = models.TextField(_("task / use"), blank=True)
    information_assets = models.ManyToManyField(InformationAsset, blank=True, related_name="applications",
                                                verbose_name=_("information assets"))
    request = models.JSONField(default=dict, help_text="the UseRequest given to the engine")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    assessment = models.JSONField(default=dict, blank=True)
    decision = models.CharField(max_length=32, choices=DECISIONS, blank=True)
    track = models.CharField(max_length=24, blank=True)
    approver = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="cloud_decisions")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    exception_reference = models.CharField(max_length=100, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.service_name}"


class RegisterEntry(models.Model):
    """The agency's one register of approved / prohibited services (§4.2.1(4)(c), §8.1.1(3)(h))."""

    class Status(models.TextChoices):
        APPROVED = "approved", _("Approved")
        PROHIBITED = "prohibited", _("Prohibited")
        UNDER_REVIEW = "under_review", _("Under review")

    service_id = models.SlugField(max_length=64, unique=True)
    service_name = models.CharField(_("service name"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPROVED)
    contract_basis = models.CharField(max_length=24, blank=True)
    ismap_kind = models.CharField(max_length=16, default="none")
    ismap_number = models.CharField(max_length=32, blank=True)
    ismap_expires_on = models.DateField(null=True, blank=True)
    max_confidentiality = models.PositiveSmallIntegerField(null=True, blank=True)
    max_integrity = models.PositiveSmallIntegerField(null=True, blank=True)
    max_availability = models.PositiveSmallIntegerField(null=True, blank=True)
    domains = models.JSONField(default=list, blank=True)
    administrator = models.CharField(max_length=200, blank=True)
    approved_by = models.CharField(max_length=200, blank=True)
    approved_on = models.DateField(null=True, blank=True)
    review_due = models.DateField(null=True, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    source_application = models.ForeignKey(UseApplication, on_delete=models.SET_NULL, null=True, blank=True,
                                           related_name="register_entries")
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service_name"]

    def __str__(self) -> str:
        return self.service_name

    @classmethod
    def fields_from(cls, row: RegisterRow) -> dict[str, Any]:
        return {
            "service_name": row.service_name, "provider": row.provider, "status": row.status,
            "contract_basis": row.contract_basis or "", "ismap_kind": row.ismap_kind,
            "ismap_number": row.ismap_registration_number or "", "ismap_expires_on": row.ismap_expires_on,
            "max_confidentiality": row.max_confidentiality, "max_integrity": row.max_integrity,
            "max_availability": row.max_availability, "domains": list(row.domains),
            "administrator": row.administrator or "", "approved_by": row.approved_by or "",
            "approved_on": row.approved_on, "review_due": row.review_due,
            "conditions": list(row.conditions), "notes": row.notes,
        }

    def to_row(self) -> RegisterRow:
        """The ``kijun.cloud.register/v1`` entry (what the discovery engine reads)."""
        return RegisterRow.model_validate({
            "service_id": self.service_id, "service_name": self.service_name, "provider": self.provider,
            "status": self.status, "contract_basis": self.contract_basis or None, "ismap_kind": self.ismap_kind,
            "ismap_registration_number": self.ismap_number or None, "ismap_expires_on": self.ismap_expires_on,
            "max_confidentiality": self.max_confidentiality, "max_integrity": self.max_integrity,
            "max_availability": self.max_availability, "domains": tuple(self.domains),
            "administrator": self.administrator or None, "approved_by": self.approved_by or None,
            "approved_on": self.approved_on, "review_due": self.review_due,
            "conditions": tuple(self.conditions), "notes": self.notes,
        })


class IsmapImport(models.Model):
    """One upload of the ISMAP / ISMAP-LIU list, with row errors and the diff to the previous one."""

    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    source_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    entry_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    diff = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source_name} ({self.uploaded_at:%Y-%m-%d})"


class IsmapEntry(models.Model):
    """A registered service as listed in one import (the latest import is the current list)."""

    ismap_import = models.ForeignKey(IsmapImport, on_delete=models.CASCADE, related_name="entries")
    registration_number = models.CharField(max_length=32)
    service_name = models.CharField(max_length=300)
    provider_name = models.CharField(max_length=300, blank=True)
    registered_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    liu = models.BooleanField(default=False)
    data = models.JSONField(default=dict, help_text="the parsed entry (kijun.cloud.ismap.IsmapEntry)")

    class Meta:
        ordering = ["registration_number"]

    def __str__(self) -> str:
        return f"{self.registration_number} {self.service_name}"


class LifecycleItem(models.Model):
    """One duty of an approved service's lifecycle checklist (§4.2.2), dated from the approval."""

    entry = models.ForeignKey(RegisterEntry, on_delete=models.CASCADE, related_name="lifecycle_items")
    application = models.ForeignKey(UseApplication, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="lifecycle_items")
    duty_id = models.CharField(max_length=64)
    phase = models.CharField(max_length=16)
    owner_roles = models.JSONField(default=list, blank=True)
    cites = models.JSONField(default=list, blank=True)
    text_ja = models.TextField()
    text_en = models.TextField()
    due_kind = models.CharField(max_length=16)
    due_on = models.DateField(null=True, blank=True)
    recurrence_days = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, default="open")
    evidence = models.JSONField(default=list, blank=True)
    done_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    done_on = models.DateField(null=True, blank=True)
    #: the person who carries the duty out (owner_roles says which role should; this names who)
    owner = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="cloud_duties")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.duty_id}"


class LifecycleEvidence(models.Model):
    """A file attached to a lifecycle duty as evidence (stored by kijun.core.uploads under a random
    name; the user's file name is display metadata only)."""

    item = models.ForeignKey(LifecycleItem, on_delete=models.CASCADE, related_name="evidence_files")
    stored_name = models.CharField(max_length=64)
    display_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    note = models.CharField(max_length=500, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.display_name
