"""scripts/sbom.sh: a CycloneDX SBOM of kijun's runtime dependencies (issue 8, ASVS 15.1.2 / `make sbom`)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CDX = Path(sys.executable).with_name("cyclonedx-py")


@pytest.fixture(scope="module")
def sbom(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    if not CDX.exists():
        pytest.skip("cyclonedx-py not installed (pip install 'cyclonedx-bom>=7,<8')")
    out = tmp_path_factory.mktemp("sbom") / "kijun.cdx.json"
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "sbom.sh"), str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
    )
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, object] = json.loads(out.read_text("utf-8"))
    return doc


def _components(doc: dict[str, object]) -> dict[str, dict[str, str]]:
    comps = doc["components"]
    assert isinstance(comps, list)
    return {c["name"].lower(): c for c in comps}


def test_sbom_is_cyclonedx_with_kijun_as_root(sbom: dict[str, object]) -> None:
    assert sbom["bomFormat"] == "CycloneDX"
    assert sbom["specVersion"] == "1.6"
    meta = sbom["metadata"]
    assert isinstance(meta, dict)
    assert meta["component"]["name"] == "kijun"
    assert meta["component"]["type"] == "application"


@pytest.mark.parametrize("dist", ["Django", "cryptography"])
def test_sbom_lists_runtime_dependency_with_installed_version(sbom: dict[str, object], dist: str) -> None:
    comp = _components(sbom)[dist.lower()]
    assert comp["version"] == metadata.version(dist)
    assert comp["purl"].startswith(f"pkg:pypi/{dist.lower()}@{metadata.version(dist)}")


def test_sbom_leaves_out_dev_tools_and_keeps_the_graph_consistent(sbom: dict[str, object]) -> None:
    comps = _components(sbom)
    for tool in ("pytest", "ruff", "mypy", "cyclonedx-bom", "atheris", "hypothesis"):
        assert tool not in comps, f"dev tool {tool} in the runtime SBOM"
    refs = {c["bom-ref"] for c in comps.values()}
    meta = sbom["metadata"]
    assert isinstance(meta, dict)
    root = meta["component"]["bom-ref"]
    deps = sbom["dependencies"]
    assert isinstance(deps, list)
    root_deps = next(d["dependsOn"] for d in deps if d["ref"] == root)
    assert comps["django"]["bom-ref"] in root_deps
    for d in deps:
        assert d["ref"] in refs | {root}
        assert set(d["dependsOn"]) <= refs
