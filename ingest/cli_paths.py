"""Path options checked by the CLI before any work: a run that trains for an hour must not then fail on a
mistyped --truth, an --out that is a file, or a --marts-dir that names a file.

Nothing here creates a folder: a command that stops on a bad option leaves nothing behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from ingest.errors import LumbarError
from ingest.paths import default_marts_dir


def marts_folder(marts_dir: Path | None, warehouse: Path) -> Path:
    """--marts-dir, else $LUMBAR_MARTS_DIR, else marts/ beside the warehouse; an error when it is a file.

    A missing folder is left to the trainers, whose message says to build the marts first.
    """
    path = marts_dir or default_marts_dir(warehouse)
    if path.exists() and not path.is_dir():
        given = (
            "--marts-dir" if marts_dir else "$LUMBAR_MARTS_DIR" if os.environ.get("LUMBAR_MARTS_DIR") else ""
        )
        raise LumbarError(
            f"{given or 'the marts folder'} {path} is a file, not a folder; pass the folder that holds the "
            "Parquet marts (--marts-dir DIR)"
        )
    return path


def output_folder(path: Path, option: str) -> Path:
    """A folder the command can write into later: it exists as a folder, or can be created in a writable
    folder (checked without creating it)."""
    path = Path(path).expanduser()
    if path.exists():
        if not path.is_dir():
            raise LumbarError(f"{option} {path} is a file, not a folder; choose a folder to write into")
        if not os.access(path, os.W_OK | os.X_OK):
            raise LumbarError(f"{option} {path} is not writable; choose a folder you can write into")
        return path
    ancestor = path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise LumbarError(f"{option} {path}: {ancestor} is a file, so the folder cannot be created")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise LumbarError(f"{option} {path}: cannot create it in {ancestor} (not writable)")
    return path


def input_folder(path: Path | None, option: str, *, holds: str | None = None, hint: str = "") -> Path | None:
    """An existing folder (that holds the file `holds`, when given), or None when the option was left out."""
    if path is None:
        return None
    path = Path(path).expanduser()
    if not path.exists():
        raise LumbarError(f"{option} {path} does not exist{hint}")
    if not path.is_dir():
        raise LumbarError(f"{option} {path} is a file, not a folder{hint}")
    if holds is not None and not (path / holds).is_file():
        raise LumbarError(f"{option} {path} has no {holds}{hint}")
    return path
