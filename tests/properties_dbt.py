"""Run dbt models' compiled SQL directly in DuckDB, for property-based tests.

`dbt build` costs seconds per call, far too slow for a hypothesis example. Instead one real build (seeds
and the selected models, on an empty raw schema) leaves dbt's manifest with each model's compiled SQL;
`CompiledModels.rebuild` then re-creates those models from whatever the test wrote into `raw.*`, in
dependency order, in milliseconds. The SQL is exactly what dbt runs (default vars); only dbt's
materialisation wrapper is replaced by a plain `create or replace`.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.contract import TABLES
from ingest.dbt_runner import temporary_environ
from ingest.loading.warehouse import create_raw_schema
from ingest.paths import DBT_PROJECT_DIR


@dataclass(frozen=True)
class CompiledModel:
    name: str
    relation: str
    materialized: str
    sql: str


class CompiledModels:
    """The selected models (and their ancestors) of the dbt project, compiled against `folder/lumbar.duckdb`."""

    def __init__(self, folder: Path, targets: Sequence[str]) -> None:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
        from dbt.cli.main import dbtRunner

        self.warehouse = folder / "lumbar.duckdb"  # the catalog name in the compiled SQL is the file stem
        con = duckdb.connect(str(self.warehouse))
        create_raw_schema(con)
        con.close()
        target = folder / "target"
        args = [
            "build",
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(target),
            "--log-path", str(folder / "logs"),
            "--log-level", "none",
            "--select", *[f"+{t}" for t in targets],
            "--indirect-selection", "empty",  # models and seeds only; their tests run in `lumbar build`
        ]  # fmt: skip
        with temporary_environ(LUMBAR_WAREHOUSE=str(self.warehouse), LUMBAR_MARTS_DIR=str(folder / "marts")):
            try:
                outcome = dbtRunner().invoke(args)
            finally:
                DuckDBConnectionManager.close_all_connections()
        if not outcome.success:
            raise RuntimeError(f"dbt build for the property tests failed: {outcome.exception}")
        manifest = json.loads((target / "manifest.json").read_text())
        self.models = _in_dependency_order(manifest, targets)
        self.con = duckdb.connect(str(self.warehouse))

    def write_raw(self, table: str, rows: list[tuple]) -> None:
        """Replace raw.<table> with `rows` (tuples in contract column order)."""
        # through Arrow: executemany inserts row by row and costs seconds for a few thousand rows
        data = pa.Table.from_pylist(
            [dict(zip(TABLES[table].column_names, row, strict=True)) for row in rows],
            schema=TABLES[table].schema,
        )
        self.con.execute(f"delete from raw.{table}")
        self.con.from_arrow(data).insert_into(f"raw.{table}")

    def rebuild(self, only: set[str] | None = None) -> None:
        """Re-create every model (or only those named) from the current raw.* tables."""
        for m in self.models:
            if only is not None and m.name not in only:
                continue
            kind = "view" if m.materialized == "view" else "table"
            self.con.execute(f"create or replace {kind} {m.relation} as (\n{m.sql}\n)")

    def query(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        self.con.close()


def _in_dependency_order(manifest: dict, targets: Sequence[str]) -> list[CompiledModel]:
    nodes = manifest["nodes"]
    order: list[str] = []

    def visit(uid: str) -> None:
        if uid in order or not uid.startswith("model."):
            return
        for parent in nodes[uid]["depends_on"]["nodes"]:
            visit(parent)
        order.append(uid)

    for t in targets:
        visit(f"model.lumbar.{t}")
    return [
        CompiledModel(
            name=nodes[uid]["name"],
            relation=nodes[uid]["relation_name"],
            materialized=nodes[uid]["config"]["materialized"],
            sql=nodes[uid]["compiled_code"],
        )
        for uid in order
    ]


# Every model the property tests read; one compiled copy serves all test modules of a session.
ALL_TARGETS = (
    "cohort_surgery_early",
    "cohort_surgery_late",
    "int_events_binned_monthly",
    "int_imaging_reports_cleaned",
)
_shared: list[CompiledModels] = []


def shared_models() -> CompiledModels:
    """The session's CompiledModels (built on first use, ~20 s; its folder is removed at exit)."""
    if not _shared:
        folder = Path(tempfile.mkdtemp(prefix="lumbar-properties-"))
        atexit.register(shutil.rmtree, folder, True)
        _shared.append(CompiledModels(folder, ALL_TARGETS))
        atexit.register(_shared[0].close)
    return _shared[0]
