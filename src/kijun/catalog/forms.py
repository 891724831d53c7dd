"""Forms of the 対策基準 editor, the documents register and the revision review.

Validation messages are translated here; the rules themselves live in :mod:`.tailoring` and
:func:`.services.check_requirement_ids` so the API and the CLI apply the same ones.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kijun.core.models import OrgUnit

from .models import AgencyDocument
from .oscal import AGENCY_CLAUSE_ID
from .services import check_requirement_ids
from .store import default_catalog
from .tailoring import TAILORABLE, Clause, Param, format_parameters, parse_parameters

PARAM_HELP = _("One per line: id | label | value — for example: review-period | 見直しの周期 | 年1回")


def _param_errors(text: str) -> tuple[list[Param], list[str]]:
    params, problems = parse_parameters(text)
    return params, [str(_("Parameters: %(problem)s")) % {"problem": p} for p in problems]


class ClauseForm(forms.Form):
    """Tailoring of one requirement of the standard."""

    excluded = forms.BooleanField(label=_("Not applicable to our agency (excluded)"), required=False)
    reason = forms.CharField(label=_("Reason for the exclusion"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    wording_ja = forms.CharField(label=_("Our wording (Japanese)"), required=False, max_length=5000,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    wording_en = forms.CharField(label=_("Our wording (English)"), required=False, max_length=5000,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    parameters = forms.CharField(label=_("Parameters"), required=False, max_length=5000, help_text=PARAM_HELP,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, clause_id: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clause_id = clause_id

    @staticmethod
    def initial_for(clause: Clause | None, version: int) -> dict[str, Any]:
        if clause is None:
            return {"version": version}
        return {"excluded": clause.excluded, "reason": clause.reason, "wording_ja": clause.wording_ja,
                "wording_en": clause.wording_en, "parameters": format_parameters(clause.parameters),
                "version": version}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        params, problems = _param_errors(data.get("parameters", ""))
        for p in problems:
            self.add_error("parameters", p)
        if data.get("excluded") and not data.get("reason", "").strip():
            self.add_error("reason", _("Give the reason why this requirement does not apply."))
        data["params"] = params
        return data

    def clause(self) -> Clause:
        d = self.cleaned_data
        return Clause(clause_id=self.clause_id, excluded=bool(d["excluded"]), reason=d["reason"],
                      wording_ja=d["wording_ja"], wording_en=d["wording_en"], parameters=tuple(d["params"]))


class AdditionForm(forms.Form):
    """An agency-specific clause with its own id, hung under a provision of the standard."""

    clause_id = forms.RegexField(label=_("Clause id"), regex=re.compile(AGENCY_CLAUSE_ID), max_length=48,
                                 help_text=_("Your own id: a letter first and a hyphen, e.g. DEMO-1."),
                                 error_messages={"invalid": _("Use a letter first and a hyphen, e.g. DEMO-1.")})
    anchor = forms.CharField(label=_("Provision of the standard it belongs to"), max_length=64,
                             help_text=_("An item, group or requirement id, e.g. 4.2.1(2)."))
    title = forms.CharField(label=_("Title"), max_length=200)
    wording_ja = forms.CharField(label=_("Our wording (Japanese)"), required=False, max_length=5000,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    wording_en = forms.CharField(label=_("Our wording (English)"), required=False, max_length=5000,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    parameters = forms.CharField(label=_("Parameters"), required=False, max_length=5000, help_text=PARAM_HELP,
                                 widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=0)

    def clean_anchor(self) -> str:
        nid = str(self.cleaned_data["anchor"]).strip()
        cat = default_catalog()
        if nid not in cat or cat.get(nid).kind not in TAILORABLE:
            raise forms.ValidationError(_("%(id)s is not an item, group or requirement of the standard."),
                                        params={"id": nid})
        return nid

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        params, problems = _param_errors(data.get("parameters", ""))
        for p in problems:
            self.add_error("parameters", p)
        if not (data.get("wording_ja", "").strip() or data.get("wording_en", "").strip()):
            self.add_error("wording_ja", _("Write the clause's wording in Japanese or English."))
        data["params"] = params
        return data

    def clause(self) -> Clause:
        d = self.cleaned_data
        return Clause(clause_id=d["clause_id"], is_addition=True, anchor=d["anchor"], title=d["title"],
                      wording_ja=d["wording_ja"], wording_en=d["wording_en"], parameters=tuple(d["params"]))


class PolicyMetaForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    version_label = forms.CharField(label=_("Version label"), max_length=32)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


_ID_SPLIT = re.compile(r"[\s,、，;；]+")


class DocumentForm(forms.ModelForm):  # type: ignore[type-arg]
    """A document of the register; requirement ids are typed or pasted, separated by spaces or commas."""

    ids_text = forms.CharField(label=_("Requirement ids it implements"), max_length=5000,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("Separated by spaces, commas or new lines, e.g. 4.2.1 8.1.3(2)(b)."))

    class Meta:
        model = AgencyDocument
        fields = ["title", "kind", "edition", "owner_unit", "last_reviewed", "notes"]
        labels = {"title": _("Title"), "kind": _("Kind"), "edition": _("Edition of the standard"),
                  "owner_unit": _("Owner unit"), "last_reviewed": _("Last reviewed"), "notes": _("Notes")}
        widgets = {"notes": forms.Textarea(attrs={"rows": 2}), "last_reviewed": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], editions: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["kind"] = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES)
        current = self.instance.edition if self.instance.pk else None
        codes = sorted(set(editions) | ({current} if current else set()))
        self.fields["edition"] = forms.ChoiceField(label=_("Edition of the standard"),
                                                   choices=[(c, c.upper()) for c in codes])
        if self.instance.pk and not self.is_bound:
            self.initial["ids_text"] = " ".join(self.instance.requirement_ids)

    def clean_ids_text(self) -> list[str]:
        ids = [i for i in _ID_SPLIT.split(str(self.cleaned_data["ids_text"]).strip()) if i]
        if not ids:
            raise forms.ValidationError(_("List at least one requirement id."))
        problems = check_requirement_ids(ids)
        if problems:
            raise forms.ValidationError([_("Unknown or malformed id: %(p)s") % {"p": p} for p in problems])
        return list(dict.fromkeys(ids))

    def save(self, commit: bool = True) -> AgencyDocument:
        obj: AgencyDocument = super().save(commit=False)
        obj.requirement_ids = self.cleaned_data["ids_text"]
        return obj


KIND_CHOICES = [("rule", _("Rule (規程)")), ("manual", _("Manual (マニュアル)")),
                ("procedure", _("Procedure (手順書)")), ("other", _("Other"))]
KIND_LABELS = dict(KIND_CHOICES)


class EditionUploadForm(forms.Form):
    """A new (or the current) edition's official text: plain text (UTF-8 or CP932) or gzip."""

    file = forms.FileField(label=_("Official text (plain text, UTF-8 or Shift_JIS, optionally .gz)"))
    edition = forms.RegexField(label=_("Edition code"), regex=re.compile(r"^[a-z0-9][a-z0-9._-]{0,15}$"), max_length=16,
                               help_text=_("Lower-case letters and digits, e.g. r9. The current catalog edition "
                                           "replaces its stored official wording."),
                               error_messages={"invalid": _("Use lower-case letters, digits, '.', '_' or '-' (at most 16).")})
    layout = forms.ChoiceField(label=_("Layout"), choices=[("auto", _("Detect")), ("en", _("English translation")),
                                                           ("ja", _("Japanese edition"))], initial="auto")
