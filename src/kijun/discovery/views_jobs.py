"""Pages around background scans: the progress fragment polled by htmx, and scans of log files
that already sit in the administrator's log directory on the server."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kijun.core.decorators import require_perm
from kijun.core.permissions import access_for
from kijun.core.roles import Perm

from . import services, store
from .forms import DirectoryScanForm
from .logdir import LogDirError, LogFile
from .model import DiscoveryError
from .models import Scan
from .views import duplicate_message

PAGE_SIZE = 100


@require_perm(Perm.DISCOVERY_VIEW)
def discovery_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress panel alone; once the scan has ended, htmx is told to reload the whole page."""
    services.reap_stale()
    scan_obj = get_object_or_404(
        access_for(request.user).scoped(Scan.objects.defer("report"), Perm.DISCOVERY_VIEW, "unit"), pk=pk)
    resp = render(request, "discovery/_progress.html", {"scan": scan_obj})
    if not scan_obj.active and request.headers.get("HX-Request"):
        resp["HX-Refresh"] = "true"
    return resp


def _listing(directory: str | None) -> tuple[list[LogFile], str]:
    if not directory:
        return [], ""
    try:
        return services.listing(directory), ""
    except LogDirError as exc:
        return [], str(exc)


@require_perm(Perm.DISCOVERY_RUN)
def discovery_files(request: HttpRequest) -> HttpResponse:
    """List the log directory (name, size, date) and scan the files ticked."""
    acc = access_for(request.user)
    directory = services.log_dir()
    cloud = store.cloud_register_source() is not None
    files, dir_error = _listing(directory)
    ctx: dict[str, Any] = {"directory": directory, "dir_error": dir_error, "max_files": store.MAX_FILES}
    status = 200
    chosen: list[str] = []
    if request.method == "POST" and directory:
        form = DirectoryScanForm(request.POST, units=acc.units(Perm.DISCOVERY_RUN), cloud=cloud)
        chosen = request.POST.getlist("files")
        if not chosen:
            form.add_error(None, _("Choose at least one log file."))
        if form.is_valid():
            d = form.cleaned_data
            try:
                obj = services.submit_directory(
                    request.user, d["unit"], chosen, fmt=d["format"], title=d["title"],
                    use_cloud_register=d["register_source"] == "cloud", window=services.Window(*d["window"]),
                    force=d["rescan"], request=request, nss_template=d["nss_template"])
            except LogDirError as exc:
                form.add_error(None, _("Not a file of the log directory: %(error)s") % {"error": exc})
                status = 422
            except services.DuplicateScan as exc:
                form.add_error(None, duplicate_message(exc))
                ctx["duplicate"] = exc.existing
                status = 409
            except DiscoveryError as exc:
                form.add_error(None, str(exc))
                status = 422
            else:
                messages.success(request, _("Scan started.") if obj.active else _("Scan completed."))
                return redirect("discovery_scan", pk=obj.pk)
        elif status == 200:
            status = 400
    else:
        form = DirectoryScanForm(units=acc.units(Perm.DISCOVERY_RUN), cloud=cloud,
                                 own_unit_id=getattr(request.user, "unit_id", None))
    page = Paginator(files, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "discovery/files.html", {**ctx, "form": form, "page": page, "chosen": set(chosen)},
                  status=status)
