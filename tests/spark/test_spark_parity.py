"""The dbt project on Spark gives the same cohorts and marts as on DuckDB, row for row.

One generated dataset is loaded into DuckDB and built there (`lumbar build`); its raw tables are exported to
Parquet, registered on Spark by the on-run-start hook, and the same project is built with `--target spark`
(seeds, models, unit tests and data tests). Every model in a cohorts/ or marts/ folder is then compared:
same columns, same kind of type, same rows after sorting (floats within 1e-9). The deterministic train/test
split is part of those rows, so the split hashes must agree too. Spark tables are read from their Parquet
folders (<spark dir>/tables/<schema>/<model>) with DuckDB, so the comparison needs no second JVM.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ingest.build import build
from ingest.contract import TABLES
from ingest.generate import generate
from ingest.load import load_directory
from ingest.paths import DBT_PROJECT_DIR

N_PATIENTS = 3000  # a few thousand: every study's cohort has both labels and test rows
SEED = 11
DBT_TIMEOUT_S = 540


def _models_in(layer: str) -> list[str]:
    return sorted(p.stem for p in (DBT_PROJECT_DIR / "models").rglob(f"{layer}/*.sql"))


COMPARED = [("cohorts", m) for m in _models_in("cohorts")] + [("marts", m) for m in _models_in("marts")]


@dataclass(frozen=True)
class Builds:
    duckdb_warehouse: Path
    spark_dir: Path  # LUMBAR_SPARK_DIR: metastore_db/, warehouse/, tables/<schema>/<model>/part-*.parquet
    raw_dir: Path
    work: Path  # dbt target and log folders


def _export_raw(warehouse: Path, folder: Path) -> Path:
    """The loaded raw.* tables as <table>.parquet: Spark reads exactly the rows DuckDB built from."""
    folder.mkdir(parents=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in TABLES:
            con.execute(f"copy raw.{table} to '{folder / table}.parquet' (format parquet)")
    return folder


def run_dbt_on_spark(args: list[str], builds: Builds, *, log: Path) -> None:
    """`dbt <args> --target spark` in a subprocess (its own JVM); fail with dbt's error lines, not a dump."""
    env = {
        **os.environ,
        "LUMBAR_RAW_DIR": str(builds.raw_dir),
        "LUMBAR_SPARK_DIR": str(builds.spark_dir),
        "DBT_TARGET_PATH": str(builds.work / "target"),
        "DBT_LOG_PATH": str(builds.work / "logs"),
        "PWD": str(DBT_PROJECT_DIR),
    }
    dbt = Path(sys.executable).parent / "dbt"
    command = [str(dbt), *args, "--target", "spark", "--profiles-dir", str(DBT_PROJECT_DIR)]
    with log.open("w") as out:
        try:
            done = subprocess.run(
                command,
                cwd=DBT_PROJECT_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=DBT_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"dbt {args[0]} on Spark ran past {DBT_TIMEOUT_S}s; log: {log}")
    if done.returncode != 0:
        errors = [line for line in log.read_text().splitlines() if "ERROR" in line or "FAIL" in line]
        pytest.fail(
            f"dbt {args[0]} on Spark exited {done.returncode}; log: {log}\n" + "\n".join(errors[-20:])
        )


@pytest.fixture(scope="module")
def builds(spark_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Builds:
    root = tmp_path_factory.mktemp("spark_parity")
    generate(N_PATIENTS, SEED, root / "generated", progress=False)
    warehouse = root / "lumbar.duckdb"
    load_directory(root / "generated", warehouse)
    build(warehouse, marts_dir=root / "marts", progress=False)
    raw_dir = _export_raw(warehouse, root / "raw")
    builds = Builds(warehouse, root / "spark", raw_dir, root / "dbt")
    run_dbt_on_spark(["build"], builds, log=root / "dbt_spark_build.log")
    return builds


def _family(type_name: str) -> str:
    """Engines pick different integer widths (Spark's datediff/row_number are int, DuckDB's bigint)."""
    t = type_name.upper()
    if t in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}:
        return "integer"
    if t in {"FLOAT", "DOUBLE"} or t.startswith("DECIMAL"):
        return "number"
    return t


def _sort_key(row: tuple) -> tuple:
    # None sorts first; floats are rounded for ordering only, so last-digit noise cannot reorder rows
    return tuple((v is not None, f"{v:.6g}" if isinstance(v, float) else str(v)) for v in row)


def _same_value(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is None and b is None
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _read(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[str], list[tuple]]:
    relation = con.sql(sql)
    return relation.columns, [str(t) for t in relation.types], relation.fetchall()


@pytest.mark.slow
def test_spark_builds_every_cohort_and_mart(builds: Builds) -> None:
    with duckdb.connect(str(builds.duckdb_warehouse), read_only=True) as con:
        on_duckdb = set(
            con.sql(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_schema in ('cohorts', 'marts')"
            ).fetchall()
        )
    on_spark = {
        (f"{schema}.{table.name}",)
        for schema in ("cohorts", "marts")
        for table in (builds.spark_dir / "tables" / schema).iterdir()
    }
    assert on_spark == on_duckdb
    assert len(on_duckdb) == len(COMPARED)


@pytest.mark.slow
@pytest.mark.parametrize(("schema", "model"), COMPARED, ids=[m for _, m in COMPARED])
def test_spark_rows_equal_duckdb_rows(builds: Builds, schema: str, model: str) -> None:
    with duckdb.connect(str(builds.duckdb_warehouse), read_only=True) as con:
        columns, duck_types, duck_rows = _read(con, f"select * from {schema}.{model}")
        folder = builds.spark_dir / "tables" / schema / model
        spark_columns, spark_types, spark_rows = _read(
            con, f"select {', '.join(columns)} from read_parquet('{folder}/*.parquet')"
        )
    assert spark_columns == columns
    mismatched = {
        c: (d, s)
        for c, d, s in zip(columns, duck_types, spark_types, strict=True)
        if _family(d) != _family(s)
    }
    assert not mismatched, f"{schema}.{model}: column types differ (duckdb, spark): {mismatched}"
    assert len(spark_rows) == len(duck_rows), f"{schema}.{model}: row counts differ"
    assert duck_rows, f"{schema}.{model} is empty on DuckDB: the comparison would prove nothing"
    differing = [
        columns[i]
        for d, s in zip(sorted(duck_rows, key=_sort_key), sorted(spark_rows, key=_sort_key), strict=True)
        for i, (a, b) in enumerate(zip(d, s, strict=True))
        if not _same_value(a, b)
    ]
    # column names only: never print patient rows
    assert not differing, (
        f"{schema}.{model}: {len(differing)} values differ, in columns {sorted(set(differing))}"
    )


@pytest.mark.slow
def test_a_rerun_overwrites_the_spark_tables(builds: Builds, tmp_path: Path) -> None:
    """Re-running a model writes over its existing Parquet folder (legacy CTAS setting), never appends."""
    models = ["cohort_surgery_early", "mart_surgery_static"]
    before = {m: sorted(p.name for p in _spark_folder(builds, m).glob("*.parquet")) for m in models}
    run_dbt_on_spark(["run", "--select", *models], builds, log=tmp_path / "dbt_spark_rerun.log")
    with duckdb.connect(str(builds.duckdb_warehouse), read_only=True) as con:
        for model in models:
            folder = _spark_folder(builds, model)
            after = sorted(p.name for p in folder.glob("*.parquet"))
            assert after and after != before[model], f"{model}: the re-run wrote no new files"
            schema = folder.parent.name
            expected = con.execute(f"select count(*) from {schema}.{model}").fetchone()
            assert (
                con.execute(f"select count(*) from read_parquet('{folder}/*.parquet')").fetchone() == expected
            )


def _spark_folder(builds: Builds, model: str) -> Path:
    (folder,) = (builds.spark_dir / "tables").glob(f"*/{model}")
    return folder
