"""Catalog lookups and in-memory search."""

from __future__ import annotations

import pytest

from kijun.catalog.catalog import Catalog, normalise
from kijun.catalog.ids import NodeKind


def test_tree_lookups(catalog: Catalog) -> None:
    assert [n.id for n in catalog.ancestors("4.2.1(1)(a)(i)")] == ["4", "4.2", "4.2.1", "4.2.1(1)", "4.2.1(1)(a)"]
    kids = [n.id for n in catalog.children("2.1.1")]
    assert kids[:3] == ["2.1.1(1)", "2.1.1(2)", "2.1.1(3)"]
    assert all(n.parent == "2.1.1" for n in catalog.children("2.1.1"))
    desc = catalog.descendants("7.3")
    assert desc[0].id == "7.3.1" and all(n.id.startswith("7.3.") for n in desc)
    assert catalog.get("7.3").kind is NodeKind.SECTION
    with pytest.raises(KeyError, match="9.9"):
        catalog.get("9.9")


def test_document_order_and_chapters(catalog: Catalog) -> None:
    ids = list(catalog.nodes)
    assert ids.index("2.1.1(1)(a)") < ids.index("2.1.1(1)(b)") < ids.index("2.1.1(2)") < ids.index("2.1.2")
    assert ids.index("8.1.1(9)") < ids.index("8.1.1(10)")
    assert {n.chapter for n in catalog} == {str(c) for c in range(1, 9)}
    assert all(n.chapter == "4" for n in catalog.in_chapter("4"))


def test_search_japanese_substring_and_width_folding(catalog: Catalog) -> None:
    hits = catalog.search("クラウドサービス管理者")
    assert hits and hits[0].id == "1.3:cloud-service-administrator"
    assert "クラウドサービス管理者" in hits[0].snippet
    # no word spaces in Japanese: a substring in the middle of a title matches
    assert any(h.id == "7.3" for h in catalog.search("トラスト"))
    # full-width latin and case differences fold
    assert {h.id for h in catalog.search("ＣＳＩＲＴ")} == {h.id for h in catalog.search("csirt")}
    assert catalog.search("csirt")


def test_search_ranks_titles_first_and_requires_all_terms(catalog: Catalog) -> None:
    hits = catalog.search("cloud")
    ranks = [h.rank for h in hits]
    assert ranks == sorted(ranks)
    both = catalog.search("cloud administrator")
    assert both and all(
        "administrator" in normalise(" ".join(str(v) for v in catalog.get(h.id).model_dump().values()))
        for h in both)
    assert catalog.search("   ") == []
    assert catalog.search("zzqqxx-not-there") == []
    assert len(catalog.search("の", limit=5)) == 5


def test_every_node_has_titles_and_summaries(catalog: Catalog) -> None:
    for n in catalog:
        assert n.title_en.strip() and n.title_ja.strip(), n.id
        assert n.summary_en.strip() and n.summary_ja.strip(), n.id
        assert n.title_ja_status == "unofficial"
        if n.kind in (NodeKind.REQUIREMENT, NodeKind.SUBITEM):
            assert n.title_en_status == "own", n.id
        else:
            assert n.title_en_status == "official", n.id
        if n.kind is NodeKind.ITEM:
            assert n.purpose_en and n.purpose_ja


def test_summaries_reviewed_and_requirement_labels_written(catalog: Catalog) -> None:
    """Every summary is hand-written (no mechanical drafts left) and requirements carry own labels."""
    drafts = [n.id for n in catalog if n.summary_status == "draft"]
    assert not drafts, drafts
    for n in catalog.of_kind(NodeKind.REQUIREMENT):
        group = catalog.get(n.parent or "")
        assert not n.title_en.startswith(group.title_en), n.id  # not the mechanical "<group title> (a)"
        assert len(n.summary_en) >= 20 and len(n.summary_ja) >= 10, n.id


def test_role_and_tag_rollups(catalog: Catalog) -> None:
    item = catalog.get("4.2.1")
    kids_roles = {r for c in catalog.descendants("4.2.1") for r in c.responsible_roles}
    assert set(item.responsible_roles) <= kids_roles | {"ciso"}
    assert "permitting_authority" in catalog.get("4.2.1(4)(b)").responsible_roles
    assert catalog.get("8.1.1(3)(h)").related == ("4.2.1(4)(b)", "4.2.3(2)(b)")
    assert "3.2.1(2)(a)" in catalog.get("2.1.1(4)(b)").related  # cross-reference found in the official text


def test_docs_cover_vocabulary_and_commands() -> None:
    """docs/catalog.md lists every tag word and every CLI command (documentation stays complete)."""
    from pathlib import Path

    from kijun.catalog.cli import app
    from kijun.catalog.vocab import APPLIES_TO, LIFECYCLE_PHASES

    doc = (Path(__file__).resolve().parents[2] / "docs" / "catalog.md").read_text(encoding="utf-8")
    for word in [*APPLIES_TO, *LIFECYCLE_PHASES]:
        assert f"`{word}`" in doc, word
    for cmd in app.registered_commands:
        assert cmd.name and cmd.name in doc, cmd.name


def test_public_api_is_explicit() -> None:
    import types

    import kijun.catalog as pkg

    public = {
        name for name in dir(pkg)
        if not name.startswith("_") and name != "annotations"
        and not isinstance(getattr(pkg, name), types.ModuleType)  # submodules loaded by other tests
    }
    assert public == set(pkg.__all__)
    assert pkg.load_catalog().get("7.3").kind is pkg.NodeKind.SECTION
