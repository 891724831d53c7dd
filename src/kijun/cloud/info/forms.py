"""Forms of the information-asset pages: the asset itself and the CSV/XLSX import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kijun.classification.restrictions import VocabularyError
from kijun.core.models import OrgUnit

from ..forms import CheckboxList
from ..models import InformationAsset, InformationSystem
from .services import parse_vocabulary, vocabulary

CONFIDENTIALITY = [(1, _("1 - contains no non-disclosure information")),
                   (2, _("2 - likely contains non-disclosure information (confidential)")),
                   (3, _("3 - must be handled as a secret document (極秘/秘)"))]
INTEGRITY = [(1, _("1 - errors would not seriously affect anyone")), (2, _("2 - errors could cause serious harm"))]
AVAILABILITY = [(1, _("1 - an outage would not seriously affect anyone")),
                (2, _("2 - an outage could cause serious harm"))]


def restriction_choices() -> list[tuple[str, str]]:
    """Standard restrictions first, then the agency's own labels, as "日本語 (English)"."""
    items = sorted(vocabulary().items, key=lambda r: (not r.standard, r.code))
    own = str(_("agency label"))
    return [(r.code, f"{r.name_ja} ({r.name_en})" + ("" if r.standard else f" — {own}")) for r in items]


class AssetForm(forms.ModelForm):  # type: ignore[type-arg]
    confidentiality = forms.TypedChoiceField(coerce=int, choices=CONFIDENTIALITY, label=_("Confidentiality"),
                                             help_text=_("Choose 3 only for information designated as a secret "
                                                         "document under the Document Management Guidelines. "
                                                         "Not sure? Use the classification helper."))
    integrity = forms.TypedChoiceField(coerce=int, choices=INTEGRITY, label=_("Integrity"))
    availability = forms.TypedChoiceField(coerce=int, choices=AVAILABILITY, label=_("Availability"))
    handling_restrictions = forms.MultipleChoiceField(required=False, widget=CheckboxList,
                                                      label=_("Handling restrictions"))
    systems = forms.ModelMultipleChoiceField(queryset=InformationSystem.objects.none(), required=False,
                                             widget=CheckboxList,
                                             label=_("Information systems that handle it"))

    class Meta:
        model = InformationAsset
        fields = ["code", "name", "description", "org_unit", "confidentiality", "integrity", "availability",
                  "handling_restrictions", "restriction_conditions", "systems"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}),
                   "restriction_conditions": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"restriction_conditions": _("For example: may be taken out only with the division head's "
                                                  "permission; encrypt with the agency key.")}

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], systems: QuerySet[InformationSystem],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["systems"].queryset = systems  # type: ignore[attr-defined]
        self.fields["handling_restrictions"].choices = restriction_choices()  # type: ignore[attr-defined]
        if self.instance.pk:
            self.initial["systems"] = list(self.instance.systems.filter(pk__in=systems.values("pk")))


class AssetImportForm(forms.Form):
    file = forms.FileField(label=_("Information asset list (CSV or XLSX)"),
                           help_text=_("UTF-8 or Shift_JIS (CP932) CSV, or an Excel workbook. Rows are matched by "
                                       "asset id; nothing is saved if any row has an error."))


class VocabularyForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false"}),
                           label=_("Handling restriction vocabulary (YAML)"), max_length=50000,
                           help_text=_("The standard's five restrictions must stay; add the agency's own labels "
                                       "with a code, Japanese and English names and the aspect they protect."))

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        try:
            parse_vocabulary(text)
        except VocabularyError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return text
