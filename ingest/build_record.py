"""`_lumbar_build.json` beside the Parquet marts: which dbt vars and which SQL built each mart file.

A trainer's run folder must say which windows and code lists produced its data. Trainers read only the
marts, so `lumbar build` leaves this record with them: per mart, the sha256 of the file it wrote, the vars
in effect (dbt_project.yml's values with the build's --vars over them), which of them were --vars
overrides, and a fingerprint of the dbt project (SQL, macros, seeds, dbt_project.yml). A mart written
some other way (plain `dbt build`, an older lumbar) no longer matches its recorded sha256, so a stale
entry is never taken for the file's settings (models_py/marts.py checks).

Entries also say which build wrote them (`build_id`, one per `lumbar build`) and, when the caller passes the
warehouse, which raw data it read (`raw_fingerprint`, over the files recorded in `raw.loads`): marts of one
folder that a selective build rewrote on a different warehouse are then told apart from the rest. Records
written before these keys existed simply lack them.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ingest.dbt_vars import project_vars
from ingest.fingerprint import sha256_of, sha256_of_files
from ingest.paths import DBT_PROJECT_DIR

RECORD_NAME = "_lumbar_build.json"
_PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "tests")
# SQL, YAML (configs, vars, tests) and seed CSVs; not editor or OS files that happen to sit there
_PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv"}


def dbt_project_sha256() -> str:
    """One sha256 over the files that decide what the marts hold."""
    files: list[Path] = []
    for part in _PROJECT_PARTS:
        path = DBT_PROJECT_DIR / part
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _PROJECT_SUFFIXES)
        else:
            files.append(path)
    return sha256_of_files(files, root=DBT_PROJECT_DIR)


def effective_vars(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """dbt_project.yml's vars with `overrides` over them (vars read only with an inline default are listed
    when overridden)."""
    defaults = {name: value for name, value in project_vars().items() if value is not None}
    return {**defaults, **overrides}


def write_build_record(
    marts_dir: Path,
    marts: Mapping[str, Path],
    rebuilt: Iterable[str],
    overrides: Mapping[str, Any],
    *,
    partial: Iterable[str] = (),
    warehouse: Path | None = None,
) -> Path:
    """Update the record in `marts_dir` for the marts this build wrote; keep the other marts' entries.

    `partial`: marts a selective build rewrote on tables it did not rebuild; their vars are not known (the
    entry keeps `vars: null`), only that the file is the one this build wrote.
    `warehouse`: the warehouse built, for the raw-data fingerprint (None: not recorded).
    """
    partial = set(partial)
    path = Path(marts_dir) / RECORD_NAME
    record = read_build_record(Path(marts_dir))
    built_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    shared = {
        "built_at": built_at,
        "lumbar_version": _lumbar_version(),
        "dbt_project_sha256": dbt_project_sha256(),
        "vars": effective_vars(overrides),
        "overrides": dict(overrides),
        "build_id": uuid.uuid4().hex,
        "raw_fingerprint": raw_fingerprint(warehouse) if warehouse is not None else None,
    }
    for name in rebuilt:
        if name in marts:
            record[name] = {"sha256": sha256_of(marts[name]), **shared}
            if name in partial:
                record[name]["vars"] = None
    record = {name: record[name] for name in sorted(record) if name in marts}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"marts": record}, indent=2, sort_keys=True, default=str))
    os.replace(tmp, path)
    return path


def raw_fingerprint(warehouse: Path) -> str | None:
    """sha256 over the warehouse's loaded files (table, file sha256, rows loaded) in `raw.loads`.

    Two warehouses loaded from the same files share it; a different dataset does not. None when the
    warehouse cannot be read (the record then just lacks it).
    """
    import duckdb

    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select table_name, coalesce(file_hash, source_file), rows_loaded from raw.loads "
                "where rows_loaded > 0 order by all"
            ).fetchall()
    except duckdb.Error:
        return None
    return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()


def _lumbar_version() -> str:
    try:
        return version("lumbar")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def read_build_record(folder: Path) -> dict[str, dict[str, Any]]:
    """Per-mart entries of the folder's record; {} when there is none or it is unreadable."""
    try:
        data = json.loads((Path(folder) / RECORD_NAME).read_text())
    except (OSError, ValueError):
        return {}
    marts = data.get("marts") if isinstance(data, dict) else None
    return dict(marts) if isinstance(marts, dict) else {}
