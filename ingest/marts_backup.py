"""All or nothing for the marts folder: a build that fails leaves the marts as the last good build left them.

dbt writes each mart's Parquet file as soon as that model is built, so a build that fails on a later test
(or is killed) would leave a folder mixing new marts with old ones, and a trainer would read both without
knowing. `lumbar build` therefore keeps a copy of the folder's marts and build record before dbt runs,
puts it back when the build fails or is interrupted, and deletes it when the build succeeds. A copy left
behind by a build that was killed is put back when the next build starts, so the folder always returns
to the last complete build.

Copies, not hard links: a writer that rewrites a file in place would change a hard-linked copy too. The
marts are small next to the warehouse (116 MB for 1,000,000 patients), so copying costs well under the
second.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest.build_record import RECORD_NAME

BACKUP_NAME = ".lumbar-previous-build"


def _mart_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("mart_*.parquet"))
    record = folder / RECORD_NAME
    return files + ([record] if record.is_file() else [])


class MartsBackup:
    """The marts folder as it was before a build; `restore()` puts it back, `discard()` drops it."""

    def __init__(self, marts_dir: Path) -> None:
        self.marts_dir = marts_dir
        self.path = marts_dir / BACKUP_NAME

    def save(self) -> bool:
        """Copy the folder's marts aside (after putting back one a killed build left). True when a killed
        build's copy was put back first."""
        recovered = self.path.is_dir()
        if recovered:
            self.restore()
        partial = self.marts_dir / f"{BACKUP_NAME}.partial"
        shutil.rmtree(partial, ignore_errors=True)  # a copy interrupted half-way is not a backup
        partial.mkdir()
        for path in _mart_files(self.marts_dir):
            shutil.copy2(path, partial / path.name)
        partial.rename(self.path)  # only a complete copy is ever found under BACKUP_NAME
        return recovered

    def restore(self) -> None:
        """The folder's marts and record become exactly the saved ones; new marts are removed."""
        saved = {p.name for p in self.path.iterdir()}
        for path in _mart_files(self.marts_dir):
            if path.name not in saved:
                path.unlink()
        for path in self.marts_dir.glob("tmp_mart_*.parquet"):  # DuckDB's half-written file of a killed write
            path.unlink()
        for name in sorted(saved):
            (self.path / name).replace(self.marts_dir / name)
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
