"""The loaded catalog: an immutable, indexed view over the nodes with tree and text lookups."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .ids import NodeKind
from .model import Edition, Node

_SEARCH_FIELDS: tuple[tuple[str, int], ...] = (
    ("id", 0), ("title_ja", 1), ("title_en", 1), ("summary_ja", 2), ("summary_en", 2),
    ("purpose_ja", 3), ("purpose_en", 3),
)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A node matching a search, the field it matched first and a short snippet around the match."""

    id: str
    field: str
    snippet: str
    rank: int


def normalise(text: str) -> str:
    """Fold width and case so "ＣＳＩＲＴ", "csirt" and "CSIRT" match (NFKC + casefold)."""
    return unicodedata.normalize("NFKC", text).casefold()


class Catalog:
    """Nodes in document order with parent/child indexes.  Built by :func:`load_catalog`."""

    def __init__(self, edition: Edition, nodes: Mapping[str, Node]) -> None:
        self.edition = edition
        self._nodes: Mapping[str, Node] = MappingProxyType(dict(nodes))
        children: dict[str, list[str]] = {nid: [] for nid in nodes}
        for nid, n in nodes.items():
            if n.parent is not None and n.parent in children:
                children[n.parent].append(nid)
        self._children = {k: tuple(v) for k, v in children.items()}
        self._folded = {
            nid: [(f, rank, normalise(str(getattr(n, f) or ""))) for f, rank in _SEARCH_FIELDS]
            for nid, n in nodes.items()
        }

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self._nodes.values())

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    @property
    def nodes(self) -> Mapping[str, Node]:
        """All nodes by id, in document order."""
        return self._nodes

    def get(self, node_id: str) -> Node:
        """The node with ``node_id``; ``KeyError`` naming the id when absent."""
        try:
            return self._nodes[node_id]
        except KeyError:
            raise KeyError(f"no such id in catalog {self.edition.code}: {node_id!r}") from None

    def children(self, node_id: str) -> list[Node]:
        """Direct children in document order."""
        self.get(node_id)
        return [self._nodes[c] for c in self._children[node_id]]

    def descendants(self, node_id: str) -> list[Node]:
        """All nodes below ``node_id`` in document order."""
        out: list[Node] = []
        stack = list(reversed(self._children[self.get(node_id).id]))
        while stack:
            nid = stack.pop()
            out.append(self._nodes[nid])
            stack.extend(reversed(self._children[nid]))
        return out

    def ancestors(self, node_id: str) -> list[Node]:
        """From the chapter down to the parent of ``node_id``."""
        out: list[Node] = []
        parent = self.get(node_id).parent
        while parent is not None:
            n = self._nodes[parent]
            out.append(n)
            parent = n.parent
        return list(reversed(out))

    def of_kind(self, kind: NodeKind | str) -> list[Node]:
        """Every node of one kind (enum or its string value), in document order."""
        wanted = NodeKind(kind)
        return [n for n in self._nodes.values() if n.kind is wanted]

    def in_chapter(self, chapter: str) -> list[Node]:
        """Every node of one chapter, in document order."""
        return [n for n in self._nodes.values() if n.chapter == chapter]

    def counts(self) -> dict[str, int]:
        """Node count per kind (all kinds present, zero included)."""
        out = {k.value: 0 for k in NodeKind}
        for n in self._nodes.values():
            out[n.kind.value] += 1
        return out

    def with_tag(self, applies_to: str | None = None, lifecycle_phase: str | None = None) -> list[Node]:
        """Nodes carrying the given tag words (both must match when both are given)."""
        return [
            n for n in self._nodes.values()
            if (applies_to is None or applies_to in n.tags.applies_to)
            and (lifecycle_phase is None or lifecycle_phase in n.tags.lifecycle_phase)
        ]

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Substring search over ids, titles, summaries and purposes, in both languages.

        Japanese has no word spaces, so this is plain substring matching after NFKC + casefold;
        several space-separated terms must all match (in any field).  Results rank by the best
        field (id, then title, summary, purpose) and then document order.
        """
        terms = [normalise(t) for t in text.split() if t.strip()]
        if not terms:
            return []
        hits: list[SearchHit] = []
        for nid, fields in self._folded.items():
            if not all(any(t in val for _, _, val in fields) for t in terms):
                continue
            best = min((rank, f) for f, rank, val in fields if terms[0] in val)
            raw = str(getattr(self._nodes[nid], best[1]) or "")
            hits.append(SearchHit(nid, best[1], _snippet(raw, terms[0]), best[0]))
        hits.sort(key=lambda h: h.rank)  # stable: document order within a rank
        return hits[:limit]


def _snippet(raw: str, term: str, width: int = 40) -> str:
    folded = normalise(raw)
    pos = folded.find(term)
    if pos < 0 or len(folded) != len(raw):
        return raw[: width * 2]
    start = max(0, pos - width)
    end = min(len(raw), pos + len(term) + width)
    return ("…" if start else "") + raw[start:end] + ("…" if end < len(raw) else "")
