"""Editions, their diff, and the review worklist that follows a new edition.

Two kinds of edition can be compared: the packaged catalog (``catalog:r7`` — our data) and every
official text stored with ``kijun catalog import-official FILE --store [--edition CODE]``
(``official:r7``, ``official:r9`` …).  A review run diffs two of them (pure :mod:`.diff`), then
marks the organisation's documents that cite a changed id and the 対策基準 clauses at changed ids
(clauses the agency tailored are flagged, as their exclusion reason or wording may no longer fit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.http import HttpRequest
from django.utils import timezone

from kijun.core import audit
from kijun.core.models import OrgUnit, User
from kijun.core.roles import Perm

from .diff import Change, DiffResult, Entry, Snapshot, change_json, diff_snapshots, review_worklist
from .ids import IdError, NodeKind, kind_of, parent_of
from .models import AgencyDocument, OfficialText, PolicyClause, ReviewItem, ReviewRun
from .services import _require, policy_of, today
from .store import default_catalog
from .tailoring import TAILORABLE


class EditionError(ValueError):
    """An unknown edition key."""


@dataclass(frozen=True)
class EditionSource:
    key: str        # "catalog:r7" | "official:r9"
    code: str       # the edition code documents record ("r7")
    kind: str       # "catalog" | "official"
    nodes: int
    imported_at: Any = None


def edition_sources() -> list[EditionSource]:
    """Every edition that can be diffed: the packaged catalog, then stored official texts (newest code last)."""
    cat = default_catalog()
    out = [EditionSource(f"catalog:{cat.edition.code}", cat.edition.code, "catalog", len(cat))]
    rows = (OfficialText.objects.values("edition").annotate(n=Count("id"), at=Max("imported_at"))  # nosemgrep: kijun-unscoped-queryset-in-view -- agency-wide reference text
            .order_by("edition"))
    out += [EditionSource(f"official:{r['edition']}", r["edition"], "official", r["n"], r["at"]) for r in rows]
    return out


def edition_codes() -> list[str]:
    """Edition codes a document may record (catalog and stored official editions, deduplicated)."""
    return sorted({s.code for s in edition_sources()})


def source(key: str) -> EditionSource:
    for s in edition_sources():
        if s.key == key:
            return s
    raise EditionError(f"unknown edition {key!r}")


def snapshot(key: str) -> Snapshot:
    """The diff snapshot of one edition source (official text: from the database)."""
    src = source(key)
    if src.kind == "catalog":
        from .diff import snapshot_of_catalog

        return snapshot_of_catalog(default_catalog(), key)
    entries: dict[str, Entry] = {}
    for nid, title, text, purpose in OfficialText.objects.filter(edition=src.code).values_list(  # nosemgrep: kijun-unscoped-queryset-in-view -- agency-wide reference text
            "node_id", "title", "text", "purpose"):
        try:
            kind = kind_of(nid).value
        except IdError:
            continue
        entries[nid] = Entry(nid, kind, title, {"text": text, "purpose": purpose})
    ordered = dict(sorted(entries.items(), key=lambda kv: _order(kv[0])))
    return Snapshot(key, ordered)


def _order(nid: str) -> tuple[Any, ...]:
    from .ids import sort_key

    try:
        return (0, sort_key(nid))
    except (IdError, ValueError):
        return (1, nid)


def diff_editions(a: str, b: str) -> DiffResult:
    return diff_snapshots(snapshot(a), snapshot(b))


def clause_targets(res: DiffResult) -> dict[str, list[Change]]:
    """対策基準 clauses hit by a diff: changes at items, groups and requirements (a sub-item's change
    counts for its requirement), keyed by the clause id (the id in B; in A for removals)."""
    out: dict[str, list[Change]] = {}
    for c in res.changes:
        nid = c.id
        try:
            kind = kind_of(nid)
        except IdError:
            continue
        if kind is NodeKind.SUBITEM:
            nid = parent_of(nid) or nid
            kind = NodeKind.REQUIREMENT
        if kind in TAILORABLE:
            out.setdefault(nid, []).append(c)
    return out


def start_review(actor: User, org: OrgUnit, a: str, b: str, *, request: HttpRequest | None = None) -> ReviewRun:
    """Diff ``a`` → ``b`` and create the organisation's worklist: documents citing a changed id (that
    are not yet written against B's edition) and the 対策基準 clauses at changed ids."""
    _require(actor, Perm.POLICY_MANAGE, org)
    if a == b:
        raise EditionError("choose two different editions")
    src_b = source(b)
    source(a)
    res = diff_editions(a, b)
    docs = {str(d.pk): d for d in AgencyDocument.objects.filter(owner_unit__path__startswith=org.path)
            .exclude(edition=src_b.code)}
    hits = review_worklist(res, {k: d.requirement_ids for k, d in docs.items()})
    policy = policy_of(org)
    rows = {r.clause_id: r for r in PolicyClause.objects.filter(policy=policy)} if policy.pk else {}
    # an agency clause is hit by any change at or below the provision it hangs under
    anchored = review_worklist(res, {r.clause_id: [r.anchor] for r in rows.values() if r.is_addition})
    clauses = clause_targets(res)
    with transaction.atomic():
        run: ReviewRun = ReviewRun.objects.create(org_unit=org, edition_a=a, edition_b=b, created_by=actor,
                                       created_at=timezone.now(), summary={**res.counts, "unchanged": res.unchanged})
        items = [ReviewItem(run=run, target=ReviewItem.Target.DOCUMENT, document=docs[k],
                            changes=[change_json(c) for c in cs]) for k, cs in hits.items()]
        for cid, cs in clauses.items():
            old_ids = {c.old_id for c in cs if c.old_id}
            tailored = cid in rows or bool(old_ids & set(rows))
            items.append(ReviewItem(run=run, target=ReviewItem.Target.CLAUSE, clause_id=cid, tailored=tailored,
                                    changes=[change_json(c) for c in cs]))
        for add_id, cs in anchored.items():
            items.append(ReviewItem(run=run, target=ReviewItem.Target.CLAUSE, clause_id=add_id, tailored=True,
                                    changes=[change_json(c) for c in cs]))
        ReviewItem.objects.bulk_create(items, batch_size=500)
        run.summary = {**run.summary, "documents": len(hits), "clauses": len(items) - len(hits),
                       "tailored_clauses": sum(1 for i in items if i.tailored)}
        run.save(update_fields=["summary"])
        audit.record("catalog.review.start", "catalog_review", run.pk, str(run), actor=actor, request=request,
                     after={"org_unit": org.code, "a": a, "b": b, **run.summary})
    return run


def complete_item(actor: User, item: ReviewItem, *, note: str = "", adopt_edition: bool = True,
                  expected_version: int | None = None, request: HttpRequest | None = None) -> ReviewItem:
    """Mark a worklist entry reviewed.  For a document, the review date becomes today and (with
    ``adopt_edition``) its edition becomes the run's new edition, so it stops showing as stale."""
    from kijun.core.services import ConflictError

    from .services import DOCUMENT_FIELDS

    unit = item.document.owner_unit if item.document_id and item.document else item.run.org_unit
    _require(actor, Perm.POLICY_MANAGE, unit)
    with transaction.atomic():
        current: ReviewItem = ReviewItem.objects.select_for_update(of=("self",)).select_related("run", "document").get(pk=item.pk)
        if current.status != "open" or (expected_version is not None and current.version != expected_version):
            raise ConflictError("review item")
        current.status, current.note = "done", note.strip()[:2000]
        current.done_by, current.done_at = actor, timezone.now()
        current.version += 1
        current.save()
        audit.record("catalog.review.item_done", "catalog_review_item", current.pk,
                     f"{current.run} {current.clause_id or current.document}", actor=actor, request=request,
                     before={"status": "open"}, after={"status": "done", "note": current.note})
        doc = current.document
        if doc is not None:
            doc = AgencyDocument.objects.select_for_update().get(pk=doc.pk)
            before = audit.snapshot(doc, DOCUMENT_FIELDS)
            doc.last_reviewed = today()
            if adopt_edition:
                doc.edition = source(current.run.edition_b).code if _known(current.run.edition_b) else doc.edition
            doc.version += 1
            doc.save()
            audit.record("catalog.document.reviewed", "agency_document", doc.pk, doc.title, actor=actor,
                         request=request, before=before, after=audit.snapshot(doc, DOCUMENT_FIELDS))
    return current


def _known(key: str) -> bool:
    return any(s.key == key for s in edition_sources())


def import_edition(actor: User, stored: Any, edition: str, layout: str = "auto", *,
                   request: HttpRequest | None = None) -> dict[str, Any]:
    """Parse an uploaded official text and store it as ``edition`` (audited by store_official).

    Returns a short report: stored provisions, unplaced blocks, and for the catalog's own edition
    how many requirements received official text.  Raises OfficialTextError for a non-standard file.
    """
    from .import_official import parse_official, read_text, term_index
    from .layouts import LAYOUTS
    from .store import store_official

    _require(actor, Perm.POLICY_MANAGE, None)
    cat = default_catalog()
    terms: dict[str, str] = {}
    for n in cat.of_kind(NodeKind.DEFINITION):
        terms[n.title_en] = n.id
        terms[n.title_ja] = n.id
    imp = parse_official(read_text(stored.path), stored.display_name or "upload", LAYOUTS.get(layout),
                         term_index(terms))
    res = store_official(imp, stored.path.read_bytes(), actor_label=actor.username, cat=cat, edition=edition)
    want = {n.id for n in cat.of_kind(NodeKind.REQUIREMENT)}
    got = {i for i, n in imp.nodes.items() if n.kind is NodeKind.REQUIREMENT and n.text}
    return {"edition": edition, "stored": res.stored, "layout": imp.layout, "unplaced": len(imp.unplaced),
            "requirements": len(got), "catalog_requirements_covered": len(want & got),
            "catalog_requirements": len(want), "key": f"official:{edition}"}
