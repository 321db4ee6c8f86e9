"""rich progress bars that can be switched off (tests, non-interactive runs)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class _Silent:
    def add_task(self, *args: object, **kwargs: object) -> int:
        return 0

    def advance(self, *args: object, **kwargs: object) -> None:
        pass

    def update(self, *args: object, **kwargs: object) -> None:
        pass


@contextlib.contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | _Silent]:
    if not enabled:
        yield _Silent()
        return
    with Progress(
        TextColumn("{task.description}", markup=False),  # labels name models and files: plain text
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:
        yield bar
