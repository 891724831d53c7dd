"""Cloud routes in the permission matrix (tests/core/test_permission_matrix.py)."""

from __future__ import annotations

from kijun.core.roles import Perm
from tests.matrix import ObjectRef, Route

from .web_helpers import (
    application_kwargs,
    asset_kwargs,
    evidence_kwargs,
    ismap_import_kwargs,
    register_kwargs,
    system_kwargs,
)

OBJECTS = {
    "cloud_system": ObjectRef(system_kwargs),
    "cloud_application": ObjectRef(application_kwargs),
    "cloud_asset": ObjectRef(asset_kwargs),
    # the ISMAP list is public and agency-wide: no inside/outside
    "cloud_ismap_import": ObjectRef(ismap_import_kwargs, scoped=False),
    # the register is agency-wide: no inside/outside
    "cloud_register": ObjectRef(register_kwargs, scoped=False),
    # evidence of the agency-wide register's checklist: no inside/outside
    "cloud_evidence": ObjectRef(evidence_kwargs, scoped=False),
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
    Route("cloud_system_export", Perm.CLOUD_VIEW, query="format=xlsx"),
    Route("cloud_system_import", Perm.CLOUD_MANAGE),
    Route("cloud_system_standard", Perm.CLOUD_VIEW),
    Route("cloud_asset_list", Perm.CLOUD_VIEW),
    Route("cloud_asset_list", Perm.CLOUD_VIEW, query="flag=confidential&c=2&restriction=no_copy&q=x"),
    Route("cloud_asset_export", Perm.CLOUD_VIEW, query="format=xlsx"),
    Route("cloud_asset_export", Perm.CLOUD_VIEW, query="format=csv"),
    Route("cloud_asset_import", Perm.INFO_CLASSIFY),
    Route("cloud_asset_new", Perm.INFO_CLASSIFY),
    Route("cloud_asset_detail", Perm.CLOUD_VIEW, "cloud_asset"),
    Route("cloud_asset_edit", Perm.INFO_CLASSIFY, "cloud_asset"),
    Route("cloud_guide", Perm.CLOUD_VIEW),
    Route("cloud_restrictions", Perm.CLOUD_VIEW),
    Route("cloud_evidence_download", Perm.CLOUD_VIEW, "cloud_evidence"),
    Route("cloud_guide", Perm.CLOUD_VIEW, query="a_c_secret_document=no&a_c_non_disclosure=yes"),
]

API_ROUTES = [
    Route("cloud_list_systems", Perm.CLOUD_VIEW, anon=401),
    Route("cloud_get_system", Perm.CLOUD_VIEW, "cloud_system", anon=401),
    Route("cloud_list_applications", Perm.CLOUD_VIEW, anon=401),
    Route("cloud_get_application", Perm.CLOUD_VIEW, "cloud_application", anon=401),
    Route("cloud_list_register", Perm.CLOUD_VIEW, anon=401),
    Route("cloud_export_register", Perm.CLOUD_VIEW, anon=401, query="format=csv"),
    Route("cloud_list_assets", Perm.CLOUD_VIEW, anon=401),
    Route("cloud_list_assets", Perm.CLOUD_VIEW, anon=401, query="flag=protected&restriction=no_copy"),
    Route("cloud_export_assets", Perm.CLOUD_VIEW, anon=401, query="format=xlsx"),
    Route("cloud_get_asset", Perm.CLOUD_VIEW, "cloud_asset", anon=401),
    Route("cloud_get_standard", Perm.CLOUD_VIEW, anon=401),
    Route("cloud_get_restrictions", Perm.CLOUD_VIEW, anon=401),
    Route("cloud_export_systems", Perm.CLOUD_VIEW, anon=401, query="format=xlsx"),
]

EXEMPT = {
    "cloud_lifecycle_owner": "POST only (tests/cloud/test_duties.py: assign, scope, audit)",
    "cloud_application_edit": "the applicant's own drafts only (tests/cloud/test_drafts.py: edit, other user 404)",
    "cloud_application_submit": "POST only, own drafts (tests/cloud/test_drafts.py)",
    "cloud_application_withdraw": "POST only, own applications (tests/cloud/test_drafts.py)",
    "cloud_asset_apply_guide": "POST only (tests/cloud/test_assets.py: apply the helper's result, scope)",
    "cloud_lifecycle_complete": "POST only (tests/cloud/test_web.py: lifecycle checklist)",
    "cloud_application_decide": "POST only (tests/cloud/test_web.py: approve, reject, self-approval, scope)",
}
