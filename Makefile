# lumbar: `make demo` and `make test` work on a fresh clone; everything they need is set up here.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONHASHSEED := 0

.PHONY: setup demo test test-fast lint format bench docs clean help

help:
	@echo "make setup   create .venv and install lumbar (quick when nothing changed)"
	@echo "make demo    synthetic EHR -> DuckDB -> dbt build -> Parquet marts -> surgery models"
	@echo "make test    the whole test suite"
	@echo "make lint    ruff check + format check"
	@echo "make bench   benchmarks, written to BENCHMARKS.md"

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; lumbar needs Python 3.11 (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch is pinned to the CPU build; installing it first keeps pip from pulling a CUDA build
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/lumbar demo

test: setup
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python -m bench.run

docs: setup
	cd dbt_project && ../$(BIN)/dbt docs generate --profiles-dir .

clean:
	rm -rf warehouse/demo warehouse/marts warehouse/*.duckdb* dbt_project/target dbt_project/logs runs
