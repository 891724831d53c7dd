"""Demo data for the catalog's agency side: デモ省's 対策基準 with a few tailored clauses (a parameter, an
exclusion with its reason, agency wording, an agency-specific clause) and three documents in the
register (one of them overdue for review), so the pages have something to show at once.
Idempotent: only what is missing is created, and each creation is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kijun.core import audit
from kijun.core.models import OrgUnit

from .models import AgencyDocument, PolicyClause, PolicyClauseChange, TailoredPolicy
from .store import default_catalog

CLAUSES: list[dict[str, Any]] = [
    {"clause_id": "2.3.1(1)(a)", "parameters": [
        {"id": "self-check-frequency", "label": "自己点検の実施頻度", "value": "年1回（10月）"}]},
    {"clause_id": "2.5.1(1)(a)", "status": "excluded",
     "reason": "デモ省は独立行政法人・指定法人を所管していないため適用しない。"},
    {"clause_id": "8.1.3(2)(b)", "wording_ja": "リモートアクセスでは、FIDO2認証器と端末証明書による多要素認証を必須とする。",
     "wording_en": "Remote access requires multi-factor authentication with a FIDO2 authenticator and a device "
                   "certificate."},
    {"clause_id": "DEMO-1", "is_addition": True, "anchor": "8.1.3(2)", "title": "テレワーク端末の画面ロック",
     "wording_ja": "テレワーク端末は、5分間操作がない場合に自動で画面をロックする設定とする。",
     "parameters": [{"id": "lock-minutes", "label": "自動ロックまでの時間", "value": "5分"}]},
]

DOCUMENTS: list[dict[str, Any]] = [
    {"title": "デモ省クラウドサービス利用規程", "kind": "rule", "owner": "demo-it-division",
     "ids": ["4.2.1", "4.2.2", "4.2.3"], "reviewed_days_ago": 40},
    {"title": "テレワーク実施要領", "kind": "manual", "owner": "demo-general-affairs",
     "ids": ["8.1.3", "8.1.1(4)"], "reviewed_days_ago": 120},
    {"title": "政策局 情報の格付・取扱手順", "kind": "procedure", "owner": "demo-policy-planning",
     "ids": ["3.1.1(3)", "3.1.1(4)(a)"], "reviewed_days_ago": 500},
]


def load_demo(units: dict[str, OrgUnit]) -> None:
    org = units.get("demo-ministry")
    if org is None:
        return
    edition = default_catalog().edition.code
    policy = TailoredPolicy.objects.filter(org_unit=org).first()
    if policy is None:
        policy = TailoredPolicy.objects.create(org_unit=org, edition=edition, title="デモ省情報セキュリティ対策基準",
                                               version_label="2026.1")
        audit.record("catalog.policy.create", "agency_policy", policy.pk, policy.title, actor_label="demo-loader",
                     after={"org_unit": org.code, "edition": edition})
    for spec in CLAUSES:
        if PolicyClause.objects.filter(policy=policy, clause_id=spec["clause_id"]).exists():
            continue
        row = PolicyClause.objects.create(policy=policy, **spec)
        after = {k: v for k, v in spec.items() if k != "clause_id"}
        PolicyClauseChange.objects.create(policy=policy, clause_id=row.clause_id, at=timezone.now(), actor=None,
                                          actor_label="demo-loader", action="create", before=None, after=after)
        audit.record("catalog.policy.clause.create", "policy_clause", f"{policy.pk}:{row.clause_id}",
                     f"{policy.title} {row.clause_id}", actor_label="demo-loader", after=after)
    today = timezone.localdate()
    for d in DOCUMENTS:
        owner = units.get(d["owner"])
        if owner is None or AgencyDocument.objects.filter(title=d["title"]).exists():
            continue
        doc = AgencyDocument.objects.create(title=d["title"], kind=d["kind"], edition=edition, owner_unit=owner,
                                            requirement_ids=d["ids"],
                                            last_reviewed=today - dt.timedelta(days=d["reviewed_days_ago"]))
        audit.record("catalog.document.create", "agency_document", doc.pk, doc.title, actor_label="demo-loader",
                     after={"requirement_ids": d["ids"], "edition": edition, "owner_unit": owner.code})
