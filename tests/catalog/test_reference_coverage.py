"""The catalog against the reference translation in ../shared (skipped when absent).

Counts come from the reference at run time, never from constants in this file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kijun.catalog.catalog import Catalog
from kijun.catalog.ids import NodeKind
from kijun.catalog.import_official import OfficialImport


def _norm_title(t: str) -> str:
    """The TOC json carries layout residue: a wrapped "Agency- furnished" and a trailing " ."."""
    t = " ".join(t.split())
    t = re.sub(r"(\w)- (\w)", r"\1-\2", t)
    return re.sub(r"\s*\.$", "", t)


def _toc_ids(toc: list[dict[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    container = ""
    for e in toc:
        if "id" not in e:
            continue
        if e["level"] == "requirement-group":
            out[f"{container}{e['id']}"] = e["title"]
        else:
            container = e["id"]
            out[e["id"]] = e["title"]
    return out


def test_every_toc_id_is_in_catalog_with_same_title(catalog: Catalog, ref_toc: list[dict[str, Any]]) -> None:
    toc = _toc_ids(ref_toc)
    assert len(toc) > 200
    missing = [i for i in toc if i not in catalog]
    assert not missing, f"TOC ids missing from catalog: {missing}"
    wrong = {i: (catalog.get(i).title_en, t) for i, t in toc.items() if _norm_title(catalog.get(i).title_en) != _norm_title(t)}
    assert not wrong, wrong


def _body_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    start = next(i for i, ln in enumerate(lines) if re.match(r"^\s*Chapter 1\s+\S", ln) and "...." not in ln)
    return lines[start:]


def _reference_requirement_count(path: Path) -> int:
    """Count lettered requirements independently of the parser.

    A roman-looking "(i)"/"(v)"/"(x)" is a sub-item when it continues a roman list: "(i)" followed
    by "(ii)", "(v)" after "(iv)", "(x)" after "(ix)"; otherwise it is a letter.
    """
    markers = [m.group(1) for ln in _body_lines(path) if (m := re.match(r"^\s*\(([a-z]+)\)\s", ln))]
    count = 0
    for k, tok in enumerate(markers):
        if len(tok) > 1:
            continue
        nxt = markers[k + 1] if k + 1 < len(markers) else ""
        prev = markers[k - 1] if k else ""
        if (tok == "i" and nxt == "ii") or (tok == "v" and prev == "iv") or (tok == "x" and prev == "ix"):
            continue
        count += 1
    return count


def test_requirement_count_matches_reference(catalog: Catalog, ref_text_path: Path) -> None:
    expected = _reference_requirement_count(ref_text_path)
    assert expected > 300
    assert len(catalog.of_kind(NodeKind.REQUIREMENT)) == expected


def test_group_and_subitem_counts_match_reference(catalog: Catalog, ref_text_path: Path) -> None:
    body = _body_lines(ref_text_path)
    groups = sum(1 for ln in body if re.match(r"^\s*\(\d+\)\s+[A-Z]", ln))
    romans = sum(1 for ln in body if re.match(r"^\s*\((ii|iii|iv|vi|vii|viii|ix)\)\s", ln))
    assert len(catalog.of_kind(NodeKind.GROUP)) == groups
    subitems = catalog.of_kind(NodeKind.SUBITEM)
    assert sum(1 for n in subitems if not n.id.endswith(("(i)", "(v)", "(x)"))) == romans


def test_import_round_trip(catalog: Catalog, official: OfficialImport) -> None:
    want = {n.id for n in catalog.of_kind(NodeKind.REQUIREMENT)}
    got = {i for i, n in official.nodes.items() if n.kind is NodeKind.REQUIREMENT and n.text.strip()}
    placed = len(want & got) / len(want)
    assert placed >= 0.99, f"only {placed:.2%} of requirements received official text"
    assert want == got, {"missing_in_import": sorted(want - got), "not_in_catalog": sorted(got - want)}
    # the catalog has nothing the text lacks, except the 1.2 class definitions we split out of its tables
    extra = {i for i in catalog.nodes if i not in official.nodes}
    assert extra and all(i.startswith("1.2(") and ":" in i for i in extra), sorted(extra)
    # every structural id of the import exists in the catalog, with the same English title
    for nid, n in official.nodes.items():
        assert nid in catalog, nid
        if n.kind not in (NodeKind.REQUIREMENT, NodeKind.SUBITEM):
            assert catalog.get(nid).title_en == n.title, nid
    # unplaced blocks are reported, each with line numbers inside the file
    for b in official.unplaced:
        assert 1 <= b.line_start <= b.line_end and b.reason
    assert all(n.purpose for n in official.nodes.values() if n.kind is NodeKind.ITEM)


def _ngrams(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_summaries_are_our_own_words(catalog: Catalog, official: OfficialImport) -> None:
    """No summary or purpose shares an 8-word run with the official text (titles are exempt)."""
    official_grams: set[tuple[str, ...]] = set()
    for n in official.nodes.values():
        official_grams |= _ngrams(n.text) | _ngrams(n.purpose)
    copied = {}
    for n in catalog:
        fields = ("summary_en", "purpose_en", "title_en") if n.title_en_status == "own" else ("summary_en", "purpose_en")
        for field in fields:
            text = getattr(n, field) or ""
            # our summaries may quote official titles (facts); drop them before comparing
            for a in [n, *catalog.ancestors(n.id)]:
                if a.title_en_status == "official":
                    text = text.replace(a.title_en, " ")
            overlap = _ngrams(text) & official_grams
            if overlap:
                copied[f"{n.id}.{field}"] = " ".join(next(iter(overlap)))
    assert not copied, copied


def test_roles_assigned_where_engines_need_them(catalog: Catalog) -> None:
    scopes = ("2.", "4.", "5.", "7.3.", "8.1.")
    missing = [n.id for n in catalog.of_kind(NodeKind.REQUIREMENT)
               if n.id.startswith(scopes) and not n.responsible_roles]
    assert not missing, missing


def test_engine_tags_present(catalog: Catalog) -> None:
    cloud = {n.id for n in catalog.with_tag(applies_to="cloud")}
    assert {"4.2.1(2)(a)", "4.2.3(1)(a)", "8.1.1(10)(a)"} <= cloud
    for n in [catalog.get("4.2.1"), catalog.get("4.2.2"), *catalog.descendants("4.2.1"), *catalog.descendants("4.2.2")]:
        assert "confidential_only" in n.tags.applies_to or n.kind.value == "subitem", n.id
    for n in [catalog.get("4.2.3"), *catalog.descendants("4.2.3")]:
        assert "confidential_only" not in n.tags.applies_to, n.id
    assert {n.id for n in catalog.with_tag(applies_to="zero_trust")} >= {
        n.id for n in catalog.descendants("7.3")}
    assert {n.id for n in catalog.with_tag(applies_to="telework")} >= {n.id for n in catalog.descendants("8.1.3")}
    ops = catalog.with_tag(applies_to="cloud", lifecycle_phase="operation")
    assert any(n.id.startswith("4.2.2(4)") for n in ops)
