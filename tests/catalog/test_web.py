"""Catalog pages, API and database search (FTS5 trigram on SQLite, pg_trgm on PostgreSQL)."""

from __future__ import annotations

import pytest
from django.test import Client
from typer.testing import CliRunner

from kijun.catalog.models import OfficialText
from kijun.catalog.store import default_catalog, search
from kijun.cli.main import app
from kijun.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_search_japanese_short_and_long_terms(demo) -> None:  # type: ignore[no-untyped-def]
    cat = default_catalog()
    ids, total = search("クラウドサービス")  # long term: FTS5 trigram on SQLite
    assert total > 5 and any(i.startswith("4.2") for i in ids)
    for i in ids:
        n = cat.get(i)
        assert "クラウドサービス" in " ".join([n.title_ja, n.summary_ja, n.purpose_ja or ""])
    short, n_short = search("監査")  # two characters: below the trigram length, LIKE fallback
    assert n_short > 3 and all("監査" in (cat.get(i).title_ja + cat.get(i).summary_ja +
                                          (cat.get(i).purpose_ja or "")) for i in short)
    both, n_both = search("監査 計画")
    assert 0 < n_both <= n_short
    assert search("存在しないはずの語句xyz")[1] == 0


def test_search_is_width_and_case_insensitive(demo) -> None:  # type: ignore[no-untyped-def]
    assert search("ＣＳＩＲＴ")[1] == search("csirt")[1] > 0


def test_pages_render_for_staff(demo, login_as) -> None:  # type: ignore[no-untyped-def]
    c = login_as("staff")
    index = c.get("/catalog/")
    assert index.status_code == 200 and "4.2.1" in index.content.decode()
    node = c.get("/catalog/n/4.2.1(1)/")
    assert node.status_code == 200
    assert default_catalog().get("4.2.1(1)").summary_ja in node.content.decode()
    assert c.get("/catalog/n/9.9.9/").status_code == 404
    res = c.get("/catalog/search/?q=テレワーク")
    assert res.status_code == 200 and "8.1" in res.content.decode()


def test_api_node_and_search(demo) -> None:  # type: ignore[no-untyped-def]
    from kijun.core.tokens import issue_token

    raw = issue_token(demo["users"]["staff"], "x", 5)[1]
    c = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    r = c.get("/api/v1/catalog/nodes/4.2.1")
    assert r.status_code == 200 and r.json()["kind"] == "item" and r.json()["children"]
    s = c.get("/api/v1/catalog/search?q=暗号&limit=5").json()
    assert s["count"] >= len(s["items"]) > 0
    assert c.get("/api/v1/catalog/nodes/nope").status_code == 404


def test_import_official_store_from_reference(demo, shared_dir, login_as) -> None:  # type: ignore[no-untyped-def]
    src = shared_dir / "reference" / "standards" / "common-standards-r7-en.txt"
    res = CliRunner().invoke(app, ["catalog", "import-official", str(src), "--store", "--json"])
    assert res.exit_code == 0, res.output
    assert OfficialText.objects.count() > 385
    assert AuditEntry.objects.filter(action="catalog.import_official").exists()
    # the official wording is now searchable and shown on the page
    ids, total = search("head information security officer")
    assert total > 0
    page = login_as("staff").get("/catalog/n/2.1.1(8)(a)/").content.decode()
    assert "Official wording" in page or "公式の文言" in page
