#!/usr/bin/env bash
# Run the whole pytest suite on SQLite, then every database-touching test again on a fresh PostgreSQL database.
# With CI=true, PostgreSQL and chromium are mandatory; elsewhere a missing one is skipped with one line.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export KIJUN_SECRET_KEY="test-only-$(date +%s)-$RANDOM"
export KIJUN_DATA_DIR="$(mktemp -d)"
trap 'rm -rf "$KIJUN_DATA_DIR"' EXIT
PYTEST_ARGS=("$@")

run_pytest() {
  "$BIN/pytest" -q "${PYTEST_ARGS[@]}"
  local rc=$?
  if [ "$rc" -eq 5 ]; then echo "pytest collected no tests" >&2; return 1; fi
  return "$rc"
}

echo "== tests on SQLite"
unset KIJUN_DATABASE_URL
run_pytest || exit 1

PG_HOST=${KIJUN_TEST_PG_HOST:-127.0.0.1}
PG_PORT=${KIJUN_TEST_PG_PORT:-5432}
PG_USER=${KIJUN_TEST_PG_USER:-postgres}
if "$BIN/python" - "$PG_HOST" "$PG_PORT" "$PG_USER" <<'PY'
import sys, psycopg
try:
    psycopg.connect(host=sys.argv[1], port=int(sys.argv[2]), user=sys.argv[3], dbname="postgres", connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
    raise SystemExit(1)
PY
then
  echo "== tests on PostgreSQL ($PG_HOST:$PG_PORT)"
  export KIJUN_DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/kijun_$$"
  # Only tests that touch the database run again (pure engine tests already ran above).
  KIJUN_TEST_DB_ONLY=1 run_pytest || exit 1
else
  if [ "${CI:-}" = "true" ]; then echo "CI: PostgreSQL is required but not reachable" >&2; exit 1; fi
  echo "PostgreSQL not reachable on $PG_HOST:$PG_PORT — skipped the PostgreSQL run (SQLite run passed)."
fi
