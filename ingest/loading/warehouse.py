"""Open the DuckDB warehouse safely and define the `raw` schema.

- Owner-only: a folder or file this module creates is 0o700 / 0o600 (the WAL and spill
  files DuckDB creates next to it inherit the owner-only umask set while it is open).
- One writer: DuckDB takes an exclusive file lock; a second process gets a one-line
  `LumbarError` instead of a lock traceback.
- Nothing left behind: if a load fails before committing and this call created the
  file, the file is removed again, so a failed first load leaves no warehouse.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.contract import TABLES
from ingest.errors import LumbarError
from ingest.warehouse_lock import busy_error, writer_lock

# DuckDB types for the contract's Arrow types
_SQL_TYPES = {pa.string(): "VARCHAR", pa.date32(): "DATE", pa.float64(): "DOUBLE"}

LOADS_DDL = """
create table if not exists raw.loads (
    load_id integer not null,
    loaded_at timestamp not null,
    source_file varchar not null,
    table_name varchar not null,
    file_hash varchar,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null
)"""

REJECTS_DDL = """
create table if not exists raw.rejects (
    load_id integer not null,
    table_name varchar not null,
    source_file varchar not null,
    row_number bigint not null,
    reason varchar not null
)"""


def sql_type(t: pa.DataType) -> str:
    return _SQL_TYPES[t]


def table_ddl(name: str) -> str:
    cols = ",\n    ".join(
        f"{c.name} {sql_type(c.type)}{' not null' if c.required else ''}" for c in TABLES[name].columns
    )
    return f"create table if not exists raw.{name} (\n    {cols}\n)"


def create_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create `raw` and every contract table (empty tables too, so dbt sources always resolve)."""
    con.execute("create schema if not exists raw")
    for name in TABLES:
        con.execute(table_ddl(name))
    con.execute(LOADS_DDL)
    con.execute(REJECTS_DDL)


def existing_raw_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'"
    ).fetchall()
    return {r[0] for r in rows}


def _ddl_columns(ddl: str) -> list[str]:
    body = ddl[ddl.index("(") + 1 : ddl.rindex(")")]
    return [line.split()[0] for line in body.split(",\n")]


# lumbar's own bookkeeping tables; a foreign table of the same name must be found before it is read
_BOOKKEEPING = {"loads": _ddl_columns(LOADS_DDL), "rejects": _ddl_columns(REJECTS_DDL)}


def check_raw_columns(con: duckdb.DuckDBPyConnection, present: set[str], warehouse: Path) -> None:
    """A warehouse built by an older contract cannot take new rows; say so instead of failing mid-insert.

    raw.loads and raw.rejects are checked too (first, since the loader reads raw.loads before anything
    else): a DuckDB file with other tables under those names is not a lumbar warehouse.
    """
    for name, expected in _BOOKKEEPING.items():
        if name in present and _columns(con, name) != expected:
            raise LumbarError(
                f"warehouse {warehouse}: raw.{name} does not have lumbar's columns ({', '.join(expected)}); "
                "this file is not a lumbar warehouse, load into a new warehouse file"
            )
    for name in TABLES:
        if name not in present:
            continue
        if _columns(con, name) != TABLES[name].column_names:
            raise LumbarError(
                f"warehouse {warehouse}: raw.{name} has columns that differ from the contract; "
                "load into a new warehouse file"
            )


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'raw' and table_name = ? order by ordinal_position",
        [name],
    ).fetchall()
    return [r[0] for r in rows]


@contextlib.contextmanager
def owner_only_umask() -> Iterator[None]:
    """Files and folders created inside are owner-only (0600 / 0700), whoever creates them (DuckDB, dbt).

    Process-wide, but lumbar's loads and builds are one job per process and restore it on exit."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


@contextlib.contextmanager
def open_warehouse(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a read-write connection; remove the file again if we created it and the body fails."""
    warehouse = Path(warehouse)
    created_dir, created = _prepare_path(warehouse)
    if not created:
        _check_duckdb_header(warehouse)
    with owner_only_umask():
        try:
            con = duckdb.connect(str(warehouse), config=duckdb_settings(warehouse))
        except duckdb.IOException as exc:
            raise open_error(warehouse, exc) from None
        if created:
            os.chmod(warehouse, 0o600)
        ok = False
        lock = contextlib.ExitStack()
        try:
            # a build or check holds lumbar's writer lock from before dbt connects: loading now would
            # change raw tables under it, so a held lock is the same 'busy' error as DuckDB's own
            lock.enter_context(writer_lock(warehouse))
            con.execute("set TimeZone = 'UTC'")  # timestamps cast to text as UTC, whatever the host says
            con.execute("set enable_progress_bar = false")  # the loader shows its own progress
            try:
                yield con
            except duckdb.OutOfMemoryException:
                raise LumbarError(
                    f"DuckDB ran out of memory (memory limit {memory_limit()}); raise "
                    "LUMBAR_DUCKDB_MEMORY_LIMIT (e.g. 24GB) or point LUMBAR_DUCKDB_TEMP_DIR at a disk with free "
                    "space, then load again; nothing was written"
                ) from None
            ok = True
        finally:
            con.close()
            lock.close()
            if created and not ok:
                _remove_warehouse(warehouse)
                if created_dir is not None:
                    shutil.rmtree(created_dir, ignore_errors=True)


def _prepare_path(warehouse: Path) -> tuple[Path | None, bool]:
    """Create the warehouse's folder if needed: (topmost folder created or None, whether the file is new).

    A path that cannot hold a file (a parent that is a file, /proc, a name longer than the file system
    allows, no permission) is a one-line error, not an OSError traceback.
    """
    created_dir = None
    try:
        if not warehouse.parent.exists():
            created_dir = _topmost_missing(warehouse.parent)
            warehouse.parent.mkdir(parents=True, mode=0o700)
            _chmod_created(created_dir, warehouse.parent, 0o700)
        if warehouse.is_dir():
            raise LumbarError(
                f"warehouse {warehouse} is a folder; pass a file path such as {warehouse}/lumbar.duckdb"
            )
        return created_dir, not warehouse.exists()
    except OSError as exc:
        if created_dir is not None:
            shutil.rmtree(created_dir, ignore_errors=True)
        reason = exc.strerror or type(exc).__name__
        raise LumbarError(
            f"cannot create warehouse {warehouse}: {reason}; choose a path in a folder you can write to"
        ) from None


def _check_duckdb_header(warehouse: Path) -> None:
    """An existing file must carry DuckDB's magic bytes. Checked before connecting: DuckDB would open a
    SQLite file by downloading its sqlite_scanner extension from the network."""
    try:
        with open(warehouse, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise LumbarError(
            f"cannot open warehouse {warehouse}: {exc.strerror or type(exc).__name__}; check the path and permissions"
        ) from None
    if not head or head[8:12] == b"DUCK":
        return  # an empty file becomes a new database
    kind = (
        "a SQLite database, not a DuckDB file"
        if head.startswith(b"SQLite format 3\x00")
        else "not a DuckDB file"
    )
    raise LumbarError(f"warehouse {warehouse} exists but is {kind}; choose another path")


def open_error(warehouse: Path, exc: duckdb.IOException) -> LumbarError:
    msg = str(exc)
    if "lock" in msg.lower():
        return busy_error(warehouse)
    if "not a valid DuckDB database" in msg:
        return LumbarError(f"warehouse {warehouse} exists but is not a DuckDB file; choose another path")
    return LumbarError(
        f"cannot open warehouse {warehouse}: {type(exc).__name__}; check the path and permissions"
    )


def _topmost_missing(folder: Path) -> Path:
    top = folder
    while not top.parent.exists():
        top = top.parent
    return top


def _chmod_created(top: Path, leaf: Path, mode: int) -> None:
    # mkdir's mode is filtered by the umask, and intermediate folders ignore it; set it explicitly.
    path = leaf
    while True:
        os.chmod(path, mode)
        if path == top:
            break
        path = path.parent


def _remove_warehouse(warehouse: Path) -> None:
    for extra in ("", ".wal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{warehouse}{extra}").unlink()
    shutil.rmtree(f"{warehouse}.tmp", ignore_errors=True)


def memory_limit() -> str:
    return os.environ.get("LUMBAR_DUCKDB_MEMORY_LIMIT", "12GB")


def duckdb_settings(warehouse: Path) -> dict[str, str]:
    """Memory limit and spill folder shared by loads and builds (the dbt profile reads the same env vars).

    A memory limit DuckDB cannot parse is a one-line LumbarError naming the variable, checked on a throwaway
    in-memory database so the warehouse is never touched.
    """
    limit = memory_limit()
    try:
        duckdb.connect(":memory:", config={"memory_limit": limit}).close()
    except duckdb.Error:
        raise LumbarError(
            f"LUMBAR_DUCKDB_MEMORY_LIMIT={limit!r} is not a memory size DuckDB accepts, such as 12GB"
        ) from None
    return {
        "memory_limit": limit,
        "temp_directory": os.environ.get("LUMBAR_DUCKDB_TEMP_DIR", f"{warehouse}.tmp"),
    }
