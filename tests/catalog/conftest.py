"""Catalog test fixtures: the packaged catalog, and the reference translation from ../shared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kijun.catalog.catalog import Catalog
from kijun.catalog.import_official import OfficialImport, parse_official_file
from kijun.catalog.loader import load_catalog

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
STANDARDS = SHARED / "reference" / "standards"
REF_TEXT = STANDARDS / "common-standards-r7-en.txt"
REF_TOC = STANDARDS / "r7_en_toc.json"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def ref_text_path() -> Path:
    if not REF_TEXT.is_file():
        pytest.skip(f"reference translation not present at {REF_TEXT} (needs the ../shared folder)")
    return REF_TEXT


@pytest.fixture(scope="session")
def ref_toc() -> list[dict[str, Any]]:
    if not REF_TOC.is_file():
        pytest.skip(f"reference TOC not present at {REF_TOC} (needs the ../shared folder)")
    data: list[dict[str, Any]] = json.loads(REF_TOC.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def official(ref_text_path: Path) -> OfficialImport:
    return parse_official_file(ref_text_path)
