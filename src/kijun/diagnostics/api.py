"""REST API of continuous diagnostics (mounted under /api/v1/ by kijun.web.api).

Same scopes and services as the pages: hosts, findings and remediation records are filtered to the
caller's VULN_VIEW units (404 outside); vulnerability facts are public intelligence. Remediation
updates need VULN_REMEDIATE in the record's unit and carry the optimistic ``version`` (409 on a
conflict, 422 when a rule is broken, e.g. an exception without an expiry date).
"""


import datetime as dt
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kijun.core.api import ERRORS, BodyId, ErrorOut, PathId, need
from kijun.core.models import User
from kijun.core.roles import Perm
from kijun.core.services import ConflictError
from kijun.web.pagination import Paging

from .models import OUTCOME_NAME, OUTCOMES, Finding, Host, Remediation, Vulnerability
from .services import OPEN, RemediationError, today, update_remediation

router = Router(tags=["diagnostics"])


class HostOut(Schema):
    id: int
    name: str
    org_unit_id: int
    system_id: int | None
    mission: str
    os_name: str
    inventory_at: dt.datetime | None


class VulnOut(Schema):
    vuln_id: str
    cve_id: str
    summary: str
    cvss_score: float | None
    cvss_vector: str
    kev: bool
    kev_due: dt.date | None
    epss: float | None
    epss_percentile: float | None
    exploitation: str
    automatable: str
    technical_impact: str
    outcome_low: str
    outcome_medium: str
    outcome_high: str
    jvn_ids: list[str]

    @staticmethod
    def resolve_outcome_low(obj: Vulnerability) -> str:
        return OUTCOME_NAME[obj.outcome_low]

    @staticmethod
    def resolve_outcome_medium(obj: Vulnerability) -> str:
        return OUTCOME_NAME[obj.outcome_medium]

    @staticmethod
    def resolve_outcome_high(obj: Vulnerability) -> str:
        return OUTCOME_NAME[obj.outcome_high]


class FindingOut(Schema):
    id: int
    host: str
    host_id: int
    vuln_id: str
    product: str
    name: str
    version: str
    outcome: str
    sources: str
    reason: dict[str, Any]
    running_on: list[str] | None

    @staticmethod
    def resolve_host(obj: Finding) -> str:
        return obj.host.name

    @staticmethod
    def resolve_vuln_id(obj: Finding) -> str:
        return obj.vuln.vuln_id

    @staticmethod
    def resolve_product(obj: Finding) -> str:
        return obj.software.product

    @staticmethod
    def resolve_name(obj: Finding) -> str:
        return obj.software.name

    @staticmethod
    def resolve_version(obj: Finding) -> str:
        return obj.software.version

    @staticmethod
    def resolve_outcome(obj: Finding) -> str:
        return OUTCOME_NAME[obj.outcome]

    @staticmethod
    def resolve_sources(obj: Finding) -> str:
        return obj.match.sources

    @staticmethod
    def resolve_reason(obj: Finding) -> dict[str, Any]:
        return dict(obj.match.reason)


class RemediationOut(Schema):
    id: int
    vuln_id: str
    system_id: int | None
    host_id: int | None
    org_unit_id: int
    owner_id: int | None
    status: str
    outcome: str
    findings: int
    due_on: dt.date | None
    due_basis: str
    exception_expires: dt.date | None
    evidence: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    version: int

    @staticmethod
    def resolve_vuln_id(obj: Remediation) -> str:
        return obj.vuln.vuln_id

    @staticmethod
    def resolve_outcome(obj: Remediation) -> str:
        return OUTCOME_NAME[obj.outcome]


class RemediationIn(Schema):
    status: str = Field(..., max_length=16)
    owner_id: BodyId | None = None
    due_on: dt.date | None = None
    exception_expires: dt.date | None = None
    note: str = Field("", max_length=4000)
    version: int | None = None


class SummaryOut(Schema):
    by_outcome: dict[str, int]
    overdue: int
    hosts: int


@router.get("/diagnostics/summary", response={200: SummaryOut, **ERRORS}, summary="Open remediation by SSVC outcome")
def diagnostics_summary(request: HttpRequest) -> dict[str, Any]:
    acc = need(request, Perm.VULN_VIEW)
    rems = acc.scoped(Remediation.objects.filter(status__in=OPEN), Perm.VULN_VIEW, "org_unit")
    by = dict(rems.values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n"))
    return {"by_outcome": {name: by.get(rank, 0) for rank, name in OUTCOMES},
            "overdue": rems.filter(due_on__lt=today()).count(),
            "hosts": acc.scoped(Host.objects.all(), Perm.VULN_VIEW, "org_unit").count()}


@router.get("/diagnostics/hosts", response={200: list[HostOut], **ERRORS}, summary="Hosts in your scope")
@paginate(Paging)
def diagnostics_list_hosts(request: HttpRequest, q: str = "") -> Any:
    acc = need(request, Perm.VULN_VIEW)
    qs = acc.scoped(Host.objects.all(), Perm.VULN_VIEW, "org_unit").order_by("name", "id")
    return qs.filter(name__icontains=q) if q else qs


@router.get("/diagnostics/hosts/{host_id}/findings", response={200: list[FindingOut], **ERRORS},
            summary="Findings on one host, with why they matched")
@paginate(Paging)
def diagnostics_host_findings(request: HttpRequest, host_id: PathId) -> Any:
    acc = need(request, Perm.VULN_VIEW)
    host = get_object_or_404(acc.scoped(Host.objects.all(), Perm.VULN_VIEW, "org_unit"), pk=host_id)
    return host.findings.select_related("host", "vuln", "software", "match").order_by("-outcome", "id")


@router.get("/diagnostics/vulns/{vuln_id}", response={200: VulnOut, **ERRORS}, summary="Facts of one vulnerability")
def diagnostics_get_vuln(request: HttpRequest, vuln_id: str) -> Vulnerability:
    need(request, Perm.VULN_VIEW)
    # nosemgrep: kijun-unscoped-queryset-in-view -- vulnerability facts are public intelligence
    return get_object_or_404(Vulnerability.objects.all(), vuln_id=vuln_id[:100])


@router.get("/diagnostics/findings", response={200: list[FindingOut], **ERRORS}, summary="Findings in your scope")
@paginate(Paging)
def diagnostics_list_findings(request: HttpRequest, vuln_id: str = "", outcome: str = "") -> Any:
    acc = need(request, Perm.VULN_VIEW)
    qs = acc.scoped(Finding.objects.select_related("host", "vuln", "software", "match"), Perm.VULN_VIEW, "org_unit")
    if vuln_id:
        qs = qs.filter(vuln__vuln_id=vuln_id)
    rank = {n: r for r, n in OUTCOMES}.get(outcome)
    if rank is not None:
        qs = qs.filter(outcome=rank)
    return qs.order_by("-outcome", "id")


def _rems(request: HttpRequest, perm: Perm = Perm.VULN_VIEW) -> Any:
    acc = need(request, perm)
    return acc.scoped(Remediation.objects.select_related("vuln"), perm, "org_unit")


@router.get("/diagnostics/remediations", response={200: list[RemediationOut], **ERRORS},
            summary="Remediation records in your scope")
@paginate(Paging)
def diagnostics_list_remediations(request: HttpRequest, status: str = "", overdue: bool = False) -> Any:
    qs = _rems(request).order_by("-outcome", "due_on", "id")
    if status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(status__in=OPEN, due_on__lt=today())
    return qs


@router.get("/diagnostics/remediations/{remediation_id}", response={200: RemediationOut, **ERRORS})
def diagnostics_get_remediation(request: HttpRequest, remediation_id: PathId) -> Remediation:
    return get_object_or_404(_rems(request), pk=remediation_id)


@router.patch("/diagnostics/remediations/{remediation_id}", response={200: RemediationOut, 409: ErrorOut, **ERRORS},
              summary="Update status, owner, due date, exception or evidence")
def diagnostics_update_remediation(request: HttpRequest, remediation_id: PathId, body: RemediationIn) -> Status[Any]:
    acc = need(request, Perm.VULN_REMEDIATE)
    rem = get_object_or_404(_rems(request, Perm.VULN_REMEDIATE), pk=remediation_id)
    owner = None
    if body.owner_id is not None:
        owner = get_object_or_404(acc.scoped(User.objects.filter(is_active=True), Perm.VULN_VIEW, "unit"),
                                  pk=body.owner_id)
    try:
        update_remediation(request.user, rem, status=body.status, owner=owner, due_on=body.due_on,  # type: ignore[arg-type]
                           exception_expires=body.exception_expires, note=body.note,
                           expected_version=body.version, request=request)
    except ConflictError:
        return Status(409, {"detail": "the record changed since you read it", "code": "conflict"})
    except RemediationError as exc:
        return Status(422, {"detail": str(exc), "code": "invalid"})
    return Status(200, rem)
