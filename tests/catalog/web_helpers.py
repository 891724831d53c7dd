"""Shared helpers for the catalog's web/API tests and the permission matrix: a second organisation
(outside every matrix scope) and two small synthetic official editions stored in the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kijun.catalog.import_official import parse_official
from kijun.catalog.models import AgencyDocument, ReviewRun
from kijun.catalog.store import store_official
from kijun.core.models import OrgUnit

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OLD_TEXT = (FIXTURES / "en_sample.txt").read_text(encoding="utf-8")
#: the "next edition": 2.1.1(1)(c) and 2.1.1(2)(a) reworded, a new group 2.1.1(3) with one requirement
NEW_TEXT = (OLD_TEXT
            .replace("shall keep the record for a test period.", "shall keep the record for five years and then erase it.")
            .replace("shall report once a year.", "shall report every quarter to the head.")
            .replace("\n                                                  2\nStray",
                     "\n(3) Keeping records\n    (a) The head shall audit the records yearly.\n"
                     "                                                  2\nStray"))


def store_editions() -> tuple[str, str]:
    """Store the synthetic old and new editions as official:t1 and official:t2; return their keys."""
    for code, text in (("t1", OLD_TEXT), ("t2", NEW_TEXT)):
        store_official(parse_official(text, f"{code}.txt"), text.encode(), actor_label="test", edition=code)
    return "official:t1", "official:t2"


def other_ministry() -> OrgUnit:
    """A second organisation, outside the demo ministry (and so outside every matrix user's scope)."""
    unit = OrgUnit.objects.filter(code="other-ministry").first()
    if unit is None:
        unit = OrgUnit(code="other-ministry", name="他省", name_en="Other Ministry", kind="organisation")
        unit.save()
    return unit


def policy_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    unit = demo["units"]["demo-ministry"] if where == "inside" else other_ministry()
    return {"unit": unit.code}


def clause_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    return {**policy_kwargs(demo, where, api), "clause_id": "8.1.3(2)(b)"}


def document_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    code = "demo-policy-planning" if where == "inside" else "demo-it-division"
    doc = AgencyDocument.objects.filter(owner_unit=demo["units"][code]).first()
    if doc is None:
        doc = AgencyDocument.objects.create(title=f"文書 {where}", edition="r7", owner_unit=demo["units"][code],
                                            requirement_ids=["4.2.1"])
    return {"document_id" if api else "pk": doc.pk}


def review_kwargs(demo: dict[str, Any], where: str, api: bool) -> dict[str, Any]:
    unit = demo["units"]["demo-ministry"] if where == "inside" else other_ministry()
    from django.utils import timezone

    run = ReviewRun.objects.filter(org_unit=unit).first() or ReviewRun.objects.create(
        org_unit=unit, edition_a="catalog:r7", edition_b="catalog:r7", created_at=timezone.now())
    return {"review_id" if api else "pk": run.pk}
