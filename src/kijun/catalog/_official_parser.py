"""The line-by-line parser behind :func:`kijun.catalog.import_official.parse_official`.

Kept apart from the public module so that each stays small.  The parser walks body lines once;
a marker counts only when it is the next one in sequence ((c) after (b), 4.2.2 after 4.2.1), and
every line it cannot attach to a provision is reported as a :class:`Block`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .catalog import normalise
from .ids import LETTERS, ROMANS, NodeKind, definition_id
from .layouts import Layout, Marker


@dataclass(frozen=True, slots=True)
class Block:
    """A run of lines the parser skipped or could not place."""

    line_start: int
    line_end: int
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class TocEntry:
    """One line of the document's own table of contents."""

    line: int
    text: str


@dataclass
class _Open:
    id: str
    kind: NodeKind
    line: int
    title: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    purpose: list[str] = field(default_factory=list)
    indent: int = 0
    title_open: bool = True
    last_title_len: int = 0


def join_lines(parts: list[str]) -> str:
    """Join wrapped lines into paragraphs.

    Blank entries separate paragraphs, except where a page break split a sentence (the next line
    starts in lower case).  A line ending in "-" joins the next word without a space, as do two
    CJK characters.
    """
    paras: list[str] = []
    cur = ""
    broken = False
    for p in parts:
        if p == "":
            broken = bool(cur)
            continue
        if broken and not p[:1].islower():
            paras.append(cur)
            cur = ""
        broken = False
        if not cur:
            cur = p
        elif cur.endswith("-") or _is_cjk(cur[-1]) and _is_cjk(p[0]):
            cur += p
        else:
            cur += " " + p
    if cur:
        paras.append(cur)
    return "\n".join(paras)


def fold(term: str) -> str:
    """Whitespace-collapsed NFKC + casefold form used to match defined terms."""
    return " ".join(normalise(term).split())


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x3000


class LineParser:
    """The single pass over body lines; state is the numbering seen so far (see module docstring)."""

    def __init__(
        self, lines: list[str], layout: Layout, toc_titles: dict[str, str], term_ids: Mapping[str, str]
    ) -> None:
        self.lines = lines
        self.term_ids = term_ids
        self.layout = layout
        self.toc_titles = toc_titles
        self.nodes: dict[str, _Open] = {}
        self.order: list[str] = []
        self.unplaced: list[Block] = []
        self.chapter = 0
        self.section = ""
        self.item = ""
        self.group = ""
        self.req = ""
        self.sub = ""
        self.mode = "text"  # text | purpose | requirements
        self.target: _Open | None = None
        self.pending_unplaced: list[tuple[int, str]] = []
        self.pending_reason = ""

    # -- node bookkeeping ---------------------------------------------------------------
    def open(self, node_id: str, kind: NodeKind, lineno: int, title: str, indent: int = 0) -> _Open:
        node = _Open(node_id, kind, lineno, [title] if title else [], indent=indent,
                     last_title_len=len(self.lines[lineno - 1].rstrip()))
        node.title_open = kind in (NodeKind.CHAPTER, NodeKind.SECTION, NodeKind.ITEM, NodeKind.GROUP)
        self.flush_unplaced()
        self.nodes[node_id] = node
        self.order.append(node_id)
        self.target = node
        return node

    def flush_unplaced(self) -> None:
        if self.pending_unplaced:
            first, last = self.pending_unplaced[0][0], self.pending_unplaced[-1][0]
            text = " ".join(t for _, t in self.pending_unplaced)
            self.unplaced.append(Block(first, last, self.pending_reason, text[:300]))
            self.pending_unplaced = []

    def hold_unplaced(self, lineno: int, text: str, reason: str) -> None:
        """Collect consecutive lines with the same reason into one reported block."""
        if self.pending_unplaced and reason != self.pending_reason:
            self.flush_unplaced()
        self.pending_reason = reason
        self.pending_unplaced.append((lineno, text))

    def container(self) -> str:
        """The id groups attach to: the item, or the section in chapter 1 (no items there)."""
        return self.item or self.section

    # -- expected numbering -------------------------------------------------------------
    def next_heading_ids(self) -> set[str]:
        ch = self.chapter
        out: set[str] = set()
        if self.section:
            s = int(self.section.split(".")[1])
            out.add(f"{ch}.{s + 1}")
            k = int(self.item.split(".")[2]) if self.item else 0
            out.add(f"{self.section}.{k + 1}")
        else:
            out.add(f"{ch}.1")
        return out

    def next_group(self) -> str:
        n = int(self.group.rsplit("(", 1)[1].rstrip(")")) if self.group else 0
        return str(n + 1)

    def next_letter(self) -> str | None:
        if not self.group:
            return None
        if not self.req:
            return "a"
        i = LETTERS.index(self.req.rsplit("(", 1)[1].rstrip(")"))
        return LETTERS[i + 1] if i + 1 < len(LETTERS) else None

    def next_roman(self) -> str | None:
        if not self.req:
            return None
        if not self.sub:
            return "i"
        i = ROMANS.index(self.sub.rsplit("(", 1)[1].rstrip(")"))
        return ROMANS[i + 1] if i + 1 < len(ROMANS) else None

    # -- line handlers ------------------------------------------------------------------
    def run(self, start: int) -> int | None:
        """Parse from ``start``; return the 0-based index where supplementary provisions begin."""
        for idx in range(start, len(self.lines)):
            if self.layout.is_end_of_body(self.lines[idx]) and self.chapter > 0:
                self.flush_unplaced()
                return idx
            self.line(idx + 1, self.lines[idx])
        self.flush_unplaced()
        return None

    def line(self, lineno: int, raw: str) -> None:
        lay = self.layout
        stripped = lay.normalise(raw).strip()
        if not stripped:
            self.blank()
            return
        if lay.is_page_number(raw):
            return
        ch = lay.match_chapter(raw)
        if ch and ch[0] == self.chapter + 1:
            self.chapter = ch[0]
            self.section = self.item = self.group = self.req = self.sub = ""
            self.mode = "text"
            self.open(str(ch[0]), NodeKind.CHAPTER, lineno, ch[1])
            return
        hd = lay.match_heading(raw)
        if hd and hd[0] in self.next_heading_ids():
            num, title = hd
            kind = NodeKind.SECTION if num.count(".") == 1 else NodeKind.ITEM
            if kind is NodeKind.SECTION:
                self.section, self.item = num, ""
            else:
                self.item = num
            self.group = self.req = self.sub = ""
            self.mode = "text"
            self.open(num, kind, lineno, title)
            return
        if lay.is_purpose(raw) and self.item:
            self.close_title()
            self.mode = "purpose"
            self.target = self.nodes[self.item]
            return
        if lay.is_requirements(raw) and self.item:
            self.close_title()
            self.mode = "requirements"
            self.target = self.nodes[self.item]
            return
        if self.section.endswith(".3") and self.chapter == 1 and self.terms(lineno, raw):
            return
        markers = lay.match_marker(raw)
        if markers and self.marker(lineno, markers, raw):
            return
        self.text(lineno, stripped, raw)

    def blank(self) -> None:
        t = self.target
        if t is None:
            return
        if t.title_open and t.title:
            t.title_open = False
        bucket = t.purpose if self.mode == "purpose" and t.kind is NodeKind.ITEM else t.text
        if bucket and bucket[-1] != "":
            bucket.append("")

    def close_title(self) -> None:
        for nid in (self.item, self.section):
            if nid and nid in self.nodes:
                self.nodes[nid].title_open = False

    def terms(self, lineno: int, raw: str) -> bool:
        if self.layout.is_letter_heading(raw):
            return True
        term = self.layout.match_term(raw)
        if term is None:
            return False
        node_id = self.term_ids.get(fold(term)) or definition_id(self.section, term)
        if node_id.endswith(":"):  # a term with no ASCII letters (Japanese) and no catalog mapping
            node_id += "term-" + hashlib.sha1(fold(term).encode(), usedforsecurity=False).hexdigest()[:8]
        if node_id in self.nodes:
            self.unplaced.append(Block(lineno, lineno, f"duplicate definition of {term!r}", raw.strip()))
            return True
        self.open(node_id, NodeKind.DEFINITION, lineno, term)
        self.nodes[node_id].title_open = False
        self.nodes[node_id].text.append(self.layout.normalise(raw).strip().lstrip("\uf06c•●・ ").strip())
        return True

    def marker(self, lineno: int, markers: list[Marker], raw: str) -> bool:
        by_kind = {m.kind: m for m in markers}
        grp = by_kind.get("group")
        if grp is not None:
            if self.container() and grp.token == self.next_group():
                self.group = f"{self.container()}({grp.token})"
                self.req = self.sub = ""
                self.open(self.group, NodeKind.GROUP, lineno, grp.rest, grp.indent)
                if self.group in self.toc_titles and not self.toc_titles[self.group].startswith(grp.rest):
                    self.nodes[self.group].title_open = False
                return True
            return self._out_of_sequence(lineno, f"({grp.token})", f"({self.next_group()})", raw)
        letter, roman = by_kind.get("letter"), by_kind.get("roman")
        letter_ok = letter is not None and letter.token == self.next_letter()
        roman_ok = roman is not None and roman.token == self.next_roman()
        if letter_ok and roman_ok and letter is not None and roman is not None:
            if self._prefer_roman(lineno, letter, roman):
                letter_ok = False
            else:
                roman_ok = False
        if letter_ok and letter is not None:
            self.req = f"{self.group}({letter.token})"
            self.sub = ""
            self.open(self.req, NodeKind.REQUIREMENT, lineno, "", letter.indent)
            self.nodes[self.req].text.append(letter.rest)
            return True
        if roman_ok and roman is not None:
            self.sub = f"{self.req}({roman.token})"
            self.open(self.sub, NodeKind.SUBITEM, lineno, "", roman.indent)
            self.nodes[self.sub].text.append(roman.rest)
            return True
        shown = f"({markers[0].token})"
        expected = [e for e in (self.next_letter(), self.next_roman()) if e]
        return self._out_of_sequence(lineno, shown, " or ".join(f"({e})" for e in expected) or "none", raw)

    def _prefer_roman(self, lineno: int, letter: Marker, roman: Marker) -> bool:
        """Resolve "(i)", "(v)", "(x)" when both a letter and a roman numeral are due.

        Look at the next marker: "(ii)" after "(i)" means a roman list, "(j)" means letters.  Only
        when that is inconclusive does indentation decide (sub-items sit deeper than requirements).
        """
        roman_next = ROMANS[ROMANS.index(roman.token) + 1]
        letter_next = LETTERS[LETTERS.index(letter.token) + 1]
        for idx in range(lineno, min(len(self.lines), lineno + 60)):
            ln = self.lines[idx]
            if self.layout.match_chapter(ln) or self.layout.match_heading(ln):
                break
            toks = {m.token for m in self.layout.match_marker(ln) if m.kind != "group"}
            if any(m.kind == "group" for m in self.layout.match_marker(ln)):
                break
            if roman_next in toks:
                return True
            if letter_next in toks:
                return False
            if toks:
                break
        req_indent = self.nodes[self.req].indent if self.req else 0
        return roman.indent >= req_indent + self.layout.sub_indent

    def _out_of_sequence(self, lineno: int, shown: str, expected: str, raw: str) -> bool:
        where = self.target.id if self.target else "nothing"
        self.unplaced.append(Block(
            lineno, lineno,
            f"marker {shown} out of sequence (expected {expected}); kept as text of {where}",
            raw.strip()[:300],
        ))
        return False

    def text(self, lineno: int, stripped: str, raw: str) -> None:
        t = self.target
        if t is None:
            self.hold_unplaced(lineno, stripped, "text outside any provision")
            return
        if t.title_open and t.kind is not NodeKind.DEFINITION and self._title_continues(t, stripped):
            t.title.append(stripped)
            t.last_title_len = len(raw.rstrip())
            return
        t.title_open = False
        if self.mode == "purpose" and t.kind is NodeKind.ITEM:
            t.purpose.append(stripped)
            return
        t.text.append(stripped)
        if t.kind in (NodeKind.CHAPTER, NodeKind.ITEM) or (t.kind is NodeKind.SECTION and self.chapter > 1):
            # Kept with the heading, but reported: the standard puts no free text here.
            self.hold_unplaced(lineno, stripped, f"free text under {t.kind.value} {t.id} (no numbered provision)")

    def _title_continues(self, t: _Open, stripped: str) -> bool:
        """Wrapped heading titles: guided by the document's own TOC when it lists the id."""
        expected = self.toc_titles.get(t.id)
        so_far = join_lines(t.title)
        if expected is not None:
            candidate = join_lines([*t.title, stripped])
            return len(so_far) < len(expected) and expected.startswith(candidate)
        # Without a TOC entry: only a long line can have wrapped, and only before any body text.
        return (
            t.kind in (NodeKind.ITEM, NodeKind.GROUP)
            and not t.text
            and so_far[-1:] not in ".。"
            and len(self.layout.normalise(self.lines[t.line - 1])) >= self.layout.wrap_width
            and t.last_title_len >= self.layout.wrap_width
        )


def toc_titles(entries: list[TocEntry], layout: Layout) -> dict[str, str]:
    """Fully qualified id -> title from the document's own table of contents."""
    out: dict[str, str] = {}
    cont = ""
    pending: list[str] = []
    for e in entries:
        pending.append(e.text)
        if not layout.is_toc_line(e.text):
            continue
        text = join_lines([p.strip() for p in pending])
        pending = []
        body = _LEADER.sub("", layout.normalise(text)).strip()
        ch = layout.match_chapter(body)
        if ch:
            out[str(ch[0])] = ch[1]
            cont = ""
            continue
        hd = layout.match_heading(body)
        if hd:
            out[hd[0]] = hd[1]
            cont = hd[0]
            continue
        mk = layout.match_marker(body)
        if mk and mk[0].kind == "group" and cont:
            out[f"{cont}({mk[0].token})"] = mk[0].rest.strip()
    return out


_LEADER = re.compile(r"\s*(?:\.{2,}|…+|・{2,})\s*[0-9]{1,3}\s*$")


def wraps_to_leader(lines: list[str], idx: int, lay: Layout) -> bool:
    """A TOC heading whose dotted leader is on the next line (long titles wrap)."""
    nxt = lines[idx + 1] if idx + 1 < len(lines) else ""
    return lay.is_toc_line(nxt) and not lay.match_chapter(nxt) and not lay.match_heading(nxt)
