"""Decision-log pages: shipped PDP decisions with filters, paging, detail and CSV export.

Entries are scoped through their policy set's unit, so an office sees only the decisions of the
PDPs that enforce its own policy sets. Principals are pseudonyms (hmac:…) computed by the PDP.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from kijun.core.decorators import require_perm
from kijun.core.permissions import access_for
from kijun.core.roles import Perm

from .logstore import filtered, server_masking
from .models import DecisionLogEntry, PolicySet

PAGE_SIZE = 50
FILTERS = ("policy_set", "decision", "policy", "principal", "user", "since", "until")
EXPORT_LIMIT = 100_000


def _entries(request: HttpRequest) -> tuple[QuerySet[DecisionLogEntry], dict[str, str]]:
    acc = access_for(request.user)
    qs = acc.scoped(DecisionLogEntry.objects.select_related("policy_set"), Perm.ACCESS_VIEW, "policy_set__org_unit")
    params = {k: request.GET.get(k, "")[:100] for k in FILTERS}
    if params["policy_set"].isdigit():
        qs = qs.filter(policy_set_id=int(params["policy_set"]))
    return filtered(qs, params), params


@require_perm(Perm.ACCESS_VIEW)
def access_log_list(request: HttpRequest) -> HttpResponse:
    qs, params = _entries(request)
    page = Paginator(qs.defer("record"), PAGE_SIZE).get_page(request.GET.get("page"))
    acc = access_for(request.user)
    sets = acc.scoped(PolicySet.objects.all(), Perm.ACCESS_VIEW, "org_unit").only("pk", "code", "name")
    return render(request, "access/log_list.html", {
        "page": page, "params": params, "sets": sets, "can_search_user": server_masking() is not None,
        "query": urlencode({k: v for k, v in params.items() if v})})


@require_perm(Perm.ACCESS_VIEW)
def access_log_detail(request: HttpRequest, pk: int) -> HttpResponse:
    acc = access_for(request.user)
    entry = get_object_or_404(acc.scoped(DecisionLogEntry.objects.select_related("policy_set"), Perm.ACCESS_VIEW,
                                         "policy_set__org_unit"), pk=pk)
    return render(request, "access/log_detail.html", {
        "entry": entry, "record": json.dumps(entry.record, ensure_ascii=False, indent=2, sort_keys=True)})


COLUMNS = ("timestamp", "policy_set", "decision", "determining_policies", "principal", "action", "resource",
           "network", "policy_revision", "decision_id", "path")


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


HEADERS_JA = ("日時", "アクセス制御方針", "判定", "判定を決めたポリシー", "利用者（仮名）", "操作", "リソース",
              "ネットワーク", "方針の版", "判定ID", "経路")


def _rows(qs: QuerySet[DecisionLogEntry]) -> Iterator[list[str]]:
    for e in qs.defer("record")[:EXPORT_LIMIT].iterator(chunk_size=2000):
        yield [_cell(str(v)) for v in (
            e.timestamp.isoformat(), e.policy_set.code, e.decision, " ".join(e.policy_list()), e.principal,
            e.action, e.resource_id, e.network, e.policy_revision, e.decision_id, e.path)]


@require_perm(Perm.ACCESS_VIEW)
def access_log_export(request: HttpRequest) -> HttpResponse:
    """The filtered entries, newest first: CSV (UTF-8 with BOM for spreadsheet software) or, with
    ``format=xlsx``, a workbook with Japanese headers. Cells are formula-safe in both."""
    qs, _params = _entries(request)
    if request.GET.get("format") == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("判定ログ")
        ws.append(list(HEADERS_JA))
        for row in _rows(qs):
            ws.append(row)
        out = io.BytesIO()
        wb.save(out)
        resp = HttpResponse(out.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = 'attachment; filename="kijun-access-decisions.xlsx"'
        return resp
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_rows(qs))
    resp = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = 'attachment; filename="kijun-access-decisions.csv"'
    return resp
