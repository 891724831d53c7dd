"""Forms of the diagnostics pages: inventory and feed uploads, remediation edits, SLA settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kijun.cloud.models import InformationSystem
from kijun.core.models import OrgUnit, User

from .models import OUTCOMES, Remediation

FEED_KINDS = [("nvd", _("NVD CVE API 2.0 JSON")), ("kev", _("CISA KEV JSON")), ("epss", _("FIRST EPSS CSV")),
              ("jvn", _("JVN iPedia XML (RSS or VULDEF)")), ("osv", _("OSV JSON"))]


class InventoryUploadForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label=_("Organisation unit"))
    system = forms.ModelChoiceField(queryset=InformationSystem.objects.none(), required=False,
                                    label=_("Information system"),
                                    help_text=_("Optional: the hosts belong to this system of the ledger."))
    file = forms.FileField(label=_("Inventory file (osquery results, CycloneDX JSON or CSV; gzip OK)"))

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], systems: QuerySet[InformationSystem],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["system"].queryset = systems  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit, system = data.get("unit"), data.get("system")
        if unit is not None and system is not None and not system.org_unit.path.startswith(unit.path):
            self.add_error("system", _("The system belongs to another organisation unit."))
        return data


class FeedUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=FEED_KINDS, label=_("Feed"))
    file = forms.FileField(label=_("Feed file (gzip OK)"))


class RemediationForm(forms.Form):
    status = forms.ChoiceField(choices=Remediation.Status.choices, label=_("Status"))
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label=_("Owner"))
    due_on = forms.DateField(required=False, label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    exception_expires = forms.DateField(required=False, label=_("Exception expires"),
                                        widget=forms.DateInput(attrs={"type": "date"}),
                                        help_text=_("Required for a risk acceptance (exception)."))
    note = forms.CharField(required=False, max_length=4000, label=_("Evidence / note"),
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Appended to the evidence notes with your name and the time."))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, owners: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = lambda u: u.display_name or u.username  # type: ignore[attr-defined]


class SlaForm(forms.Form):
    """Days to remediate per SSVC outcome (KEV-listed vulnerabilities use the KEV due date)."""

    def __init__(self, *args: Any, current: dict[int, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for rank, name in reversed(OUTCOMES):
            self.fields[f"days_{rank}"] = forms.IntegerField(label=name, min_value=1, max_value=3650,
                                                             initial=current.get(rank))

    def days(self) -> dict[int, int]:
        return {rank: int(self.cleaned_data[f"days_{rank}"]) for rank, _n in OUTCOMES}
