"""Demo data for access control: the ministry's policy set seeded from the default rules, a few
named resources, and a first published (signed) revision, so the pages and a PDP have something
to show at once. Idempotent: only what is missing is created (and audited)."""

from __future__ import annotations

from kijun.core import audit
from kijun.core.models import OrgUnit

from .models import PolicySet, ProtectedResource
from .services import publish_unchecked, seed_set

DEMO_CODE = "demo-ministry-access"
RESOURCES = [
    # resource id, name, URL prefix, C, I, A, handling, owning unit
    ("personnel-records", "人事記録", "/personnel/", 3, 2, 2, ["no_takeout", "no_copy"], "demo-general-affairs"),
    ("policy-drafts", "政策立案資料", "/drafts/", 2, 2, 1, [], "demo-policy-planning"),
    ("intranet-portal", "庁内ポータル", "/portal/", 1, 1, 1, [], "demo-secretariat"),
]


def load_demo(units: dict[str, OrgUnit]) -> None:
    root = units.get("demo-ministry")
    if root is None:
        return
    pset = PolicySet.objects.filter(code=DEMO_CODE).first()
    if pset is None:
        pset = seed_set(None, name="デモ省 動的アクセス制御方針", code=DEMO_CODE, unit=root,
                        description="標準由来の既定ルールから作成したデモの方針（要見直し）",
                        actor_label="demo-loader")
    for rid, name, prefix, c, i, a, handling, owner in RESOURCES:
        if not ProtectedResource.objects.filter(policy_set=pset, resource_id=rid).exists():
            res = ProtectedResource.objects.create(policy_set=pset, resource_id=rid, name=name, path_prefix=prefix,
                                                   confidentiality=c, integrity=i, availability=a,
                                                   handling=handling, owner_unit=owner)
            audit.record("access.resource.create", "access_resource", res.pk, f"{pset.code}:{rid}",
                         actor_label="demo-loader", after={"resource_id": rid, "confidentiality": c})
    if not pset.revisions.exists():
        publish_unchecked(None, pset, note="デモの初回公開", actor_label="demo-loader")
