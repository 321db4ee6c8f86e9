"""Builds: deterministic marts, crash safety under SIGKILL, and a clear error on a busy warehouse.

Two full runs (generate -> load -> build, 5,000 patients, seed 1) must give byte-identical Parquet marts.
On run B's warehouse a `lumbar build` of the marts (`--select config.materialized:external`, the step that
rewrites the Parquet files) is then killed with SIGKILL twice, at a random moment and right when dbt starts
rewriting a mart; analysts read the marts throughout. After each kill every mart still reads and holds
exactly the previous rows; a re-run then completes. About 3 minutes on 2 cores (two full dbt builds): slow.
"""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from rich.console import Console
from typer.testing import CliRunner

from ingest.build import BuildResult, build
from ingest.build_record import RECORD_NAME
from ingest.cli import app
from ingest.generate import generate
from ingest.load import load_directory

pytestmark = pytest.mark.slow

N_PATIENTS, SEED = 5_000, 1
REPO = Path(__file__).resolve().parent.parent
QUIET = Console(quiet=True)


def mart_files(marts: Path) -> list[Path]:
    """The marts: `mart_*.parquet`. (DuckDB writes a new version as `tmp_mart_*.parquet`, then renames it.)"""
    return sorted(marts.glob("mart_*.parquet"))


def digests(marts: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in mart_files(marts)}


def generate_and_load(folder: Path) -> Path:
    generate(N_PATIENTS, SEED, folder / "raw", progress=False)
    warehouse = folder / "lumbar.duckdb"
    load_directory(folder / "raw", warehouse, console=QUIET)
    return warehouse


def contents(marts: Path) -> dict[str, str]:
    """Each mart's rows as a fingerprint independent of row order (what analysts read, not the bytes)."""
    out = {}
    with duckdb.connect() as con:
        for p in mart_files(marts):
            rows = con.execute(f"select * from read_parquet('{p}') order by all").fetchall()
            out[p.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


@dataclass(frozen=True)
class Runs:
    a_warehouse: Path  # run A: the `lumbar` command line in a child process
    a_marts: Path
    b: BuildResult  # run B: the library, in this process, at the same time (two runs on two cores)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    a = tmp_path_factory.mktemp("run_a")
    cli = f"{sys.executable} -m ingest.cli"
    child = subprocess.Popen(
        [
            "bash", "-ec",
            f"{cli} generate --patients {N_PATIENTS} --seed {SEED} --out {a}/raw; "
            f"{cli} load {a}/raw --warehouse {a}/lumbar.duckdb; "
            f"{cli} build --warehouse {a}/lumbar.duckdb --marts-dir {a}/marts",
        ],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    b = tmp_path_factory.mktemp("run_b")
    try:
        result_b = build(generate_and_load(b), marts_dir=b / "marts", progress=False)
        _, err = child.communicate(timeout=600)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, f"run A (command line) failed: {err.strip().splitlines()[-1:]}"
    return Runs(a / "lumbar.duckdb", a / "marts", result_b)


@pytest.fixture(scope="module")
def run_b(runs) -> BuildResult:
    return runs.b


def attrition(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select * from cohorts.cohort_attrition order by all").fetchall()


def test_two_runs_from_the_same_seed_give_byte_identical_marts(runs):
    a, b = digests(runs.a_marts), digests(runs.b.marts_dir)
    assert a.keys() == b.keys() and len(a) >= 6
    different = sorted(name for name in a if a[name] != b[name])
    same_rows = contents(runs.a_marts) == contents(runs.b.marts_dir)
    assert not different, f"marts differ between two runs from the same seed: {different}; " + (
        "same rows in another order: the mart needs `order by <its key>`" if same_rows else "different rows"
    )
    assert attrition(runs.a_warehouse) == attrition(runs.b.warehouse)


MARTS_ONLY = "config.materialized:external"


@dataclass
class Kills:
    before: dict[str, str] = field(default_factory=dict)  # mart contents before the first kill
    moments: list[str] = field(default_factory=list)
    after_kill: list[dict[str, str]] = field(default_factory=list)  # mart contents after each kill
    leftovers: list[list[str]] = field(default_factory=list)  # files other than marts after each kill
    reads_while_building: int = 0
    rerun: BuildResult | None = None
    rerun_started: float = 0.0


def _start_build(warehouse: Path, marts: Path) -> subprocess.Popen:
    args = ["build", "--warehouse", str(warehouse), "--marts-dir", str(marts), "--select", MARTS_ONLY]
    return subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _read_all(marts: Path) -> int:
    for path in mart_files(marts):
        pq.read_table(path)
    return 1


def _snapshot(marts: Path) -> set[tuple[str, int, int]]:
    out = set()
    for p in marts.iterdir():
        try:
            st = p.stat()
        except FileNotFoundError:  # renamed away between listing and stat
            continue
        out.add((p.name, st.st_ino, st.st_mtime_ns))
    return out


def _kill(proc: subprocess.Popen, marts: Path, deadline_s: float, on_write: bool, kills: Kills) -> str:
    """SIGKILL `proc` after `deadline_s`, or (on_write) as soon as a mart file changes; read marts meanwhile."""
    before = _snapshot(marts)
    start = time.monotonic()
    try:
        while time.monotonic() - start < deadline_s and proc.poll() is None:
            if on_write:  # poll fast: kill as soon as a tmp_mart_*.parquet appears or a mart is replaced
                if _snapshot(marts) != before:
                    break
                time.sleep(0.002)
            else:
                kills.reads_while_building += _read_all(marts)  # analysts can read the marts during a build
                time.sleep(0.01)
        moment = f"{time.monotonic() - start:.1f}s" + (" (a mart was being written)" if on_write else "")
        if proc.poll() is not None:
            return moment + " (the build had already finished)"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
    return moment


@pytest.fixture(scope="module")
def kills(run_b) -> Kills:
    warehouse, marts = run_b.warehouse, run_b.marts_dir
    out = Kills(before=contents(marts))
    rng = random.Random(20240101)
    for on_write, deadline in ((False, rng.uniform(3.0, 15.0)), (True, 60.0)):
        proc = _start_build(warehouse, marts)
        out.moments.append(_kill(proc, marts, deadline, on_write, out))
        out.leftovers.append(sorted(p.name for p in marts.iterdir() if p not in mart_files(marts)))
        out.after_kill.append(contents(marts))  # reads every mart
        with duckdb.connect(str(warehouse), read_only=True) as con:  # the warehouse still opens
            con.execute("select count(*) from raw.patients").fetchone()
    out.rerun_started = time.time()
    out.rerun = build(warehouse, marts_dir=marts, select=MARTS_ONLY, progress=False)
    return out


def test_killed_build_leaves_previous_marts_readable(kills):
    print(f"killed at {kills.moments}; other files in the marts folder after each kill: {kills.leftovers}")
    assert len(kills.before) >= 6
    for moment, after, extra in zip(kills.moments, kills.after_kill, kills.leftovers, strict=True):
        assert after == kills.before, f"marts changed by a build killed at {moment} (other files: {extra})"
    assert kills.reads_while_building > 0


def test_rerun_after_kill_completes_and_rewrites_every_mart(run_b, kills):
    assert kills.rerun is not None and kills.rerun.n_nodes > 0
    for path in mart_files(run_b.marts_dir):
        assert path.stat().st_mtime >= kills.rerun_started - 1, f"{path.name} was not rewritten by the re-run"
    assert contents(run_b.marts_dir) == kills.before
    # a killed build can leave DuckDB's temporary tmp_mart_*.parquet behind; the re-run replaces it. The build
    # record is the one other file a build leaves there.
    others = sorted(p.name for p in run_b.marts_dir.iterdir() if p not in mart_files(run_b.marts_dir))
    assert others == [RECORD_NAME]


def test_build_on_busy_warehouse_is_one_line_error(run_b):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
         "time.sleep(60)", str(run_b.warehouse)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        result = CliRunner().invoke(app, ["build", "--warehouse", str(run_b.warehouse)])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 2
    assert "is busy" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
