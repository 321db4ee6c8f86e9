# lumbar: `make demo` and `make test` work on a fresh clone; everything they need is set up here.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONHASHSEED := 0

.PHONY: setup demo test test-fast test-spark lint format bench docs clean help

help:
	@echo "make setup   create .venv and install lumbar (quick when nothing changed)"
	@echo "make demo    synthetic EHR -> DuckDB -> dbt build -> Parquet marts -> surgery models"
	@echo "make test    the whole test suite"
	@echo "make test-spark  the dbt project on Spark (needs Java 17) equals the DuckDB build row for row"
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

# pytest exits 5 when it collects nothing; make would turn that into its own exit 2, so map it here
test: setup
	$(BIN)/python -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

# tests/spark is collected only when LUMBAR_SPARK_TESTS=1 (tests/spark/conftest.py), so `make test` skips it.
# The spark extra (dbt-spark in session mode + pyspark) is installed on first use; no Java: tests are skipped.
test-spark: setup
	$(BIN)/python -c "import pyspark, dbt.adapters.spark" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[spark]"
	LUMBAR_SPARK_TESTS=1 $(BIN)/python -m pytest -q -rs tests/spark

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
