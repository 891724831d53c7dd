"""Helpers for the database-layer tests: synthetic feed/inventory files and one-call loaders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kijun.diagnostics import synthetic
from kijun.diagnostics.services import ingest_files, rematch
from kijun.diagnostics.store import parse_files, store_parsed


def write_feeds(d: Path, nvd: dict[str, Any] | None = None, kev: dict[str, Any] | None = None) -> dict[str, Path]:
    d.mkdir(parents=True, exist_ok=True)
    (d / "nvd.json").write_text(json.dumps(nvd or synthetic.nvd_page()), encoding="utf-8")
    (d / "kev.json").write_text(json.dumps(kev or synthetic.kev_doc()), encoding="utf-8")
    (d / "epss.csv").write_text(synthetic.epss_csv(), encoding="utf-8")
    return {"nvd": d / "nvd.json", "kev": d / "kev.json", "epss": d / "epss.csv"}


def sync(files: dict[str, Path]) -> dict[str, dict[str, int]]:
    return store_parsed(parse_files(nvd=[files["nvd"]], kev=files.get("kev"), epss=files.get("epss")),
                        actor_label="test")


def write_inventory(d: Path, rows: list[tuple[str, str, str, str, str, str]] | None = None,
                    name: str = "inv.csv") -> Path:
    d.mkdir(parents=True, exist_ok=True)
    p = d / name
    p.write_text(synthetic.inventory_csv(rows), encoding="utf-8")
    return p


def load_all(tmp: Path, unit: Any, system: Any = None) -> Any:
    files = write_feeds(tmp / "feeds")
    sync(files)
    ingest_files([write_inventory(tmp / "inv")], unit=unit, system=system, actor_label="test")
    return rematch(actor_label="test")
