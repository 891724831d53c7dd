"""The shipped catalog's coverage and the loader's validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kijun.discovery.catalog import Catalog, load_catalog, parse_catalog
from kijun.discovery.model import DiscoveryError

CATS = [{"id": "file_sharing", "name_ja": "ファイル共有", "name_en": "File sharing"}]


def _app(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "x", "name_en": "X", "vendor": "V", "category": "file_sharing", "domains": ["x.example"],
    }  # fmt: skip
    return {**base, **kw}


def test_shipped_catalog_size_and_domestic_services(catalog: Catalog) -> None:
    assert len(catalog.apps) >= 300
    for app_id in ("microsoft-365", "google-drive", "slack", "zoom", "dropbox", "box", "chatgpt", "deepl",
                   "github", "notion", "canva", "cybozu-cloud", "sansan", "chatwork", "line-works",
                   "backlog", "freee", "money-forward", "smarthr", "cloudsign"):  # fmt: skip
        assert catalog.get(app_id) is not None, app_id
    jp = [a for a in catalog.apps.values() if a.hq_country == "JP"]
    assert len(jp) >= 80
    assert all(a.category in catalog.categories for a in catalog.apps.values())
    # No invented ISMAP numbers: the list is imported, not guessed.
    assert all(a.ismap is None for a in catalog.apps.values())


def test_every_suffix_has_one_owner(catalog: Catalog) -> None:
    suffixes = catalog.suffixes()
    assert sum(len(a.domains) for a in catalog.apps.values()) == len(suffixes)
    assert suffixes["cybozu.com"] == "cybozu-cloud"
    assert suffixes["docs.google.com"] == "google-drive" and suffixes["google.com"] == "google-search"


def test_norway_is_not_false(catalog: Catalog) -> None:
    assert catalog.get("whereby").hq_country == "NO"  # YAML 1.1 would read a bare NO as false


@pytest.mark.parametrize(
    ("apps", "message"),
    [
        ([_app(), _app()], "duplicate id"),
        ([_app(), _app(id="y", domains=["x.example"])], "already claimed by app 'x'"),
        ([_app(category="nope")], "unknown category"),
        ([_app(domains=["Bad Domain"])], "bad domain suffix"),
        ([_app(hq_country=False)], "bad hq_country"),
        ([_app(data_locations=["Japan"])], "bad country code"),
        ([_app(terms_only="yes")], "terms_only"),
        ([_app(id="Upper")], "lower-case"),
        ([_app(extra=1)], "unknown fields"),
        ([_app(ismap=12)], "ismap"),
    ],
)
def test_validation_errors(apps: list[dict[str, object]], message: str) -> None:
    with pytest.raises(DiscoveryError, match=message):
        parse_catalog({"categories": CATS, "apps": apps}, "test.yaml")


def test_extra_catalog_file(tmp_path: Path) -> None:
    extra = tmp_path / "local.yaml"
    extra.write_text(yaml.safe_dump({"apps": [_app(id="agency-portal", domains=["portal.example.go.jp"],
                                                    category="collaboration")]}))  # fmt: skip
    cat = load_catalog(extra=[extra])
    assert cat.get("agency-portal") is not None and cat.get("box") is not None
    extra.write_text(yaml.safe_dump({"apps": [_app(id="box2", domains=["box.com"])]}))
    with pytest.raises(DiscoveryError, match="already claimed by app 'box'"):
        load_catalog(extra=[extra])
