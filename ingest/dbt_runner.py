"""Running the dbt project in-process on one warehouse: the part `lumbar build` and `lumbar check` share.

dbt runs through `dbtRunner`, so progress comes from dbt's own events (one tick per node as it finishes) and
failures come back as structured results. dbt's target/ and logs/ folders live beside the warehouse, so builds
of different warehouses never collide; the warehouse and marts paths reach profiles.yml through the
environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

from ingest.errors import LumbarError
from ingest.loading.warehouse import duckdb_settings, owner_only_umask
from ingest.loading.warehouse import open_error as warehouse_open_error
from ingest.paths import DBT_PROJECT_DIR
from ingest.progress import make_progress

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def dbt_dir(warehouse: Path) -> Path:
    """The folder holding dbt's target/ and logs/ for `warehouse` (beside it, hidden)."""
    return warehouse.parent / f".{warehouse.stem}.dbt"


def run_results_path(warehouse: Path) -> Path:
    """dbt's run_results.json of the last build or check on `warehouse`."""
    return dbt_dir(warehouse) / "target" / "run_results.json"


@contextmanager
def temporary_environ(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of a block, then restore what was there."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dbt_env(warehouse: Path, marts_dir: Path) -> AbstractContextManager[None]:
    """profiles.yml reads the warehouse and marts paths from the environment; restore it afterwards."""
    return temporary_environ(LUMBAR_WAREHOUSE=str(warehouse), LUMBAR_MARTS_DIR=str(marts_dir))


def check_warehouse(warehouse: Path) -> None:
    """A one-line LumbarError unless `warehouse` exists, is a DuckDB file, is free, and has been loaded."""
    duckdb_settings(warehouse)  # a bad LUMBAR_DUCKDB_MEMORY_LIMIT is named here, not deep inside dbt
    if not warehouse.exists():
        raise LumbarError(
            f"warehouse {warehouse} does not exist: run `lumbar load DIR --warehouse {warehouse}` first"
        )
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            raise warehouse_open_error(warehouse, exc) from None  # the loader's "warehouse ... is busy"
        raise LumbarError(f"{warehouse} is not a DuckDB warehouse ({first_line(str(exc))})") from None
    try:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    finally:
        con.close()
    if "patients" not in {r[0] for r in rows}:
        raise LumbarError(f"warehouse {warehouse} has no raw.patients table: run `lumbar load DIR` first")


def invoke_dbt(warehouse: Path, command: str, extra_args: Sequence[str], *, progress: bool) -> Any:
    """Run `dbt <command>` on `warehouse` in-process with a progress bar; returns dbt's result object.

    The caller reads `.exception` and `.result`; the DuckDB file is released afterwards either way.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner

    work = dbt_dir(warehouse)
    args = [
        command,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"),
        "--log-path", str(work / "logs"),
        "--log-level", "none",  # progress and errors are reported from the callback and the results
        "--log-level-file", "info",
        *extra_args,
    ]  # fmt: skip
    # dbt's logs and targets, DuckDB's spill files and the Parquet marts: owner-only, like the warehouse
    with owner_only_umask(), dbt_progress(progress, label=f"dbt {command}") as on_event:
        try:
            return dbtRunner(callbacks=[on_event]).invoke(args)
        finally:
            # dbt-duckdb keeps the database open in-process; release it so other processes can use it
            DuckDBConnectionManager.close_all_connections()


@contextmanager
def dbt_progress(enabled: bool, label: str = "dbt build") -> Iterator[Any]:
    """A callback for dbt events that advances a rich progress bar, one tick per finished node."""
    if not enabled:
        yield lambda msg: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[node]}"),
    )
    with make_progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=None, node="parsing")

        def on_event(msg: Any) -> None:
            name = msg.info.name
            if name == "LogStartLine" and bar.tasks[0].total is None:
                bar.update(task, total=msg.data.total)
            elif name == "NodeFinished":
                info = msg.data.node_info
                status = msg.data.run_result.status
                bar.update(task, advance=1, node=f"{info.resource_type} {info.node_name}: {status}")

        yield on_event


def first_line(text: str) -> str:
    lines = [line.strip() for line in _ANSI.sub("", str(text)).splitlines() if line.strip()]
    return lines[0] if lines else ""


def summary(text: str) -> str:
    """The first two lines of a dbt result message: "Runtime Error in model X (path)" + the database error."""
    lines = [line.strip() for line in _ANSI.sub("", str(text)).splitlines() if line.strip()]
    return " ".join(lines[:2])


def exception_message(exc: BaseException, warehouse: Path, command: str = "dbt build") -> str:
    """One line for an exception dbt raised: a busy warehouse gets the loader's message."""
    text = str(exc)
    if "lock" in text.lower():
        return str(warehouse_open_error(warehouse, exc))  # the loader's one-line "warehouse ... is busy"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    invalid = next((line for line in lines if line.startswith(_INVALID_VARS)), None)
    if invalid:  # dbt_project/macros/assert_vars_valid.sql: the rule is the whole message
        return "dbt vars: " + invalid.removeprefix(_INVALID_VARS).strip()
    return f"{command} failed: " + " | ".join(lines[:3])


_INVALID_VARS = "invalid dbt vars:"
