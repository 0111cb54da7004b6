# Every target creates .venv on first use from this project's own files, so a fresh machine
# needs nothing but Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
SCHEMA ?= schema.yaml
OUT ?= generated

.PHONY: venv generate check lint typecheck test demo bench golden ddl clean property-long \
	migration api-diff bench-audit bench-quick test-citus bench-citus

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

generate: $(STAMP)  ## regenerate generated/ from schema.yaml
	$(BIN)/batchrepo generate --schema $(SCHEMA) --out $(OUT)

golden: $(STAMP)  ## regenerate the expectations of every golden case (codegen, bad schemas, migrations)
	$(BIN)/python -m tests.golden regenerate

migration: $(STAMP)  ## write the next migration (schema at the merge base with main -> schema.yaml)
	$(BIN)/batchrepo migrate --schema $(SCHEMA)

api-diff: $(STAMP)  ## public API changes of generated/ since the merge base with main (exit 1: breaking)
	$(BIN)/batchrepo diff --out $(OUT) $(if $(BASE),--base $(BASE))

check: $(STAMP) lint typecheck  ## staleness of generated/, lint and strict type check
	$(BIN)/batchrepo check --schema $(SCHEMA) --out $(OUT)

lint: $(STAMP)
	$(BIN)/ruff check batchrepo generator tests benchmarks
	$(BIN)/ruff format --check batchrepo generator tests benchmarks
	$(BIN)/ruff check --isolated --line-length 100 $(OUT)

typecheck: $(STAMP)
	$(BIN)/mypy batchrepo generator $(OUT)

# -n auto: one pytest-xdist worker per core, each with a PostgreSQL of its own; on the 2-core
# machine this was measured on, about a third faster than a serial run (pytest alone runs serially).
test: $(STAMP)  ## the whole test suite against a real PostgreSQL, in parallel (pytest-xdist)
	$(BIN)/pytest -n auto

# tests/citus start a Citus coordinator and two workers (~20 s) from ../shared/citus; the default
# `make test` collects them but skips them (no cluster), this target runs them.
test-citus: $(STAMP)  ## the generated code on a real Citus cluster (docs/citus.md)
	BATCHREPO_CITUS=1 $(BIN)/pytest tests/citus tests/benchmarks/test_bench_citus_smoke.py

demo: $(STAMP) generate  ## the ledger import, batch against single-row, on embedded PostgreSQL
	PYTHONPATH=$(OUT) $(BIN)/python -m benchmarks.demo

# The benchmark's peers (SQLAlchemy) and plot (matplotlib) are the `bench` extra, not in `dev`:
# CI never installs them, `make bench` does.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS="--proxy-delay-ms 0.5 --name proxy"
bench: $(BENCH_STAMP)  ## batchrepo against raw asyncpg and SQLAlchemy, 100 to 100,000 rows (~10 min); writes benchmarks/results/
	PYTHONPATH=$(OUT) $(BIN)/python -m benchmarks.bench $(BENCH_ARGS)

bench-quick: $(BENCH_STAMP)  ## the same up to 10,000 rows, 3 repetitions (~2 min)
	PYTHONPATH=$(OUT) $(BIN)/python -m benchmarks.bench --quick $(BENCH_ARGS)

# Starts its own servers: a plain node, a coordinator with 1 worker and one with 2 (docs/citus.md,
# "Figures"). On the shared 2-core machine at load 7: BENCH_ARGS=--quick (up to 10,000 rows, 3
# repetitions) ~17 min; the full run (to 100,000 rows, 5 repetitions) over an hour.
bench-citus: $(STAMP)  ## the distributed domain on plain PostgreSQL and Citus with 1 and 2 workers (--quick ~17 min); writes benchmarks/results/citus.*
	$(BIN)/python -m benchmarks.citus $(BENCH_ARGS)

bench-audit: $(STAMP)  ## audit overhead (audited person against a plain twin) and the cost of checks before writing
	PYTHONPATH=$(OUT) $(BIN)/python -m benchmarks.audit

ddl: $(STAMP)
	$(BIN)/batchrepo ddl --schema $(SCHEMA)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

property-long: $(STAMP)  ## the equivalence machine with many more examples (minutes)
	BATCHREPO_PROPERTY_PROFILE=long $(BIN)/pytest tests/property
