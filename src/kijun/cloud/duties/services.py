"""Owners and evidence files of lifecycle duties (R7 §4.2.2, e.g. 4.2.2(4)(a) periodic checks).

The checklist belongs to the agency-wide register, so changes need CLOUD_MANAGE (like recording a
duty done); every change is audited in its transaction. Evidence files go through
kijun.core.uploads (limit before writing, magic bytes, zip-bomb check, random names) and are only
ever served back as attachments.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from kijun.core import audit
from kijun.core.models import User
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.services import PermissionDeniedError
from kijun.core.uploads import StoredUpload, UploadPolicy

from ..models import LifecycleEvidence, LifecycleItem

MAX_FILES_PER_ITEM = 20


def evidence_policy() -> UploadPolicy:
    """Evidence: documents, images, exports (any type; served only as attachments), at most
    KIJUN_CLOUD_EVIDENCE_MAX_BYTES (default 10 MB)."""
    limit = int(getattr(settings, "KIJUN_CLOUD_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))
    return UploadPolicy("evidence file", max_bytes=limit,
                        allowed_types=frozenset({"text", "zip", "binary", "json", "xml", "gzip"}),
                        max_unpacked_bytes=100 * 1024 * 1024)


def evidence_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads" / "cloud-evidence"


def _require_manage(actor: User) -> None:
    if not access_for(actor).has(Perm.CLOUD_MANAGE):
        raise PermissionDeniedError(Perm.CLOUD_MANAGE.value)


def assign_owner(actor: User, item: LifecycleItem, owner: User | None, *,
                 request: HttpRequest | None = None) -> LifecycleItem:
    _require_manage(actor)
    with transaction.atomic():
        current = LifecycleItem.objects.select_for_update().get(pk=item.pk)
        before = {"owner": current.owner_id}
        current.owner = owner
        current.version += 1
        current.save()
        audit.record("cloud.lifecycle.assign", "lifecycle_item", current.pk, str(current), actor=actor,
                     request=request, before=before, after={"owner": owner.pk if owner else None,
                                                            "owner_name": owner.username if owner else ""})
    return current


def add_evidence(actor: User, item: LifecycleItem, stored: StoredUpload, *, note: str = "",
                 request: HttpRequest | None = None) -> LifecycleEvidence:
    """Attach a stored upload; the file is removed again when the record cannot be written."""
    _require_manage(actor)
    try:
        with transaction.atomic():
            LifecycleItem.objects.select_for_update().get(pk=item.pk)
            if LifecycleEvidence.objects.filter(item=item).count() >= MAX_FILES_PER_ITEM:
                raise ValueError(f"at most {MAX_FILES_PER_ITEM} files per duty")
            ev = LifecycleEvidence.objects.create(
                item=item, stored_name=stored.path.name, display_name=stored.display_name[:200] or "evidence",
                sha256=stored.sha256, size=stored.size, note=note[:500], uploaded_by=actor)
            audit.record("cloud.lifecycle.evidence", "lifecycle_item", item.pk, str(item), actor=actor,
                         request=request, after={"file": ev.display_name, "sha256": ev.sha256, "size": ev.size})
    except BaseException:
        stored.path.unlink(missing_ok=True)
        raise
    return ev


def evidence_path(ev: LifecycleEvidence) -> Path:
    path = evidence_dir() / ev.stored_name
    if path.parent != evidence_dir() or not ev.stored_name.isalnum():
        raise FileNotFoundError(ev.stored_name)
    return path
