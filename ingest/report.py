"""Console summaries shared by the CLI commands."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ingest.contract import TABLES
from ingest.privacy import suppress


def print_card_summary(console: Console, card: dict, out: Path) -> None:
    """Rows per raw table, read from the Parquet footers (no patient data is opened)."""
    table = Table(title=f"synthetic EHR in {escape(str(out))}")
    table.add_column("raw table")
    table.add_column("rows", justify="right")
    for name in TABLES:
        path = Path(out) / f"{name}.parquet"
        if path.exists():
            table.add_row(name, f"{pq.ParquetFile(path).metadata.num_rows:,}")
    console.print(table)
    expected = card.get("expected") if isinstance(card, dict) else None
    if isinstance(expected, dict):
        exp = Table(title="planted cohort sizes (generator card)")
        exp.add_column("quantity")
        exp.add_column("value", justify="right")
        for key, value in _flatten(expected):
            exp.add_row(key, f"{value:,.3f}" if isinstance(value, float) else _count(value))
        console.print(exp)


def _count(value: object) -> str:
    return suppress(value) if isinstance(value, int) else str(value)


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(_flatten(value, name + "."))
        elif isinstance(value, int | float | str):
            rows.append((name, value))
    return rows
