"""Run one benchmark stage as a whole child process and measure its wall time and peak memory.

Every stage is a separate process so that its peak RSS is its own: `os.wait4` returns the resource usage of
exactly the child waited for (and the grandchildren it waited for), unlike `RUSAGE_CHILDREN`, which keeps the
maximum over every child the harness ever ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.errors import LumbarError
from models_py.errors import UserInputError

_REPO = Path(__file__).resolve().parent.parent


class StageError(LumbarError):
    """A benchmarked stage failed; the message names the stage and its log file."""


@dataclass
class StageResult:
    stage: str
    n_patients: int
    wall_s: float
    peak_rss_bytes: int
    # stage-specific measurements (per-model dbt times, trainer timings, row counts)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def peak_rss_gb(self) -> float:
        return self.peak_rss_bytes / 1e9

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "n_patients": self.n_patients,
            "wall_s": self.wall_s,
            "peak_rss_bytes": self.peak_rss_bytes,
            "details": self.details,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StageResult:
        return cls(
            stage=data["stage"],
            n_patients=int(data["n_patients"]),
            wall_s=float(data["wall_s"]),
            peak_rss_bytes=int(data["peak_rss_bytes"]),
            details=dict(data.get("details", {})),
        )


def python_argv(module: str, *args: str) -> list[str]:
    """argv that runs `python -m module args` with the interpreter running the harness (the project venv)."""
    return [sys.executable, "-m", module, *args]


def lumbar_argv(*args: str) -> list[str]:
    """argv for the `lumbar` CLI, run through the harness's interpreter so no PATH lookup is needed."""
    return python_argv("ingest.cli", *args)


def run_stage(
    stage: str,
    n_patients: int,
    argv: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> StageResult:
    """Run `argv` to completion with stdout and stderr going to `log_path`; return its wall time and peak RSS.

    Raises StageError (one line naming the stage and the log) when the process exits non-zero.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_REPO), child_env.get("PYTHONPATH")]))
    rss_file = log_path.with_suffix(".rss")
    with log_path.open("wb") as log:
        start = time.perf_counter()
        # the launcher forks the stage from a small process, so the stage's peak RSS is its own
        launcher = [sys.executable, "-m", "bench.rss_launcher", str(rss_file), *argv]
        proc = subprocess.run(launcher, stdout=log, stderr=subprocess.STDOUT, env=child_env, cwd=cwd)
        wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise StageError(
            f"benchmark stage '{stage}' at {n_patients:,} patients exited with {proc.returncode}: "
            f"see {log_path}"
        )
    return StageResult(stage, n_patients, wall, int(rss_file.read_text()))


def write_json_result(out_json: Path, measure: Callable[[], dict[str, Any]]) -> int:
    """A timing module's exit: run `measure`, write what it returns to `out_json` and return 0; a user error
    (missing marts, bad arguments) is one line on stderr and exit status 2, so the harness names its log."""
    try:
        result = measure()
    except (LumbarError, UserInputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(result, indent=2))
    return 0
