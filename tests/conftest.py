"""Fixtures shared by several test modules."""

from pathlib import Path

import pytest
from medication_profile import make_profile

from models_py.studies.medication import MART


@pytest.fixture
def medication_marts(tmp_path: Path) -> Path:
    """A marts folder holding only the synthetic medication profile mart."""
    folder = tmp_path / "marts"
    folder.mkdir()
    make_profile().to_parquet(folder / f"{MART}.parquet", index=False)
    return folder
