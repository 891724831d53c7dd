"""Diff two editions: catalogs (our data) or official-text imports.

The standard is revised every two years and each agency must then revise its own 対策基準, so the
question is "what happened to the provision I cite?": it was added, removed, moved (same wording
under a new id), retitled, or its text changed.  Both inputs are first reduced to a
:class:`Snapshot` (id -> title + text fields), so the comparison does not care where they came from.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from .catalog import Catalog
from .ids import is_valid, parent_of, sort_key
from .import_official import OfficialImport

ChangeType = Literal["added", "removed", "moved", "retitled", "changed_text"]
CHANGE_TYPES: tuple[ChangeType, ...] = ("added", "removed", "moved", "retitled", "changed_text")

#: Removed/added pairs at least this similar count as a move.
MOVE_THRESHOLD = 0.9


@dataclass(frozen=True, slots=True)
class Entry:
    """What a snapshot knows about one id."""

    id: str
    kind: str
    title: str
    fields: Mapping[str, str]

    @property
    def body(self) -> str:
        """All text fields joined, for move detection."""
        return "\n".join(v for _, v in sorted(self.fields.items()) if v)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An edition reduced to comparable entries."""

    label: str
    entries: Mapping[str, Entry]


@dataclass(frozen=True, slots=True)
class Change:
    """One difference.  ``id`` is the id in B (in A for removals); ``old_id`` is set for moves."""

    type: ChangeType
    id: str
    kind: str
    old_id: str | None = None
    title_a: str | None = None
    title_b: str | None = None
    fields: tuple[str, ...] = ()
    similarity: float | None = None


@dataclass(frozen=True, slots=True)
class DiffResult:
    """All changes in document order of B (removals in order of A, at the end)."""

    a: str
    b: str
    changes: tuple[Change, ...]
    unchanged: int
    counts: dict[str, int] = field(default_factory=dict)


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def snapshot_of_catalog(cat: Catalog, label: str = "") -> Snapshot:
    """Catalog -> snapshot; text fields are our summaries, purposes, roles and tags."""
    entries: dict[str, Entry] = {}
    for n in cat:
        fields = {
            "title_ja": n.title_ja,
            "summary_en": n.summary_en,
            "summary_ja": n.summary_ja,
            "purpose_en": n.purpose_en or "",
            "purpose_ja": n.purpose_ja or "",
            "responsible_roles": ",".join(n.responsible_roles),
            "applies_to": ",".join(n.tags.applies_to),
            "lifecycle_phase": ",".join(n.tags.lifecycle_phase),
            "related": ",".join(n.related),
        }
        entries[n.id] = Entry(n.id, n.kind.value, n.title_en, fields)
    return Snapshot(label or f"catalog {cat.edition.code}", entries)


def snapshot_of_import(imp: OfficialImport, label: str = "") -> Snapshot:
    """Official import -> snapshot; text fields are the official wording and purpose."""
    entries = {
        nid: Entry(nid, n.kind.value, n.title, {"text": n.text, "purpose": n.purpose})
        for nid, n in imp.nodes.items()
    }
    return Snapshot(label or imp.source, entries)


def diff_snapshots(a: Snapshot, b: Snapshot, move_threshold: float = MOVE_THRESHOLD) -> DiffResult:
    """Compare two snapshots.  Pure.

    A move is a provision whose text now sits under another id: either the old id vanished, or the
    numbering shifted (``(d)`` became ``(c)`` after ``(c)`` was deleted).  So move candidates are
    every id that was removed or whose text changed (old side) and every id that was added or whose
    text changed (new side); an id whose best match is itself stays a plain text change.
    """
    body_changed = {i for i in a.entries if i in b.entries and _norm(a.entries[i].body) != _norm(b.entries[i].body)}
    sources = [i for i in a.entries if i not in b.entries or i in body_changed]
    targets = [i for i in b.entries if i not in a.entries or i in body_changed]
    moves = _match_moves(a, b, sources, targets, move_threshold)
    moved_from = {old for old, _, _ in moves}
    moved_to = {new: (old, sim) for old, new, sim in moves}
    changes: list[Change] = []
    unchanged = 0
    for nid, eb in b.entries.items():
        if nid in moved_to:
            old, sim = moved_to[nid]
            ea = a.entries[old]
            changes.append(Change("moved", nid, eb.kind, old, ea.title, eb.title,
                                  _changed_fields(ea, eb), round(sim, 3)))
            continue
        ea2 = a.entries.get(nid)
        if ea2 is None:
            changes.append(Change("added", nid, eb.kind, title_b=eb.title))
            continue
        same = True
        if _norm(ea2.title) != _norm(eb.title):
            changes.append(Change("retitled", nid, eb.kind, title_a=ea2.title, title_b=eb.title))
            same = False
        fields = _changed_fields(ea2, eb)
        if fields:
            changes.append(Change("changed_text", nid, eb.kind, title_a=ea2.title, title_b=eb.title, fields=fields))
            same = False
        unchanged += same
    for nid in sources:
        # gone for good: the id vanished, or its old text went nowhere while another text took the id
        if nid not in moved_from and (nid not in b.entries or nid in moved_to):
            ea = a.entries[nid]
            changes.append(Change("removed", nid, ea.kind, title_a=ea.title))
    counts: dict[str, int] = dict.fromkeys(CHANGE_TYPES, 0)
    for c in changes:
        counts[c.type] += 1
    return DiffResult(a.label, b.label, tuple(changes), unchanged, counts)


def _changed_fields(ea: Entry, eb: Entry) -> tuple[str, ...]:
    keys = sorted(set(ea.fields) | set(eb.fields))
    return tuple(k for k in keys if _norm(ea.fields.get(k, "")) != _norm(eb.fields.get(k, "")))


def _key(e: Entry) -> str:
    return _norm(e.body) or _norm(e.title)


def _match_moves(
    a: Snapshot, b: Snapshot, sources: list[str], targets: list[str], threshold: float
) -> list[tuple[str, str, float]]:
    """Pair old-side and new-side ids of the same kind whose text (or title, if textless) matches."""
    out: list[tuple[str, str, float]] = []
    free = set(targets)
    by_body: dict[tuple[str, str], list[str]] = {}
    for nid in targets:
        e = b.entries[nid]
        by_body.setdefault((e.kind, _key(e)), []).append(nid)
    fuzzy: list[str] = []
    for old in sources:
        e = a.entries[old]
        key = (e.kind, _key(e))
        cands = [c for c in by_body.get(key, []) if c in free and c != old]
        if cands and key[1]:
            new = min(cands, key=lambda c: _distance(old, c))
            free.discard(new)
            out.append((old, new, 1.0))
        else:
            fuzzy.append(old)
    target_words = {t: _words(_key(b.entries[t])) for t in free}
    for old in fuzzy:
        ea = a.entries[old]
        text_a = _key(ea)
        if not text_a:
            continue
        if old in b.entries and b.entries[old].kind == ea.kind and _similar(text_a, _key(b.entries[old]), threshold):
            continue  # edited in place: a text change, not a move
        words_a = _words(text_a)
        best: tuple[float, str] | None = None
        for new in sorted(free, key=sort_key):
            eb = b.entries[new]
            if eb.kind != ea.kind or _jaccard(words_a, target_words[new]) < threshold - 0.3:
                continue
            r = _similar(text_a, _key(eb), threshold)
            if r and (best is None or r > best[0]):
                best = (r, new)
        if best is not None:
            free.discard(best[1])
            out.append((old, best[1], best[0]))
    return out


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split()) if " " in text else frozenset(text[i:i + 2] for i in range(len(text) - 1))


def _jaccard(x: frozenset[str], y: frozenset[str]) -> float:
    """Cheap pre-filter before the quadratic SequenceMatcher (word sets; character bigrams for CJK)."""
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


def _similar(x: str, y: str, threshold: float) -> float:
    """SequenceMatcher ratio if at least ``threshold``, else 0.0 (cheap bounds checked first)."""
    sm = difflib.SequenceMatcher(None, x, y, autojunk=False)
    if sm.real_quick_ratio() < threshold or sm.quick_ratio() < threshold:
        return 0.0
    r = sm.ratio()
    return r if r >= threshold else 0.0


def _distance(a_id: str, b_id: str) -> int:
    """Prefer the nearest id when identical text appears several times."""
    ka, kb = sort_key(a_id), sort_key(b_id)
    return sum(abs(x[1] - y[1]) for x, y in zip(ka, kb, strict=False)) + abs(len(ka) - len(kb))


def change_json(c: Change) -> dict[str, object]:
    """One change as the stable JSON object of ``diff --json``."""
    return {
        "type": c.type,
        "id": c.id,
        "old_id": c.old_id,
        "kind": c.kind,
        "title_a": c.title_a,
        "title_b": c.title_b,
        "fields": list(c.fields),
        "similarity": c.similarity,
    }


def diff_result_json(
    res: DiffResult, citations: Mapping[str, Iterable[str]] | None = None
) -> dict[str, object]:
    """The stable ``kijun catalog diff --json`` document (see docs/catalog.md)."""
    doc: dict[str, object] = {
        "a": res.a,
        "b": res.b,
        "summary": {**res.counts, "unchanged": res.unchanged},
        "changes": [change_json(c) for c in res.changes],
    }
    if citations is not None:
        work = review_worklist(res, citations)
        doc["review"] = [
            {"document": name, "changes": [change_json(c) for c in work[name]]}
            for name in citations if name in work
        ]
    return doc


def _lineage(node_id: str) -> set[str]:
    """The id and all of its ancestors by syntax ("4.2.1(2)(a)" -> itself, "4.2.1(2)", "4.2.1", "4.2", "4")."""
    out: set[str] = set()
    cur: str | None = node_id if is_valid(node_id) else None
    while cur is not None:
        out.add(cur)
        cur = parent_of(cur)
    return out


def review_worklist(res: DiffResult, citations: Mapping[str, Iterable[str]]) -> dict[str, list[Change]]:
    """Which agency documents (or 対策基準 clauses) need review after an edition change.

    ``citations`` maps a document name to the ids it implements or cites.  A document is hit by
    every change at a cited id or anywhere below it (citing item 4.2.1 covers 4.2.1(2)(c)); for
    moves both the old and the new id count.  Documents with no hits are left out.
    """
    out: dict[str, list[Change]] = {}
    lineages = [(c, _lineage(c.id) | (_lineage(c.old_id) if c.old_id else set())) for c in res.changes]
    for doc, ids in citations.items():
        cited = set(ids)
        hits = [c for c, lineage in lineages if lineage & cited]
        if hits:
            out[doc] = hits
    return out
