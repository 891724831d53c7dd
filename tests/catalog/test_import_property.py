"""Property test: any well-formed document rendered in either layout parses back to its own ids.

Documents are generated (not copied from anywhere): random chapters, sections, items, groups,
lettered requirements (up to 12, so "(i)" appears as a letter) and roman sub-items, with page
numbers dropped in at random places.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kijun.catalog.ids import LETTERS, ROMANS, NodeKind
from kijun.catalog.import_official import parse_official

_FW = str.maketrans("0123456789abcdefghijklmnopqrstuvwxyz()", "０１２３４５６７８９ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ（）")
_ROMAN_FW = dict(zip(ROMANS[:12], "ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹⅺⅻ", strict=True))

group_st = st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=12)  # subitems per letter
item_st = st.lists(group_st, min_size=1, max_size=3)
section_st = st.lists(item_st, min_size=1, max_size=2)
chapter_st = st.lists(section_st, min_size=1, max_size=2)
doc_st = st.lists(chapter_st, min_size=1, max_size=2)


_KANA = "アイウエオカキクケコサシ"


def _render(
    doc: list[list[list[list[list[int]]]]], ja: bool, pages: list[bool], kana: bool = False
) -> tuple[str, set[str]]:
    lines: list[str] = []
    ids: set[str] = set()
    page = iter(pages * 1000)

    def emit(line: str) -> None:
        lines.append(line)
        if next(page):
            lines.extend(["", f"{len(lines) % 90 + 1:>40}"])

    def num(s: str) -> str:
        return s.translate(_FW) if ja else s

    for c, sections in enumerate(doc, start=2):  # chapter 1 has no items; start at 2
        cid = str(c)
        ids.add(cid)
        emit(f"第{num(cid)}章　見出し{c}" if ja else f"Chapter {c}    Heading {c}")
        for s, items in enumerate(sections, start=1):
            sid = f"{c}.{s}"
            ids.add(sid)
            emit(f"{num(sid).replace('.', '．')}　節{sid}" if ja else f"{sid}    Section {sid}")
            for i, groups in enumerate(items, start=1):
                iid = f"{sid}.{i}"
                ids.add(iid)
                emit(f"{num(iid).replace('.', '．')}　款{iid}" if ja else f"{iid} Item {iid}")
                emit("目的・趣旨" if ja else "Purpose")
                emit("架空の趣旨。" if ja else "An imaginary purpose.")
                emit("遵守事項" if ja else "Compliance Requirements")
                for g, letters in enumerate(groups, start=1):
                    gid = f"{iid}({g})"
                    ids.add(gid)
                    emit(f"{num(f'({g})')}見出し" if ja else f"({g}) Group heading {g}")
                    for k, subs in enumerate(letters):
                        letter = LETTERS[k]
                        rid = f"{gid}({letter})"
                        ids.add(rid)
                        emit(f"　{num(f'({letter})')}本文です。" if ja else f"    ({letter}) Body of rule {letter}.")
                        for r in range(subs):
                            rom = ROMANS[r]
                            ids.add(f"{rid}({rom})")
                            mark = _KANA[r] if kana else _ROMAN_FW[rom]
                            emit(f"　　（{mark}）項目" if ja else f"         ({rom})   entry {rom}")
    return "\n".join(lines) + "\n", ids


@settings(max_examples=40, deadline=None)
@given(doc_st, st.booleans(), st.lists(st.booleans(), min_size=1, max_size=7), st.booleans())
def test_rendered_documents_parse_back(
    doc: list[list[list[list[list[int]]]]], ja: bool, pages: list[bool], kana: bool
) -> None:
    # chapter 1 must exist for the parser to find the body: add an empty one in front
    text, ids = _render(doc, ja, pages, kana)
    head = "第１章　総則\n" if ja else "Chapter 1    General\n"
    r = parse_official(head + text, "generated")
    got = set(r.nodes) - {"1"}
    assert got == ids
    assert r.unplaced == ()
    for nid in ids:
        n = r.nodes[nid]
        if n.kind in (NodeKind.REQUIREMENT, NodeKind.SUBITEM):
            assert n.text and not n.text[-1].isdigit(), (nid, n.text)  # no page numbers leaked
