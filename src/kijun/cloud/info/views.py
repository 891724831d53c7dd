"""Pages for information assets (格付・取扱制限, R7 §1.2) and the guided classification helper.

Reading needs CLOUD_VIEW in the asset's unit; recording needs INFO_CLASSIFY there. The derived
groups (要機密/要保全/要安定/要保護) are computed by the pure engine on each page, never stored.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kijun.classification.guide import GuideResult
from kijun.classification.restrictions import VocabularyError
from kijun.core.decorators import require_perm
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.services import ConflictError

from ..models import InformationAsset, InformationSystem
from ..sheet_import import sheet_import_view
from .forms import AssetForm, AssetImportForm, VocabularyForm
from .services import (
    apply_guide,
    export_csv,
    export_xlsx,
    guide_tree,
    guide_walk,
    import_assets,
    parse_assets,
    save_asset,
    save_vocabulary,
    search,
    vocabulary,
    vocabulary_doc,
)

PAGE_SIZE = 50
FILTERS = ("q", "unit", "c", "i", "a", "flag", "restriction", "system")


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def _ja() -> bool:
    return (get_language() or "ja").startswith("ja")


def _names(codes: list[str]) -> list[str]:
    vocab = vocabulary()
    ja = _ja()
    out = []
    for code in codes:
        try:
            r = vocab.get(code)
        except ValueError:
            out.append(code)
        else:
            out.append(r.name_ja if ja else r.name_en)
    return out


@require_perm(Perm.CLOUD_VIEW)
def cloud_asset_list(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    params = {k: request.GET.get(k, "") for k in FILTERS}
    assets = search(acc.scoped(InformationAsset.objects.select_related("org_unit"), Perm.CLOUD_VIEW, "org_unit"),
                    params)
    page = Paginator(assets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in params.items() if v)
    return render(request, "cloud/asset_list.html", {
        "page": page, "params": params, "query": query, "units": acc.units(Perm.CLOUD_VIEW),
        "restrictions": [(r.code, r.name_ja if _ja() else r.name_en) for r in vocabulary().items],
        "can_classify": acc.has(Perm.INFO_CLASSIFY)})


@require_perm(Perm.CLOUD_VIEW)
def cloud_asset_export(request: HttpRequest) -> HttpResponse:
    """The filtered list in the user's scope; XLSX with Japanese headers or CSV (UTF-8 BOM)."""
    acc = access_for(request.user)
    assets = search(acc.scoped(InformationAsset.objects.all(), Perm.CLOUD_VIEW, "org_unit"),
                    {k: request.GET.get(k, "") for k in FILTERS})
    if request.GET.get("format") == "xlsx":
        resp = HttpResponse(export_xlsx(assets),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = 'attachment; filename="kijun-information-assets.xlsx"'
    else:
        resp = HttpResponse(export_csv(assets), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = 'attachment; filename="kijun-information-assets.csv"'
    return resp


@require_perm(Perm.CLOUD_VIEW)
def cloud_asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    asset = get_object_or_404(acc.scoped(InformationAsset.objects.select_related("org_unit", "classified_by"),
                                         Perm.CLOUD_VIEW, "org_unit"), pk=pk)
    systems = acc.scoped(asset.systems.all(), Perm.CLOUD_VIEW, "org_unit")
    apps = acc.scoped(asset.applications.all(), Perm.CLOUD_VIEW, "org_unit")[:50]
    return render(request, "cloud/asset_detail.html", {
        "asset": asset, "flags": asset.flags, "restrictions": _names(asset.handling_restrictions),
        "systems": systems, "apps": apps, "can_classify": acc.has(Perm.INFO_CLASSIFY, asset.org_unit),
        "can_apply": acc.has(Perm.CLOUD_APPLY)})


@require_perm(Perm.INFO_CLASSIFY)
def cloud_asset_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    acc = access_for(request.user)
    asset = (get_object_or_404(acc.scoped(InformationAsset.objects.all(), Perm.INFO_CLASSIFY, "org_unit"), pk=pk)
             if pk else InformationAsset())
    initial = {}
    if not pk:  # "record a new asset with this result" from the helper
        for key, fld in (("c", "confidentiality"), ("i", "integrity"), ("a", "availability")):
            if request.GET.get(key, "").isdigit():
                initial[fld] = int(request.GET[key])
    systems = acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_VIEW, "org_unit")
    form = AssetForm(request.POST or None, instance=asset, initial=initial,
                     units=acc.units(Perm.INFO_CLASSIFY), systems=systems)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        kept = []
        if pk:  # links to systems the editor cannot see are kept, never silently dropped
            kept = list(asset.systems.exclude(pk__in=systems.values("pk")))
        try:
            save_asset(request.user, obj, [*form.cleaned_data["systems"], *kept], request=request,  # type: ignore[arg-type]
                       expected_version=_version(request))
        except ConflictError:
            form.add_error(None, _("Someone else changed this record while you were editing. Reload and try again."))
        else:
            messages.success(request, _("Saved."))
            return redirect("cloud_asset_detail", pk=obj.pk)
    return render(request, "cloud/asset_form.html", {"form": form, "asset": asset})


@require_perm(Perm.INFO_CLASSIFY)
def cloud_asset_import(request: HttpRequest) -> HttpResponse:
    """CSV/XLSX import: every row is checked; nothing is written when any row is bad."""
    return sheet_import_view(request, form_class=AssetImportForm, template="cloud/asset_import.html",
                             parse=parse_assets, do_import=import_assets, done_url="cloud_asset_list")


# ---------------------------------------------------------------- guided classification

def _answers(source: dict[str, str]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for qid in guide_tree().questions:
        value = source.get(f"a_{qid}", "")
        if value in ("yes", "no"):
            out[qid] = value == "yes"
    return out


def _guide_context(result: GuideResult, answers: dict[str, bool]) -> dict[str, object]:
    ja = _ja()
    tree = guide_tree()
    steps = []
    for n, s in enumerate(result.steps):
        keep = {f"a_{x.question_id}": "yes" if x.answer else "no" for x in result.steps[:n]}
        steps.append({"id": s.question_id, "question": s.question_ja if ja else s.question_en,
                      "answer": s.answer, "explain": s.explain_ja if ja else s.explain_en, "section": s.section,
                      "sets": s.sets, "keep": keep})
    pending = None
    if result.pending:
        q = tree.questions[result.pending]
        pending = {"id": result.pending, "question": q.question_ja if ja else q.question_en,
                   "help": q.help_ja if ja else q.help_en, "section": q.section}
    c = result.classification
    return {
        "steps": steps, "pending": pending, "answers": {f"a_{k}": "yes" if v else "no" for k, v in answers.items()},
        "classification": c, "flags": c.flags.labels_ja() if c else [],
        "warnings": [w.message_ja if ja else w.message_en for w in result.warnings if w.code != "unused_answer"],
    }


@require_perm(Perm.CLOUD_VIEW)
def cloud_guide(request: HttpRequest) -> HttpResponse:
    """Plain yes/no questions (answers travel in the query string, so the page is stateless and
    every step can be linked); the explanation of each answer and the resulting levels."""
    acc = access_for(request.user)
    asset = None
    if request.GET.get("asset", "").isdigit():
        asset = get_object_or_404(acc.scoped(InformationAsset.objects.all(), Perm.CLOUD_VIEW, "org_unit"),
                                  pk=int(request.GET["asset"]))
    answers = _answers(dict(request.GET.items()))
    result = guide_walk(answers, asset)
    ctx = _guide_context(result, {s.question_id: s.answer for s in result.steps})
    ctx.update(asset=asset, can_apply=asset is not None and acc.has(Perm.INFO_CLASSIFY, asset.org_unit),
               can_classify=acc.has(Perm.INFO_CLASSIFY))
    return render(request, "cloud/guide.html", ctx)


@require_POST
@require_perm(Perm.INFO_CLASSIFY)
def cloud_asset_apply_guide(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    asset = get_object_or_404(acc.scoped(InformationAsset.objects.all(), Perm.INFO_CLASSIFY, "org_unit"), pk=pk)
    answers = _answers(dict(request.POST.items()))
    try:
        result = apply_guide(request.user, asset, answers, request=request,  # type: ignore[arg-type]
                             expected_version=_version(request))
    except ConflictError:
        messages.error(request, _("Someone else changed this record while you were editing. Reload and try again."))
        return redirect("cloud_asset_detail", pk=asset.pk)
    except ValueError:
        messages.error(request, _("Answer every question before applying the result."))
        return redirect("cloud_asset_detail", pk=asset.pk)
    assert result.classification is not None
    messages.success(request, _("Classification applied: %(levels)s") % {"levels": result.classification.short})
    return redirect("cloud_asset_detail", pk=asset.pk)


@require_perm(Perm.CLOUD_VIEW)
def cloud_restrictions(request: HttpRequest) -> HttpResponse:
    """The handling-restriction vocabulary (R7 1.2(2)): the standard's five plus the agency's own
    labels; CLOUD_MANAGE edits it (a label still used by an asset cannot be removed)."""
    acc = access_for(request.user)
    text, row = vocabulary_doc()
    form = None
    status = 200
    if acc.has(Perm.CLOUD_MANAGE):
        form = VocabularyForm(request.POST or None, initial={"text": text})
        if request.method == "POST":
            if form.is_valid():
                try:
                    save_vocabulary(request.user, form.cleaned_data["text"], request=request,  # type: ignore[arg-type]
                                    expected_version=_version(request))
                except ConflictError:
                    form.add_error(None, _("Someone else changed this record while you were editing. "
                                           "Reload and try again."))
                except VocabularyError as exc:
                    form.add_error("text", str(exc))
                else:
                    messages.success(request, _("Saved."))
                    return redirect("cloud_restrictions")
            status = 400
    elif request.method == "POST":
        return HttpResponse(status=403)
    ja = _ja()
    aspects = {"confidentiality": _("Confidentiality"), "integrity": _("Integrity"), "availability": _("Availability")}
    items = [{"code": r.code, "name": r.name_ja if ja else r.name_en, "other": r.name_en if ja else r.name_ja,
              "aspect": aspects.get(r.aspect, r.aspect), "standard": r.standard, "description": r.description_en}
             for r in sorted(vocabulary().items, key=lambda r: (not r.standard, r.code))]
    return render(request, "cloud/restrictions.html", {"items": items, "row": row, "form": form}, status=status)
