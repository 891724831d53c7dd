"""Forms of the discovery pages: a scan of uploaded logs, a scan of server-side log files.

Both share the options of ``kijun discover scan``: unit, title, format, the Zscaler NSS feed
template (``--nss-template``; compiled here by the parser's own code, so a bad one is a form error,
not a scan failing in the background), baseline register and the time window (``since``
inclusive, ``until`` exclusive; a bare date for ``until`` covers that day; times without a zone
are read in ``KIJUN_DISCOVERY_TZ``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .model import FORMAT_NAMES
from .timeparse import parse_tz, parse_window

FORMAT_CHOICES = [("auto", gettext_lazy("Detect automatically")), *[(f, f) for f in FORMAT_NAMES]]
WINDOW_HELP = gettext_lazy("ISO 8601, e.g. 2024-05-01 or 2024-05-01T09:00 (without a zone: %(tz)s).")
NSS_EXAMPLE = r"%s{time}\t%s{login}\t%s{cip}\t%s{eurl}\t%d{reqsize}\t%d{respsize}"


class _ScanOptions(forms.Form):
    unit = forms.ModelChoiceField(queryset=None, label=gettext_lazy("Unit"))  # type: ignore[arg-type]
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False)
    format = forms.ChoiceField(label=gettext_lazy("Log format"), choices=FORMAT_CHOICES, initial="auto")
    nss_template = forms.CharField(label=gettext_lazy("NSS feed template"), required=False, strip=False,
                                   max_length=services.NSS_TEMPLATE_MAX)
    since = forms.CharField(label=gettext_lazy("From (inclusive)"), max_length=40, required=False)
    until = forms.CharField(label=gettext_lazy("Until (exclusive; a date alone includes that day)"),
                            max_length=40, required=False)
    register_source = forms.ChoiceField(label=gettext_lazy("Sanctioned register"), initial="none", choices=[])
    rescan = forms.BooleanField(label=gettext_lazy("Scan again even if these files were already scanned"),
                                required=False)

    def __init__(self, *args: Any, units: QuerySet[Any], cloud: bool, own_unit_id: int | None = None,
                 upload_register: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        if own_unit_id is not None and units.filter(pk=own_unit_id).exists():
            self.fields["unit"].initial = own_unit_id
        elif units.count() == 1:
            self.fields["unit"].initial = units.first()
        choices = [("none", _("None (every catalog service counts as unsanctioned)"))]
        if upload_register:
            choices.append(("upload", _("Upload a register file")))
        if cloud:
            choices.insert(1, ("cloud", _("The cloud service register")))
        self.fields["register_source"].choices = choices  # type: ignore[attr-defined]
        self.fields["nss_template"].help_text = _(
            "Zscaler NSS logs in your own feed output format only: paste the feed's template, e.g. "
            "%(example)s (\\t is a tab). Files whose first lines match it are read as NSS. Leave it empty "
            "for other logs and for key=value or JSON feeds.") % {"example": f"<code>{NSS_EXAMPLE}</code>"}
        self.fields["nss_template"].widget.attrs.update({"placeholder": NSS_EXAMPLE, "spellcheck": "false"})
        tz = getattr(settings, "KIJUN_DISCOVERY_TZ", "+09:00")
        for name in ("since", "until"):
            self.fields[name].help_text = WINDOW_HELP % {"tz": tz}
            self.fields[name].widget.attrs["placeholder"] = "2024-05-01"

    def clean_nss_template(self) -> str | None:
        try:
            return services.clean_nss_template(self.cleaned_data.get("nss_template"))
        except ValueError as exc:
            raise forms.ValidationError(_("Not a valid NSS feed template: %(error)s") % {"error": exc}) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tz = parse_tz(getattr(settings, "KIJUN_DISCOVERY_TZ", "+09:00"))
        window: list[datetime | None] = [None, None]
        for i, name in enumerate(("since", "until")):
            try:
                window[i] = parse_window(data.get(name), None, tz)[0] if i == 0 else \
                    parse_window(None, data.get(name), tz)[1]
            except ValueError:
                self.add_error(name, _("Enter a date or date-time in ISO 8601 form, e.g. 2024-05-01 or "
                                       "2024-05-01T09:00."))
        if window[0] is not None and window[1] is not None and window[1] <= window[0]:
            self.add_error("until", _("The end of the period must be later than its start."))
        data["window"] = tuple(window)
        return data


class ScanForm(_ScanOptions):
    register = forms.FileField(label=gettext_lazy("Register file (YAML or CSV)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("register_source") == "upload" and not data.get("register"):
            self.add_error("register", _("Choose the register file to upload."))
        return data


class DirectoryScanForm(_ScanOptions):
    """Files are the ``files`` checkboxes of the listing (validated against the directory later)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, upload_register=False, **kwargs)
