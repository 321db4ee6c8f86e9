"""The console script's exit: the command's own exit code, output flushed, exit handlers run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN_MAIN = (
    "import atexit, sys; atexit.register(lambda: print('exit handler ran', flush=True)); "
    "sys.argv = ['lumbar', *sys.argv[1:]]; from ingest.cli import main; main()"
)


def _lumbar(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_MAIN, *args], capture_output=True, text=True, timeout=120
    )


def test_success_keeps_output_and_runs_exit_handlers() -> None:
    done = _lumbar("--version")
    assert done.returncode == 0
    assert done.stdout.startswith("lumbar ") and done.stdout.rstrip().endswith("exit handler ran")


def test_a_user_mistake_keeps_its_exit_code(tmp_path: Path) -> None:
    done = _lumbar("train", "surgery", "--task", "middle", "--marts-dir", str(tmp_path))
    assert done.returncode == 2
    assert "middle" in done.stderr + done.stdout and "Traceback" not in done.stderr
    assert "exit handler ran" in done.stdout


def test_usage_errors_keep_click_exit_code() -> None:
    done = _lumbar("no-such-command")
    assert done.returncode == 2
    assert "No such command" in done.stderr


def test_closed_stdout_is_not_an_error() -> None:
    # `lumbar --help | head -1`: the reader goes away before the flush at exit
    pipeline = subprocess.run(
        f'{sys.executable} -c "{RUN_MAIN}" --help | head -c 1', shell=True, capture_output=True, text=True
    )
    assert "Traceback" not in pipeline.stderr
