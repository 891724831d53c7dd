"""Cloud routes in the permission matrix (tests/core/test_permission_matrix.py)."""

from __future__ import annotations

from kijun.core.roles import Perm
from tests.matrix import ObjectRef, Route

from .web_helpers import application_kwargs, ismap_import_kwargs, register_kwargs, system_kwargs

OBJECTS = {
    "cloud_system": ObjectRef(system_kwargs),
    "cloud_application": ObjectRef(application_kwargs),
    # the ISMAP list is public and agency-wide: no inside/outside
    "cloud_ismap_import": ObjectRef(ismap_import_kwargs, scoped=False),
    # the register is agency-wide: no inside/outside
    "cloud_register": ObjectRef(register_kwargs, scoped=False),
}

UI_ROUTES = [
    Route("cloud_index", Perm.CLOUD_VIEW),
    Route("cloud_register_export", Perm.CLOUD_VIEW, query="format=yaml"),
    Route("cloud_register_detail", Perm.CLOUD_VIEW, "cloud_register"),
    Route("cloud_system_list", Perm.CLOUD_VIEW),
    Route("cloud_system_export", Perm.CLOUD_VIEW),
    Route("cloud_system_new", Perm.CLOUD_MANAGE),
    Route("cloud_system_detail", Perm.CLOUD_VIEW, "cloud_system"),
    Route("cloud_system_edit", Perm.CLOUD_MANAGE, "cloud_system"),
    Route("cloud_application_list", Perm.CLOUD_VIEW),
    Route("cloud_application_new", Perm.CLOUD_APPLY),
    Route("cloud_application_detail", Perm.CLOUD_VIEW, "cloud_application"),
    Route("cloud_ismap", Perm.CLOUD_VIEW),
    Route("cloud_ismap_upload", Perm.CLOUD_MANAGE),
    Route("cloud_ismap_import", Perm.CLOUD_VIEW, "cloud_ismap_import"),
]

API_ROUTES = [
    Route("cloud_list_systems", Perm.CLOUD_VIEW, anon=401),
    Route("cloud_get_system", Perm.CLOUD_VIEW, "cloud_system", anon=401),
    Route("cloud_list_applications", Perm.CLOUD_VIEW, anon=401),
    Route("cloud_get_application", Perm.CLOUD_VIEW, "cloud_application", anon=401),
    Route("cloud_list_register", Perm.CLOUD_VIEW, anon=401),
    Route("cloud_export_register", Perm.CLOUD_VIEW, anon=401, query="format=csv"),
]

EXEMPT = {
    "cloud_lifecycle_complete": "POST only (tests/cloud/test_web.py: lifecycle checklist)",
    "cloud_application_decide": "POST only (tests/cloud/test_web.py: approve, reject, self-approval, scope)",
}
