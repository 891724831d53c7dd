"""The system ledger's agency-defined parts: the classification standard (R7 5.1.1(1)(a)),
the class a system should have by it (5.1.1(3)(a), 5.2.1(2)(a)), and ledger import/export.

The standard is YAML validated by the pure engine (classification.system_class); until an
agency edits it the shipped default applies. Imports are all-or-nothing like the asset
import (cloud.info.services): every row is checked, nothing is written when one is bad.
"""

from __future__ import annotations

from typing import Any

import yaml
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from kijun.classification.levels import Classification
from kijun.classification.system_class import (
    ClassificationStandard,
    SystemClassError,
    SystemClassResult,
    SystemProfile,
    classify_system,
    load_standard,
    standard_from_data,
)
from kijun.core import audit
from kijun.core.models import OrgUnit, User
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.services import ConflictError, PermissionDeniedError

from ..info.services import ImportOutcome
from ..models import InformationSystem, SystemClassStandard
from ..services import save_system
from ..sheets import LEDGER_ALIASES, LEDGER_REQUIRED, RowError, headers, ledger_rows
from ..tabular import Table, csv_bytes, read_table, xlsx_bytes


def default_text() -> str:
    from importlib import resources

    return resources.files("kijun.classification").joinpath("data/system_classes.yaml").read_text(encoding="utf-8")


def current_standard() -> tuple[ClassificationStandard, SystemClassStandard | None]:
    """The agency's edited standard, or the shipped default (with None as its record)."""
    row = SystemClassStandard.objects.filter(pk=1).first()
    if row is None:
        return load_standard(), None
    return standard_from_data(yaml.safe_load(row.text), "agency standard"), row


def class_choices(standard: ClassificationStandard, ja: bool = True) -> list[tuple[str, str]]:
    return [(c.id, c.name_ja if ja else c.name_en) for c in standard.classes]


def parse_standard(text: str) -> ClassificationStandard:
    """Validate YAML text as a standard; SystemClassError with a one-line reason otherwise."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SystemClassError(f"not valid YAML: {str(exc).splitlines()[0]}") from exc
    return standard_from_data(data, "standard")


def save_standard(actor: User, text: str, *, request: HttpRequest | None = None,
                  expected_version: int | None = None) -> SystemClassStandard:
    """Replace the agency's standard (agency-wide: CLOUD_MANAGE at the top unit it is granted)."""
    if not access_for(actor).has(Perm.CLOUD_MANAGE):
        raise PermissionDeniedError(Perm.CLOUD_MANAGE.value)
    new = parse_standard(text)
    with transaction.atomic():
        row = SystemClassStandard.objects.select_for_update().filter(pk=1).first()
        if row is not None and expected_version is not None and row.version != expected_version:
            raise ConflictError("system_class_standard")
        before_ids = [c.id for c in (current_standard()[0].classes)]
        if row is None:
            row = SystemClassStandard(pk=1, text=text, updated_by=actor)
        else:
            row.text, row.updated_by, row.version = text, actor, row.version + 1
        row.save()
        audit.record("cloud.system_standard.update", "system_class_standard", row.pk, f"v{row.version}",
                     actor=actor, request=request, before={"classes": before_ids},
                     after={"classes": [c.id for c in new.classes], "version": row.version})
    return row


def suggest_class(system: InformationSystem, standard: ClassificationStandard) -> SystemClassResult:
    """The class the standard gives for the system's linked information and its impact; with no
    linked information the lowest levels are assumed (and the page says so)."""
    infos = tuple(a.classification() for a in system.information_assets.all()) or (
        Classification.model_validate({"confidentiality": 1, "integrity": 1, "availability": 1}),)
    profile = SystemProfile(information=infos, business_impact=system.business_impact,  # type: ignore[arg-type]
                            internet_facing=system.internet_facing, citizen_facing=system.citizen_facing)
    return classify_system(standard, profile)


# ---------------------------------------------------------------- export / import

def export_rows(systems: QuerySet[InformationSystem], *, japanese: bool) -> tuple[list[str], list[list[Any]]]:
    """CSV: the stable field names as headers (as before); XLSX: the Japanese headers. Both import back."""
    rows = [[s.code, s.name, s.org_unit.code, s.owner.username if s.owner else "", s.system_class, s.description,
             "; ".join(s.component_list()), "; ".join(s.service_list()), s.business_impact,
             "yes" if s.internet_facing else "no", "yes" if s.citizen_facing else "no"]
            for s in systems.select_related("org_unit", "owner").order_by("code")]
    return (headers(LEDGER_ALIASES) if japanese else list(LEDGER_ALIASES)), rows


def export_csv(systems: QuerySet[InformationSystem]) -> bytes:
    return csv_bytes(*export_rows(systems, japanese=False))


def export_xlsx(systems: QuerySet[InformationSystem]) -> bytes:
    return xlsx_bytes("情報システム台帳", *export_rows(systems, japanese=True))


def parse_ledger(data: bytes, source: str) -> Table:
    return read_table(data, source, LEDGER_ALIASES, LEDGER_REQUIRED)


def _people() -> dict[str, User]:
    out: dict[str, User] = {}
    for u in User.objects.filter(is_active=True):
        out.setdefault(u.username.casefold(), u)
        if u.display_name:
            out.setdefault(u.display_name.casefold(), u)
    return out


def import_ledger(actor: User, table: Table, *, request: HttpRequest | None = None) -> ImportOutcome:
    """Create or update systems by ledger id; all rows or none."""
    acc = access_for(actor)
    if not acc.has(Perm.CLOUD_MANAGE):
        raise PermissionDeniedError(Perm.CLOUD_MANAGE.value)
    standard, _row = current_standard()
    rows, errors = ledger_rows(table, [c.id for c in standard.classes])
    out = ImportOutcome(source=table.source, rows=len(table.rows), errors=list(errors))
    units: dict[str, OrgUnit] = {}
    for u in OrgUnit.objects.all():
        units.setdefault(u.code.casefold(), u)
        units.setdefault(u.name.casefold(), u)
    allowed = set(acc.units(Perm.CLOUD_MANAGE).values_list("pk", flat=True))
    people = _people()
    existing = {s.code.casefold(): s for s in InformationSystem.objects.filter(code__in=[r.code for r in rows])}
    plan = []
    for r in rows:
        errs: list[RowError] = []
        unit = units.get(r.org_unit.casefold())
        if unit is None:
            errs.append(RowError(row=r.row, field="org_unit", value=r.org_unit, message="no such unit"))
        elif unit.pk not in allowed:
            errs.append(RowError(row=r.row, field="org_unit", value=r.org_unit, message="outside your scope"))
        old = existing.get(r.code.casefold())
        if old is not None and old.org_unit_id not in allowed:
            errs.append(RowError(row=r.row, field="code", value=r.code,
                                 message="a system of a unit outside your scope has this ledger id"))
        owner = None
        if r.owner:
            owner = people.get(r.owner.casefold())
            if owner is None:
                errs.append(RowError(row=r.row, field="owner", value=r.owner, message="no such active person"))
        if errs:
            out.errors.extend(errs)
        else:
            plan.append((r, unit, owner, old))
    out.errors.sort(key=lambda e: (e.row, e.field))
    if out.errors:
        return out
    with transaction.atomic():
        for r, unit, owner, old in plan:
            system = old or InformationSystem(code=r.code)
            values = {"name": r.name, "org_unit": unit, "owner": owner,
                      "system_class": r.system_class or (old.system_class if old else standard.classes[-1].id),
                      "description": r.description, "components": "\n".join(r.components),
                      "cloud_services": "\n".join(r.cloud_services), "business_impact": r.business_impact,
                      "internet_facing": r.internet_facing, "citizen_facing": r.citizen_facing}
            if old is not None and all(getattr(old, k) == v for k, v in values.items()):
                out.unchanged.append(r.code)
                continue
            for k, v in values.items():
                setattr(system, k, v)
            save_system(actor, system, request=request)
            (out.updated if old else out.created).append(r.code)
        audit.record("cloud.system.import", "information_system_import", "", table.source[:300], actor=actor,
                     request=request, after={"rows": out.rows, "created": len(out.created),
                                             "updated": len(out.updated), "unchanged": len(out.unchanged)})
    return out


def unknown_class(systems: QuerySet[InformationSystem], standard: ClassificationStandard) -> QuerySet[InformationSystem]:
    """Systems whose class is no longer in the standard (after an edit removed it)."""
    return systems.filter(~Q(system_class__in=[c.id for c in standard.classes]))
