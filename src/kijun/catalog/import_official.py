"""Parse the official plain text of the standard into the catalog's id structure.

The result holds the official wording per id (to be stored in the user's database, never in the
repository) and every block the parser could not place, with line numbers, so an import is never
silently lossy.  The parser is a single pass over lines with the standard's expected numbering as
its guide: a marker is accepted only when it is the next one in sequence (``(c)`` after ``(b)``,
``4.2.2`` after ``4.2.1``), which keeps cross-references that happen to start a wrapped line
("7.2.3 “Measures against ...”") from being taken for headings.

Marker recognition is delegated to a :class:`~kijun.catalog.layouts.Layout`, so the Japanese
edition differs only in its layout object.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ._official_parser import Block, LineParser, TocEntry, fold, join_lines, toc_titles, wraps_to_leader
from .ids import NodeKind
from .layouts import ENGLISH, Layout, detect_layout


@dataclass(frozen=True, slots=True)
class OfficialNode:
    """Official wording of one provision as it appears in the imported text."""

    id: str
    kind: NodeKind
    title: str
    text: str
    purpose: str
    line: int


@dataclass(frozen=True, slots=True)
class OfficialImport:
    """The outcome of parsing one official text."""

    source: str
    layout: str
    nodes: dict[str, OfficialNode]
    unplaced: tuple[Block, ...]
    skipped: tuple[Block, ...]
    toc: tuple[TocEntry, ...]
    page_numbers_dropped: int

    def ids(self, kind: NodeKind | None = None) -> list[str]:
        """Ids in document order, optionally of one kind."""
        return [i for i, n in self.nodes.items() if kind is None or n.kind is kind]


class OfficialTextError(ValueError):
    """The file is not a text of the standard at all (no chapter heading found)."""


def read_text(path: Path) -> str:
    """Read a text file: gzip transparently, UTF-8 (with or without BOM), else CP932/Shift_JIS."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:  # truncated upload, bad CRC, bad deflate data
            raise OfficialTextError(f"{path}: truncated or corrupt gzip file ({exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp932")
        except UnicodeDecodeError as exc:
            raise OfficialTextError(f"{path}: neither UTF-8 nor CP932 text ({exc})") from None


def term_index(terms: Mapping[str, str]) -> dict[str, str]:
    """Map defined terms (any language, e.g. a catalog's title_en and title_ja) to definition ids.

    Pass the result to :func:`parse_official` so a Japanese edition's 「用語」 lands on the same
    ``1.3:slug`` ids as the English one.
    """
    return {fold(term): node_id for term, node_id in terms.items()}


def parse_official(
    text: str,
    source: str = "<text>",
    layout: Layout | None = None,
    term_ids: Mapping[str, str] | None = None,
) -> OfficialImport:
    """Parse the whole official text.  Raises :class:`OfficialTextError` when no body is found.

    ``layout`` defaults to detection from the chapter headings; ``term_ids`` (see
    :func:`term_index`) maps defined terms to catalog ids, otherwise ids are slugs of the term.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lay = layout or detect_layout(lines)
    body_start = None
    toc: list[TocEntry] = []
    skipped: list[Block] = []
    for idx, ln in enumerate(lines):
        ch = lay.match_chapter(ln)
        if ch and ch[0] == 1 and not lay.is_toc_line(ln) and not wraps_to_leader(lines, idx, lay):
            body_start = idx
            break
    if body_start is None:
        raise OfficialTextError(f"{source}: no 'Chapter 1' / 第1章 heading found; not the standard's text?")
    toc_started = False
    for idx in range(body_start):
        ln = lines[idx]
        if not toc_started and lay.match_chapter(ln) and (lay.is_toc_line(ln) or wraps_to_leader(lines, idx, lay)):
            toc_started = True
        if toc_started and ln.strip():
            toc.append(TocEntry(idx + 1, ln))
    front_end = toc[0].line - 1 if toc else body_start
    if front_end > 0:
        skipped.append(Block(1, front_end, "front matter (title page, notes)", " ".join(
            ln.strip() for ln in lines[:front_end] if ln.strip())[:300]))
    if toc:
        skipped.append(Block(toc[0].line, toc[-1].line, "table of contents", f"{len(toc)} lines"))
    parser = LineParser(lines, lay, toc_titles(toc, lay), term_ids or {})
    end = parser.run(body_start)
    if end is not None:
        tail = [ln.strip() for ln in lines[end:] if ln.strip()]
        skipped.append(Block(end + 1, len(lines), "supplementary provisions (after the body)", " ".join(tail)[:300]))
    nodes: dict[str, OfficialNode] = {}
    pages = sum(1 for ln in lines[body_start:] if ln.strip() and lay.is_page_number(ln))
    for nid in parser.order:
        o = parser.nodes[nid]
        nodes[nid] = OfficialNode(
            id=nid, kind=o.kind, title=join_lines(o.title), text=join_lines(o.text), purpose=join_lines(o.purpose), line=o.line,
        )
    return OfficialImport(
        source=source,
        layout=lay.name,
        nodes=nodes,
        unplaced=tuple(parser.unplaced),
        skipped=tuple(skipped),
        toc=tuple(toc),
        page_numbers_dropped=pages,
    )


def parse_official_file(
    path: Path, layout: Layout | None = None, term_ids: Mapping[str, str] | None = None
) -> OfficialImport:
    """Read (see :func:`read_text`) and parse an official text file."""
    return parse_official(read_text(path), source=str(path), layout=layout, term_ids=term_ids)


__all__ = [
    "ENGLISH",
    "Block",
    "OfficialImport",
    "OfficialNode",
    "OfficialTextError",
    "TocEntry",
    "parse_official",
    "parse_official_file",
    "read_text",
    "term_index",
]
