"""Forms for sign-in, the organisation, people, roles and tokens (validation lives here)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import OrgUnit, User
from .roles import ROLES


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("Password"), max_length=1024, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class TotpForm(forms.Form):
    code = forms.RegexField(label=_("6-digit code"), regex=r"^\s*\d{6}\s*$",
                            error_messages={"invalid": _("Enter the 6-digit code from your app.")},
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                          "autofocus": True}))


class UnitForm(forms.ModelForm):
    class Meta:
        model = OrgUnit
        fields = ["name", "name_en", "code", "kind", "parent"]
        help_texts = {"code": _("Short identifier (letters, digits, hyphens), unique in kijun.")}

    def __init__(self, *args: Any, parents: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = parents
        if self.instance.pk:
            qs = qs.exclude(path__startswith=self.instance.path)
        self.fields["parent"].queryset = qs  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, parent = data.get("kind"), data.get("parent")
        order = [OrgUnit.Kind.ORGANISATION, OrgUnit.Kind.BUREAU, OrgUnit.Kind.DIVISION]
        if kind and parent is None and kind != OrgUnit.Kind.ORGANISATION:
            self.add_error("parent", _("A bureau or division must have a parent unit."))
        if kind and parent is not None and order.index(kind) <= order.index(parent.kind):
            self.add_error("kind", _("A unit must be a lower level than its parent (organisation → bureau → division)."))
        return data


class PersonForm(forms.ModelForm):
    password = forms.CharField(label=_("Initial password"), required=False, strip=False, max_length=1024,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("Leave empty to keep the current password."))

    class Meta:
        model = User
        fields = ["username", "display_name", "email", "unit", "is_active"]

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["unit"].required = True
        if not self.instance.pk:
            self.fields["password"].required = True
            self.fields["password"].help_text = ""

    def clean_password(self) -> str:
        pw: str = self.cleaned_data.get("password") or ""
        if pw:
            user = self.instance if self.instance.pk else User(username=self.data.get("username", ""))
            validate_password(pw, user)
        return pw


class RoleAssignmentForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[(r.code, f"{r.name_ja} / {r.name_en}") for r in ROLES])
    unit = forms.ModelChoiceField(label=_("Scope (unit)"), queryset=OrgUnit.objects.none())

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, initial=90)

    def clean_days(self) -> int:
        days: int = self.cleaned_data["days"]
        if days > settings.KIJUN_API_TOKEN_MAX_DAYS:
            raise forms.ValidationError(_("At most %(max)d days.") % {"max": settings.KIJUN_API_TOKEN_MAX_DAYS})
        return days


class AuditFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
