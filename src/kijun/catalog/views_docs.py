"""Pages of the agency documents register, the revision diff between editions and the review worklist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST as _require_post

from kijun.core.decorators import View, require_perm
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.services import ConflictError, PermissionDeniedError
from kijun.core.uploads import UploadError, UploadPolicy, check_declared_length, iter_file, store

from .diff import CHANGE_TYPES, change_json
from .forms import KIND_LABELS, DocumentForm, EditionUploadForm
from .import_official import OfficialTextError
from .models import AgencyDocument, ReviewItem, ReviewRun
from .revisions import (
    EditionError,
    complete_item,
    diff_editions,
    edition_codes,
    edition_sources,
    import_edition,
    start_review,
)
from .services import (
    TailoringError,
    can_edit,
    review_state,
    save_document,
    stale_q,
    visible_organisations,
    with_review_state,
)
from .store import default_catalog
from .tailoring import table_csv, table_xlsx

PAGE_SIZE = 50
#: Django's decorator is untyped; views keep their signatures.
require_post: Callable[[View], View] = _require_post
DOC_COLUMNS = (("title", "文書名"), ("kind", "種別"), ("edition", "準拠する版"), ("owner_unit", "所管組織"),
               ("requirement_ids", "実装する遵守事項"), ("last_reviewed", "最終見直し日"), ("state", "見直し状況"))
DIFF_COLUMNS = (("type", "変更の種類"), ("id", "ID"), ("old_id", "旧ID"), ("kind", "種別"),
                ("title_a", "見出し（旧）"), ("title_b", "見出し（新）"), ("fields", "変更された項目"),
                ("similarity", "類似度"))
CHANGE_LABELS = {"added": gettext_lazy("Added"), "removed": gettext_lazy("Removed"), "moved": gettext_lazy("Moved"),
                 "retitled": gettext_lazy("Retitled"), "changed_text": gettext_lazy("Text changed")}
KIND_NAMES = {"chapter": gettext_lazy("Chapter (章)"), "section": gettext_lazy("Section (節)"),
              "item": gettext_lazy("Item (款)"), "group": gettext_lazy("Numbered group"),
              "requirement": gettext_lazy("Requirement (遵守事項)"), "subitem": gettext_lazy("Sub-item"),
              "definition": gettext_lazy("Definition")}
STATE_JA = {"needs_review": "改定により要見直し", "overdue": "見直し期限超過", "ok": "最新"}


def _docs(request: HttpRequest, perm: Perm = Perm.CATALOG_VIEW) -> Any:
    return access_for(request.user).scoped(AgencyDocument.objects.select_related("owner_unit"), perm, "owner_unit")


@require_perm(Perm.CATALOG_VIEW)
def catalog_document_list(request: HttpRequest) -> HttpResponse:
    docs = with_review_state(_docs(request))
    # nosemgrep: kijun-unscoped-queryset-in-view -- a pk subquery only; rows shown come from the scoped `docs`
    stale_ids = AgencyDocument.objects.filter(stale_q()).values("pk")
    q = request.GET.get("q", "").strip()[:100]
    if q:
        docs = docs.filter(Q(title__icontains=q) | Q(requirement_ids__icontains=q))
    stale_only = request.GET.get("stale") == "1"
    if stale_only:
        docs = docs.filter(pk__in=stale_ids)
    page = Paginator(docs.order_by("title", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    for d in page:
        d.state = review_state(d, d.open_items)
        d.kind_label = KIND_LABELS.get(d.kind, d.kind)
    return render(request, "catalog/document_list.html", {
        "page": page, "q": q, "stale_only": stale_only, "query": f"q={q}&stale={'1' if stale_only else ''}",
        "stale_count": _docs(request).filter(pk__in=stale_ids).count(),
        "can_manage": access_for(request.user).has(Perm.POLICY_MANAGE),
    })


@require_perm(Perm.CATALOG_VIEW)
def catalog_document_export(request: HttpRequest) -> HttpResponse:
    rows = []
    for d in with_review_state(_docs(request)).order_by("title", "id"):
        rows.append({"title": d.title, "kind": str(KIND_LABELS.get(d.kind, d.kind)), "edition": d.edition,
                     "owner_unit": d.owner_unit.name, "requirement_ids": " ".join(d.requirement_ids),
                     "last_reviewed": d.last_reviewed.isoformat() if d.last_reviewed else "",
                     "state": STATE_JA[review_state(d, d.open_items)]})
    if request.GET.get("format") == "xlsx":
        resp = HttpResponse(table_xlsx(DOC_COLUMNS, rows, "文書一覧", datetime.now(UTC)),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = 'attachment; filename="kijun-documents.xlsx"'
        return resp
    resp = HttpResponse(table_csv(DOC_COLUMNS, rows), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = 'attachment; filename="kijun-documents.csv"'
    return resp


@require_perm(Perm.CATALOG_VIEW)
def catalog_document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    doc = get_object_or_404(with_review_state(_docs(request)), pk=pk)
    cat = default_catalog()
    cited = [(i, cat.get(i) if i in cat else None) for i in doc.requirement_ids]
    items = doc.review_items.select_related("run", "done_by").order_by("status", "-id")[:50]
    return render(request, "catalog/document_detail.html", {
        "doc": doc, "cited": cited, "items": items, "state": review_state(doc, doc.open_items),
        "kind_label": KIND_LABELS.get(doc.kind, doc.kind),
        "can_manage": access_for(request.user).has(Perm.POLICY_MANAGE, doc.owner_unit)})


@require_perm(Perm.POLICY_MANAGE)
def catalog_document_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    acc = access_for(request.user)
    doc = get_object_or_404(_docs(request, Perm.POLICY_MANAGE), pk=pk) if pk else AgencyDocument(
        edition=default_catalog().edition.code)
    form = DocumentForm(request.POST or None, instance=doc, units=acc.units(Perm.POLICY_MANAGE),
                        editions=edition_codes())
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        raw = request.POST.get("version", "")
        try:
            save_document(request.user, obj, expected_version=int(raw) if raw.isdigit() else None,
                          request=request)
        except ConflictError:
            form.add_error(None, _("Someone else changed this record while you were editing. Reload and try again."))
        except TailoringError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("catalog_document_detail", pk=obj.pk)
    return render(request, "catalog/document_form.html", {"form": form, "doc": doc},
                  status=400 if form.is_bound else 200)


# ---------------------------------------------------------------- revision diff

def _diff_params(request: HttpRequest) -> tuple[list[Any], str, str]:
    sources = edition_sources()
    keys = {s.key for s in sources}
    a, b = request.GET.get("a", ""), request.GET.get("b", "")
    return sources, (a if a in keys else ""), (b if b in keys else "")


@require_perm(Perm.CATALOG_VIEW)
def catalog_diff(request: HttpRequest) -> HttpResponse:
    sources, a, b = _diff_params(request)
    ctx: dict[str, Any] = {"sources": sources, "a": a, "b": b, "type": "",
                           "types": [(t, CHANGE_LABELS[t]) for t in CHANGE_TYPES]}
    if a and b and a != b:
        res = diff_editions(a, b)
        changes = list(res.changes)
        t = request.GET.get("type", "")
        if t in CHANGE_TYPES:
            changes = [c for c in changes if c.type == t]
            ctx["type"] = t
        cat = default_catalog()
        page = Paginator(changes, 100).get_page(request.GET.get("page"))
        rows = [{"c": c, "type": CHANGE_LABELS[c.type], "kind": KIND_NAMES.get(c.kind, c.kind),
                 "link": c.id in cat, "old_link": bool(c.old_id and c.old_id in cat)} for c in page]
        ctx.update({"res": res, "page": page, "rows": rows,
                    "counts": [(t, CHANGE_LABELS[t], res.counts.get(t, 0)) for t in CHANGE_TYPES],
                    "mixed": a.split(":")[0] != b.split(":")[0], "query": f"a={a}&b={b}&type={ctx['type']}"})
    elif a and a == b:
        ctx["same"] = True
    return render(request, "catalog/diff.html", ctx)


@require_perm(Perm.CATALOG_VIEW)
def catalog_diff_export(request: HttpRequest) -> HttpResponse:
    _sources, a, b = _diff_params(request)
    if not (a and b) or a == b:
        raise Http404("choose two editions")
    rows = []
    for c in diff_editions(a, b).changes:
        d = change_json(c)
        rows.append({**{k: "" if v is None else str(v) for k, v in d.items()}, "fields": ";".join(c.fields)})
    resp = HttpResponse(table_csv(DIFF_COLUMNS, rows), content_type="text/csv; charset=utf-8")
    name = f"kijun-diff-{a.replace(':', '-')}-{b.replace(':', '-')}.csv"
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


# ---------------------------------------------------------------- review runs and worklist

def _runs(request: HttpRequest) -> Any:
    # nosemgrep: kijun-unscoped-queryset-in-view -- scoped: runs of organisations the user may see (CATALOG_VIEW)
    return ReviewRun.objects.filter(org_unit__in=visible_organisations(request.user)).select_related(
        "org_unit", "created_by")


@require_perm(Perm.CATALOG_VIEW)
def catalog_review_list(request: HttpRequest) -> HttpResponse:
    runs = _runs(request).annotate(open_n=Count("items", filter=Q(items__status="open")),
                                   total_n=Count("items")).order_by("-created_at", "-id")
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    orgs = [o for o in visible_organisations(request.user).order_by("name") if can_edit(request.user, o)]
    return render(request, "catalog/review_list.html", {"page": page, "orgs": orgs, "sources": edition_sources()})


@require_post
@require_perm(Perm.POLICY_MANAGE)
def catalog_review_start(request: HttpRequest) -> HttpResponse:
    org = get_object_or_404(visible_organisations(request.user), code=request.POST.get("unit", ""))
    if not can_edit(request.user, org):
        raise PermissionDenied(Perm.POLICY_MANAGE.value)
    try:
        run = start_review(request.user, org, request.POST.get("a", ""), request.POST.get("b", ""),
                           request=request)
    except EditionError:
        messages.error(request, _("Choose two different editions."))
        return redirect("catalog_review_list")
    messages.success(request, _("Review started: %(d)s documents and %(c)s clauses to check.") % {
        "d": run.summary.get("documents", 0), "c": run.summary.get("clauses", 0)})
    return redirect("catalog_review_detail", pk=run.pk)


@require_perm(Perm.CATALOG_VIEW)
def catalog_review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(_runs(request), pk=pk)
    acc = access_for(request.user)
    items = run.items.filter(Q(target=ReviewItem.Target.CLAUSE)
                             | acc.unit_q(Perm.CATALOG_VIEW, prefix="document__owner_unit__")).select_related(
        "document", "document__owner_unit", "done_by")
    status = request.GET.get("status", "open")
    status = status if status in ("open", "done", "all") else "open"
    target = request.GET.get("target", "")
    counts = {"open": items.filter(status="open").count(), "done": items.filter(status="done").count()}
    if status != "all":
        items = items.filter(status=status)
    if target in ReviewItem.Target.values:
        items = items.filter(target=target)
    page = Paginator(items.order_by("target", "-tailored", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    org_edit = can_edit(request.user, run.org_unit)
    for it in page:
        unit = it.document.owner_unit if it.document else None
        it.can_done = it.status == "open" and (acc.has(Perm.POLICY_MANAGE, unit) if unit else org_edit)
        it.summary = ", ".join(sorted({f"{CHANGE_LABELS.get(c['type'], c['type'])} "
                                       f"{c['old_id'] + '→' if c.get('old_id') else ''}{c['id']}"
                                       for c in it.changes}))[:400]
    return render(request, "catalog/review_detail.html", {
        "run": run, "page": page, "status": status, "target": target, "counts": counts,
        "query": f"status={status}&target={target}"})


@require_post
@require_perm(Perm.POLICY_MANAGE)
def catalog_review_item_done(request: HttpRequest, pk: int) -> HttpResponse:
    # nosemgrep: kijun-unscoped-queryset-in-view -- scoped through the visible runs; POLICY_MANAGE checked per item
    item = get_object_or_404(ReviewItem.objects.filter(run__in=_runs(request)).select_related(
        "run", "run__org_unit", "document", "document__owner_unit"), pk=pk)
    raw = request.POST.get("version", "")
    try:
        complete_item(request.user, item, note=request.POST.get("note", ""),
                      adopt_edition=request.POST.get("adopt_edition") == "1",
                      expected_version=int(raw) if raw.isdigit() else None, request=request)
    except PermissionDeniedError as exc:
        raise PermissionDenied(str(exc)) from None
    except ConflictError:
        messages.error(request, _("This item was already marked done or changed meanwhile."))
    else:
        messages.success(request, _("Marked as reviewed."))
    return redirect("catalog_review_detail", pk=item.run_id)


# ---------------------------------------------------------------- official editions (upload)

def edition_upload_policy() -> UploadPolicy:
    """Official text uploads: plain text or gzip, at most KIJUN_CATALOG_EDITION_MAX_BYTES (default 20 MB)."""
    limit = int(getattr(settings, "KIJUN_CATALOG_EDITION_MAX_BYTES", 20 * 1024 * 1024))
    return UploadPolicy("official text", max_bytes=limit, allowed_types=frozenset({"text", "gzip"}),
                        max_unpacked_bytes=100 * 1024 * 1024)


@require_perm(Perm.POLICY_MANAGE)
def catalog_edition_upload(request: HttpRequest) -> HttpResponse:
    """Store an edition's official wording from an uploaded file (as `import-official --store --edition`)."""
    policy = edition_upload_policy()
    ctx: dict[str, Any] = {"max_bytes": policy.max_bytes, "sources": edition_sources()}
    form = EditionUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        try:
            check_declared_length(request.META.get("CONTENT_LENGTH"), policy)
        except UploadError as exc:
            form = EditionUploadForm()
            form.add_error(None, _("The file is too large (at most %(n)s bytes).") % {"n": policy.max_bytes})
            return render(request, "catalog/edition_upload.html", {**ctx, "form": form}, status=exc.status)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                with upload.open("rb") as fh:
                    stored = store(iter_file(fh), policy, settings.DATA_DIR / "uploads" / "catalog", upload.name)
                report = import_edition(request.user, stored, form.cleaned_data["edition"],
                                        form.cleaned_data["layout"], request=request)
            except UploadError as exc:
                form.add_error("file", str(exc))
                return render(request, "catalog/edition_upload.html", {**ctx, "form": form}, status=exc.status)
            except OfficialTextError as exc:
                form.add_error("file", _("This does not look like a text of the standard: %(e)s") % {"e": exc})
            else:
                messages.success(request, _("Stored official wording for %(n)s provisions as edition %(e)s.") % {
                    "n": report["stored"], "e": report["edition"]})
                return render(request, "catalog/edition_upload.html", {**ctx, "form": EditionUploadForm(),
                                                                      "report": report,
                                                                      "sources": edition_sources()})
    return render(request, "catalog/edition_upload.html", {**ctx, "form": form},
                  status=400 if form.is_bound else 200)
