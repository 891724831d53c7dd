"""Pages of access control (R7 §7.3): policy sets, rules over readable attributes, generated and
validated Cedar, the "test this policy" form, publishing signed bundles, revisions and diffs, PDP
tokens. Decision-log pages are in views_logs.py. Objects are fetched through the user's unit scope
(404 outside it); every change goes through services.py (audit + optimistic version)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from kijun.core.decorators import require_perm
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.services import ConflictError
from kijun.core.uploads import UploadError, UploadPolicy, check_declared_length, iter_file, store
from kijun.textcodec import decode_utf8_or_cp932

from . import services as svc
from .forms import (
    ACTION_LABELS,
    ATTRIBUTE_LABELS,
    DecideForm,
    PolicySetEditForm,
    PolicySetForm,
    PublishForm,
    ResourceForm,
    RuleForm,
    RulesImportForm,
    TokenForm,
    describe,
)
from .logstore import issue_pdp_token, revoke_pdp_token
from .model import AccessRequest
from .models import PolicyRevision, PolicyRule, PolicySet, ProtectedResource
from .policy import PolicyError
from .rules import Rule, RuleError, rule_to_cedar

PAGE_SIZE = 50
CONFLICT = "Someone else changed this policy set while you were editing. Reload and try again."


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _set(request: HttpRequest, pk: int, perm: Perm = Perm.ACCESS_VIEW) -> PolicySet:
    acc = access_for(request.user)
    return get_object_or_404(acc.scoped(PolicySet.objects.select_related("org_unit"), perm, "org_unit"), pk=pk)


@require_perm(Perm.ACCESS_VIEW)
def access_index(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    sets = acc.scoped(PolicySet.objects.select_related("org_unit"), Perm.ACCESS_VIEW, "org_unit")
    page = Paginator(sets, PAGE_SIZE).get_page(request.GET.get("page"))
    # nosemgrep: kijun-unscoped-queryset-in-view -- revisions of the page's sets, which are scoped above
    latest = {r.policy_set_id: r for r in PolicyRevision.objects.filter(policy_set__in=[s.pk for s in page])
              .order_by("policy_set_id", "-number").defer("bundle", "cedar_text", "rules_yaml", "routes_yaml")}
    for s in page:
        s.latest = latest.get(s.pk)
    return render(request, "access/index.html", {"page": page, "can_manage": acc.has(Perm.ACCESS_MANAGE)})


@require_perm(Perm.ACCESS_MANAGE)
def access_set_new(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    form = PolicySetForm(request.POST or None, units=acc.units(Perm.ACCESS_MANAGE))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            pset = svc.create_set(request.user, name=d["name"], code=d["code"], unit=d["org_unit"],  # type: ignore[arg-type]
                                  description=d["description"], seed_default=d["seed_default"], request=request)
        except IntegrityError:
            form.add_error("code", _("This code is already used."))
        else:
            messages.success(request, _("Policy set created."))
            return redirect("access_set_detail", pk=pset.pk)
    return render(request, "access/set_form.html", {"form": form, "pset": None})


@require_perm(Perm.ACCESS_VIEW)
def access_set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pset = _set(request, pk)
    acc = access_for(request.user)
    built = svc.build(pset)
    revisions = pset.revisions.filter().select_related("published_by").defer(
        "bundle", "cedar_text", "rules_yaml", "routes_yaml")[:20]
    can_manage = acc.has(Perm.ACCESS_MANAGE, pset.org_unit)
    rules = list(pset.rules.all())
    for r in rules:
        r.summary = [describe(c) for c in r.conditions]
        r.action_labels = [str(ACTION_LABELS.get(a, a)) for a in r.actions]
    return render(request, "access/set_detail.html", {
        "pset": pset, "rules": rules, "resources": pset.resources.all(), "built": built,
        "revisions": revisions, "can_manage": can_manage, "publish_form": PublishForm(),
        "tokens": pset.pdp_tokens.all()[:50] if can_manage else [],
        "latest": revisions[0] if revisions else None,
    })


@require_perm(Perm.ACCESS_MANAGE)
def access_set_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pset = _set(request, pk, Perm.ACCESS_MANAGE)
    form = PolicySetEditForm(request.POST or None, instance=pset)
    if request.method == "POST" and form.is_valid():
        try:
            svc.update_set(request.user, form.save(commit=False), request=request,  # type: ignore[arg-type]
                           expected_version=_version(request))
        except ConflictError:
            form.add_error(None, _(CONFLICT))
        else:
            messages.success(request, _("Saved."))
            return redirect("access_set_detail", pk=pset.pk)
    return render(request, "access/set_edit.html", {"form": form, "pset": pset},
                  status=409 if form.non_field_errors() else 200)


@require_POST
@require_perm(Perm.ACCESS_MANAGE)
def access_set_review(request: HttpRequest, pk: int) -> HttpResponse:
    pset = _set(request, pk, Perm.ACCESS_MANAGE)
    try:
        svc.mark_reviewed(request.user, pset, request=request, expected_version=_version(request))  # type: ignore[arg-type]
    except ConflictError:
        messages.error(request, _(CONFLICT))
    else:
        messages.success(request, _("Recorded that the policy set was reviewed."))
    return redirect("access_set_detail", pk=pset.pk)


@require_perm(Perm.ACCESS_VIEW)
def access_set_cedar(request: HttpRequest, pk: int) -> HttpResponse:
    """The Cedar that publishing would sign now, with the schema validation result."""
    pset = _set(request, pk)
    built = svc.build(pset)
    return render(request, "access/set_cedar.html", {"pset": pset, "built": built,
                                                     "files": sorted(built.source.files.items())})


# ---------------------------------------------------------------- rules

@require_perm(Perm.ACCESS_MANAGE)
def access_rule_edit(request: HttpRequest, pk: int, rule_pk: int | None = None) -> HttpResponse:
    pset = _set(request, pk, Perm.ACCESS_MANAGE)
    rule = get_object_or_404(pset.rules.all(), pk=rule_pk) if rule_pk else PolicyRule()
    others = list(pset.rules.exclude(pk=rule.pk).values_list("rule_id", flat=True))
    status = 200
    if request.method == "POST":
        form = RuleForm(request.POST, other_ids=others)
        status = 400
        if form.is_valid():
            try:
                svc.save_rule(request.user, pset, form.apply(rule), request=request,  # type: ignore[arg-type]
                              expected_version=_version(request))
            except ConflictError:
                form.add_error(None, _(CONFLICT))
                status = 409
            else:
                messages.success(request, _("Rule saved. Check the generated Cedar and publish when ready."))
                return redirect("access_set_detail", pk=pset.pk)
    else:
        form = RuleForm(initial=RuleForm.initial_for(rule) if rule.pk else {"enabled": True}, other_ids=others)
    return render(request, "access/rule_form.html", {"form": form, "pset": pset, "rule": rule}, status=status)


@require_POST
@require_perm(Perm.ACCESS_MANAGE)
def access_rule_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx fragment: the Cedar one rule form would generate, or why it is not valid."""
    pset = _set(request, pk, Perm.ACCESS_MANAGE)
    rule_pk = request.POST.get("rule_pk", "")
    exclude = int(rule_pk) if rule_pk.isdigit() else None
    others = list(pset.rules.exclude(pk=exclude).values_list("rule_id", flat=True))
    form = RuleForm(request.POST, other_ids=others)
    cedar, errors = "", []
    if form.is_valid():
        try:
            cedar = rule_to_cedar(Rule.model_validate(form.rule_data))
        except ValidationError as exc:
            errors = [str(exc.errors()[0]["msg"])]
        else:
            errors = svc.check_cedar(cedar)  # the schema check publishing will run
    else:
        errors = [f"{ATTRIBUTE_LABELS.get(k, form.fields[k].label) if k in form.fields else ''} {e}".strip()
                  for k, errs in form.errors.items() for e in errs]
    return render(request, "access/_cedar_preview.html", {"cedar": cedar, "errors": errors})


@require_POST
@require_perm(Perm.ACCESS_MANAGE)
def access_rule_delete(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    pset = _set(request, pk, Perm.ACCESS_MANAGE)
    rule = get_object_or_404(pset.rules.all(), pk=rule_pk)
    try:
        svc.delete_rule(request.user, pset, rule, request=request, expected_version=_version(request))  # type: ignore[arg-type]
    except ConflictError:
        messages.error(request, _(CONFLICT))
    else:
        messages.success(request, _("Rule deleted."))
    return redirect("access_set_detail", pk=pset.pk)


RULES_UPLOAD = UploadPolicy("access rules YAML", max_bytes=1024 * 1024, allowed_types=frozenset({"text"}))


@require_perm(Perm.ACCESS_VIEW)
def access_rules_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The set's enabled rules as a rules YAML document (for git, review, `kijun access compile`)."""
    pset = _set(request, pk)
    resp = HttpResponse(svc.build(pset).rules_yaml, content_type="application/yaml; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{pset.code}.rules.yaml"'
    return resp


@require_perm(Perm.ACCESS_MANAGE)
def access_rules_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace the rules with an uploaded rules YAML file; an invalid file changes nothing."""
    pset = _set(request, pk, Perm.ACCESS_MANAGE)
    form = RulesImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        try:
            check_declared_length(request.META.get("CONTENT_LENGTH"), RULES_UPLOAD)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                with upload.open("rb") as fh:
                    stored = store(iter_file(fh), RULES_UPLOAD, settings.DATA_DIR / "uploads" / "access", upload.name)
                try:
                    text = decode_utf8_or_cp932(stored.path.read_bytes())
                finally:
                    stored.path.unlink(missing_ok=True)
                n = svc.import_rules(request.user, pset, text, origin=stored.display_name or "rules.yaml",  # type: ignore[arg-type]
                                     request=request, expected_version=_version(request))
                messages.success(request, _("Imported %(n)s rules. Check the generated Cedar and publish when ready.")
                                 % {"n": n})
                return redirect("access_set_detail", pk=pset.pk)
        except UploadError as exc:
            form.add_error("file", str(exc))
            status = exc.status
        except (RuleError, UnicodeDecodeError, ValueError) as exc:
            form.add_error("file", _("The rules were not imported: %(reason)s") % {"reason": str(exc)[:1000]})
        except ConflictError:
            form.add_error(None, _(CONFLICT))
            status = 409
    return render(request, "access/rules_import.html", {"form": form, "pset": pset}, status=status)


# ---------------------------------------------------------------- resources (§7.3.1(1))

@require_perm(Perm.ACCESS_MANAGE)
def access_resource_edit(request: HttpRequest, pk: int, res_pk: int | None = None) -> HttpResponse:
    pset = _set(request, pk, Perm.ACCESS_MANAGE)
    res = (get_object_or_404(pset.resources.all(), pk=res_pk)
           if res_pk else ProtectedResource(policy_set=pset))
    form = ResourceForm(request.POST or None, instance=res)
    if request.method == "POST" and form.is_valid():
        try:
            svc.save_resource(request.user, pset, form.save(commit=False), request=request,  # type: ignore[arg-type]
                              expected_version=_version(request))
        except ConflictError:
            form.add_error(None, _(CONFLICT))
        except IntegrityError:
            form.add_error("resource_id", _("This resource id is already used in the policy set."))
        else:
            messages.success(request, _("Resource saved."))
            return redirect("access_set_detail", pk=pset.pk)
    return render(request, "access/resource_form.html", {"form": form, "pset": pset, "res": res})


@require_POST
@require_perm(Perm.ACCESS_MANAGE)
def access_resource_delete(request: HttpRequest, pk: int, res_pk: int) -> HttpResponse:
    pset = _set(request, pk, Perm.ACCESS_MANAGE)
    res = get_object_or_404(pset.resources.all(), pk=res_pk)
    try:
        svc.delete_resource(request.user, pset, res, request=request, expected_version=_version(request))  # type: ignore[arg-type]
    except ConflictError:
        messages.error(request, _(CONFLICT))
    else:
        messages.success(request, _("Resource deleted."))
    return redirect("access_set_detail", pk=pset.pk)


# ---------------------------------------------------------------- test a request

@require_perm(Perm.ACCESS_VIEW)
def access_set_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Decide an entered request with the set's current rules (nothing is stored)."""
    pset = _set(request, pk)
    form = DecideForm(request.POST or None, resources=list(pset.resources.all()))
    ctx: dict[str, Any] = {"pset": pset, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            access = AccessRequest.model_validate(form.request_data())
            ctx["decision"] = svc.decide(pset, access)
        except ValidationError as exc:
            first = exc.errors()[0]
            form.add_error(None, f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
        except PolicyError as exc:
            ctx["policy_error"] = str(exc)
    return render(request, "access/set_test.html", ctx)


# ---------------------------------------------------------------- publishing and revisions

@require_POST
@require_perm(Perm.ACCESS_MANAGE)
def access_set_publish(request: HttpRequest, pk: int) -> HttpResponse:
    pset = _set(request, pk, Perm.ACCESS_MANAGE)
    form = PublishForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        rev = svc.publish(request.user, pset, note=note, request=request, expected_version=_version(request))  # type: ignore[arg-type]
    except ConflictError:
        messages.error(request, _(CONFLICT))
    except svc.PublishError as exc:
        messages.error(request, _("Not published: %(reason)s") % {"reason": exc})
    else:
        messages.success(request, _("Published revision %(n)s (signed bundle).") % {"n": rev.number})
        return redirect("access_revision_detail", pk=rev.pk)
    return redirect("access_set_detail", pk=pset.pk)


@require_perm(Perm.ACCESS_VIEW)
def access_revision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    revs = acc.scoped(PolicyRevision.objects.select_related("policy_set", "published_by"), Perm.ACCESS_VIEW,
                      "policy_set__org_unit")
    rev = get_object_or_404(revs, pk=pk)
    others = rev.policy_set.revisions.filter().exclude(pk=rev.pk).only("number")
    against_raw = request.GET.get("against", "")
    against = (others.filter(number=int(against_raw)).first() if against_raw.isdigit() else
               others.filter(number__lt=rev.number).order_by("-number").first())
    return render(request, "access/revision_detail.html", {
        "rev": rev, "pset": rev.policy_set, "against": against, "diff": svc.diff(against, rev),
        "numbers": sorted(others.values_list("number", flat=True))})


@require_perm(Perm.ACCESS_VIEW)
def access_revision_download(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    rev = get_object_or_404(acc.scoped(PolicyRevision.objects.select_related("policy_set"), Perm.ACCESS_VIEW,
                                       "policy_set__org_unit"), pk=pk)
    resp = HttpResponse(bytes(rev.bundle), content_type="application/gzip")
    resp["Content-Disposition"] = f'attachment; filename="{rev.policy_set.code}-r{rev.number}.tar.gz"'
    resp["ETag"] = f'"{rev.bundle_sha256}"'
    return resp


@require_perm(Perm.ACCESS_VIEW)
def access_public_key(request: HttpRequest) -> HttpResponse:
    """The bundle verification key for PDPs (``kijun access serve --public-key``)."""
    resp = HttpResponse(svc.public_key_pem(), content_type="application/x-pem-file")
    resp["Content-Disposition"] = 'attachment; filename="kijun-access-bundle.pub.pem"'
    return resp


# ---------------------------------------------------------------- PDP tokens

@require_perm(Perm.ACCESS_MANAGE)
def access_token_new(request: HttpRequest, pk: int) -> HttpResponse:
    pset = _set(request, pk, Perm.ACCESS_MANAGE)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, raw = issue_pdp_token(request.user, pset, form.cleaned_data["name"], form.cleaned_data["days"],  # type: ignore[arg-type]
                                     request=request)
        return render(request, "access/token_created.html", {"pset": pset, "token": token, "raw": raw})
    return render(request, "access/token_form.html", {"form": form, "pset": pset})


@require_POST
@require_perm(Perm.ACCESS_MANAGE)
def access_token_revoke(request: HttpRequest, pk: int, token_pk: int) -> HttpResponse:
    pset = _set(request, pk, Perm.ACCESS_MANAGE)
    token = get_object_or_404(pset.pdp_tokens.all(), pk=token_pk)
    revoke_pdp_token(request.user, token, request=request)  # type: ignore[arg-type]
    messages.success(request, _("Token revoked."))
    return redirect("access_set_detail", pk=pset.pk)
