"""Access-control routes in the permission matrix (tests/core/test_permission_matrix.py), plus the
helpers that create the objects the matrix names (inside and outside the matrix users' scope)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kijun.core.roles import Perm
from tests.matrix import ObjectRef, Route

INSIDE_UNIT, OUTSIDE_UNIT = "demo-policy-planning", "demo-it-division"


def policy_set(demo: dict[str, Any], where: str) -> Any:
    from kijun.access.models import PolicySet
    from kijun.access.services import publish_unchecked, seed_set

    unit = demo["units"][INSIDE_UNIT if where == "inside" else OUTSIDE_UNIT]
    code = f"matrix-{where}"
    pset = PolicySet.objects.filter(code=code).first()
    if pset is None:
        pset = seed_set(None, name=f"Matrix {where}", code=code, unit=unit, actor_label="test")
        publish_unchecked(None, pset, actor_label="test")
    return pset


def set_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    return {"set_id" if api else "pk": policy_set(demo, where).pk}


def rule_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    pset = policy_set(demo, where)
    return {"pk": pset.pk, "rule_pk": pset.rules.first().pk}


def resource_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    from kijun.access.models import ProtectedResource

    pset = policy_set(demo, where)
    res, _ = ProtectedResource.objects.get_or_create(policy_set=pset, resource_id="matrix-res",
                                                     defaults={"name": "Matrix resource"})
    return {"pk": pset.pk, "res_pk": res.pk}


def revision_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    return {"pk": policy_set(demo, where).revisions.first().pk}


def log_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    from kijun.access.models import DecisionLogEntry

    pset = policy_set(demo, where)
    entry, _ = DecisionLogEntry.objects.get_or_create(
        policy_set=pset, decision_id=f"matrix-{where}",
        defaults={"timestamp": timezone.now() - dt.timedelta(minutes=1), "decision": "deny",
                  "principal": "hmac:" + "0" * 32, "record": {}})
    return {"pk": entry.pk}


def bundle_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    policy_set(demo, "inside")  # the matrix query names the inside set; it must be published
    return {}


OBJECTS = {
    "access_set": ObjectRef(set_kwargs),
    "access_rule": ObjectRef(rule_kwargs),
    "access_resource": ObjectRef(resource_kwargs),
    "access_revision": ObjectRef(revision_kwargs),
    "access_log": ObjectRef(log_kwargs),
    # the bundle URL names the set in its query; the object only makes sure it exists
    "access_bundle": ObjectRef(bundle_kwargs, scoped=False),
}

UI_ROUTES = [
    Route("access_index", Perm.ACCESS_VIEW),
    Route("access_set_new", Perm.ACCESS_MANAGE),
    Route("access_set_detail", Perm.ACCESS_VIEW, "access_set"),
    Route("access_set_edit", Perm.ACCESS_MANAGE, "access_set"),
    Route("access_set_cedar", Perm.ACCESS_VIEW, "access_set"),
    Route("access_set_test", Perm.ACCESS_VIEW, "access_set"),
    Route("access_rule_new", Perm.ACCESS_MANAGE, "access_set"),
    Route("access_rules_export", Perm.ACCESS_VIEW, "access_set"),
    Route("access_rules_import", Perm.ACCESS_MANAGE, "access_set"),
    Route("access_rule_edit", Perm.ACCESS_MANAGE, "access_rule"),
    Route("access_resource_new", Perm.ACCESS_MANAGE, "access_set"),
    Route("access_resource_edit", Perm.ACCESS_MANAGE, "access_resource"),
    Route("access_token_new", Perm.ACCESS_MANAGE, "access_set"),
    Route("access_revision_detail", Perm.ACCESS_VIEW, "access_revision"),
    Route("access_revision_download", Perm.ACCESS_VIEW, "access_revision"),
    Route("access_public_key", Perm.ACCESS_VIEW),
    Route("access_log_list", Perm.ACCESS_VIEW),
    Route("access_log_export", Perm.ACCESS_VIEW, query="decision=deny"),
    Route("access_log_detail", Perm.ACCESS_VIEW, "access_log"),
]

API_ROUTES = [
    Route("access_list_policy_sets", Perm.ACCESS_VIEW, anon=401),
    Route("access_get_policy_set", Perm.ACCESS_VIEW, "access_set", anon=401),
    Route("access_list_revisions", Perm.ACCESS_VIEW, "access_set", anon=401),
    Route("access_bundle", Perm.ACCESS_VIEW, "access_bundle", anon=401, query="policy_set=matrix-inside"),
    Route("access_list_decision_logs", Perm.ACCESS_VIEW, anon=401, query="decision=deny"),
]

EXEMPT = {
    "access_set_review": "POST only (tests/access/test_web.py: review)",
    "access_set_publish": "POST only (tests/access/test_web.py: publish, conflict, IDOR)",
    "access_rule_preview": "POST only, htmx fragment (tests/access/test_web.py: preview)",
    "access_rule_delete": "POST only (tests/access/test_web.py: delete)",
    "access_resource_delete": "POST only (tests/access/test_web.py: resources)",
    "access_token_revoke": "POST only (tests/access/test_web_api.py: revoked token)",
}
