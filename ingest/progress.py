"""Progress that shows in logs too: a rich bar on a terminal, a plain line every half minute elsewhere.

rich draws a live bar only on a terminal; with output sent to a file (make, nohup, a batch scheduler) it
prints the bar once, when it is done, so a job that trains for an hour looks hung. Off a terminal,
`make_progress` returns `LineProgress` instead: the same calls (add_task, update, advance, tasks, a
context manager), printing `what: done/total (pct), elapsed` at most every `interval_s` seconds per task
and when a task completes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, ProgressColumn

INTERVAL_S = 30.0


def make_progress(
    *columns: str | ProgressColumn,
    console: Console | None = None,
    transient: bool = False,
    interval_s: float = INTERVAL_S,
) -> Progress | LineProgress:
    console = console or Console(stderr=True)
    if console.is_terminal:
        return Progress(*columns, console=console, transient=transient)
    return LineProgress(console, interval_s)


@dataclass
class _Task:
    description: str
    total: float | None
    completed: float = 0
    fields: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    printed: float = field(default_factory=time.monotonic)
    finished: bool = False


class LineProgress:
    """rich.progress.Progress's calls, printed as plain lines for logs."""

    def __init__(self, console: Console, interval_s: float = INTERVAL_S) -> None:
        self.console = console
        self.interval_s = interval_s
        self._tasks: list[_Task] = []

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    @property
    def tasks(self) -> list[_Task]:
        return self._tasks

    def add_task(self, description: str, total: float | None = 100.0, **fields: Any) -> int:
        self._tasks.append(_Task(description, total, fields=dict(fields)))
        return len(self._tasks) - 1

    def advance(self, task_id: int, advance: float = 1) -> None:
        self.update(task_id, advance=advance)

    def update(
        self,
        task_id: int,
        *,
        total: float | None = None,
        completed: float | None = None,
        advance: float | None = None,
        description: str | None = None,
        **fields: Any,
    ) -> None:
        task = self._tasks[task_id]
        if total is not None:
            task.total = total
        if completed is not None:
            task.completed = completed
        if advance is not None:
            task.completed += advance
        if description is not None:
            task.description = description
        task.fields.update(fields)
        now = time.monotonic()
        done = task.total is not None and task.completed >= task.total
        if (done and not task.finished) or now - task.printed >= self.interval_s:
            task.printed = now
            task.finished = done
            self.console.print(escape(self._line(task, now)), highlight=False, soft_wrap=True)

    @staticmethod
    def _line(task: _Task, now: float) -> str:
        elapsed = int(now - task.started)
        clock = f"{elapsed // 3600}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}"
        if task.total:
            done = f"{task.completed:g}/{task.total:g} ({task.completed / task.total:.0%})"
        else:
            done = f"{task.completed:g}"
        detail = " ".join(str(v) for v in task.fields.values() if v not in (None, ""))
        return f"{task.description}: {done}, {clock}" + (f" - {detail}" if detail else "")
