"""Editorial guard: a summary of a chapter, section, item or numbered group must say more than its title.

Mechanically written summaries repeated the title ("Rules for selecting cloud services — cloud selection
rules.", "対策推進計画の見直し（対策推進計画の見直し）。"). The rule: the English summary adds at least three
content words the title does not have, the Japanese one at least four character bigrams, and no
parenthetical or dash tail simply repeats the title or the sentence before it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from kijun.catalog.catalog import Catalog
from kijun.catalog.model import Node

HEADING_KINDS = ("chapter", "section", "item", "group")
STOP = frozenset("a an the of and or to for in on at by with from as is are be its it this that when where which who "
                 "what how their there each every any all per under into via not no".split())


def _words(s: str) -> set[str]:
    """English content words, crudely stemmed to five letters (measures/measure, rules/rule)."""
    return {w[:5] for w in re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKC", s).casefold())
            if w not in STOP and len(w) > 1}


def _bigrams(s: str) -> set[str]:
    t = "".join(ch for ch in unicodedata.normalize("NFKC", s) if ch.isalnum())
    return {t[i:i + 2] for i in range(len(t) - 1)}


def _similar(a: str, b: str) -> float:
    def fold(x: str) -> str:
        return "".join(ch for ch in unicodedata.normalize("NFKC", x).casefold() if ch.isalnum())

    return difflib.SequenceMatcher(None, fold(a), fold(b)).ratio()


def repeats_title(n: Node) -> list[str]:
    """Why the node's summary merely repeats its title (empty when it does not)."""
    why = []
    if len(_words(n.summary_en) - _words(n.title_en)) < 3:
        why.append("summary_en adds fewer than 3 words to the title")
    if len(_bigrams(n.summary_ja) - _bigrams(n.title_ja)) < 4:
        why.append("summary_ja adds almost nothing to the title")
    m = re.match(r"^(.*?)（(.*)）。?$", n.summary_ja)
    if m and (_similar(m.group(2), n.title_ja) >= 0.8 or _similar(m.group(2), m.group(1)) >= 0.8):
        why.append("summary_ja ends in a parenthesis repeating the title")
    if " — " in n.summary_en:
        head, tail = n.summary_en.split(" — ", 1)
        if (_similar(tail, n.title_en) >= 0.8 or _similar(tail, head) >= 0.7
                or len(_words(tail) - _words(n.title_en) - _words(head)) < 2):
            why.append("summary_en ends in a dash repeating the title")
    return why


def test_heading_summaries_do_not_merely_repeat_the_title(catalog: Catalog) -> None:
    bad = {n.id: repeats_title(n) for n in catalog if n.kind.value in HEADING_KINDS and repeats_title(n)}
    assert not bad, "\n".join(f"{i}: {', '.join(w)}" for i, w in bad.items())


def test_the_check_catches_mechanical_summaries(catalog: Catalog) -> None:
    """The guard must be able to fail: the old mechanical wording of 4.2.1(1) and 2.4.1(3) is caught."""
    n = catalog.get("4.2.1(1)")
    old = n.model_copy(update={"summary_en": "Rules for selecting cloud services — cloud selection rules.",
                               "summary_ja": "クラウドサービス選定の運用規程（クラウドサービス選定の運用規程）。"})
    assert len(repeats_title(old)) == 3
    m = catalog.get("2.4.1(3)").model_copy(update={
        "summary_en": "Revising the promotion plan — review the promotion plan.",
        "summary_ja": "対策推進計画の見直し（対策推進計画の見直し）。"})
    assert len(repeats_title(m)) == 4
    assert repeats_title(catalog.get("4.2.1(1)")) == []
