"""Crash safety: a load killed with SIGKILL at a random moment leaves the warehouse as it was.

Each trial copies a warehouse holding one earlier load, starts a second load in a child process,
kills it after a random delay within the measured load time, and checks that the warehouse holds
either exactly the earlier state or exactly the finished load (never part of it), and that a
re-run then completes without duplicates.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ingest.load import load_directory

TRIALS = 8
REPO = Path(__file__).resolve().parent.parent
# The child announces the start of the write transaction, and each table it has written inside it. With a
# pause (argv[3] seconds) after the first table, a kill aimed at that pause lands inside the open transaction
# after a real insert, whatever the machine's speed: the write itself takes well under a second, too short
# to hit reliably with a timed kill.
CHILD = """
import sys, time
import ingest.load as load

begin = load.create_raw_schema  # first statement inside the write transaction
def announce(con):
    print("writing", flush=True)
    begin(con)
load.create_raw_schema = announce
write_table = load._write_table
def write_then_pause(con, table, *args):
    write_table(con, table, *args)
    print("wrote " + table, flush=True)
    if table == "patients":
        time.sleep(float(sys.argv[3]))
load._write_table = write_then_pause
print("ready", flush=True)
load.load_directory(sys.argv[1], sys.argv[2])
print("done", flush=True)
"""
PAUSE_S = 2.0


def make_export(folder: Path, prefix: str, n_patients: int, n_dx: int) -> Path:
    folder.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(
            f"copy (select '{prefix}' || i as patient_id, date '1950-01-01' + (i % 9000)::int as birth_date, "
            "case when i % 2 = 0 then 'F' else 'M' end as sex, 'north' as site "
            f"from range({n_patients}) t(i)) to '{folder}/patients.csv' (header)"
        )
        con.execute(
            f"copy (select '{prefix}' || (i % {n_patients}) as patient_id, "
            "date '2000-01-01' + (i % 7000)::int as dx_date, 'M54.' || (i % 10) as code, "
            f"'ICD10CM' as code_system from range({n_dx}) t(i)) to '{folder}/diagnoses.csv' (header)"
        )
    return folder


def state(warehouse: Path) -> tuple[int, ...]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return tuple(
            con.execute(f"select count(*) from raw.{t}").fetchone()[0]
            for t in ("patients", "diagnoses", "loads", "rejects")
        )


def run_child(
    export: Path, warehouse: Path, kill_at: tuple[str, float] | None = None, pause: float = 0.0
) -> dict[str, float]:
    """Load in a child process; with kill_at=(line, seconds), SIGKILL it that long after it prints line.

    Returns when each line arrived, in seconds after "ready".
    """
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(export), str(warehouse), str(pause)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    seen: dict[str, float] = {}
    started = None
    for line in child.stdout:
        now = time.perf_counter()
        started = started or now
        seen[line.strip()] = now - started
        if kill_at and line.strip() == kill_at[0]:
            time.sleep(kill_at[1])
            child.send_signal(signal.SIGKILL)
            break
    child.wait()
    return seen


@pytest.mark.slow
def test_sigkill_mid_load_leaves_warehouse_consistent(tmp_path: Path):
    base = tmp_path / "base.duckdb"
    load_directory(make_export(tmp_path / "a", "A", 1_000, 5_000), base)
    new = make_export(tmp_path / "b", "B", 20_000, 300_000)
    before = state(base)

    # the finished state, and when a child reaches the write and the end, on a scratch copy
    scratch = tmp_path / "scratch.duckdb"
    shutil.copy(base, scratch)
    timing = run_child(new, scratch)
    after = state(scratch)
    assert after == (before[0] + 20_000, before[1] + 300_000, before[2] + 2, before[3])
    assert "wrote patients" in timing and timing["writing"] < timing["wrote patients"] < timing["done"]

    rng = random.Random(20240607)
    for trial in range(TRIALS):
        warehouse = tmp_path / f"trial{trial}.duckdb"
        shutil.copy(base, warehouse)
        if trial % 2:  # anywhere in the load, at full speed
            run_child(new, warehouse, ("ready", rng.uniform(0, 1.1) * timing["done"]))
        else:  # inside the open write transaction, after raw.patients got its rows
            run_child(new, warehouse, ("wrote patients", rng.uniform(0, PAUSE_S / 2)), pause=PAUSE_S)
        got = state(warehouse)
        assert got in (before, after), f"trial {trial}: partial load {got}"
        if trial % 2 == 0:
            assert got == before, f"trial {trial}: a load killed inside its transaction left {got}"
        load_directory(new, warehouse)  # re-run: finishes, or skips if the killed load had committed
        assert state(warehouse) == after
