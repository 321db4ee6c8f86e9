"""One lumbar writer per warehouse, for the whole job, not only while DuckDB holds the file.

DuckDB locks the file only while a connection is open. `lumbar build` spends its first seconds in dbt's
parsing with no connection, so a `lumbar load` started then went through and the build went on with the
new rows. Loads, builds and checks therefore hold an exclusive `flock` on the warehouse file itself for
their whole run: no side file to clean up, released by the kernel when the process dies, and independent
of DuckDB's own (fcntl) locks, so read-only readers such as analysts' DuckDB sessions are not blocked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from ingest.errors import LumbarError


def busy_error(warehouse: Path) -> LumbarError:
    return LumbarError(
        f"warehouse {warehouse} is busy: another lumbar process is writing to it; retry when it finishes"
    )


@contextlib.contextmanager
def writer_lock(warehouse: Path) -> Iterator[None]:
    """Hold the lumbar writer lock on an existing warehouse file; a one-line 'busy' error when taken."""
    try:
        fd = os.open(warehouse, os.O_RDONLY)
    except FileNotFoundError:
        yield  # a load creating a new file: DuckDB's own lock covers it from creation on
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy_error(warehouse) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock
