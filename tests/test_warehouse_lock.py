"""A second lumbar writer is refused for the whole of a job, not only while DuckDB holds the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingest.build import build
from ingest.check import run_checks
from ingest.errors import LumbarError
from ingest.loading.warehouse import open_warehouse
from ingest.warehouse_lock import writer_lock

HOLD = (
    "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX); "
    "print('ok', flush=True); time.sleep(60)"
)


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    warehouse = tmp_path / "lumbar.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw; create table raw.patients as select 'P1' as patient_id")
    return warehouse


@pytest.fixture
def held(loaded: Path):
    """Another process in the middle of a lumbar job on the warehouse (holding no DuckDB connection)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(loaded)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        yield loaded
    finally:
        holder.kill()
        holder.wait()


def test_build_and_check_are_refused_while_another_job_runs(held: Path, tmp_path: Path) -> None:
    with pytest.raises(LumbarError, match="is busy"):
        build(held, marts_dir=tmp_path / "marts", progress=False)
    with pytest.raises(LumbarError, match="is busy"):
        run_checks(held, progress=False)
    assert not (tmp_path / "marts").exists()


def test_a_load_is_refused_while_another_job_runs(held: Path) -> None:
    # a build parsing its project holds no DuckDB connection, only lumbar's lock: a load must wait for it too
    with pytest.raises(LumbarError, match="is busy"), open_warehouse(held) as con:
        con.execute("insert into raw.patients values ('P2')")
    with duckdb.connect(str(held), read_only=True) as con:
        assert con.execute("select count(*) from raw.patients").fetchone() == (1,)


def test_a_load_releases_the_lock(loaded: Path) -> None:
    with open_warehouse(loaded) as con:
        con.execute("insert into raw.patients values ('P2')")
    with writer_lock(loaded):
        pass


def test_readers_are_not_blocked(held: Path) -> None:
    with duckdb.connect(str(held), read_only=True) as con:
        assert con.execute("select count(*) from raw.patients").fetchone() == (1,)


def test_duckdb_writes_in_the_process_that_holds_the_lock(loaded: Path) -> None:
    with writer_lock(loaded), duckdb.connect(str(loaded)) as con:
        con.execute("insert into raw.patients values ('P2')")
    with writer_lock(loaded):  # released on exit
        pass
