"""The official-text parser on our own small fixtures (English and Japanese layouts)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from kijun.catalog.ids import NodeKind
from kijun.catalog.import_official import (
    OfficialTextError,
    parse_official,
    parse_official_file,
    read_text,
    term_index,
)
from kijun.catalog.layouts import ENGLISH, JAPANESE, detect_layout

from .conftest import FIXTURES


def test_english_fixture_structure() -> None:
    r = parse_official_file(FIXTURES / "en_sample.txt")
    assert r.layout == ENGLISH.name
    assert r.ids(NodeKind.CHAPTER) == ["1", "2"]
    assert r.nodes["2.1.1"].title == "Having a person in charge of the imaginary organization"
    assert r.nodes["2.1.1"].purpose.startswith("An imaginary organization names")
    assert r.nodes["2.1.1(1)"].title == "Naming a person in charge of the imaginary organization"
    assert r.nodes["1.2(1)"].title == "Imaginary classes"  # short title: the next line is body text
    assert r.nodes["1.2(1)"].text == "There are three imaginary classes."
    assert r.ids(NodeKind.SUBITEM) == ["2.1.1(1)(b)(i)", "2.1.1(1)(b)(ii)"]
    # "(i)" after "(h)" at the same indentation is the ninth requirement, not a roman sub-item
    assert "2.1.1(1)(i)" in r.ids(NodeKind.REQUIREMENT)
    assert r.nodes["2.1.1(1)(a)"].text.endswith("see also 2.1.1(2)(a).")
    assert r.nodes["1.3:test-terminal"].kind is NodeKind.DEFINITION
    # text after a page number continues the open requirement
    assert "after a page break" in r.nodes["2.1.1(2)(a)"].text
    assert r.page_numbers_dropped == 2
    assert [b.reason for b in r.skipped] == [
        "front matter (title page, notes)", "table of contents", "supplementary provisions (after the body)"]
    assert "takes effect" not in r.nodes["2.1.1(2)(a)"].text


def test_english_fixture_reports_unplaced_blocks_with_lines() -> None:
    r = parse_official_file(FIXTURES / "en_sample.txt")
    lines = (FIXTURES / "en_sample.txt").read_text(encoding="utf-8").split("\n")
    reasons = {b.reason.split(" (")[0]: b for b in r.unplaced}
    free = reasons["free text under item 2.1.1"]
    assert lines[free.line_start - 1].startswith("Free text here")
    skipped = next(b for b in r.unplaced if "out of sequence" in b.reason)
    assert lines[skipped.line_start - 1].strip().startswith("(k)")
    assert "2.1.1(1)(i)" in skipped.reason
    assert "(k) This marker" in r.nodes["2.1.1(1)(i)"].text  # kept, not lost


def test_japanese_fixture_full_width_markers() -> None:
    terms = term_index({"テスト端末": "1.3:test-terminal"})
    r = parse_official_file(FIXTURES / "ja_sample.txt", term_ids=terms)
    assert r.layout == JAPANESE.name
    assert r.nodes["1"].title == "総則"
    assert r.nodes["2.1.1"].title == "体制づくり"
    assert r.nodes["2.1.1"].purpose == "架空の組織が責任者を決めておくと、問い合わせ先が明確になる。"
    assert r.ids(NodeKind.GROUP) == ["1.1(1)", "1.2(1)", "2.1.1(1)", "2.1.1(2)", "2.1.2(1)"]
    assert r.ids(NodeKind.SUBITEM) == ["2.1.1(1)(b)(i)", "2.1.1(1)(b)(ii)", "2.1.1(2)(b)(i)", "2.1.1(2)(b)(ii)"]
    assert r.nodes["2.1.1(1)(b)(i)"].text == "決めた日"
    assert r.nodes["2.1.1(2)(b)(ii)"].text == "残っている課題"  # katakana (イ) is the second sub-item
    assert r.nodes["1.2(1)"].title == "架空の区分"
    # terms map to catalog ids; unknown Japanese terms get a stable hash id
    assert r.nodes["1.3:test-terminal"].title == "テスト端末"
    other = [i for i in r.ids(NodeKind.DEFINITION) if i != "1.3:test-terminal"]
    assert len(other) == 1 and other[0].startswith("1.3:term-")
    assert any("（ｄ）" in b.text and "out of sequence" in b.reason for b in r.unplaced)
    assert r.page_numbers_dropped == 1
    assert r.skipped[-1].reason.startswith("supplementary") and "効力" in r.skipped[-1].text


def test_japanese_layout_marker_recognition() -> None:
    assert JAPANESE.match_chapter("第４章　外部委託") == (4, "外部委託")
    assert JAPANESE.match_heading("４．２．１　クラウドサービスの選定") == ("4.2.1", "クラウドサービスの選定")
    (m,) = JAPANESE.match_marker("　（１２）見出し")
    assert (m.kind, m.token, m.rest) == ("group", "12", "見出し")
    kinds = {(x.kind, x.token) for x in JAPANESE.match_marker("　　（ⅰ）本文")}
    assert kinds == {("letter", "i"), ("roman", "i")}
    assert {(x.kind, x.token) for x in JAPANESE.match_marker("（ⅲ）本文")} == {("roman", "iii")}
    assert {(x.kind, x.token) for x in JAPANESE.match_marker("（ｃ）本文")} == {("letter", "c")}
    assert JAPANESE.is_purpose("目的・趣旨") and JAPANESE.is_requirements("遵守事項")
    assert JAPANESE.is_page_number("－ 12 －") and not JAPANESE.is_page_number("12月")
    assert JAPANESE.match_heading("4.2.1(2)(a)に定める") is None
    assert [(x.kind, x.token) for x in JAPANESE.match_marker("　　（ウ）本文")] == [("roman", "iii")]
    assert [(x.kind, x.token) for x in JAPANESE.match_marker("(ｴ)半角カナ")] == [("roman", "iv")]
    assert ENGLISH.match_marker("(ア) not in the English layout") == []


def test_detect_layout_and_not_a_standard() -> None:
    assert detect_layout(["第１章　総則"]) is JAPANESE
    assert detect_layout(["Chapter 1 General"]) is ENGLISH
    with pytest.raises(OfficialTextError, match="no 'Chapter 1'"):
        parse_official("just some text\nwithout headings\n", source="x.txt")


def test_encodings_bom_cp932_gzip(tmp_path: Path) -> None:
    ja = (FIXTURES / "ja_sample.txt").read_text(encoding="utf-8")
    (tmp_path / "sjis.txt").write_bytes(ja.encode("cp932"))
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + ja.encode("utf-8"))
    (tmp_path / "gz.txt.gz").write_bytes(gzip.compress(ja.encode("utf-8")))
    for name in ("sjis.txt", "bom.txt", "gz.txt.gz"):
        assert read_text(tmp_path / name) == ja
        assert parse_official_file(tmp_path / name).nodes["2.1.1"].title == "体制づくり"
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00\x81\x00")
    with pytest.raises(OfficialTextError, match="neither UTF-8 nor CP932"):
        read_text(tmp_path / "bin.txt")


def test_reference_placement(official: object) -> None:
    from kijun.catalog.import_official import OfficialImport

    assert isinstance(official, OfficialImport)
    reqs = official.ids(NodeKind.REQUIREMENT)
    assert reqs and all(official.nodes[i].text for i in reqs)
    assert official.nodes["2.2.4(2)(i)"].kind is NodeKind.REQUIREMENT  # "(i)" after "(h)"
    assert official.nodes["2.1.1(8)(a)(ii)"].kind is NodeKind.SUBITEM
    assert official.nodes["4.1.2(4)"].title.startswith("Measures for using services")
    assert "Supplementary" not in official.nodes["8.1.3(3)(c)"].text
    assert official.skipped[-1].reason.startswith("supplementary")
