"""How an edition of the standard marks its structure in plain text.

The official-text parser (:mod:`kijun.catalog.import_official`) walks lines and asks a
:class:`Layout` what each line is.  A layout only recognises markers; it never decides where a
block belongs (that needs the parser's state).  Adding an edition means adding a layout:

* :data:`ENGLISH` — the official tentative English translation ("Chapter 4 Outsourcing",
  "4.2.1 Selection ...", "Purpose", "Compliance Requirements", "(1)", "(a)", "(i)").
* :data:`JAPANESE` — the Japanese edition's conventions ("第４章　外部委託", "４．２．１",
  "目的・趣旨", "遵守事項", "（１）", "（ａ）", "（ⅰ）").  Lines are NFKC-normalised first, which
  turns full-width digits, letters and parentheses and the roman-numeral characters (ⅰ, ⅱ…) into
  ASCII, so both layouts share the marker grammar after that step.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .ids import LETTERS, ROMANS

MarkerKind = Literal["group", "letter", "roman"]


@dataclass(frozen=True, slots=True)
class Marker:
    """A list marker at the start of a line: ``(1)`` group, ``(a)`` letter or ``(i)`` roman."""

    kind: MarkerKind
    token: str  # canonical ASCII: "1", "a", "iii"
    rest: str  # the line after the marker
    indent: int  # column of the opening parenthesis


def _nfkc(line: str) -> str:
    return unicodedata.normalize("NFKC", line)


def _identity(line: str) -> str:
    return line


_ROMAN_ALT = "|".join(sorted(ROMANS, key=len, reverse=True))
_RE_MARKER = re.compile(rf"^(\s*)\((?:(?P<num>[1-9][0-9]?)|(?P<tok>{_ROMAN_ALT}|[a-z]))\)\s*(?P<rest>.*)$")
#: Katakana enumerators used for sub-items in Japanese legal texts, in order: (ア) = (i), (イ) = (ii)…
KANA_SUBITEMS: tuple[str, ...] = ("ア", "イ", "ウ", "エ", "オ", "カ", "キ", "ク", "ケ", "コ", "サ", "シ", "ス", "セ", "ソ",
                                  "タ", "チ", "ツ", "テ", "ト")
_RE_KANA = re.compile(r"^(\s*)\((?P<kana>[ア-ト])\)\s*(?P<rest>.*)$")
_RE_PAGE = re.compile(r"^\s*(?:-\s*)?[0-9]{1,3}(?:\s*-)?\s*$")
_RE_TOC_LEADER = re.compile(r"(?:\.{4,}|…{2,}|・{4,})\s*[0-9]{1,3}\s*$")


@dataclass(frozen=True, slots=True)
class Layout:
    """Marker recognition for one edition's plain-text layout.

    Every pattern runs on the *normalised* line (see ``normalise``) and must expose named groups:
    ``chapter`` = ``num`` + ``title``; ``heading`` = ``num`` (dotted) + ``title``; ``term`` = ``term``.
    """

    name: str
    language: Literal["en", "ja"]
    normalise: Callable[[str], str]
    chapter: re.Pattern[str]
    heading: re.Pattern[str]
    purpose: re.Pattern[str]
    requirements: re.Pattern[str]
    term: re.Pattern[str]
    letter_heading: re.Pattern[str]
    #: Start of the closing supplementary provisions (附則); text after it belongs to no provision.
    end_of_body: re.Pattern[str]
    #: A heading line at least this long (after normalising) may wrap onto the next line; shorter
    #: ones are complete.  Used only when the document's own TOC does not list the id.
    wrap_width: int = 60
    #: How much deeper than its requirement a sub-item marker is indented (last-resort tie-break).
    sub_indent: int = 3
    #: Accept (ア), (イ)… as sub-item markers (mapped to (i), (ii)… ids).
    kana_subitems: bool = False

    def match_chapter(self, line: str) -> tuple[int, str] | None:
        """``(number, title)`` for a chapter heading line."""
        m = self.chapter.match(self.normalise(line))
        if not m:
            return None
        return int(m.group("num")), m.group("title").strip()

    def match_heading(self, line: str) -> tuple[str, str] | None:
        """``("4.2.1", title)`` for a section (節) or item (款) heading line."""
        m = self.heading.match(self.normalise(line))
        if not m:
            return None
        return m.group("num").rstrip("."), m.group("title").strip()

    def match_marker(self, line: str) -> list[Marker]:
        """The marker readings of a line; ``(i)``, ``(v)``, ``(x)`` yield both a letter and a roman."""
        norm = self.normalise(line)
        m = _RE_MARKER.match(norm)
        if not m:
            k = _RE_KANA.match(norm) if self.kana_subitems else None
            if k and k.group("kana") in KANA_SUBITEMS:
                token = ROMANS[KANA_SUBITEMS.index(k.group("kana"))]
                return [Marker("roman", token, k.group("rest"), len(k.group(1)))]
            return []
        indent, rest = len(m.group(1)), m.group("rest")
        if m.group("num"):
            return [Marker("group", m.group("num"), rest, indent)]
        tok = m.group("tok")
        out: list[Marker] = []
        if len(tok) == 1 and tok in LETTERS:
            out.append(Marker("letter", tok, rest, indent))
        if tok in ROMANS:
            out.append(Marker("roman", tok, rest, indent))
        return out

    def is_purpose(self, line: str) -> bool:
        """The "Purpose" (目的・趣旨) heading of an item."""
        return bool(self.purpose.match(self.normalise(line)))

    def is_requirements(self, line: str) -> bool:
        """The "Compliance Requirements" (遵守事項) heading of an item."""
        return bool(self.requirements.match(self.normalise(line)))

    def match_term(self, line: str) -> str | None:
        """The defined term when the line starts a definition in the terms section."""
        m = self.term.match(self.normalise(line))
        return m.group("term").strip() if m else None

    def is_letter_heading(self, line: str) -> bool:
        """Alphabetical index headings of the terms section (【A】, 【あ】)."""
        return bool(self.letter_heading.match(self.normalise(line)))

    def is_end_of_body(self, line: str) -> bool:
        """The supplementary provisions heading that closes the body."""
        return bool(self.end_of_body.match(self.normalise(line)))

    def is_page_number(self, line: str) -> bool:
        """A line holding only a page number (optionally "- 12 -")."""
        return bool(_RE_PAGE.match(self.normalise(line)))

    def is_toc_line(self, line: str) -> bool:
        """A table-of-contents line: dotted leader followed by a page number."""
        return bool(_RE_TOC_LEADER.search(self.normalise(line)))


ENGLISH = Layout(
    name="en-tentative-translation",
    language="en",
    normalise=_identity,
    chapter=re.compile(r"^\s*Chapter\s+(?P<num>[1-9])\s+(?P<title>\S.*?)\s*$"),
    heading=re.compile(r"^\s*(?P<num>[1-9]\.[1-9][0-9]?(?:\.[1-9][0-9]?)?)\.?\s+(?P<title>[A-Z].*?)\s*$"),
    purpose=re.compile(r"^\s*Purpose\s*$"),
    requirements=re.compile(r"^\s*Compliance\s+Requirements\s*$"),
    term=re.compile(r"^\s*(?:[\uf06c\u2022\u25cf\u30fb]\s*)?[“\"](?P<term>[^”\"]+)[”\"]\s+(?:means?|is|are|refers?|collectively)\b"),
    letter_heading=re.compile(r"^\s*【[A-Z]】\s*$"),
    end_of_body=re.compile(r"^\s*Supplementary\s+[Pp]rovisions?\b"),
)

JAPANESE = Layout(
    name="ja-official",
    language="ja",
    normalise=_nfkc,
    chapter=re.compile(r"^\s*第\s*(?P<num>[1-9])\s*章\s*(?P<title>\S.*?)\s*$"),
    heading=re.compile(
        r"^\s*(?P<num>[1-9]\.[1-9][0-9]?(?:\.[1-9][0-9]?)?)\.?\s*(?P<title>[^\s.0-9(].*?)\s*$"
    ),
    purpose=re.compile(r"^\s*[【\[]?\s*目的\s*[・･]\s*趣旨\s*[】\]]?\s*$"),
    requirements=re.compile(r"^\s*[【\[]?\s*遵守事項\s*[】\]]?\s*$"),
    term=re.compile(r"^\s*(?:[・\u2022\u25cf]\s*)?「(?P<term>[^」]+)」\s*(?:とは|は、)"),
    letter_heading=re.compile(r"^\s*【[あ-んア-ン]】\s*$"),
    end_of_body=re.compile(r"^\s*附\s*則"),
    wrap_width=30,
    sub_indent=1,
    kana_subitems=True,
)

LAYOUTS: dict[str, Layout] = {ENGLISH.name: ENGLISH, JAPANESE.name: JAPANESE, "en": ENGLISH, "ja": JAPANESE}


def detect_layout(lines: list[str]) -> Layout:
    """Pick the layout whose chapter headings appear in the text (Japanese wins on 第N章)."""
    ja = sum(1 for ln in lines[:5000] if JAPANESE.match_chapter(ln))
    en = sum(1 for ln in lines[:5000] if ENGLISH.match_chapter(ln))
    return JAPANESE if ja > en else ENGLISH
