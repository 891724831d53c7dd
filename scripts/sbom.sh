#!/usr/bin/env bash
# CycloneDX JSON SBOM of kijun and its installed *runtime* dependencies.
#
#   scripts/sbom.sh [OUTPUT]        (default: var/sbom/kijun-sbom.cdx.json)
#
# cyclonedx-py (pip package cyclonedx-bom) describes the whole virtual environment, which also holds
# the dev tools (pytest, ruff, mypy, playwright, the SBOM tool itself...). We keep kijun as the root
# component and only the packages reachable from kijun's own Requires-Dist (no extras), with the
# dependency graph pruned the same way, so the SBOM lists what a deployment actually ships.
# Reproducible: no timestamp/serial unless SOURCE_DATE_EPOCH is set.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${1:-var/sbom/kijun-sbom.cdx.json}
CDX=$(dirname "$PY")/cyclonedx-py
if [ ! -x "$CDX" ]; then
  echo "error: cyclonedx-py not found; install it with: $(dirname "$PY")/pip install 'cyclonedx-bom>=7,<8'" >&2
  exit 3
fi
mkdir -p "$(dirname "$OUT")"
TMP=$(mktemp "${TMPDIR:-/tmp}/kijun-env-sbom.XXXXXX")
trap 'rm -f "$TMP"' EXIT
"$CDX" environment --pyproject pyproject.toml --mc-type application --output-reproducible \
  --sv 1.6 --of JSON -o "$TMP" "$PY"
"$PY" - "$TMP" "$OUT" <<'PYEOF'
import json, os, re, sys
from importlib import metadata
from packaging.requirements import Requirement

src, out = sys.argv[1], sys.argv[2]
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()

def requires(dist: str, extras: frozenset[str] = frozenset()) -> set[tuple[str, frozenset[str]]]:
    """Requirements of an installed distribution whose markers hold for the requested extras only."""
    found = set()
    for raw in metadata.requires(dist) or []:
        req = Requirement(raw)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ("", *extras)):
            found.add((norm(req.name), frozenset(req.extras)))
    return found

installed = {norm(d.metadata["Name"]): d.metadata["Name"] for d in metadata.distributions()}
todo = list(requires("kijun"))
direct = {n for n, _ in todo}
closure: set[str] = set()
seen: set[tuple[str, frozenset[str]]] = set()
while todo:
    item = todo.pop()
    name, extras = item
    if item in seen or name not in installed:
        continue
    seen.add(item)
    closure.add(name)
    todo.extend(requires(installed[name], extras))

bom = json.load(open(src, encoding="utf-8"))
root = bom["metadata"]["component"]["bom-ref"]
keep = [c for c in bom.get("components", []) if norm(c["name"]) in closure]
refs = {c["bom-ref"] for c in keep}
missing = sorted(closure - {norm(c["name"]) for c in keep})
if missing:
    sys.exit(f"error: runtime dependencies missing from the environment SBOM: {missing}")
deps = []
for d in bom.get("dependencies", []):
    if d["ref"] in refs:
        deps.append({"ref": d["ref"], "dependsOn": sorted(r for r in d.get("dependsOn", []) if r in refs)})
deps.append({"ref": root, "dependsOn": sorted(c["bom-ref"] for c in keep if norm(c["name"]) in direct)})
bom["components"] = sorted(keep, key=lambda c: norm(c["name"]))
bom["dependencies"] = sorted(deps, key=lambda d: d["ref"])
props = bom["metadata"].setdefault("properties", [])
props.append({"name": "kijun:sbom:scope", "value": "runtime dependencies (Requires-Dist closure, no extras)"})
tmp = out + ".tmp"
with open(tmp, "w", encoding="utf-8") as fh:
    json.dump(bom, fh, indent=2, ensure_ascii=False)
    fh.write("\n")
os.replace(tmp, out)
print(f"{out}: {len(keep)} runtime components (of {len(installed)} installed)", file=sys.stderr)
PYEOF
