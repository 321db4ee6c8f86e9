"""Progress bars that can be switched off (tests); off a terminal they print a line every half minute
(ingest/progress.py), so a long run sent to a log file does not look hung."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.progress import LineProgress, make_progress


class _Silent:
    def add_task(self, *args: object, **kwargs: object) -> int:
        return 0

    def advance(self, *args: object, **kwargs: object) -> None:
        pass

    def update(self, *args: object, **kwargs: object) -> None:
        pass


@contextlib.contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | LineProgress | _Silent]:
    if not enabled:
        yield _Silent()
        return
    with make_progress(
        TextColumn("{task.description}", markup=False),  # labels name models and files: plain text
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as bar:
        yield bar
