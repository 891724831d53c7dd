"""The audit log for administrators and auditors: filter, page, verify, export CSV."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from . import audit
from .decorators import require_perm
from .forms import AuditFilterForm
from .models import AuditEntry
from .roles import Perm

PAGE_SIZE = 50
CSV_COLUMNS = ["seq", "at", "actor", "source_ip", "action", "object_type", "object_id", "object_repr",
               "outcome", "before", "after", "prev_hash", "entry_hash"]


def filtered(request: HttpRequest) -> tuple[AuditFilterForm, QuerySet[AuditEntry]]:
    form = AuditFilterForm(request.GET or None)
    qs = AuditEntry.objects.order_by("-seq")  # nosemgrep: kijun-unscoped-queryset-in-view -- the audit log is global; AUDIT_VIEW checked by the caller
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            qs = qs.filter(Q(object_repr__icontains=d["q"]) | Q(object_id=d["q"]) | Q(action__icontains=d["q"]))
        if d["action"]:
            qs = qs.filter(action__startswith=d["action"])
        if d["actor"]:
            qs = qs.filter(actor=d["actor"])
        tz = timezone.get_current_timezone()
        if d["since"]:
            qs = qs.filter(at__gte=dt.datetime.combine(d["since"], dt.time.min, tz))
        if d["until"]:
            qs = qs.filter(at__lt=dt.datetime.combine(d["until"] + dt.timedelta(days=1), dt.time.min, tz))
    return form, qs


@require_perm(Perm.AUDIT_VIEW)
def audit_list(request: HttpRequest) -> HttpResponse:
    from django.core.paginator import Paginator

    form, qs = filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "core/audit_list.html", {"form": form, "page": page, "query": query.urlencode()})


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in exported text cells."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@require_perm(Perm.AUDIT_EXPORT)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    _form, qs = filtered(request)
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(CSV_COLUMNS)
        for e in qs.order_by("seq").iterator(chunk_size=2000):
            yield writer.writerow([
                e.seq, audit.stamp(e.at), _csv_cell(e.actor), e.source_ip, e.action, e.object_type,
                _csv_cell(e.object_id), _csv_cell(e.object_repr), e.outcome,
                _csv_cell(json.dumps(e.before, ensure_ascii=False)) if e.before is not None else "",
                _csv_cell(json.dumps(e.after, ensure_ascii=False)) if e.after is not None else "",
                e.prev_hash, e.entry_hash,
            ])

    audit.record("audit.export", "audit_log", "", "CSV export", request=request,
                 after={"filters": dict(request.GET.items())})
    name = f"kijun-audit-{timezone.localdate().isoformat()}.csv"
    resp = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp
