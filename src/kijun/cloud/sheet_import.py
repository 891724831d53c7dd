"""The one upload → parse → all-or-none import page flow shared by the ledger and the asset list.

Both imports take a CSV/XLSX file through kijun.core.uploads (size checked from Content-Length before
anything is written, magic bytes, random stored name, deleted after parsing), read it into a table, and
hand it to a service that writes every row or none. Only the form, template, parser, service and the
page to return to differ, so the view logic lives here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kijun.core.uploads import UploadError, UploadPolicy, check_declared_length, iter_file, store

from .tabular import Table, TableFormatError


def sheet_policy() -> UploadPolicy:
    """Ledger and asset lists: CSV text or XLSX, at most KIJUN_CLOUD_SHEET_MAX_BYTES (default 5 MB)."""
    limit = int(getattr(settings, "KIJUN_CLOUD_SHEET_MAX_BYTES", 5 * 1024 * 1024))
    return UploadPolicy("spreadsheet", max_bytes=limit, allowed_types=frozenset({"text", "zip"}),
                        max_unpacked_bytes=100 * 1024 * 1024)


def read_sheet(upload: Any) -> tuple[bytes, str]:
    """Store an uploaded sheet under the sheet policy (streamed limit, magic bytes, bomb check, random
    name), read it back and delete it; returns the bytes and the sanitised display name."""
    policy = sheet_policy()
    with upload.open("rb") as fh:
        stored = store(iter_file(fh), policy, settings.DATA_DIR / "uploads" / "cloud", upload.name or "")
    try:
        return stored.path.read_bytes(), stored.display_name or "upload"
    finally:
        stored.path.unlink(missing_ok=True)


def sheet_import_view(request: HttpRequest, *, form_class: type[forms.Form], template: str,
                      parse: Callable[[bytes, str], Table], do_import: Callable[..., Any],
                      done_url: str) -> HttpResponse:
    """GET: the form. POST: store, parse and import; on any bad row show every error and write nothing."""
    policy = sheet_policy()
    ctx: dict[str, object] = {"max_bytes": policy.max_bytes}
    status = 200
    if request.method != "POST":
        ctx["form"] = form_class()
        return render(request, template, ctx)
    try:
        check_declared_length(request.META.get("CONTENT_LENGTH"), policy)
    except UploadError as exc:
        ctx.update(form=form_class(), upload_error=_("The file is too large (at most %(n)s bytes).")
                   % {"n": policy.max_bytes})
        return render(request, template, ctx, status=exc.status)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = parse(*read_sheet(upload))
            outcome = do_import(request.user, table, request=request)
        except UploadError as exc:
            form.add_error("file", str(exc))
            status = exc.status
        except TableFormatError as exc:
            form.add_error("file", str(exc))
            status = 400
        else:
            if outcome.ok:
                messages.success(request, _("Imported: %(c)s new, %(u)s updated, %(n)s unchanged.")
                                 % {"c": len(outcome.created), "u": len(outcome.updated),
                                    "n": len(outcome.unchanged)})
                return redirect(done_url)
            ctx["outcome"] = outcome
            status = 400
    ctx["form"] = form
    return render(request, template, ctx, status=status)
