"""Row-for-row comparison of the pandas baseline's outputs with the warehouse's cohorts and marts.

The benchmark reports the baseline's speed only after this check passes: a faster pipeline that computes
something else is not a baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

# output -> (columns compared, key columns that order the rows)
COMPARED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cohort_surgery_early": (
        ("patient_id", "index_date", "label", "surgery_date", "days_to_surgery", "site", "split",
         "index_image_id", "index_modality"),
        ("patient_id",),
    ),
    "cohort_surgery_late": (
        ("patient_id", "index_date", "label", "surgery_date", "days_to_surgery", "site", "split",
         "index_image_id", "index_modality"),
        ("patient_id",),
    ),
    "mart_surgery_codes_patient": (
        ("task", "patient_id", "feature_type", "feature", "n_events", "n_bins_with_feature"),
        ("task", "patient_id", "feature_type", "feature"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Difference:
    output: str
    message: str  # counts and column names only: never patient rows


def normalise(frame: pd.DataFrame, columns: tuple[str, ...], key: tuple[str, ...]) -> pd.DataFrame:
    """One representation per value so that engines' type choices (date vs timestamp, int32 vs int64,
    NaN vs None) do not count as differences; rows sorted by the key."""
    out = pd.DataFrame(index=frame.index)
    for col in columns:
        values = frame[col]
        if col.endswith("_date"):
            out[col] = pd.to_datetime(values).dt.strftime("%Y-%m-%d").astype(object)
        elif pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            out[col] = pd.array(values, dtype="Int64").astype(object)
        else:
            out[col] = values.astype(object)
        out[col] = out[col].where(pd.notna(out[col]), None)
    return out.sort_values(list(key)).reset_index(drop=True)


def compare_frames(name: str, expected: pd.DataFrame, actual: pd.DataFrame) -> list[Difference]:
    """Differences between the warehouse's rows (`expected`) and the baseline's (`actual`) for one output."""
    columns, key = COMPARED[name]
    missing = [c for c in columns if c not in actual.columns]
    if missing:
        return [Difference(name, f"baseline output lacks columns {', '.join(missing)}")]
    if len(expected) != len(actual):
        return [Difference(name, f"{len(actual):,} rows in the baseline, {len(expected):,} in the warehouse")]
    e, a = normalise(expected, columns, key), normalise(actual, columns, key)
    if e[list(key)].duplicated().any() or a[list(key)].duplicated().any():
        return [Difference(name, f"key ({', '.join(key)}) is not unique")]
    problems = []
    for col in columns:
        # values are plain Python objects with None for null, so None == None and no NaN surprises
        unequal = sum(x != y for x, y in zip(e[col].tolist(), a[col].tolist(), strict=True))
        if unequal:
            problems.append(Difference(name, f"column {col} differs on {unequal:,} of {len(e):,} rows"))
    return problems


def warehouse_outputs(warehouse: Path, marts_dir: Path) -> dict[str, pd.DataFrame]:
    """The cohort tables from the warehouse and the patient-level codes mart from its Parquet file."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {
            name: con.sql(f"select * from cohorts.{name}").df()
            for name in COMPARED
            if name.startswith("cohort")
        }
        path = marts_dir / "mart_surgery_codes_patient.parquet"
        out["mart_surgery_codes_patient"] = con.sql(f"select * from read_parquet('{path}')").df()
    finally:
        con.close()
    return out


def compare_outputs(expected: dict[str, pd.DataFrame], baseline_dir: Path) -> list[Difference]:
    problems: list[Difference] = []
    for name in COMPARED:
        path = baseline_dir / f"{name}.parquet"
        if not path.exists():
            problems.append(Difference(name, f"baseline wrote no {path.name}"))
            continue
        problems += compare_frames(name, expected[name], pd.read_parquet(path))
    return problems
