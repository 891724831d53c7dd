"""Forms of the access-control pages. The rule form states a rule over readable attributes
(labels in the user's language) and turns it into the mapping form of rules.Rule; validation is
rules.Rule's own, so the UI accepts exactly what the YAML and the CLI accept."""

from __future__ import annotations

import re
from typing import Any

import yaml
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kijun.core.models import OrgUnit

from .model import ACTIONS, HANDLING_RESTRICTIONS
from .models import OUTCOMES, STEP_UP_LEVELS, PolicyRule, PolicySet, ProtectedResource
from .rules import OPS_BY_TYPE, VOCABULARY
from .services import check_cedar, check_rule

ATTRIBUTE_LABELS: dict[str, Any] = {
    "principal.roles": _("User roles"),
    "principal.org_unit": _("User's organisational unit"),
    "principal.disabled": _("Account disabled"),
    "authn.mfa": _("Multi-factor authentication"),
    "authn.phishing_resistant": _("Phishing-resistant authentication"),
    "device.managed": _("Managed device"),
    "device.agency_furnished": _("Agency-furnished device"),
    "device.edr_running": _("EDR running"),
    "device.edr_healthy": _("EDR healthy (no open alert)"),
    "device.os_patch_age_days": _("Days since the last OS security update"),
    "device.disk_encrypted": _("Disk encrypted"),
    "network": _("Network (agency / telework / external)"),
    "time.hour": _("Hour of day (0-23)"),
    "time.weekday": _("Weekday (1 = Monday ... 7)"),
    "resource.confidentiality": _("Resource confidentiality class"),
    "resource.integrity": _("Resource integrity class"),
    "resource.availability": _("Resource availability class"),
    "resource.handling": _("Resource handling restrictions"),
    "resource.org_unit": _("Resource's organisational unit"),
    "action": _("Action"),
}
OP_LABELS: dict[str, Any] = {
    "==": _("is"), "!=": _("is not"), "<": _("is less than"), "<=": _("is at most"), ">": _("is more than"),
    ">=": _("is at least"), "in": _("is one of"), "not_in": _("is none of"), "contains": _("includes"),
    "not_contains": _("does not include"), "contains_any": _("includes any of"),
}
ACTION_LABELS: dict[str, Any] = {
    "read": _("read"), "write": _("write"), "download": _("download"), "upload": _("upload"),
    "delete": _("delete"), "share": _("share"), "admin": _("administer"),
}
HANDLING_LABELS: dict[str, Any] = {
    "no_copy": _("No copying"), "no_takeout": _("No taking out"), "no_distribution": _("No distribution"),
    "encryption_required": _("Encryption required"), "destroy_after_reading": _("Destroy after reading"),
}
CONDITION_ROWS = 6
_LIST_OPS = ("in", "not_in", "contains_any")
_TRUE = {"true", "yes", "はい", "1", "on"}
_FALSE = {"false", "no", "いいえ", "0", "off"}


def _split(text: str) -> list[str]:
    return [x.strip() for x in re.split(r"[,、\s]+", text) if x.strip()]


def _scalar(attr: str, raw: str) -> Any:
    kind = VOCABULARY[attr].type
    if kind == "bool":
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise forms.ValidationError(_("%(attr)s takes yes or no.") % {"attr": ATTRIBUTE_LABELS[attr]})
    if kind == "int":
        if not re.fullmatch(r"-?\d{1,9}", raw):
            raise forms.ValidationError(_("%(attr)s takes a whole number.") % {"attr": ATTRIBUTE_LABELS[attr]})
        value = int(raw)
        allowed = VOCABULARY[attr].values
        if allowed and value not in allowed:
            raise forms.ValidationError(_("%(attr)s takes a value from %(low)s to %(high)s.")
                                        % {"attr": ATTRIBUTE_LABELS[attr], "low": min(allowed), "high": max(allowed)})
        return value
    return raw


def condition_from(attr: str, op: str, raw: str) -> dict[str, Any]:
    """One condition row → the mapping form of rules.Comparison (validated later by rules.Rule)."""
    raw = raw.strip()
    if raw in VOCABULARY and raw != attr:
        return {"attr": attr, "op": op, "ref": raw}
    if op in _LIST_OPS:
        return {"attr": attr, "op": op, "value": [_scalar(attr, x) for x in _split(raw)]}
    return {"attr": attr, "op": op, "value": _scalar(attr, raw)}


def condition_text(cond: dict[str, Any]) -> tuple[str, str, str] | None:
    """A stored comparison as (attr, op, value text) for the rows; None for any/not groups."""
    if "attr" not in cond:
        return None
    if cond.get("ref"):
        return cond["attr"], cond["op"], cond["ref"]
    value = cond.get("value")
    if isinstance(value, list):
        return cond["attr"], cond["op"], ", ".join(_fmt(v) for v in value)
    return cond["attr"], cond["op"], _fmt(value)


def describe(cond: Any) -> str:
    """A stored condition in the reader's language, for reviewing rules (§7.3.2(1))."""
    if not isinstance(cond, dict):
        return str(cond)
    if "any" in cond:
        return "(" + f" {_('or')} ".join(describe(c) for c in cond["any"]) + ")"
    if "not" in cond:
        return f"{_('not')} ({describe(cond['not'])})"
    attr = str(ATTRIBUTE_LABELS.get(cond.get("attr", ""), cond.get("attr", "")))
    op = str(OP_LABELS.get(cond.get("op", ""), cond.get("op", "")))
    if cond.get("ref"):
        value = str(ATTRIBUTE_LABELS.get(cond["ref"], cond["ref"]))
    else:
        raw = cond.get("value")
        value = ", ".join(_shown(v) for v in raw) if isinstance(raw, list) else _shown(raw)
    return f"{attr} {op} {value}"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class PolicySetForm(forms.ModelForm):  # type: ignore[type-arg]
    seed_default = forms.BooleanField(required=False, initial=True,
                                      label=_("Start from the standard-derived default rules (review them)"))

    class Meta:
        model = PolicySet
        fields = ["name", "code", "org_unit", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]


class PolicySetEditForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = PolicySet
        fields = ["name", "description", "hand_cedar"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}),
                   "hand_cedar": forms.Textarea(attrs={"rows": 14, "class": "code", "spellcheck": "false"})}
        help_texts = {"hand_cedar": _("Optional. Every policy needs a unique @id; a forbid may carry "
                                      "@outcome(\"step_up\") with @step_up(\"mfa\"). Validated against the schema.")}

    def clean_hand_cedar(self) -> str:
        text: str = self.cleaned_data["hand_cedar"].replace("\r\n", "\n")
        problems = check_cedar(text)
        if problems:
            raise forms.ValidationError([p[:500] for p in problems[:10]])
        return text


class RuleForm(forms.Form):
    """A rule over readable attributes; conditions as rows, or as YAML for any/not groups."""

    rule_id = forms.RegexField(regex=r"^[A-Za-z][A-Za-z0-9_.-]{0,79}$", max_length=80, label=_("Rule id"),
                               help_text=_("Letters, digits, _ . - (becomes the Cedar @id)."))
    outcome = forms.ChoiceField(choices=OUTCOMES, label=_("Outcome"))
    step_up_to = forms.ChoiceField(choices=[("", "-"), *STEP_UP_LEVELS], required=False,
                                   label=_("Step up to"), help_text=_("Only for step-up rules."))
    description = forms.CharField(max_length=500, required=False, label=_("Description"))
    references = forms.CharField(max_length=300, required=False, label=_("Sections of the standard"),
                                 help_text=_("Comma separated, e.g. 7.3.1(3), 8.1.3(2)."))
    roles = forms.CharField(max_length=500, required=False, label=_("Roles (any of)"),
                            help_text=_("Comma separated role names; empty: anyone."))
    actions = forms.MultipleChoiceField(choices=[(a, ACTION_LABELS[a]) for a in ACTIONS], required=False,
                                        widget=forms.CheckboxSelectMultiple, label=_("Actions (empty: all)"))
    enabled = forms.BooleanField(required=False, initial=True, label=_("Enabled"))
    conditions_yaml = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5, "class": "code"}),
                                      label=_("Conditions as YAML (advanced)"),
                                      help_text=_("A YAML list, e.g. - network != agency, or {any: [...]}. "
                                                  "When filled, it replaces the condition rows."))

    def __init__(self, *args: Any, other_ids: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.other_ids = other_ids
        attrs = [("", "-")] + [(a, ATTRIBUTE_LABELS[a]) for a in VOCABULARY]
        ops = [("", "-")] + [(o, f"{OP_LABELS[o]} ({o})") for o in OP_LABELS]
        for i in range(CONDITION_ROWS):
            self.fields[f"c{i}_attr"] = forms.ChoiceField(choices=attrs, required=False, label=_("Attribute"))
            self.fields[f"c{i}_op"] = forms.ChoiceField(choices=ops, required=False, label=_("Operator"))
            self.fields[f"c{i}_value"] = forms.CharField(max_length=300, required=False, label=_("Value"))

    @classmethod
    def initial_for(cls, rule: PolicyRule) -> dict[str, Any]:
        data: dict[str, Any] = {"rule_id": rule.rule_id, "outcome": rule.outcome, "step_up_to": rule.step_up_to,
                                "description": rule.description, "references": ", ".join(rule.references),
                                "roles": ", ".join(rule.roles), "actions": list(rule.actions),
                                "enabled": rule.enabled}
        rows = [condition_text(c) for c in rule.conditions]
        if any(r is None for r in rows) or len(rows) > CONDITION_ROWS:
            data["conditions_yaml"] = yaml.safe_dump(list(rule.conditions), allow_unicode=True, sort_keys=False)
        else:
            for i, row in enumerate(rows):
                assert row is not None
                data[f"c{i}_attr"], data[f"c{i}_op"], data[f"c{i}_value"] = row
        return data

    def condition_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(self[f"c{i}_attr"], self[f"c{i}_op"], self[f"c{i}_value"]) for i in range(CONDITION_ROWS)]

    def _conditions(self) -> list[Any]:
        d = self.cleaned_data
        text = d.get("conditions_yaml", "").strip()
        if text:
            try:
                loaded = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise forms.ValidationError(_("The conditions are not valid YAML: %(e)s") % {"e": exc}) from exc
            if not isinstance(loaded, list):
                raise forms.ValidationError(_("The conditions must be a YAML list."))
            return loaded
        out = []
        for i in range(CONDITION_ROWS):
            attr, op, value = d.get(f"c{i}_attr"), d.get(f"c{i}_op"), d.get(f"c{i}_value", "")
            if not attr and not op and not value:
                continue
            if not attr or not op:
                raise forms.ValidationError(_("Condition %(n)s: choose an attribute and an operator.") % {"n": i + 1})
            if op not in OPS_BY_TYPE[VOCABULARY[attr].type]:
                raise forms.ValidationError(_("Condition %(n)s: the operator does not apply to %(attr)s.")
                                            % {"n": i + 1, "attr": ATTRIBUTE_LABELS[attr]})
            try:
                out.append(condition_from(attr, op, value))
            except forms.ValidationError as exc:
                raise forms.ValidationError(_("Condition %(n)s: %(e)s") % {"n": i + 1, "e": exc.messages[0]}) from exc
        return out

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if self.errors:
            return d
        data = {"id": d["rule_id"], "outcome": d["outcome"], "description": d["description"],
                "references": _split_refs(d["references"]), "roles": _split(d["roles"]),
                "actions": list(d["actions"]), "when": self._conditions()}
        if d["step_up_to"]:
            data["step_up_to"] = d["step_up_to"]
        problem = check_rule(data, self.other_ids)
        if problem:
            raise forms.ValidationError(_("The rule is not valid: %(problem)s") % {"problem": problem})
        self.rule_data = data
        return d

    def apply(self, rule: PolicyRule) -> PolicyRule:
        from .rules import Rule

        parsed = Rule.model_validate(self.rule_data).model_dump(mode="json", by_alias=True, exclude_none=True)
        rule.rule_id, rule.outcome = parsed["id"], parsed["outcome"]
        rule.step_up_to = parsed.get("step_up_to") or ""
        rule.description, rule.references = parsed["description"], parsed["references"]
        rule.roles, rule.actions, rule.conditions = parsed["roles"], parsed["actions"], parsed["when"]
        rule.enabled = self.cleaned_data["enabled"]
        return rule


def _split_refs(text: str) -> list[str]:
    return [x.strip() for x in re.split(r"[,、]", text) if x.strip()]


class ResourceForm(forms.ModelForm):  # type: ignore[type-arg]
    handling = forms.MultipleChoiceField(choices=[(h, HANDLING_LABELS[h]) for h in HANDLING_RESTRICTIONS],
                                         required=False, widget=forms.CheckboxSelectMultiple,
                                         label=_("Handling restrictions"))
    confidentiality = forms.TypedChoiceField(coerce=int, choices=[(1, "1"), (2, "2"), (3, "3")],
                                             label=_("Confidentiality"))
    integrity = forms.TypedChoiceField(coerce=int, choices=[(1, "1"), (2, "2")], label=_("Integrity"))
    availability = forms.TypedChoiceField(coerce=int, choices=[(1, "1"), (2, "2")], label=_("Availability"))

    class Meta:
        model = ProtectedResource
        fields = ["resource_id", "name", "path_prefix", "confidentiality", "integrity", "availability",
                  "handling", "owner_unit"]
        help_texts = {"path_prefix": _("URL path prefix the PEP protects, e.g. /payroll/ (empty: API use only).")}

    def clean_resource_id(self) -> str:
        value: str = self.cleaned_data["resource_id"].strip()
        if not re.fullmatch(r"[^\x00-\x1f\x7f]{1,100}", value):
            raise forms.ValidationError(_("Control characters are not allowed."))
        return value

    def clean_path_prefix(self) -> str:
        value: str = self.cleaned_data["path_prefix"].strip()
        if value and (not value.startswith("/") or re.search(r"[\s?#\\]|/\.\.?(/|$)", value)):
            raise forms.ValidationError(_("A path starting with / without spaces, ? or #."))
        return value


class RulesImportForm(forms.Form):
    file = forms.FileField(label=_("Rules YAML file"),
                           help_text=_("The format of kijun access compile (rules: [...]); UTF-8 or Shift_JIS. "
                                       "It replaces every rule of this policy set."))


class PublishForm(forms.Form):
    note = forms.CharField(max_length=500, required=False, label=_("What changed and why"))


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("PDP name"))
    days = forms.IntegerField(min_value=1, max_value=730, initial=365, label=_("Valid for (days)"))


class DecideForm(forms.Form):
    """An access request entered by hand: the "test this policy" form."""

    principal = forms.CharField(max_length=100, initial="test-user", label=_("User id"))
    roles = forms.CharField(max_length=300, required=False, initial="staff", label=_("User roles"))
    org_unit = forms.CharField(max_length=100, required=False, label=_("User's organisational unit"))
    action = forms.ChoiceField(choices=[(a, ACTION_LABELS[a]) for a in ACTIONS], label=_("Action"))
    resource = forms.ChoiceField(required=False, label=_("Resource under access control"))
    confidentiality = forms.TypedChoiceField(coerce=int, choices=[(1, "1"), (2, "2"), (3, "3")], initial=2,
                                             label=_("Confidentiality (when no resource is chosen)"))
    resource_unit = forms.CharField(max_length=100, required=False,
                                    label=_("Resource's organisational unit (when no resource is chosen)"))
    network = forms.ChoiceField(choices=[("agency", _("Agency network")), ("telework", _("Telework")),
                                         ("external", _("External network"))], label=_("Network"))
    mfa = forms.BooleanField(required=False, label=_("Multi-factor authentication"))
    phishing_resistant = forms.BooleanField(required=False, label=_("Phishing-resistant authentication"))
    managed = forms.BooleanField(required=False, initial=True, label=_("Managed device"))
    agency_furnished = forms.BooleanField(required=False, initial=True, label=_("Agency-furnished device"))
    edr_running = forms.BooleanField(required=False, initial=True, label=_("EDR running"))
    edr_healthy = forms.BooleanField(required=False, initial=True, label=_("EDR healthy (no open alert)"))
    disk_encrypted = forms.BooleanField(required=False, initial=True, label=_("Disk encrypted"))
    patch_age = forms.IntegerField(min_value=0, max_value=100000, initial=3,
                                   label=_("Days since the last OS security update"))
    hour = forms.IntegerField(min_value=0, max_value=23, initial=10, label=_("Hour of day (0-23)"))
    weekday = forms.IntegerField(min_value=1, max_value=7, initial=2, label=_("Weekday (1 = Monday ... 7)"))

    def __init__(self, *args: Any, resources: list[ProtectedResource], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resources = {r.resource_id: r for r in resources}
        self.fields["resource"].choices = [("", "-")] + [  # type: ignore[attr-defined]
            (r.resource_id, f"{r.name} ({r.resource_id}, C{r.confidentiality})") for r in resources]

    def request_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        res = self.resources.get(d["resource"])
        resource: dict[str, Any] = (
            {"id": res.resource_id, "confidentiality": res.confidentiality, "integrity": res.integrity,
             "availability": res.availability, "handling": list(res.handling), "org_unit": res.owner_unit}
            if res else {"id": "test-resource", "confidentiality": d["confidentiality"],
                         "org_unit": d["resource_unit"]})
        return {
            "principal": {"id": d["principal"], "roles": _split(d["roles"]), "org_unit": d["org_unit"]},
            "action": d["action"], "resource": resource,
            "context": {"network": d["network"],
                        "authn": {"mfa": d["mfa"], "phishing_resistant": d["phishing_resistant"]},
                        "device": {"id": "test-device", "managed": d["managed"],
                                   "agency_furnished": d["agency_furnished"], "edr_running": d["edr_running"],
                                   "edr_healthy": d["edr_healthy"], "disk_encrypted": d["disk_encrypted"],
                                   "os_patch_age_days": d["patch_age"]},
                        "time": {"hour": d["hour"], "weekday": d["weekday"]}},
        }
