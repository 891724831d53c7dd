"""Ledger pages beyond the basic list: the agency's classification standard and the import."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kijun.core.decorators import require_perm
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.services import ConflictError

from ..models import InformationSystem
from ..sheet_import import sheet_import_view
from .forms import LedgerImportForm, StandardForm
from .services import (
    current_standard,
    default_text,
    import_ledger,
    parse_ledger,
    save_standard,
    unknown_class,
)


@require_perm(Perm.CLOUD_VIEW)
def cloud_system_standard(request: HttpRequest) -> HttpResponse:
    """Show the agency's system classification standard (R7 5.1.1(1)(a)); CLOUD_MANAGE edits it."""
    acc = access_for(request.user)
    can_manage = acc.has(Perm.CLOUD_MANAGE)
    standard, row = current_standard()
    form = None
    status = 200
    if can_manage:
        form = StandardForm(request.POST or None, initial={"text": row.text if row else default_text()})
        if request.method == "POST":
            if form.is_valid():
                raw = request.POST.get("version", "")
                try:
                    save_standard(request.user, form.cleaned_data["text"], request=request,  # type: ignore[arg-type]
                                  expected_version=int(raw) if raw.isdigit() else None)
                except ConflictError:
                    form.add_error(None, _("Someone else changed this record while you were editing. "
                                           "Reload and try again."))
                else:
                    messages.success(request, _("Saved."))
                    return redirect("cloud_system_standard")
            status = 400
    elif request.method == "POST":
        return HttpResponse(status=403)
    ja = (get_language() or "ja").startswith("ja")
    classes = [{"id": c.id, "name": c.name_ja if ja else c.name_en, "default": c.default,
                "criteria": [x.describe() for x in c.any_of]} for c in standard.classes]
    stale = unknown_class(acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_VIEW, "org_unit"), standard)
    return render(request, "cloud/system_standard.html", {
        "classes": classes, "row": row, "form": form, "stale": stale[:100]}, status=status)


@require_perm(Perm.CLOUD_MANAGE)
def cloud_system_import(request: HttpRequest) -> HttpResponse:
    """CSV/XLSX ledger import: every row is checked; nothing is written when any row is bad."""
    return sheet_import_view(request, form_class=LedgerImportForm, template="cloud/system_import.html",
                             parse=parse_ledger, do_import=import_ledger, done_url="cloud_system_list")
