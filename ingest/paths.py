"""Where the warehouse and its Parquet marts live by default."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def default_warehouse() -> Path:
    """$LUMBAR_WAREHOUSE, else warehouse/lumbar.duckdb in the current folder."""
    env = os.environ.get("LUMBAR_WAREHOUSE")
    return Path(env) if env else Path("warehouse") / "lumbar.duckdb"


def default_marts_dir(warehouse: Path) -> Path:
    """$LUMBAR_MARTS_DIR, else a `marts` folder beside the warehouse file."""
    env = os.environ.get("LUMBAR_MARTS_DIR")
    return Path(env) if env else warehouse.parent / "marts"
