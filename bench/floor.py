"""The single-scan floor: the least work any pipeline from these raw files to per-patient features can do.

One DuckDB query reads every raw event table once and counts events by patient, month and code, writing
the result to Parquet. lumbar's (load + dbt build) time over this floor says how much the warehouse's layers,
tests and joins cost on top of reading the data once.

    python -m bench.floor RAW_DIR OUT_FILE --threads N
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

# event table -> (date column, code column): every raw table with a date and something countable
EVENT_COLUMNS: dict[str, tuple[str, str]] = {
    "diagnoses": ("dx_date", "code"),
    "procedures": ("px_date", "code"),
    "prescriptions": ("rx_date", "drug_name"),
    "imaging": ("image_date", "modality"),
    "observations": ("obs_date", "name"),
}


def floor_sql(raw_dir: Path, out_file: Path) -> str:
    """The floor query: one scan per event table, one aggregation, one Parquet file."""
    scans = [
        f"select patient_id, {date} as event_date, '{table}' as source, {code} as code "
        f"from read_parquet('{(raw_dir / f'{table}.parquet').as_posix()}')"
        for table, (date, code) in EVENT_COLUMNS.items()
        if (raw_dir / f"{table}.parquet").exists()
    ]
    if not scans:
        raise FileNotFoundError(f"no raw event tables (*.parquet) in {raw_dir}")
    events = "\n    union all\n    ".join(scans)
    return (
        "copy (\n"
        "  select patient_id, date_trunc('month', event_date) as month, source, code, count(*) as n_events\n"
        f"  from (\n    {events}\n  )\n"
        "  group by all\n"
        f") to '{out_file.as_posix()}' (format parquet)"
    )


def run_floor(raw_dir: Path, out_file: Path, threads: int) -> int:
    """Run the floor query with `threads` DuckDB threads; return the number of aggregated rows."""
    out_file.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"threads": threads})
    try:
        con.execute(floor_sql(raw_dir, out_file))
        return int(con.execute(f"select count(*) from read_parquet('{out_file.as_posix()}')").fetchone()[0])
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("out_file", type=Path)
    parser.add_argument("--threads", type=int, required=True, help="DuckDB threads (the warehouse's)")
    args = parser.parse_args(argv)
    try:
        n_rows = run_floor(args.raw_dir, args.out_file, args.threads)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"floor: {n_rows} patient x month x code rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
