"""The marts folder is all or nothing: a failed, interrupted or killed build leaves the last complete one."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.build_record import RECORD_NAME
from ingest.marts_backup import BACKUP_NAME, MartsBackup


def _folder(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}


@pytest.fixture
def marts(tmp_path: Path) -> Path:
    (tmp_path / "mart_a.parquet").write_bytes(b"a from the last good build")
    (tmp_path / "mart_b.parquet").write_bytes(b"b from the last good build")
    (tmp_path / RECORD_NAME).write_text('{"marts": {}}')
    (tmp_path / "notes.txt").write_text("not a mart: never touched")
    return tmp_path


def _half_build(folder: Path) -> None:
    """What a build that stops half-way leaves: one mart rewritten, one new, DuckDB's temporary file."""
    (folder / "mart_a.parquet").write_bytes(b"a from the failed build")
    (folder / "mart_c.parquet").write_bytes(b"a mart the last good build did not have")
    (folder / "tmp_mart_b.parquet").write_bytes(b"half-written")


def test_restore_puts_back_the_last_build_and_removes_new_marts(marts: Path) -> None:
    before = _folder(marts)
    backup = MartsBackup(marts)
    backup.save()
    _half_build(marts)
    (marts / RECORD_NAME).write_text("rewritten")
    backup.restore()
    assert _folder(marts) == before
    assert not (marts / BACKUP_NAME).exists()


def test_a_folder_without_a_record_gets_none_back(tmp_path: Path) -> None:
    backup = MartsBackup(tmp_path)
    backup.save()
    (tmp_path / "mart_a.parquet").write_bytes(b"new")
    (tmp_path / RECORD_NAME).write_text("{}")
    backup.restore()
    assert _folder(tmp_path) == {}


def test_the_next_build_first_puts_back_what_a_killed_build_left(marts: Path) -> None:
    before = _folder(marts)
    MartsBackup(marts).save()
    _half_build(marts)  # then SIGKILL: neither restore() nor discard() runs
    assert MartsBackup(marts).save() is True
    assert _folder(marts) == before
    assert _folder(marts / BACKUP_NAME) == {k: v for k, v in before.items() if k != "notes.txt"}


def test_a_copy_interrupted_half_way_is_never_restored(marts: Path) -> None:
    before = _folder(marts)
    partial = marts / f"{BACKUP_NAME}.partial"
    partial.mkdir()
    (partial / "mart_a.parquet").write_bytes(b"truncated cop")
    assert MartsBackup(marts).save() is False
    assert _folder(marts) == before
    assert not partial.exists()


def test_discard_after_success_keeps_the_new_marts(marts: Path) -> None:
    backup = MartsBackup(marts)
    backup.save()
    (marts / "mart_a.parquet").write_bytes(b"new a")
    backup.discard()
    assert (marts / "mart_a.parquet").read_bytes() == b"new a"
    assert not (marts / BACKUP_NAME).exists()
