"""Find contract-named files in a folder and stage each one as an all-text DuckDB temp table.

Staging keeps every value as text (VARCHAR) exactly as read, so typing and rejecting
happen in one place (`validate`) with reasons, instead of a reader failing on row 9 million.
A staged relation has one VARCHAR column per contract column (NULL when the file lacks an
optional column) and either a `_row` column or row order equal to file order.

CSV rules: comma-separated, `"` quotes (doubled inside a value), header row required,
UTF-8 (with or without BOM), or Latin-1 for a file with no UTF-8 in it (`ingest.loading.encoding`).
Header names match contract columns ignoring case and surrounding spaces.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.contract import TABLES
from ingest.errors import LumbarError
from ingest.loading.encoding import decode_head, fallback_encoding, latin1_warning, read_head
from ingest.loading.sources import SourceTable

# Files in the input folder that are not raw tables and are expected there.
SILENTLY_IGNORED = {"generator_card.json", "readme.md", "readme.txt"}
SUFFIXES = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet"}
# A radiology report can be long; DuckDB's default 2 MB line limit is not enough.
MAX_LINE_BYTES = 64 * 1024 * 1024
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # control characters other than tab and line ends


@dataclass(frozen=True)
class FoundFile:
    table: str
    path: Path
    kind: str  # "csv" or "parquet"


@dataclass
class Staged:
    """One source staged in the warehouse connection, ready for validation."""

    table: str
    source_file: str
    file_hash: str
    relation: str  # temp table name
    row_expr: str  # SQL giving the 1-based source row number
    rows: int


def discover(folder: Path, fmt: str) -> tuple[list[FoundFile], list[str]]:
    """Map files named after contract tables to tables; warn about the rest."""
    if not folder.exists():
        raise LumbarError(f"{folder}: no such folder; pass the folder that holds patients.csv (or .parquet)")
    if not folder.is_dir():
        raise LumbarError(f"{folder}: not a folder; pass the folder that holds patients.csv (or .parquet)")
    found: dict[str, FoundFile] = {}
    unknown: list[str] = []
    other_format: list[str] = []
    for path in sorted(folder.iterdir()):
        name = path.name.lower()
        if path.is_dir() or name.startswith(".") or name in SILENTLY_IGNORED:
            continue  # subfolders such as truth/ belong to the generator, not to the load
        table, kind = _split_name(name)
        if table is None or kind is None:
            unknown.append(path.name)
            continue
        if fmt != "auto" and kind != fmt:
            other_format.append(path.name)
            continue
        if table in found:
            raise LumbarError(
                f"{folder}: two files for table {table} ({found[table].path.name}, {path.name}); keep one"
            )
        found[table] = FoundFile(table, path, kind)
    warnings = []
    if unknown:
        warnings.append(
            f"ignored files not named after a contract table (e.g. patients.csv, diagnoses.parquet): "
            f"{', '.join(unknown)}"
        )
    if other_format:
        warnings.append(f"ignored files that are not --format {fmt}: {', '.join(other_format)}")
    return [found[t] for t in TABLES if t in found], warnings


def _split_name(name: str) -> tuple[str | None, str | None]:
    for suffix, kind in sorted(SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            return (stem if stem in TABLES else None), kind
    return None, None


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def match_columns(header: list[str], table: str, where: str) -> tuple[dict[str, int], list[str]]:
    """Contract column -> position in `header`; missing required columns are a LumbarError."""
    contract = TABLES[table]
    positions: dict[str, int] = {}
    extra: list[str] = []
    for i, raw in enumerate(header):
        name = raw.strip().lstrip("\ufeff").lower()
        if name in contract.column_names:
            if name in positions:
                raise LumbarError(f"{where}: column {name} appears twice in the header; keep one")
            positions[name] = i
        else:
            extra.append(raw.strip())
    missing = [c for c in contract.required_columns if c not in positions]
    if missing:
        raise LumbarError(
            f"{where}: missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(table {table} needs {', '.join(contract.required_columns)}); rename the header to the contract names"
        )
    warnings = []
    if extra:
        warnings.append(f"{where}: ignored columns not in the contract: {', '.join(extra)}")
    absent = [c for c in contract.column_names if c not in positions]
    if absent:
        warnings.append(
            f"{where}: optional column{'s' if len(absent) > 1 else ''} absent, loaded as empty: "
            f"{', '.join(absent)}"
        )
    return positions, warnings


# ---------------------------------------------------------------- CSV


def read_csv_header(path: Path) -> list[str]:
    """The header row, decoded as UTF-8 (BOM allowed) or Latin-1; LumbarError if unusable."""
    head = read_head(path)
    if not head.strip():
        raise LumbarError(f"{path}: file is empty (no header row); export the table with its header")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LumbarError(f"{path}: file is UTF-16 encoded; save it as UTF-8 CSV and load again")
    text = decode_head(head)
    first_line = text.splitlines()[0] if text.splitlines() else ""
    if _BINARY.search(first_line):
        # NUL and other control bytes never occur in a CSV header: a workbook, a Parquet file or UTF-16
        # without a byte-order mark saved under a .csv name
        raise LumbarError(
            f"{path}: the header line holds binary bytes, so this is not UTF-8 or Latin-1 CSV text (a spreadsheet, "
            "a Parquet file or UTF-16 text named .csv?); export the table as UTF-8 CSV"
        )
    try:
        # newline="" lets csv split on \r, \n or \r\n: old Mac / Excel "CSV (Macintosh)" files end lines with \r only
        header = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error as exc:
        raise LumbarError(
            f"{path}: the header row is not readable CSV ({exc}); re-export it as UTF-8 CSV"
        ) from None
    if len(header) <= 1:
        for delim, name in _OTHER_DELIMITERS.items():
            if delim in first_line:
                raise LumbarError(
                    f"{path}: header looks {name}-separated; lumbar reads comma-separated CSV, re-export with commas"
                )
    return header


def stage_csv(
    con: duckdb.DuckDBPyConnection, found: FoundFile, relation: str, file_hash: str
) -> tuple[Staged, list[str]]:
    header = read_csv_header(found.path)
    positions, warnings = match_columns(header, found.table, str(found.path))
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    select = ", ".join(
        f"c{positions[c]} as {c}" if c in positions else f"null::varchar as {c}"
        for c in TABLES[found.table].column_names
    )
    encoding = "utf-8"
    while True:
        sql = (
            f"create temp table {relation} as select {select} from read_csv({_sql_str(str(found.path))}, "
            f"header = true, delim = ',', quote = '\"', escape = '\"', columns = {columns}, "
            f"auto_detect = false, encoding = '{encoding}', max_line_size = {MAX_LINE_BYTES}, "
            f"compression = 'auto')"
        )
        try:
            con.execute(sql)
            break
        except duckdb.Error as exc:
            # not UTF-8: Latin-1 if the file holds no UTF-8 at all, an error if it mixes both
            if encoding == "utf-8" and "unicode" in str(exc).lower():
                encoding = fallback_encoding(found.path)
                if encoding == "latin-1":
                    continue
            raise csv_error(found.path, exc) from None
    if encoding == "latin-1":
        warnings.append(latin1_warning(found.path))
    rows = con.execute(f"select count(*) from {relation}").fetchone()[0]  # type: ignore[index]
    # preserve_insertion_order (DuckDB's default) keeps the temp table in file order
    return Staged(found.table, str(found.path), file_hash, relation, "rowid + 1", rows), warnings


def csv_error(path: Path | str, exc: duckdb.Error) -> LumbarError:
    """Rewrite a DuckDB CSV error without its 'Original Line' (which holds patient data)."""
    msg = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", msg)
    where = f"{path} near line {line.group(1)}" if line else str(path)
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", msg)
    if counts:
        return LumbarError(
            f"{where}: row has {counts.group(2)} fields but the header has {counts.group(1)}; "
            "check the delimiter and quoting, or whether the file was cut short"
        )
    lower = msg.lower()
    if "error when sniffing" in lower:  # first: DuckDB's advice after it names other problems
        return LumbarError(
            f"{where}: the rows do not share one CSV layout (a file cut short, or rows with different numbers "
            "of fields); re-export it"
        )
    if "unterminated quote" in lower:
        return LumbarError(
            f"{where}: a quoted value never ends; the file is truncated or badly quoted, re-export it"
        )
    if "maximum line size" in lower:
        return LumbarError(f"{where}: a row is longer than {MAX_LINE_BYTES // 2**20} MB; split or trim it")
    if "gzip" in lower or "compress" in lower or "inflate" in lower:
        return LumbarError(f"{where}: the gzip stream is damaged or cut short; re-export the file")
    return LumbarError(f"{where}: not a readable CSV file ({type(exc).__name__}); re-export it as UTF-8 CSV")


# ---------------------------------------------------------------- Parquet


def stage_parquet(
    con: duckdb.DuckDBPyConnection, found: FoundFile, relation: str, file_hash: str
) -> tuple[Staged, list[str]]:
    path = _sql_str(str(found.path))
    try:
        # the names as written: DuckDB renames a repeated column (patient_id, patient_id_1), which would hide
        # a duplicate that is an error in a CSV header
        written = pq.read_schema(found.path).names
        described = [r[0] for r in con.execute(f"describe select * from read_parquet({path})").fetchall()]
    except (duckdb.Error, OSError, pa.ArrowInvalid) as exc:
        raise _parquet_error(found.path, exc) from None
    if len(written) != len(described):
        raise _parquet_error(found.path, ValueError("nested or unreadable schema"))
    positions, warnings = match_columns(written, found.table, str(found.path))
    select = ", ".join(
        f"cast({_ident(described[positions[c]])} as varchar) as {c}"
        if c in positions
        else f"null::varchar as {c}"
        for c in TABLES[found.table].column_names
    )
    try:
        if "file_row_number" in {name.lower() for name in described}:
            # the file has a column of that name, so DuckDB's own row-number column cannot be added: copy the
            # rows instead, in file order (preserve_insertion_order), as CSV files are staged
            con.execute(f"create temp table {relation} as select {select} from read_parquet({path})")
            row_expr = "rowid + 1"
        else:
            # A view, not a copy: validation reads the file once, straight from Parquet (a text copy of the
            # 250,000-patient benchmark's event tables cost 2 s). The count comes from the footer, so a damaged
            # data page is first met during validation, which turns it into a one-line error too (ingest.load).
            con.execute(
                f"create temp view {relation} as select file_row_number + 1 as _row, {select} "
                f"from read_parquet({path}, file_row_number = true)"
            )
            row_expr = "_row"
        rows = con.execute(f"select count(*) from {relation}").fetchone()[0]  # type: ignore[index]
    except duckdb.Error as exc:
        raise _parquet_error(found.path, exc) from None
    return Staged(found.table, str(found.path), file_hash, relation, row_expr, rows), warnings


def _parquet_error(path: Path, exc: Exception) -> LumbarError:
    return LumbarError(
        f"{path}: not a readable Parquet file ({type(exc).__name__}); it may be truncated or damaged, re-export it"
    )


# ---------------------------------------------------------------- Arrow (adapters)


def stage_arrow(
    con: duckdb.DuckDBPyConnection, source: SourceTable, relation: str
) -> tuple[Staged, list[str]]:
    """Stage an adapter's Arrow table; columns already carry contract names."""
    if source.table not in TABLES:
        raise ValueError(f"SourceTable.table {source.table!r} is not a contract table")
    data = source.data
    n = data.num_rows
    if source.row_numbers is None:
        rows = pa.array(np.arange(1, n + 1, dtype=np.int64))
    else:
        if len(source.row_numbers) != n:
            raise ValueError(
                f"{source.source_file}: row_numbers has {len(source.row_numbers)} entries for {n} rows"
            )
        rows = source.row_numbers.cast(pa.int64())
    positions, warnings = match_columns(data.column_names, source.table, source.source_file)
    view = f"{relation}_arrow"
    arrays = {f"c{i}": data.column(i) for i in positions.values()}
    arrays["_row"] = rows  # type: ignore[assignment]
    con.register(view, pa.table(arrays))
    select = ", ".join(
        f"cast(c{positions[c]} as varchar) as {c}" if c in positions else f"null::varchar as {c}"
        for c in TABLES[source.table].column_names
    )
    try:
        con.execute(f"create temp table {relation} as select _row, {select} from {view}")
    finally:
        con.unregister(view)
    return Staged(source.table, source.source_file, source.file_hash, relation, "_row", n), warnings
