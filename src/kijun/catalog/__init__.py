"""The 統一基準 (Common Standards) as data: model, loader, search, official-text import, diff, OSCAL.

Pure package (no Django).  Typical use::

    from kijun.catalog import load_catalog
    cat = load_catalog()                 # packaged R7 catalog, validated
    cat.get("4.2.1(2)(c)").summary_ja

See docs/catalog.md for the data format, tag vocabulary and CLI output schemas.
"""

from __future__ import annotations

from .catalog import Catalog, SearchHit
from .diff import DiffResult, diff_snapshots, snapshot_of_catalog, snapshot_of_import
from .ids import IdError, NodeKind, kind_of, parent_of, sort_key
from .import_official import OfficialImport, OfficialTextError, parse_official, parse_official_file
from .loader import CatalogError, Issue, default_data_dir, load_catalog
from .model import Node, Tags

__all__ = [
    "Catalog",
    "CatalogError",
    "DiffResult",
    "IdError",
    "Issue",
    "Node",
    "NodeKind",
    "OfficialImport",
    "OfficialTextError",
    "SearchHit",
    "Tags",
    "default_data_dir",
    "diff_snapshots",
    "kind_of",
    "load_catalog",
    "parent_of",
    "parse_official",
    "parse_official_file",
    "snapshot_of_catalog",
    "snapshot_of_import",
    "sort_key",
]
