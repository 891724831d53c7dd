"""Forms of the cloud pages. The use-application form asks plain questions and turns the answers
into the engine's UseRequest; anything answered "don't know" stays unknown (never guessed)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kijun.core.models import OrgUnit, User

from .models import InformationAsset, InformationSystem
from .request import UseRequest
from .services import engine, information_items

TRI = [("", _("Don't know")), ("yes", _("Yes")), ("no", _("No"))]
_DOMAIN = re.compile(r"^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class CheckboxList(forms.CheckboxSelectMultiple):
    """Checkboxes shown like other fields (label above, help below) by the shared form template,
    which puts a single checkbox's label after it: that layout is wrong for a list of options."""

    input_type = "checkbox-list"

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        option["type"] = "checkbox"
        return option


def _tri(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class SystemForm(forms.ModelForm):  # type: ignore[type-arg]
    """A ledger entry; the class choices come from the agency's classification standard (R7 5.1)."""

    system_class = forms.ChoiceField(label=_("System class"))

    class Meta:
        model = InformationSystem
        fields = ["name", "code", "org_unit", "owner", "system_class", "business_impact", "internet_facing",
                  "citizen_facing", "description", "components", "cloud_services"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "components": forms.Textarea(attrs={"rows": 3}),
                   "cloud_services": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], owners: QuerySet[User],
                 classes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]
        current = self.instance.system_class if self.instance.pk else None
        if current and current not in {c for c, _label in classes}:  # a class the standard no longer has
            stale = str(_("not in the current standard"))
            classes = [*classes, (current, f"{current} ({stale})")]
        self.fields["system_class"].choices = classes  # type: ignore[attr-defined]
        self.fields["business_impact"].required = False  # blank keeps the model default (low)
        if not self.instance.pk and classes:
            self.initial.setdefault("system_class", classes[-1][0])


    def clean_business_impact(self) -> str:
        return str(self.cleaned_data.get("business_impact") or "low")


class ApplicationForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label=_("Applying unit"))
    system = forms.ModelChoiceField(queryset=InformationSystem.objects.none(), required=False,
                                    label=_("Information system (if any)"))
    service_name = forms.CharField(max_length=200, label=_("Which service do you want to use?"))
    provider = forms.CharField(max_length=200, required=False, label=_("Who provides it?"))
    contract_basis = forms.ChoiceField(label=_("How would the agency agree to it?"), required=False, choices=[
        ("", _("Don't know")), ("terms_of_service", _("By accepting standard terms of service (約款)")),
        ("negotiated", _("By a contract negotiated with the provider"))])
    service_model = forms.ChoiceField(label=_("Service model"), choices=[
        ("unknown", _("Don't know")), ("saas", "SaaS"), ("paas", "PaaS"), ("iaas", "IaaS")])
    ismap_kind = forms.ChoiceField(label=_("Is it on the ISMAP list?"), choices=[
        ("none", _("No / don't know")), ("ismap", _("ISMAP")), ("ismap_liu", _("ISMAP-LIU"))])
    ismap_number = forms.CharField(max_length=32, required=False, label=_("ISMAP registration number"),
                                   help_text=_("For example C21-0008-2."))
    data_locations = forms.CharField(max_length=200, required=False, label=_("Where is the data stored?"),
                                     help_text=_("Country codes separated by commas, backups included (e.g. JP)."))
    region_selectable = forms.ChoiceField(choices=TRI, required=False, label=_("Can the agency choose the storage region?"))
    governing_law = forms.CharField(max_length=8, required=False, label=_("Governing law (country code)"))
    jurisdiction = forms.CharField(max_length=8, required=False, label=_("Court for disputes (country code)"))
    provider_auditable = forms.ChoiceField(choices=TRI, required=False, label=_("Does the provider accept audits?"))
    encryption_at_rest = forms.ChoiceField(choices=TRI, required=False, label=_("Is stored data encrypted?"))
    backup = forms.ChoiceField(choices=TRI, required=False, label=_("Does the service keep backups?"))
    data_deletion_on_exit = forms.ChoiceField(choices=TRI, required=False,
                                              label=_("Does the provider delete the data when use ends?"))
    sla_availability = forms.FloatField(min_value=0, max_value=100, required=False,
                                        label=_("Promised availability (%)"))
    information_assets = forms.ModelMultipleChoiceField(
        queryset=InformationAsset.objects.none(), required=False, widget=CheckboxList,
        label=_("Recorded information assets it will hold"),
        help_text=_("Their recorded classification and handling restrictions are used. Fill in the next "
                    "questions only for information that is not recorded."))
    info_name = forms.CharField(max_length=200, required=False, label=_("What information will you put in it?"))
    confidentiality = forms.TypedChoiceField(coerce=int, label=_("Confidentiality"), choices=[
        (1, _("1 - may be made public")), (2, _("2 - not public (confidential)")),
        (3, _("3 - must be handled as a secret document (極秘/秘)"))],
        help_text=_("Choose 3 only for information designated as a secret document under the "
                    "Document Management Guidelines."))
    integrity = forms.TypedChoiceField(coerce=int, label=_("Integrity"), choices=[
        (1, _("1 - errors would not seriously affect anyone")), (2, _("2 - errors could cause serious harm"))])
    availability = forms.TypedChoiceField(coerce=int, label=_("Availability"), choices=[
        (1, _("1 - an outage would not seriously affect anyone")), (2, _("2 - an outage could cause serious harm"))])
    handling_restrictions = forms.MultipleChoiceField(required=False, widget=CheckboxList,
                                                      label=_("Handling restrictions"))
    task = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                           label=_("What task will it be used for?"))
    task_impact = forms.ChoiceField(required=False, label=_("Impact of the task if something goes wrong"), choices=[
        ("", _("Don't know")), ("low", _("Low")), ("medium", _("Medium")), ("high", _("High"))])
    liu_target_task = forms.ChoiceField(choices=TRI, required=False,
                                        label=_("Is the task on the ISMAP-LIU target task list?"))
    external_sharing = forms.BooleanField(required=False, label=_("The information is shared with outside parties"))

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], systems: QuerySet[InformationSystem],
                 assets: QuerySet[InformationAsset] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["system"].queryset = systems  # type: ignore[attr-defined]
        if assets is not None:
            self.fields["information_assets"].queryset = assets  # type: ignore[attr-defined]
        self.fields["handling_restrictions"].choices = [  # type: ignore[attr-defined]
            (r.code, f"{r.name_ja} ({r.name_en})") for r in engine().vocabulary.items]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if not data.get("information_assets") and not data.get("info_name"):
            self.add_error("info_name", _("Name the information, or choose recorded information assets."))
        return data

    @staticmethod
    def initial_from(app: Any) -> dict[str, Any]:
        """Form values for editing a saved draft (the inverse of ``use_request``)."""
        r = app.request
        svc, task = r.get("service", {}), r.get("task", {})
        tri = {True: "yes", False: "no", None: ""}
        recorded = {a.name for a in app.information_assets.all()}
        manual = [i for i in r.get("information", []) if i.get("name") not in recorded]
        first = manual[0] if manual else {}
        return {
            "unit": app.org_unit_id, "system": app.system_id, "service_name": svc.get("name", ""),
            "provider": svc.get("provider", ""), "contract_basis": svc.get("contract_basis") or "",
            "service_model": svc.get("service_model", "unknown"), "ismap_kind": svc.get("ismap", {}).get("kind", "none"),
            "ismap_number": svc.get("ismap", {}).get("registration_number") or "",
            "data_locations": ", ".join(svc.get("data_locations", [])),
            "region_selectable": tri[svc.get("region_selectable")], "governing_law": svc.get("governing_law") or "",
            "jurisdiction": svc.get("jurisdiction") or "", "provider_auditable": tri[svc.get("provider_auditable")],
            "encryption_at_rest": tri[svc.get("encryption_at_rest")], "backup": tri[svc.get("backup")],
            "data_deletion_on_exit": tri[svc.get("data_deletion_on_exit")],
            "sla_availability": svc.get("sla_availability"),
            "information_assets": [a.pk for a in app.information_assets.all()],
            "info_name": first.get("name", ""), "confidentiality": first.get("confidentiality", 1),
            "integrity": first.get("integrity", 1), "availability": first.get("availability", 1),
            "handling_restrictions": first.get("handling_restrictions", []),
            "task": task.get("description", ""), "task_impact": task.get("impact") or "",
            "liu_target_task": tri[task.get("liu_target_task")], "external_sharing": task.get("external_sharing", False),
        }

    def use_request(self) -> UseRequest:
        d = self.cleaned_data
        locations = [x.strip().upper() for x in d["data_locations"].split(",") if x.strip()]
        information = information_items(list(d.get("information_assets") or []))
        if d.get("info_name"):
            information.append({"name": d["info_name"], "confidentiality": d["confidentiality"],
                                "integrity": d["integrity"], "availability": d["availability"],
                                "handling_restrictions": d["handling_restrictions"]})
        return UseRequest.model_validate({
            "service": {
                "name": d["service_name"], "provider": d["provider"], "contract_basis": d["contract_basis"] or None,
                "service_model": d["service_model"],
                "ismap": {"kind": d["ismap_kind"], "registration_number": d["ismap_number"] or None},
                "data_locations": locations, "region_selectable": _tri(d["region_selectable"]),
                "governing_law": d["governing_law"] or None, "jurisdiction": d["jurisdiction"] or None,
                "provider_auditable": _tri(d["provider_auditable"]), "encryption_at_rest": _tri(d["encryption_at_rest"]),
                "sla_availability": d["sla_availability"], "backup": _tri(d["backup"]),
                "data_deletion_on_exit": _tri(d["data_deletion_on_exit"]),
            },
            "information": information,
            "task": {"description": d["task"], "impact": d["task_impact"] or None,
                     "liu_target_task": _tri(d["liu_target_task"]), "external_sharing": d["external_sharing"]},
        })

    def clean_ismap_number(self) -> str:
        value: str = self.cleaned_data["ismap_number"].strip().upper()
        if value and not re.match(r"^[A-Z]\d{2}-\d{4}-\d+$", value):
            raise forms.ValidationError(_("A registration number looks like C21-0008-2."))
        return value


class WithdrawForm(forms.Form):
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             label=_("Reason for withdrawing"))


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))], label=_("Decision"))
    administrator = forms.CharField(max_length=200, required=False, label=_("Cloud service administrator"),
                                    help_text=_("Required on approval (R7 4.2.1(4))."))
    domains = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Domains"),
                              help_text=_("Hostnames of the service, one per line (*.example.com for subdomains)."))
    exception_reference = forms.CharField(max_length=100, required=False, label=_("Exceptional measure reference"),
                                          help_text=_("Required when the assessment needs an exceptional measure."))
    review_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Review note"),
                                  help_text=_("Required when the assessment needs review: how the open points were settled."))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason"),
                           help_text=_("Required on rejection."))

    def clean_domains(self) -> tuple[str, ...]:
        hosts = tuple(h.strip().lower().rstrip(".") for h in self.cleaned_data["domains"].split() if h.strip())
        bad = [h for h in hosts if not _DOMAIN.match(h)]
        if bad:
            raise forms.ValidationError(_("Not a hostname: %(hosts)s") % {"hosts": ", ".join(bad)})
        return hosts


class IsmapUploadForm(forms.Form):
    file = forms.FileField(label=_("ISMAP / ISMAP-LIU list (CSV or XLSX)"))
