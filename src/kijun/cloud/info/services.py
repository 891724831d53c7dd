"""Changes to information assets (格付・取扱制限, R7 §1.2), shared by the pages and the API.

Each change checks INFO_CLASSIFY in the asset's unit (old and new unit on a move), uses the
optimistic ``version``, and writes the audit entry in the same transaction. Imports are
all-or-nothing: every row is checked first (shape by the pure ``sheets`` module, units,
systems and scope here) and nothing is written when any row is bad, so a half-applied
spreadsheet can never leave the list in a state nobody saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from kijun.classification.guide import GuideResult, GuideTree, load_guide, walk
from kijun.classification.restrictions import RestrictionVocabulary, VocabularyError, vocabulary_from_data
from kijun.core import audit
from kijun.core.models import OrgUnit, User
from kijun.core.permissions import access_for
from kijun.core.roles import Perm
from kijun.core.services import ConflictError, PermissionDeniedError

from ..models import InformationAsset, InformationSystem, RestrictionVocabularyDoc
from ..services import engine
from ..sheets import ASSET_ALIASES, ASSET_DERIVED, ASSET_REQUIRED, RowError, asset_rows, headers
from ..tabular import Table, csv_bytes, read_table, xlsx_bytes

ASSET_FIELDS = ("code", "name", "description", "org_unit", "confidentiality", "integrity", "availability",
                "handling_restrictions", "restriction_conditions")


def vocabulary() -> RestrictionVocabulary:
    """The restriction vocabulary the cloud engine checks requests against (one source)."""
    return engine().vocabulary


@lru_cache(maxsize=1)
def guide_tree() -> GuideTree:
    return load_guide()


# ---------------------------------------------------------------- the agency's vocabulary

def default_vocabulary_text() -> str:
    from importlib import resources

    return resources.files("kijun.classification").joinpath("data/handling_restrictions.yaml").read_text(
        encoding="utf-8")


def vocabulary_doc() -> tuple[str, RestrictionVocabularyDoc | None]:
    """The YAML in force and its record (None while the shipped vocabulary applies)."""
    row = RestrictionVocabularyDoc.objects.filter(pk=1).first()
    return (row.text, row) if row else (default_vocabulary_text(), None)


def parse_vocabulary(text: str) -> RestrictionVocabulary:
    """Validate YAML as a vocabulary (the standard's five labels must stay); VocabularyError otherwise."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise VocabularyError(f"not valid YAML: {str(exc).splitlines()[0]}") from exc
    return vocabulary_from_data(data, "vocabulary")


def save_vocabulary(actor: User, text: str, *, request: HttpRequest | None = None,
                    expected_version: int | None = None) -> RestrictionVocabularyDoc:
    """Replace the agency's labels. A label still used by a recorded asset cannot be removed
    (its records would no longer mean anything), so that is refused naming the labels."""
    if not access_for(actor).has(Perm.CLOUD_MANAGE):
        raise PermissionDeniedError(Perm.CLOUD_MANAGE.value)
    new = parse_vocabulary(text)
    codes = {i.code for i in new.items}
    with transaction.atomic():
        row = RestrictionVocabularyDoc.objects.select_for_update().filter(pk=1).first()
        if row is not None and expected_version is not None and row.version != expected_version:
            raise ConflictError("restriction_vocabulary")
        used: set[str] = set()
        for values in InformationAsset.objects.values_list("handling_restrictions", flat=True):
            used.update(values or [])
        if used - codes:
            raise VocabularyError(f"still used by information assets: {', '.join(sorted(used - codes))}")
        before = sorted(i.code for i in vocabulary().items)
        if row is None:
            row = RestrictionVocabularyDoc(pk=1, text=text, updated_by=actor)
        else:
            row.text, row.updated_by, row.version = text, actor, row.version + 1
        row.save()
        audit.record("cloud.restrictions.update", "restriction_vocabulary", row.pk, f"v{row.version}", actor=actor,
                     request=request, before={"codes": before}, after={"codes": sorted(codes), "version": row.version})
    return row


def _require(actor: User, perm: Perm, unit: OrgUnit | None) -> None:
    if not access_for(actor).has(perm, unit):
        raise PermissionDeniedError(perm.value)


def _snapshot(asset: InformationAsset, systems: list[str]) -> dict[str, Any]:
    snap = audit.snapshot(asset, ASSET_FIELDS)
    snap["systems"] = systems
    snap["derived"] = asset.flags.labels_ja()
    return snap


def save_asset(actor: User, asset: InformationAsset, systems: list[InformationSystem] | None = None, *,
               request: HttpRequest | None = None, expected_version: int | None = None,
               action: str = "", extra: dict[str, Any] | None = None,
               vocab: RestrictionVocabulary | None = None, checked: bool = False) -> InformationAsset:
    """Create or update an asset (and its system links when ``systems`` is given).

    ``checked`` skips the model validation for rows an import has already validated (shape by
    ``sheets``, id uniqueness and units by the import itself); ``vocab`` saves re-reading it per row."""
    _require(actor, Perm.INFO_CLASSIFY, asset.org_unit)
    # only codes of the vocabulary are stored, sorted and unique (labels are resolved to codes)
    asset.handling_restrictions = list((vocab or vocabulary()).resolve_all(asset.handling_restrictions))
    if not checked:
        asset.full_clean(exclude=["systems", "guide_answers", "classified_by"])
    with transaction.atomic():
        before = None
        if asset.pk:
            current = InformationAsset.objects.select_for_update().get(pk=asset.pk)
            _require(actor, Perm.INFO_CLASSIFY, current.org_unit)
            if expected_version is not None and current.version != expected_version:
                raise ConflictError("information_asset")
            before = _snapshot(current, sorted(current.systems.values_list("code", flat=True)))
            asset.version = current.version + 1
        asset.classified_by = actor
        asset.save()
        if systems is not None:
            asset.systems.set(systems)
        after = _snapshot(asset, sorted(asset.systems.values_list("code", flat=True)))
        after.update(extra or {})
        audit.record(action or ("cloud.asset.update" if before else "cloud.asset.create"), "information_asset",
                     asset.pk, str(asset), actor=actor, request=request, before=before, after=after)
    return asset


def guide_walk(answers: dict[str, bool], asset: InformationAsset | None = None) -> GuideResult:
    """Walk the shipped question tree; the asset's current levels count as the proposal, so an
    asset recorded higher than the answers support is flagged as over-classified."""
    proposed = None
    if asset is not None:
        proposed = {"confidentiality": asset.confidentiality, "integrity": asset.integrity,
                    "availability": asset.availability}
    return walk(guide_tree(), answers, proposed)


def apply_guide(actor: User, asset: InformationAsset, answers: dict[str, bool], *,
                request: HttpRequest | None = None, expected_version: int | None = None) -> GuideResult:
    """Set the asset's levels from a complete walk (re-walked here: the client's levels are never trusted)."""
    result = guide_walk(answers, asset)
    if result.classification is None:
        raise ValueError(f"the questions are not all answered (next: {result.pending})")
    c = result.classification
    asset.confidentiality, asset.integrity, asset.availability = (int(c.confidentiality), int(c.integrity),
                                                                  int(c.availability))
    asset.guide_answers = {k: answers[k] for k in (s.question_id for s in result.steps)}
    save_asset(actor, asset, request=request, expected_version=expected_version, action="cloud.asset.classify",
               extra={"guide_answers": asset.guide_answers,
                      "warnings": [w.code for w in result.warnings]})
    return result


# ---------------------------------------------------------------- export / import

DERIVED_KEYS = ("confidential", "integrity_critical", "availability_critical", "protected")


def export_rows(assets: QuerySet[InformationAsset], *, japanese: bool) -> tuple[list[str], list[list[Any]]]:
    """Rows of the asset list. CSV uses the stable field names as headers (for scripts), XLSX the
    Japanese ones (for people); the import reads either. The derived groups come last and are
    never read back."""
    vocab = vocabulary()
    rows: list[list[Any]] = []
    for a in assets.select_related("org_unit").prefetch_related("systems").order_by("code"):
        f = a.flags
        on = (f.confidential, f.integrity_critical, f.availability_critical, f.protected)
        rows.append([a.code, a.name, a.description, a.org_unit.code, a.confidentiality, a.integrity, a.availability,
                     "; ".join((vocab.get(x).name_ja if japanese else x) for x in a.handling_restrictions),
                     a.restriction_conditions, "; ".join(s.code for s in a.systems.all()),
                     *(("○" if x else "") if japanese else ("yes" if x else "no") for x in on)])
    if japanese:
        return [*headers(ASSET_ALIASES), *ASSET_DERIVED], rows
    return [*ASSET_ALIASES, *DERIVED_KEYS], rows


def export_csv(assets: QuerySet[InformationAsset]) -> bytes:
    return csv_bytes(*export_rows(assets, japanese=False))


def export_xlsx(assets: QuerySet[InformationAsset]) -> bytes:
    return xlsx_bytes("情報資産", *export_rows(assets, japanese=True))


@dataclass
class ImportOutcome:
    """What an import did: nothing at all when ``errors`` is not empty."""

    source: str
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _unit_lookup() -> dict[str, OrgUnit]:
    """Units by code and by name (case-insensitive); scope is checked separately."""
    out: dict[str, OrgUnit] = {}
    for u in OrgUnit.objects.all():
        out.setdefault(u.code.casefold(), u)
        out.setdefault(u.name.casefold(), u)
    return out


def parse_assets(data: bytes, source: str) -> Table:
    return read_table(data, source, ASSET_ALIASES, ASSET_REQUIRED)


def import_assets(actor: User, table: Table, *, request: HttpRequest | None = None) -> ImportOutcome:
    """Create or update assets by code; all rows or none (see the module docstring)."""
    acc = access_for(actor)
    if not acc.has(Perm.INFO_CLASSIFY):
        raise PermissionDeniedError(Perm.INFO_CLASSIFY.value)
    vocab = vocabulary()
    rows, errors = asset_rows(table, vocab)
    out = ImportOutcome(source=table.source, rows=len(table.rows), errors=list(errors))
    units = _unit_lookup()
    allowed = set(acc.units(Perm.INFO_CLASSIFY).values_list("pk", flat=True))
    visible = acc.scoped(InformationSystem.objects.all(), Perm.CLOUD_VIEW, "org_unit")
    systems = {s.code.casefold(): s for s in visible}
    existing = {a.code.casefold(): a for a in InformationAsset.objects.filter(
        code__in=[r.code for r in rows]).select_related("org_unit").prefetch_related("systems")}
    plan: list[tuple[Any, OrgUnit, list[InformationSystem]]] = []
    for r in rows:
        unit = units.get(r.org_unit.casefold())
        row_errors: list[RowError] = []
        if unit is None:
            row_errors.append(RowError(row=r.row, field="org_unit", value=r.org_unit, message="no such unit"))
        elif unit.pk not in allowed:
            row_errors.append(RowError(row=r.row, field="org_unit", value=r.org_unit,
                                       message="outside the units you may classify for"))
        old = existing.get(r.code.casefold())
        if old is not None and old.org_unit_id not in allowed:
            row_errors.append(RowError(row=r.row, field="code", value=r.code,
                                       message="an asset of a unit you may not classify for has this id"))
        linked = []
        for code in r.systems:
            sys_ = systems.get(code.casefold())
            if sys_ is None:
                row_errors.append(RowError(row=r.row, field="systems", value=code, message="no such system in your scope"))
            else:
                linked.append(sys_)
        if row_errors:
            out.errors.extend(row_errors)
        elif unit is not None:
            plan.append((r, unit, linked))
    out.errors.sort(key=lambda e: (e.row, e.field))
    if out.errors:
        return out
    with transaction.atomic():
        for r, unit, linked in plan:
            old = existing.get(r.code.casefold())
            asset = old or InformationAsset(code=r.code)
            values = {"name": r.name, "description": r.description, "org_unit": unit,
                      "confidentiality": r.confidentiality, "integrity": r.integrity,
                      "availability": r.availability, "handling_restrictions": list(r.handling_restrictions),
                      "restriction_conditions": r.restriction_conditions}
            same = old is not None and all(getattr(old, k) == v for k, v in values.items()) and \
                sorted(s.pk for s in old.systems.all()) == sorted(s.pk for s in linked)
            if same:
                out.unchanged.append(r.code)
                continue
            for k, v in values.items():
                setattr(asset, k, v)
            save_asset(actor, asset, linked, request=request, vocab=vocab, checked=True,
                       action="cloud.asset.import_update" if old else "cloud.asset.import_create",
                       extra={"source": table.source, "row": r.row})
            (out.updated if old else out.created).append(r.code)
        audit.record("cloud.asset.import", "information_asset_import", "", table.source[:300], actor=actor,
                     request=request, after={"rows": out.rows, "created": len(out.created),
                                             "updated": len(out.updated), "unchanged": len(out.unchanged)})
    return out


def search(qs: QuerySet[InformationAsset], params: dict[str, str]) -> QuerySet[InformationAsset]:
    """Filters shared by the list page, the exports and the API (q, unit, c, i, a, flag, restriction, system)."""
    q = params.get("q", "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(description__icontains=q))
    if params.get("unit", "").isdigit():
        qs = qs.filter(org_unit_id=int(params["unit"]))
    for key, fld in (("c", "confidentiality"), ("i", "integrity"), ("a", "availability")):
        if params.get(key, "").isdigit():
            qs = qs.filter(**{fld: int(params[key])})
    flag = params.get("flag", "")
    if flag == "confidential":
        qs = qs.filter(confidentiality__gte=2)
    elif flag == "integrity_critical":
        qs = qs.filter(integrity=2)
    elif flag == "availability_critical":
        qs = qs.filter(availability=2)
    elif flag == "protected":
        qs = qs.filter(Q(confidentiality__gte=2) | Q(integrity=2) | Q(availability=2))
    restriction = params.get("restriction", "")
    if restriction:
        # a JSON list: filtered here because SQLite has no JSON "contains" (PostgreSQL would)
        ids = [pk for pk, codes in qs.values_list("pk", "handling_restrictions") if restriction in (codes or [])]
        qs = qs.filter(pk__in=ids)
    if params.get("system", "").isdigit():
        qs = qs.filter(systems__pk=int(params["system"]))
    return qs
