"""Demo data for the cloud app: two ledger entries and a few information assets with their
classification and handling restrictions, so the ledger, the asset list, the helper and the
use-application form have something to show at once. Idempotent: only what is missing is
created (and audited); nothing here is real agency data."""

from __future__ import annotations

from django.db import transaction

from kijun.core import audit
from kijun.core.models import OrgUnit, User

from .models import InformationAsset, InformationSystem

SYSTEMS = [
    # ledger id, name, unit, owner, class, impact, internet-facing, citizen-facing, components, cloud services
    ("demo-sys-apply", "補助金申請受付システム", "demo-policy-planning", "sysowner", "B", "medium", True, True,
     "Webサーバ\nデータベース", "合成ストレージ"),
    ("demo-sys-docs", "文書管理システム", "demo-it-division", "sysowner", "B", "low", False, False,
     "文書管理サーバ", ""),
]
ASSETS = [
    # id, name, unit, C, I, A, restrictions, conditions, systems
    ("demo-info-applications", "補助金申請書類", "demo-policy-planning", 2, 2, 1, ["encryption_required"],
     "申請者の個人情報を含むため、保存時は暗号化する。", ["demo-sys-apply"]),
    ("demo-info-press", "報道発表資料（公表後）", "demo-policy-planning", 1, 1, 1, [], "", []),
    ("demo-info-personnel", "人事評価記録", "demo-general-affairs", 2, 2, 2, ["no_copy", "no_removal", "need_to_know"],
     "人事担当者以外は閲覧しない。庁外への持出しは禁止。", ["demo-sys-docs"]),
]


def load_demo(units: dict[str, OrgUnit]) -> None:
    with transaction.atomic():
        for code, name, unit, owner, cls, impact, internet, citizen, components, services in SYSTEMS:
            if unit not in units or InformationSystem.objects.filter(code=code).exists():
                continue
            s = InformationSystem.objects.create(
                code=code, name=name, org_unit=units[unit], owner=User.objects.filter(username=owner).first(),
                system_class=cls, business_impact=impact, internet_facing=internet, citizen_facing=citizen,
                components=components, cloud_services=services)
            audit.record("cloud.system.create", "information_system", s.pk, str(s), actor_label="demo-loader",
                         after={"code": code, "system_class": cls})
        for code, name, unit, c, i, a, restrictions, conditions, systems in ASSETS:
            if unit not in units or InformationAsset.objects.filter(code=code).exists():
                continue
            asset = InformationAsset.objects.create(
                code=code, name=name, org_unit=units[unit], confidentiality=c, integrity=i, availability=a,
                handling_restrictions=sorted(restrictions), restriction_conditions=conditions)
            asset.systems.set(InformationSystem.objects.filter(code__in=systems))
            audit.record("cloud.asset.create", "information_asset", asset.pk, str(asset), actor_label="demo-loader",
                         after={"code": code, "levels": asset.short, "derived": asset.flags.labels_ja()})
