"""Pages for lifecycle duty owners and evidence files (the checklist itself is register_detail)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kijun.core.decorators import require_perm
from kijun.core.models import User
from kijun.core.permissions import access_for
from kijun.core.roles import Perm

from ..models import LifecycleEvidence, LifecycleItem
from .services import assign_owner, evidence_path


@require_POST
@require_perm(Perm.CLOUD_MANAGE)
def cloud_lifecycle_owner(request: HttpRequest, pk: int) -> HttpResponse:
    # nosemgrep: kijun-unscoped-queryset-in-view -- checklist of the agency-wide register; CLOUD_MANAGE checked
    item = get_object_or_404(LifecycleItem.objects.all(), pk=pk)
    raw = request.POST.get("owner", "")
    owner = None
    if raw.isdigit():
        people = access_for(request.user).scoped(User.objects.filter(is_active=True), Perm.CLOUD_VIEW, "unit")
        owner = people.filter(pk=int(raw)).first()
        if owner is None:
            messages.error(request, _("Choose a person in your scope."))
            return redirect("cloud_register_detail", pk=item.entry_id)
    assign_owner(request.user, item, owner, request=request)  # type: ignore[arg-type]
    messages.success(request, _("Owner recorded."))
    return redirect("cloud_register_detail", pk=item.entry_id)


@require_perm(Perm.CLOUD_VIEW)
def cloud_evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Served only as an attachment with a neutral type, never rendered inline."""
    # nosemgrep: kijun-unscoped-queryset-in-view -- evidence of the agency-wide register; CLOUD_VIEW checked
    ev = get_object_or_404(LifecycleEvidence.objects.all(), pk=pk)
    try:
        data = evidence_path(ev).read_bytes()   # bounded by the upload limit; no open handle is left behind
    except FileNotFoundError as exc:
        raise Http404("evidence file missing") from exc
    resp = HttpResponse(data, content_type="application/octet-stream")
    resp["Content-Disposition"] = content_disposition_header(True, ev.display_name) or "attachment"
    resp["X-Content-Type-Options"] = "nosniff"
    return resp
