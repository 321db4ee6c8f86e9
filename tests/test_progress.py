"""Progress off a terminal: plain lines a log file can show, not one bar printed at the end."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import Progress

from ingest.progress import LineProgress, make_progress


def _log() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200), out


def test_a_terminal_gets_rich_and_a_log_gets_lines() -> None:
    assert isinstance(make_progress(console=Console(file=io.StringIO(), force_terminal=True)), Progress)
    assert isinstance(make_progress(console=_log()[0]), LineProgress)


def test_lines_at_most_every_interval_and_when_a_task_completes() -> None:
    console, out = _log()
    with make_progress(console=console, interval_s=3600) as bar:
        task = bar.add_task("medication grid", total=4)
        for _ in range(4):
            bar.advance(task)
        bar.advance(task)  # past the total: said once
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("medication grid: 4/4 (100%), 0:00:0")


def test_every_update_is_a_line_once_the_interval_has_passed() -> None:
    console, out = _log()
    bar = LineProgress(console, interval_s=0)
    task = bar.add_task("dbt build", total=None, node="parsing")
    bar.update(task, total=3)
    bar.update(task, advance=1, node="model stg_ehr__patients: success")
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("dbt build: 1/3 (33%)") and lines[-1].endswith("stg_ehr__patients: success")
    assert bar.tasks[0].total == 3


def test_text_with_brackets_prints_as_is() -> None:
    console, out = _log()
    bar = LineProgress(console, interval_s=0)
    bar.update(bar.add_task("fold [1/5]", total=None), advance=1)
    assert "fold [1/5]: 1" in out.getvalue()
