"""Load raw EHR tables into the DuckDB warehouse's `raw` schema, validated against the contract.

Two entry points:

- `load_directory(folder, warehouse)` reads `patients.csv`, `diagnoses.parquet`, `imaging.csv.gz`, ...
  (files named after contract tables; one file per table; `patients` is required).
- `load_sources(sources, warehouse)` takes Arrow tables from an adapter (Synthea, OMOP) plus the
  rows the adapter itself could not map (`extra_rejects`).

Both stage every file as text, apply the rules below in set-based SQL, and write everything in
one DuckDB transaction: all tables or none. A killed load leaves the warehouse as it was.

What is rejected (row goes to `raw.rejects` with a reason naming the column, never the value):
  - a required value missing (empty, or only whitespace)
  - a date that is not YYYY-MM-DD, an ISO timestamp (date part kept, no time-zone shift) or
    MM/DD/YYYY; a date that does not exist (Feb 30); a date before 1900-01-01 (e.g. year 0201)
    or after today (e.g. 2999). "NULL", "NA", "N/A", "None", "NaN" count as empty in date and
    number columns only.
  - a value outside the contract's allowed set (sex, modality, body_region, code_system);
    matched ignoring case and stored in the contract's spelling ("mri" -> "MRI")
  - value_num that is not a finite number ("1,5", "high", "inf")
  - a text value containing a NUL byte (a sign of a corrupted export)
  - death_date before birth_date
  - patient_id not in patients (this load or an earlier one); if the patient's own row was
    rejected in this load the reason says so instead
  - an event dated before the patient's birth_date, or more than 30 days after death_date
  - imaging_measurements / image_files whose image_id is not in imaging (this load or an earlier
    one); if the study's imaging row was rejected in this load the reason says so instead
  - keyed tables (patients, providers, imaging): a key already loaded by an earlier load (the reason names
    the columns whose values differ from the loaded row, which is never updated); an exact
    duplicate row (first kept); the same key with different data (all copies rejected, since we
    cannot tell which one is right)
  - event tables (diagnoses, procedures, prescriptions, observations): a row identical in every
    column to one an earlier load wrote (an overlapping or cumulative extract would otherwise
    count the overlap twice)
What is kept as given and left for dbt staging to normalise and flag (safe, lossless steps):
  - codes in any shape ("7242.", "m54,5", "ICD10:M545"), drug names, free text: surrounding
    whitespace stripped, nothing else changed
  - implausible but well-formed numbers (negative pain score, BMI 900): plausibility ranges
    depend on the observation name and live in dbt
  - repeated identical rows within one load's event files (the same code twice on a day can be two
    encounters)
  - pcp_provider_id not in providers (providers is optional)
Only the first problem found in a row is recorded (the order above, column by column).

Reading: header names match the contract ignoring case and surrounding spaces; extra columns are
ignored and optional columns may be absent (both named in a warning). CSV must be comma-separated
with `"` quoting; lines may end with LF, CRLF or CR only; UTF-8 with or without BOM is read as such; a file with no valid UTF-8 in it (a Latin-1 /
cp1252 export) is read as Latin-1 with a warning; a file mixing UTF-8 with other bytes is an error
(`ingest.loading.encoding`; the adapters follow the same rule). Parquet columns of any type are read as their text form.

A file-level problem is a `LumbarError` (one line, nothing written): missing patients file,
empty file, missing required column, wrong delimiter, ragged or truncated CSV, unreadable Parquet.

Idempotence and versions: `raw.loads` records (table, file sha256) for every file loaded; a file
whose hash was loaded before is skipped (reported, nothing added). A new version of a table
*appends*: its new event rows are added, rows identical to ones already loaded are rejected, and
patients/providers/imaging whose key is already in the warehouse are rejected as duplicates. To replace data, load into a fresh warehouse file.

Row numbers in rejects are 1-based data records (the header is not counted; blank lines are
skipped and a multi-line quoted value is one record, so they are file lines only for plain files).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from ingest.contract import REQUIRED_TABLES, TABLES
from ingest.errors import LumbarError
from ingest.fingerprint import sha256_of
from ingest.loading.readers import (
    Staged,
    discover,
    read_csv_header,
    stage_arrow,
    stage_csv,
    stage_parquet,
)
from ingest.loading.report import LoadReport, SourceLoad
from ingest.loading.sources import Reject, SourceTable
from ingest.loading.validate import (
    build_checked,
    build_image_lookup,
    build_patient_lookup,
    chk_table,
    reject_duplicates,
)
from ingest.loading.warehouse import check_raw_columns, create_raw_schema, existing_raw_tables, open_warehouse

__all__ = ["LoadReport", "Reject", "SourceLoad", "SourceTable", "load_directory", "load_sources"]

FILE_FORMATS = ("auto", "csv", "parquet")
ADAPTER_FORMATS = ("synthea", "omop")


def load_directory(
    path: Path, warehouse: Path, fmt: str = "auto", *, console: Console | None = None
) -> LoadReport:
    """Validate and load a folder of contract-named CSV/Parquet files (see module docstring).

    fmt: auto (contract-named files, or a Synthea/OMOP export recognised by its file names and
    headers), csv, parquet (only that kind of file is read), synthea or omop.
    """
    fmt = fmt.lower()
    if fmt not in FILE_FORMATS + ADAPTER_FORMATS:
        raise LumbarError(f"--format {fmt!r} is not one of {', '.join(FILE_FORMATS + ADAPTER_FORMATS)}")
    folder = Path(
        path
    ).absolute()  # raw.loads records where files came from; relative paths would not resolve later
    if fmt == "auto" and (detected := detect_format(folder)) != "files":
        fmt = detected
    if fmt in ADAPTER_FORMATS:
        return _adapter_load(fmt, folder, Path(warehouse), console)
    files, warnings = discover(folder, fmt)
    missing = [t for t in REQUIRED_TABLES if t not in {f.table for f in files}]
    if missing:
        raise LumbarError(
            f"{folder}: no {missing[0]} file ({missing[0]}.csv, .csv.gz or .parquet); every load needs one"
        )
    with _progress(console) as step:
        hashes = {}
        for f in files:
            step(f"hashing {f.path.name}")
            hashes[f.path] = _hash_input(f.path)
        with open_warehouse(Path(warehouse)) as con:
            done = _loaded_hashes(con, Path(warehouse))
            staged: list[Staged] = []
            skipped: list[SourceLoad] = []
            for i, f in enumerate(files):
                if (f.table, hashes[f.path]) in done:
                    skipped.append(SourceLoad(f.table, str(f.path), hashes[f.path], 0, 0, 0, skipped=True))
                    continue
                step(f"reading {f.path.name}")
                stage = stage_csv if f.kind == "csv" else stage_parquet
                s, w = stage(con, f, f"_lumbar_stage_{i}", hashes[f.path])
                staged.append(s)
                warnings += w
            return _validate_and_write(con, Path(warehouse), staged, skipped, (), None, warnings, step)


def load_sources(
    sources: list[SourceTable],
    warehouse: Path,
    *,
    extra_rejects: Sequence[Reject] = (),
    read_counts: dict[str, int] | None = None,
    console: Console | None = None,
) -> LoadReport:
    """Validate and load adapter output.

    `extra_rejects` are source rows the adapter could not map; they are stored in raw.rejects and
    counted as read + rejected for their (table, source_file). `read_counts`, when given, is the
    number of rows the adapter read, keyed by source file (or by table name); the loader checks
    loaded + rejected equals it, so no row can vanish between adapter and warehouse.
    """
    tables = {s.table for s in sources}
    unknown = sorted(t for t in tables | {r.table for r in extra_rejects} if t not in TABLES)
    if unknown:
        raise ValueError(f"not contract tables: {', '.join(unknown)}")
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise LumbarError(f"the export has no {missing[0]} rows; every load needs them")
    with _progress(console) as step, open_warehouse(Path(warehouse)) as con:
        done = _loaded_hashes(con, Path(warehouse))
        staged: list[Staged] = []
        skipped: list[SourceLoad] = []
        warnings: list[str] = []
        for i, src in enumerate(sources):
            if (src.table, src.file_hash) in done:
                skipped.append(SourceLoad(src.table, src.source_file, src.file_hash, 0, 0, 0, skipped=True))
                continue
            done.add((src.table, src.file_hash))  # the same file twice in one call counts once
            step(f"staging {src.table} from {Path(src.source_file).name}")
            s, w = stage_arrow(con, src, f"_lumbar_stage_{i}")
            staged.append(s)
            warnings += w
        return _validate_and_write(
            con, Path(warehouse), staged, skipped, extra_rejects, read_counts, warnings, step
        )


# ---------------------------------------------------------------- core


def _validate_and_write(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    staged: list[Staged],
    skipped: list[SourceLoad],
    extra_rejects: Sequence[Reject],
    read_counts: dict[str, int] | None,
    warnings: list[str],
    step: Callable[[str], None],
) -> LoadReport:
    if not staged:
        # Everything was loaded before: write nothing, not even the adapter's rejects again.
        return LoadReport(warehouse, None, skipped, {}, warnings)
    present = existing_raw_tables(con)
    check_raw_columns(con, present, warehouse)
    today = dt.date.today()
    by_table: dict[str, list[Staged]] = defaultdict(list)
    for s in staged:
        by_table[s.table].append(s)
    order = [t for t in TABLES if t in by_table]  # contract order puts patients first
    for table in order:
        if table != "patients" and "_lumbar_patients" not in _temp_tables(con):
            # events are checked against patients accepted now or loaded before
            build_patient_lookup(con, "patients" in present, "patients" in by_table)
        if TABLES[table].image_scoped and "_lumbar_images" not in _temp_tables(con):
            # imaging comes first in contract order, so its own rejects (duplicates too) are known by now
            build_image_lookup(con, "imaging" in present, "imaging" in by_table)
        step(f"validating {table}")
        try:
            build_checked(con, table, by_table[table], today)
        except (duckdb.IOException, duckdb.InvalidInputException) as exc:
            # Parquet files are staged as views, so a damaged data page is first read here
            files = ", ".join(s.source_file for s in by_table[table])
            raise LumbarError(
                f"{files}: reading failed during validation ({type(exc).__name__}); the file may be truncated "
                "or damaged, re-export it"
            ) from None
        reject_duplicates(con, table, table in present)

    sources, reasons = _count(con, by_table, skipped, extra_rejects)
    _check_read_counts(sources, read_counts)

    step("writing to the warehouse")
    con.execute("begin transaction")
    try:
        create_raw_schema(con)
        load_id = con.execute("select coalesce(max(load_id), 0) + 1 from raw.loads").fetchone()[0]  # type: ignore[index]
        for table in order:
            _write_table(con, table, by_table[table], load_id)
        _write_extra_rejects(con, extra_rejects, skipped, load_id)
        con.executemany(
            "insert into raw.loads values (?, now()::timestamp, ?, ?, ?, ?, ?, ?)",
            [
                [load_id, s.source_file, s.table, s.file_hash, s.rows_read, s.rows_loaded, s.rows_rejected]
                for s in sources
                if not s.skipped
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return LoadReport(warehouse, load_id, sources, reasons, warnings)


def _count(
    con: duckdb.DuckDBPyConnection,
    by_table: dict[str, list[Staged]],
    skipped: list[SourceLoad],
    extra_rejects: Sequence[Reject],
) -> tuple[list[SourceLoad], dict[tuple[str, str], int]]:
    """Per-source counts (staged rows + the adapter's rejects for that file) and reject reasons."""
    skipped_keys = {(s.table, s.source_file) for s in skipped}
    extra = Counter(
        (r.table, r.source_file) for r in extra_rejects if (r.table, r.source_file) not in skipped_keys
    )
    sources: list[SourceLoad] = []
    reasons: Counter[tuple[str, str]] = Counter()
    for table, staged in by_table.items():
        counts = dict(
            (src, (n, bad))
            for src, n, bad in con.execute(
                f"select _src, count(*), count(_reason) from {chk_table(table)} group by _src"
            ).fetchall()
        )
        for i, s in enumerate(staged):
            n, bad = counts.get(i, (0, 0))
            more = extra.pop((table, s.source_file), 0)
            sources.append(SourceLoad(table, s.source_file, s.file_hash, n + more, n - bad, bad + more))
        for reason, n in con.execute(
            f"select _reason, count(*) from {chk_table(table)} where _reason is not null group by 1"
        ).fetchall():
            reasons[(table, reason)] += n
    # adapter rejects for files that produced no staged rows at all
    for (table, source_file), n in extra.items():
        sources.append(SourceLoad(table, source_file, None, n, 0, n))
    for r in extra_rejects:
        if (r.table, r.source_file) not in skipped_keys:
            reasons[(r.table, r.reason)] += 1
    sources += skipped
    return sources, dict(reasons)


def _check_read_counts(sources: list[SourceLoad], read_counts: dict[str, int] | None) -> None:
    """Rows an adapter read (per source file, or per table) must all be loaded or rejected."""
    if not read_counts:
        return
    for key, expected in read_counts.items():
        by_file = [s for s in sources if s.source_file == key]
        matched = by_file or [s for s in sources if s.table == key]
        if any(s.skipped for s in matched):
            continue  # that file was loaded before; nothing of it is written now
        got = sum(s.rows_loaded + s.rows_rejected for s in matched)
        if got != expected:
            # An adapter bug, not a user mistake: rows would vanish silently.
            raise RuntimeError(f"{key}: adapter read {expected} rows but passed on {got} (loaded + rejected)")


def _write_table(con: duckdb.DuckDBPyConnection, table: str, staged: list[Staged], load_id: int) -> None:
    chk = chk_table(table)
    cols = ", ".join(TABLES[table].column_names)
    con.execute(f"insert into raw.{table} ({cols}) select {cols} from {chk} where _reason is null")
    files = pa.table(
        {"_src": pa.array(range(len(staged)), pa.int64()), "source_file": [s.source_file for s in staged]}
    )
    con.register("_lumbar_files", files)
    try:
        con.execute(
            f"insert into raw.rejects select ?, ?, f.source_file, c._row, c._reason "
            f"from {chk} c join _lumbar_files f using (_src) where c._reason is not null",
            [load_id, table],
        )
    finally:
        con.unregister("_lumbar_files")


def _write_extra_rejects(
    con: duckdb.DuckDBPyConnection, extra_rejects: Sequence[Reject], skipped: list[SourceLoad], load_id: int
) -> None:
    skipped_keys = {(s.table, s.source_file) for s in skipped}
    keep = [r for r in extra_rejects if (r.table, r.source_file) not in skipped_keys]
    if not keep:
        return
    rows = pa.table(
        {
            "table_name": [r.table for r in keep],
            "source_file": [r.source_file for r in keep],
            "row_number": pa.array([r.row_number for r in keep], pa.int64()),
            "reason": [r.reason for r in keep],
        }
    )
    con.register("_lumbar_extra", rows)
    try:
        con.execute(
            "insert into raw.rejects select ?, table_name, source_file, row_number, reason from _lumbar_extra",
            [load_id],
        )
    finally:
        con.unregister("_lumbar_extra")


def _hash_input(path: Path) -> str:
    """sha256 of an input file; a file that cannot be read (a broken link, no permission) is a one-line error."""
    try:
        return sha256_of(path)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        hint = (
            "; it is a link to a file that does not exist" if path.is_symlink() and not path.exists() else ""
        )
        raise LumbarError(f"{path}: cannot read the file ({why}){hint}; fix or remove it") from None


def _temp_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("select table_name from duckdb_tables() where temporary").fetchall()}


def _loaded_hashes(con: duckdb.DuckDBPyConnection, warehouse: Path) -> set[tuple[str, str]]:
    present = existing_raw_tables(con)
    check_raw_columns(con, present, warehouse)  # before reading raw.loads, which may not be lumbar's
    if "loads" not in present:
        return set()
    rows = con.execute(
        "select distinct table_name, file_hash from raw.loads where file_hash is not null"
    ).fetchall()
    return {(t, h) for t, h in rows}


def _adapter_load(fmt: str, path: Path, warehouse: Path, console: Console | None) -> LoadReport:
    """Synthea and OMOP exports are mapped by `ingest.adapters`, then loaded like any other source."""
    from ingest import adapters

    reader = adapters.read_synthea if fmt == "synthea" else adapters.read_omop
    result = reader(path)
    report = load_sources(
        result.sources,
        warehouse,
        extra_rejects=result.rejects,
        read_counts=result.read_counts,
        console=console,
    )
    if result.missing_tables:
        report.warnings.append(f"{fmt} export lacks: {', '.join(result.missing_tables)}")
    report.warnings.extend(result.notes)
    return report


def detect_format(path: Path) -> str:
    """'synthea', 'omop' or 'files' (contract-named CSV/Parquet), from names and one header."""
    if path.is_file() and path.suffix.lower() in (".duckdb", ".db"):
        return "omop"
    if not path.is_dir():
        return "files"
    files = {p.name.lower(): p for p in path.iterdir() if p.is_file()}
    stems = {n.split(".")[0] for n in files}
    if "person" in stems and "patients" not in stems:
        return "omop"
    patients = files.get("patients.csv") or files.get("patients.csv.gz")
    if patients is not None:
        with contextlib.suppress(LumbarError):
            header = {h.strip().lower() for h in read_csv_header(patients)}
            if {"id", "birthdate"} <= header and "patient_id" not in header:
                return "synthea"
    return "files"


@contextlib.contextmanager
def _progress(console: Console | None) -> Iterator[Callable[[str], None]]:
    """A transient spinner naming the current step, shown only on a terminal."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield lambda _msg: None
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),  # steps name the user's files: plain text
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("loading", total=None)
        yield lambda msg: progress.update(task, description=msg)
