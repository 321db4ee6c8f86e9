"""What an adapter hands to the loader: contract-shaped tables and rows it could not map."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass
class SourceTable:
    """Rows for one contract table from one source file."""

    table: str  # contract table name
    data: pa.Table  # columns named as in the contract; strings or typed values
    source_file: str  # file the rows came from (shown in reports and raw.rejects)
    file_hash: str  # sha256 of the source file bytes: the idempotence key
    row_numbers: pa.Array | None = None  # 1-based source row per row; None means 1..n


@dataclass
class Reject:
    """A source row an adapter could not turn into a contract row."""

    table: str
    source_file: str
    row_number: int
    reason: str  # names the column and the problem, never the value
