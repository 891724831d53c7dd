"""Forms of the ledger pages: the agency's classification standard and the ledger import."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kijun.classification.system_class import SystemClassError

from .services import parse_standard


class StandardForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false"}),
                           label=_("Classification standard (YAML)"), max_length=50000,
                           help_text=_("Classes from the highest; a system takes the first class one of whose "
                                       "criteria it meets; the last class is the default."))

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        try:
            parse_standard(text)
        except SystemClassError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return text


class LedgerImportForm(forms.Form):
    file = forms.FileField(label=_("System ledger (CSV or XLSX)"),
                           help_text=_("UTF-8 or Shift_JIS (CP932) CSV, or an Excel workbook. Rows are matched by "
                                       "ledger id; nothing is saved if any row has an error."))
