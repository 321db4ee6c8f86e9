"""What both adapters share: the result type, file discovery, reading files as text, header checks,
and turning one mapped SQL result into loadable rows plus rejects.

Adapters read every source column as text and map with set-based SQL in an in-memory DuckDB; the
loader then casts and validates against the raw contract, so a malformed date in an export becomes
a reject with its source row number instead of a crash here.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.contract import TABLES
from ingest.errors import LumbarError
from ingest.loading.encoding import decode_head, fallback_encoding, latin1_warning, read_head
from ingest.loading.sources import Reject, SourceTable
from ingest.privacy import suppress, suppress_parts

ROW = "__row"  # 1-based source row number, carried through every mapping query
REJECT = "__reject"  # reject reason; null when the row maps

_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".parquet")


@dataclass
class AdapterResult:
    """An export mapped into the raw contract, ready for `load_sources`."""

    sources: list[SourceTable]
    rejects: list[Reject]
    # rows read per source file (the loader checks read = loaded + rejected per file)
    read_counts: dict[str, int]
    # tables the format defines and lumbar maps, but that the export does not hold
    missing_tables: list[str]
    # what the adapter decided or could not do (variants detected, lookups unavailable, ...)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Spec:
    """The columns lumbar reads from one Synthea file."""

    required: tuple[str, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    # columns some releases have and others lack; absent ones are read as null
    optional: tuple[str, ...] = ()


def find_tables(folder: Path, names: Iterable[str]) -> dict[str, Path]:
    """Locate `name.csv` (any case, optionally .gz, .tsv or .parquet) for each wanted table name."""
    wanted = set(names)
    by_name: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        lower = path.name.lower()
        for suffix in _SUFFIXES:
            if lower.endswith(suffix) and lower[: -len(suffix)] in wanted:
                if path.is_symlink() and not path.exists():
                    # otherwise the table would just look absent from the export
                    raise LumbarError(f"{path}: a link to a file that does not exist; fix or remove it")
                if path.is_file():
                    by_name.setdefault(lower[: -len(suffix)], []).append(path)
    found: dict[str, Path] = {}
    for name, paths in by_name.items():
        if len(paths) > 1:
            listed = ", ".join(p.name for p in paths)
            raise LumbarError(
                f"{folder}: table '{name}' is present more than once ({listed}); keep one file per table."
            )
        found[name] = paths[0]
    return found


def csv_dialect(path: Path) -> tuple[list[str], str, bool]:
    """Header names, delimiter and whether quoting is on, from the file's first line."""
    head = read_head(path)
    # a line ends at \n, \r\n or a lone \r (old Mac exports), as Python's universal newlines would split it
    first = re.split(r"\r\n|\r|\n", decode_head(head), maxsplit=1)[0]
    if not first.strip():
        raise LumbarError(f"{path}: the file is empty (no header line); re-export it or remove it.")
    # OHDSI Athena vocabulary files are tab-separated and unquoted (concept names contain quotes)
    tab = "\t" in first and "," not in first
    delimiter = "\t" if tab else ","
    names = [n.strip().strip('"') for n in first.split(delimiter)]
    return names, delimiter, not tab


def read_header(path: Path) -> list[str]:
    """Column names of a CSV or Parquet file, as written."""
    if path.name.lower().endswith(".parquet"):
        try:
            return list(pq.read_schema(path).names)
        except (OSError, pa.ArrowInvalid) as exc:
            raise LumbarError(
                f"{path}: not a readable Parquet file ({type(exc).__name__}); it may be truncated or damaged, "
                "re-export it"
            ) from None
    return csv_dialect(path)[0]


def read_as_text(path: Path, notes: list[str]) -> pa.Table:
    """Read a CSV or Parquet file with every column as text (empty = null) plus a 1-based row number.

    A CSV file that is not UTF-8 is read as Latin-1 (with a warning appended to `notes`) when it holds no
    UTF-8 at all, and is an error when it mixes both (`ingest.loading.encoding`).
    """
    if path.name.lower().endswith(".parquet"):
        table = pq.read_table(path)
        table = pa.table({name: _to_text(table.column(name)) for name in table.column_names})
    else:
        names, delimiter, quoting = csv_dialect(path)
        if len(set(n.upper() for n in names)) != len(names):
            raise LumbarError(f"{path}: the header repeats a column name; fix the header.")
        try:
            table = _read_csv(path, names, delimiter, quoting, "utf8")
        except pa.ArrowInvalid as exc:
            if "UTF8" not in str(exc) or fallback_encoding(path) != "latin-1":
                raise LumbarError(
                    f"{path}: not a readable CSV ({_csv_problem(exc)}); check the delimiter, quoting and encoding."
                ) from None
            table = _read_csv(path, names, delimiter, quoting, "latin1")
            notes.append(latin1_warning(path))
    rows = pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))
    return table.append_column(ROW, rows)


def _read_csv(path: Path, names: list[str], delimiter: str, quoting: bool, encoding: str) -> pa.Table:
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=True, block_size=16 << 20, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"' if quoting else False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except (OSError, EOFError, zlib.error) as exc:
        raise LumbarError(
            f"{path}: cannot read the file ({type(exc).__name__}); it may be truncated, re-export it"
        ) from None


def with_optional(table: pa.Table, optional: tuple[str, ...]) -> pa.Table:
    """Add absent release-dependent columns as nulls so one query serves every variant."""
    have = {c.upper() for c in table.column_names}
    for name in optional:
        if name.upper() not in have:
            table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
    return table


def absent_optional_note(
    label: str, header: Sequence[str], spec: Spec, skip: Sequence[str] = ()
) -> str | None:
    """A warning naming the optional columns a file lacks, or None.

    Absent optional columns are read as empty so one query serves every release, but a renamed column
    (`val_num` for `value_as_number`) would then lose all its values without a word; the contract loader
    warns in the same situation. Columns in a one-of group another member satisfies, and `skip` (absences
    the adapter reports in its own words), are not named.
    """
    have = {c.upper() for c in header}
    alternatives = {
        c.upper() for group in spec.one_of if any(g.upper() in have for g in group) for c in group
    }
    skipped = {c.upper() for c in skip}
    absent = [c for c in spec.optional if c.upper() not in have | alternatives | skipped]
    if not absent:
        return None
    plural = "s" if len(absent) > 1 else ""
    return (
        f"{label}: optional column{plural} absent, read as empty: {', '.join(absent)} "
        "(if the export names them differently, rename them in the header)"
    )


def _csv_problem(exc: Exception) -> str:
    """pyarrow's parse error without the offending line, which may hold patient data."""
    text = str(exc)
    ragged = re.search(r"Expected \d+ columns, got \d+", text)
    if ragged:
        return "a row has the wrong number of fields: " + ragged.group(0).lower()
    if "UTF8" in text:
        return "text that is not UTF-8"
    return "CSV parse error"


def _to_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column.cast(pa.string())
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.date32())
    return column.cast(pa.string())


def check_columns(
    path: Path, found: Sequence[str], required: Sequence[str], one_of: Sequence[Sequence[str]] = ()
) -> None:
    """Raise a one-line error unless every required column and one of each alternative group is present."""
    have = {c.upper() for c in found}
    missing = [c for c in required if c.upper() not in have]
    unmet = [group for group in one_of if not any(c.upper() in have for c in group)]
    if not missing and not unmet:
        return
    expected = list(required) + [" or ".join(group) for group in one_of]
    raise LumbarError(
        # no [brackets] around the lists: a console printing rich markup would swallow them as tags
        f"{path}: unknown variant of this table; found columns: {', '.join(found) or 'none'}; "
        f"expected: {', '.join(expected)}"
        + (f" (missing {', '.join(missing + [' or '.join(g) for g in unmet])})" if missing or unmet else "")
        + "; check the export format (--format) or the file."
    )


def iso_date_sql(expr: str) -> str:
    """SQL for the calendar date of a text date or timestamp: 'YYYY-MM-DD...' or 'YYYYMMDD'.

    Synthea writes ISO timestamps in UTC ('2023-01-27T16:17:47Z'); the date as written is kept rather
    than shifted to a local zone, so a row's date matches what the export shows.
    """
    e = f"trim({expr})"
    return (
        f"(case when regexp_full_match({e}, '[0-9]{{8}}') "
        f"then substr({e}, 1, 4) || '-' || substr({e}, 5, 2) || '-' || substr({e}, 7, 2) "
        f"else nullif(left({e}, 10), '') end)"
    )


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def split_mapped(
    con: duckdb.DuckDBPyConnection, sql: str, table: str, source_file: str, file_hash: str
) -> tuple[SourceTable, list[Reject]]:
    """Run a mapping query (contract columns + __row + __reject) and split it into rows and rejects."""
    mapped = con.sql(sql).to_arrow_table()
    reasons = mapped.column(REJECT)
    ok = pc.is_null(reasons)
    loaded = mapped.filter(ok)
    columns = TABLES[table].column_names
    data = loaded.select(columns)
    source = SourceTable(
        table=table,
        data=data,
        source_file=source_file,
        file_hash=file_hash,
        row_numbers=loaded.column(ROW).combine_chunks(),
    )
    bad = mapped.filter(pc.invert(ok)).select([ROW, REJECT])
    rejects = [
        Reject(table=table, source_file=source_file, row_number=row, reason=reason)
        for row, reason in zip(bad.column(ROW).to_pylist(), bad.column(REJECT).to_pylist(), strict=True)
    ]
    return source, rejects


def counts_by_group(con: duckdb.DuckDBPyConnection, sql: str) -> str | None:
    """'N rows (a n1, b n2)' from a query giving (group, row count); None when it gives no rows.

    Counts from 1 to the suppression threshold are hidden, and so are those that would give one away
    by subtraction from the total (as in the load report's reject reasons).
    """
    counts = {str(group): int(n) for group, n in con.sql(sql).fetchall() if n}
    if not counts:
        return None
    total = sum(counts.values())
    cells = suppress_parts(total, counts)
    # in the query's order, not by size: an order by size would tell hidden counts apart
    listed = ", ".join(f"{group} {cells[group]}" for group in counts)
    return f"{suppress(total)} rows ({listed})"


def progress() -> Progress:
    """A transient progress display on stderr, off when stderr is not a terminal (rich would still end
    it with an empty line there, which then stood before a following `error:` line)."""
    console = Console(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} tables"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
