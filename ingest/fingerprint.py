"""sha256 fingerprints of files: the loader's idempotence key, the marts a run read, the dbt project."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def sha256_of(path: Path) -> str:
    """sha256 of a file, or of a folder's files in name order (their relative names included)."""
    path = Path(path)
    if path.is_dir():
        return sha256_of_files(sorted(p for p in path.rglob("*") if p.is_file()), root=path)
    digest = hashlib.sha256()
    _update(digest, path)
    return digest.hexdigest()


def sha256_of_files(files: Iterable[Path], *, root: Path) -> str:
    """One sha256 over several files, each preceded by its name relative to `root`."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(str(Path(file).relative_to(root)).encode())
        _update(digest, Path(file))
    return digest.hexdigest()


def _update(digest: hashlib._Hash, file: Path) -> None:
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
