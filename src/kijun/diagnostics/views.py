"""Pages of continuous diagnostics: dashboard, hosts, systems, vulnerabilities and inventory coverage.

Everything is read through the user's VULN_VIEW scope (hosts, findings and remediation records carry
their org unit). Vulnerability facts (NVD/KEV/EPSS/JVN) are public intelligence and agency-wide;
which hosts have a vulnerability is scoped. Edits, uploads and exports live in views_manage.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kijun.cloud.models import InformationSystem
from kijun.core.decorators import require_perm
from kijun.core.permissions import access_for
from kijun.core.roles import Perm

from .charts import Point, trend_svg
from .models import (
    MISSIONS,
    OUTCOME_NAME,
    OUTCOMES,
    Finding,
    Host,
    Installed,
    Remediation,
    SyncRun,
    TrendPoint,
    Vulnerability,
)
from .services import OPEN, today

PAGE_SIZE = 50
LOW_CONFIDENCE = 0.8


def show(request: HttpRequest, template: str, ctx: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render with ``can_manage`` (the sub-navigation shows upload/SLA links to VULN_MANAGE users)."""
    ctx.setdefault("can_manage", access_for(request.user).has(Perm.VULN_MANAGE))
    return render(request, template, ctx, status=status)


def outcome_labels() -> dict[str, str]:
    return {"act": "Act", "attend": "Attend", "track_star": "Track*", "track": "Track", "overdue": _("Overdue")}


def scoped(request: HttpRequest, model: Any, field: str = "org_unit") -> Any:
    return access_for(request.user).scoped(model.objects.all(), Perm.VULN_VIEW, field)


def trend(request: HttpRequest, days: int = 60) -> list[Point]:
    """Daily open records per outcome summed over the units in scope (one query)."""
    since = today() - dt.timedelta(days=days)
    rows = (scoped(request, TrendPoint).filter(day__gte=since).values("day").order_by("day")
            .annotate(act=Sum("act"), attend=Sum("attend"), track_star=Sum("track_star"), track=Sum("track"),
                      overdue=Sum("overdue")))
    return [Point(r["day"].isoformat(), r["act"], r["attend"], r["track_star"], r["track"], r["overdue"]) for r in rows]


@require_perm(Perm.VULN_VIEW)
def diagnostics_index(request: HttpRequest) -> HttpResponse:
    acc = access_for(request.user)
    rems = scoped(request, Remediation).filter(status__in=OPEN)
    by = dict(rems.values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n"))
    overdue = rems.filter(due_on__lt=today()).count()
    top = rems.select_related("vuln", "host", "system").order_by("-outcome", "due_on", "id")[:10]
    points = trend(request)
    return show(request, "diagnostics/index.html", {
        "counts": [(name, by.get(rank, 0), rank) for rank, name in reversed(OUTCOMES)],
        "overdue": overdue, "top": top, "today": today(),
        "hosts": scoped(request, Host).count(),
        "chart": mark_safe(trend_svg(points, outcome_labels(), title=_("Open remediation records by SSVC outcome"))),  # noqa: S308 - built by charts.trend_svg, every text escaped
        "points": points[-14:],
        "last_sync": SyncRun.objects.first(),  # nosemgrep: kijun-unscoped-queryset-in-view -- feed sync log is agency-wide
        "can_manage": acc.has(Perm.VULN_MANAGE),
    })


@require_perm(Perm.VULN_VIEW)
def diagnostics_hosts(request: HttpRequest) -> HttpResponse:
    hosts = scoped(request, Host).select_related("org_unit", "system")
    q = request.GET.get("q", "").strip()
    if q:
        hosts = hosts.filter(Q(name__icontains=q) | Q(os_name__icontains=q) | Q(system__name__icontains=q))
    page = Paginator(hosts.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    # Counts for this page's hosts only: annotating the whole (10,000-host) queryset before paging made
    # the database group every host on every page view.
    ids = [h.pk for h in page]
    # nosemgrep: kijun-unscoped-queryset-in-view -- restricted to the ids of hosts already scoped above
    stats = {r["host"]: r for r in Finding.objects.filter(host_id__in=ids).values("host").annotate(
        n=Count("id"), top=Max("outcome"))}
    # nosemgrep: kijun-unscoped-queryset-in-view -- restricted to the ids of hosts already scoped above
    installed = dict(Installed.objects.filter(host_id__in=ids).values("host").annotate(n=Count("id"))
                     .values_list("host", "n"))
    for h in page:
        st = stats.get(h.pk, {})
        h.n_findings, h.top, h.n_installed = st.get("n", 0), st.get("top"), installed.get(h.pk, 0)
        h.top_name = OUTCOME_NAME.get(h.top) if h.top is not None else ""
    return show(request, "diagnostics/host_list.html", {"page": page, "q": q})


def _mapping_by_software(host: Host) -> dict[int, Installed]:
    return {i.software_id: i for i in host.installed.exclude(software=None)}


@require_perm(Perm.VULN_VIEW)
def diagnostics_host_detail(request: HttpRequest, pk: int) -> HttpResponse:
    host = get_object_or_404(scoped(request, Host).select_related("org_unit", "system"), pk=pk)
    findings = list(host.findings.select_related("vuln", "software", "match").order_by("-outcome", "vuln__vuln_id"))
    rows = _mapping_by_software(host)
    for f in findings:
        f.installed = rows.get(f.software_id)
    installed = Paginator(host.installed.select_related("software").order_by("name", "id"), 200).get_page(
        request.GET.get("page"))
    scope = Q(host=host) | Q(system_id=host.system_id) if host.system_id else Q(host=host)
    rems = scoped(request, Remediation).filter(scope).select_related("vuln").order_by("-outcome", "due_on", "id")
    return show(request, "diagnostics/host_detail.html", {
        "host": host, "findings": findings, "page": installed, "remediations": rems[:200]})


@require_perm(Perm.VULN_VIEW)
def diagnostics_system_detail(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(scoped(request, InformationSystem).select_related("org_unit", "owner"), pk=pk)
    hosts = (scoped(request, Host).filter(system=system)
             .annotate(n_findings=Count("findings", distinct=True), top=Max("findings__outcome")).order_by("name"))
    rems = (scoped(request, Remediation).filter(system=system).select_related("vuln", "owner")
            .order_by("-outcome", "due_on", "id"))
    page = Paginator(rems, PAGE_SIZE).get_page(request.GET.get("page"))
    return show(request, "diagnostics/system_detail.html", {
        "system": system, "hosts": hosts[:500], "page": page, "today": today()})


@require_perm(Perm.VULN_VIEW)
def diagnostics_vuln_detail(request: HttpRequest, vuln_id: str) -> HttpResponse:
    # nosemgrep: kijun-unscoped-queryset-in-view -- vulnerability facts are public intelligence; hosts below are scoped
    vuln = get_object_or_404(Vulnerability.objects.all(), vuln_id=vuln_id)
    findings = (scoped(request, Finding).filter(vuln=vuln).select_related("host", "software", "match", "system")
                .order_by("-outcome", "host__name", "id"))
    page = Paginator(findings, PAGE_SIZE).get_page(request.GET.get("page"))
    versions = (scoped(request, Finding).filter(vuln=vuln).values("software__product", "software__version")
                .annotate(n=Count("host", distinct=True)).order_by("software__product", "software__version"))
    rems = scoped(request, Remediation).filter(vuln=vuln).select_related("host", "system", "owner")
    return show(request, "diagnostics/vuln_detail.html", {
        "vuln": vuln, "page": page, "versions": versions[:100], "remediations": rems[:200], "today": today(),
        "outcomes": [(label, OUTCOME_NAME[getattr(vuln, f"outcome_{m}")]) for m, label in MISSIONS],
        "nvd_url": f"https://nvd.nist.gov/vuln/detail/{vuln.cve_id}" if vuln.cve_id else "",
    })


@require_perm(Perm.VULN_VIEW)
def diagnostics_coverage(request: HttpRequest) -> HttpResponse:
    """Inventory coverage: software nothing could map (listed, never dropped) and weak name mappings."""
    rows = scoped(request, Installed, "host__org_unit")
    total = rows.count()
    unmapped = (rows.filter(software__isnull=True).values("name", "publisher", "kind")
                .annotate(hosts=Count("host", distinct=True), vmin=Min("version"), vmax=Max("version"))
                .order_by("-hosts", "name", "publisher", "kind"))
    weak = (rows.filter(mapping_confidence__lt=LOW_CONFIDENCE).values("name", "publisher", "mapping_rule",
                                                                     "mapping_confidence", "software__product")
            .annotate(hosts=Count("host", distinct=True)).order_by("mapping_confidence", "-hosts", "name"))
    page = Paginator(unmapped, PAGE_SIZE).get_page(request.GET.get("page"))
    n_unmapped = rows.filter(software__isnull=True).count()
    return show(request, "diagnostics/coverage.html", {
        "page": page, "weak": weak[:200], "total": total, "unmapped_rows": n_unmapped,
        "mapped_pct": round(100 * (total - n_unmapped) / total, 1) if total else None,
        "low": LOW_CONFIDENCE})
