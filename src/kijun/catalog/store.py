"""Django-side catalog services: the packaged catalog, stored official wording, full-text search.

Search runs in the database so it also covers official wording that users imported: on SQLite an
FTS5 table with the trigram tokenizer (terms of three or more characters), on PostgreSQL a pg_trgm
GIN index behind LIKE. Terms shorter than three characters (common in Japanese: 監査, 格付) fall
back to LIKE on the folded text, which is still exact substring matching.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection, transaction
from django.utils import timezone

from ..core import audit
from .catalog import Catalog, normalise
from .import_official import OfficialImport
from .loader import load_catalog
from .models import OfficialText, SearchDoc

MIN_FTS_TERM = 3


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The packaged R7 catalog, loaded and validated once per process."""
    return load_catalog()


def _body(cat: Catalog, node_id: str, official: OfficialText | None) -> str:
    n = cat.get(node_id)
    parts = [n.id, n.title_ja, n.title_en, n.summary_ja, n.summary_en, n.purpose_ja or "", n.purpose_en or ""]
    if official is not None:
        parts += [official.title, official.text, official.purpose]
    return normalise("\n".join(p for p in parts if p))


def rebuild_index(cat: Catalog | None = None) -> int:
    cat = cat or default_catalog()
    edition = cat.edition.code
    official = {o.node_id: o for o in OfficialText.objects.filter(edition=edition)}
    with transaction.atomic():
        SearchDoc.objects.filter(edition=edition).delete()
        SearchDoc.objects.bulk_create([
            SearchDoc(edition=edition, node_id=n.id, position=i, body=_body(cat, n.id, official.get(n.id)))
            for i, n in enumerate(cat)
        ], batch_size=500)
    return len(cat)


def ensure_index(cat: Catalog | None = None) -> None:
    cat = cat or default_catalog()
    if SearchDoc.objects.filter(edition=cat.edition.code).count() != len(cat):
        rebuild_index(cat)


@dataclass(frozen=True)
class StoreResult:
    stored: int
    ignored_unknown_ids: list[str]


def store_official(imp: OfficialImport, raw: bytes, *, actor_label: str = "cli",
                   cat: Catalog | None = None, edition: str | None = None) -> StoreResult:
    """Replace one edition's official wording with ``imp`` (one transaction, audited).

    Without ``edition`` the text is the catalog's own edition: only ids of the catalog are kept and
    the search index is rebuilt.  With another ``edition`` code (a new revision of the standard) every
    parsed id is kept — new ids are the point — so the revision diff and review worklist can use it.
    """
    cat = cat or default_catalog()
    own = edition is None or edition == cat.edition.code
    edition = cat.edition.code if edition is None else edition
    now = timezone.now()
    sha = hashlib.sha256(raw).hexdigest()
    known = [nid for nid in imp.nodes if nid in cat or not own]
    unknown = sorted(nid for nid in imp.nodes if nid not in cat) if own else []
    with transaction.atomic():
        before = OfficialText.objects.filter(edition=edition).count()
        OfficialText.objects.filter(edition=edition).delete()
        OfficialText.objects.bulk_create([
            OfficialText(edition=edition, node_id=nid, title=imp.nodes[nid].title, text=imp.nodes[nid].text,
                         purpose=imp.nodes[nid].purpose, source_sha256=sha, imported_at=now)
            for nid in known
        ], batch_size=500)
        audit.record("catalog.import_official", "catalog", edition, f"{edition} official text",
                     actor_label=actor_label, before={"nodes": before},
                     after={"nodes": len(known), "source_sha256": sha, "layout": imp.layout,
                            "unplaced_blocks": len(imp.unplaced)})
        if own:
            rebuild_index(cat)
    return StoreResult(len(known), unknown)


def _fts_query(terms: list[str]) -> str:
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)


def search(text: str, limit: int = 50, offset: int = 0, cat: Catalog | None = None) -> tuple[list[str], int]:
    """Node ids matching every term (in document or relevance order) and the total number of hits."""
    cat = cat or default_catalog()
    # Control characters (NUL above all) are never part of the standard and break SQL drivers.
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    terms = [normalise(t) for t in text.split() if t.strip()][:10]
    if not terms:
        return [], 0
    ensure_index(cat)
    edition = cat.edition.code
    if connection.vendor == "sqlite" and all(len(t) >= MIN_FTS_TERM for t in terms):
        sql = ("SELECT d.node_id FROM catalog_searchfts f JOIN catalog_searchdoc d ON d.id = f.rowid "
               "WHERE catalog_searchfts MATCH %s AND d.edition = %s ORDER BY bm25(catalog_searchfts), d.position")
        # FTS5 MATCH has no ORM spelling; the query is parameterised and touches only catalog tables.
        with connection.cursor() as cur:  # nosemgrep: kijun-raw-sql
            cur.execute(sql, [_fts_query(terms), edition])
            ids = [r[0] for r in cur.fetchall()]
        return ids[offset:offset + limit], len(ids)
    qs = SearchDoc.objects.filter(edition=edition)
    for t in terms:
        qs = qs.filter(body__contains=t)
    total = qs.count()
    return list(qs.order_by("position").values_list("node_id", flat=True)[offset:offset + limit]), total
