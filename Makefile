# kijun — developer and user entry points. See README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Pure engine packages checked with mypy --strict (only those present).
STRICT_PKGS := src/kijun/core/uploads.py $(wildcard src/kijun/catalog src/kijun/classification src/kijun/cloud src/kijun/discovery \
                 src/kijun/access src/kijun/diagnostics) \
               src/kijun/core/auditchain.py src/kijun/core/incompatible.py src/kijun/core/roles.py

.PHONY: run install dev test lint typecheck semgrep bench fuzz messages assets clean sbom

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

## make run: install, migrate, load the demo organisation, serve http://$(HOST):$(PORT)
run: install
	KIJUN_LOCAL_HTTP=1 $(BIN)/kijun migrate
	KIJUN_LOCAL_HTTP=1 $(BIN)/kijun demo load
	KIJUN_LOCAL_HTTP=1 $(BIN)/kijun serve --host $(HOST) --port $(PORT)

lint: dev
	$(BIN)/ruff check src tests benchmarks scripts fuzz

# Django shell modules inside engine packages (models, views, API, DB services) are not strict-typed.
MYPY_EXCLUDE := '(/migrations/|/(models|views|api|store|apps|urls|forms|services|admin)\.py$$)'
typecheck: dev
	$(BIN)/mypy --strict --exclude $(MYPY_EXCLUDE) $(STRICT_PKGS)

# semgrep lives in its own venv (its pins would fight the app's); rules and their tests in .semgrep/
SEMGREP := .venv-tools/bin/semgrep
SEMGREP_FLAGS := --metrics=off --disable-version-check --config .semgrep/kijun.yml
$(SEMGREP):
	$(PYTHON) -m venv .venv-tools
	.venv-tools/bin/pip install --quiet 'semgrep>=1.100,<2'

semgrep: $(SEMGREP)
	$(SEMGREP) --test $(SEMGREP_FLAGS) .semgrep/kijun.py
	$(SEMGREP) scan $(SEMGREP_FLAGS) --error --quiet src

## make test: lint, types, the whole suite on SQLite and on PostgreSQL, browser tests included
test: dev lint typecheck semgrep
	bash scripts/run_tests.sh

bench: dev
	@set -e; for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

## make fuzz: every parser fuzz target for FUZZ_SECONDS (60) each; table; non-zero on any crash
fuzz: dev
	bash scripts/fuzz.sh $(or $(FUZZ_SECONDS),60)

## make sbom: CycloneDX SBOM of kijun's runtime dependencies -> var/sbom/kijun-sbom.cdx.json
sbom: dev
	bash scripts/sbom.sh

messages: dev
	$(BIN)/python scripts/update_messages.py

## refresh vendored front-end assets from the npm registry (needs node/npm; the results are committed)
assets:
	bash scripts/update_assets.sh

clean:
	rm -rf $(VENV) .venv-tools .pytest_cache .mypy_cache .ruff_cache
