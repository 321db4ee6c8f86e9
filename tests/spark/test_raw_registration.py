"""The Spark raw-table hook declares the contract's column types (no Spark needed for this check)."""

from __future__ import annotations

import ast
import re

import pyarrow as pa

from ingest.contract import TABLES
from ingest.paths import DBT_PROJECT_DIR

HOOK = DBT_PROJECT_DIR / "macros/cross_db/register_raw_sources.sql"
SPARK_TYPES = {pa.date32(): "date", pa.float64(): "double"}


def _hook_types() -> dict[str, dict[str, str]]:
    """The dict literal returned by the raw_column_types() macro."""
    body = re.search(r"macro raw_column_types\(\).*?return\((\{.*?\})\)", HOOK.read_text(), re.S)
    assert body, f"{HOOK}: no raw_column_types() dict"
    return ast.literal_eval(body.group(1))


def test_hook_types_match_the_contract() -> None:
    contract = {
        name: {c.name: SPARK_TYPES[c.type] for c in table.columns if c.type != pa.string()}
        for name, table in TABLES.items()
    }
    assert _hook_types() == {name: types for name, types in contract.items() if types}


def test_every_contract_type_has_a_spark_name() -> None:
    used = {c.type for table in TABLES.values() for c in table.columns}
    assert used <= set(SPARK_TYPES) | {pa.string()}
