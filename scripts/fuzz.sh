#!/usr/bin/env bash
# Run every parser fuzz target (fuzz/targets.py) for N seconds each and print a summary table.
#
#   scripts/fuzz.sh [SECONDS] [-j JOBS] [-k PATTERN]
#
# SECONDS per target (default 60, or $FUZZ_SECONDS); JOBS targets run side by side (default: the
# number of CPUs); -k runs only targets whose name contains PATTERN. Exits non-zero when any target
# crashed; crashing inputs are saved under var/fuzz-crashes/<target>/ (see fuzz/run.py).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SECONDS_PER=${FUZZ_SECONDS:-60}
JOBS=$(nproc 2>/dev/null || echo 1)
PATTERN=""
while [ $# -gt 0 ]; do
  case "$1" in
    -j) JOBS=$2; shift 2 ;;
    -k) PATTERN=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) SECONDS_PER=$1; shift ;;
  esac
done
OUT=var/fuzz/run-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
mapfile -t TARGETS < <("$PY" fuzz/run.py --list | grep -F -- "$PATTERN")
echo "fuzzing ${#TARGETS[@]} targets, ${SECONDS_PER}s each, ${JOBS} at a time -> $OUT" >&2
printf '%s\n' "${TARGETS[@]}" | xargs -P "$JOBS" -I{} sh -c \
  "\"$PY\" fuzz/run.py {} --seconds $SECONDS_PER --json \"$OUT/{}.json\" >/dev/null 2>&1 || true; echo '  done {}' >&2"
"$PY" - "$OUT" "${TARGETS[@]}" <<'PYEOF'
import json, sys
from pathlib import Path
out, names = Path(sys.argv[1]), sys.argv[2:]
rows, bad = [], 0
for n in names:
    p = out / f"{n}.json"
    d = json.loads(p.read_text()) if p.is_file() else {"executions": 0, "crash_count": -1, "crashes": [], "engine": "?"}
    rows.append((n, d["executions"], d["crash_count"], len(d["crashes"]), d.get("engine", "?")))
    bad += d["crash_count"] != 0
w = max(len(r[0]) for r in rows)
print(f"{'target':<{w}}  {'executions':>10}  {'crashes':>7}  {'distinct':>8}  engine")
for n, e, c, k, eng in rows:
    print(f"{n:<{w}}  {e:>10}  {c if c >= 0 else 'NO RESULT':>7}  {k:>8}  {eng}")
print(f"{'total':<{w}}  {sum(r[1] for r in rows):>10}  {sum(max(r[2], 0) for r in rows):>7}")
for n in names:
    p = out / f"{n}.json"
    for c in (json.loads(p.read_text())["crashes"] if p.is_file() else []):
        print(f"CRASH {n}: {c['signature']} x{c['count']}: {c['message'].splitlines()[0]} -> {c['input']}")
sys.exit(1 if bad else 0)
PYEOF
