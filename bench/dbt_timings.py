"""Per-node timings of a `dbt build` from the run_results.json dbt writes into its target folder.

dbt runs several nodes at once (profiles.yml `threads`), so per-node seconds add up to more than the build's
wall time; they say where the time goes, the stage's wall time says how long it took.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# marts are dbt-duckdb `external` models: their node time is the mart query plus its Parquet export
EXPORT_PREFIX = "mart_"


def read_run_results(path: Path) -> dict[str, Any]:
    """Summary of run_results.json: dbt's own elapsed time, seconds and node counts per kind, every model's
    seconds (slowest first) and the seconds of the Parquet-exported marts."""
    data = json.loads(path.read_text())
    by_kind: dict[str, dict[str, float]] = {}
    models: list[tuple[str, float]] = []
    for result in data.get("results", []):
        kind, _, rest = result["unique_id"].partition(".")
        seconds = float(result.get("execution_time") or 0.0)
        entry = by_kind.setdefault(kind, {"n": 0, "seconds": 0.0})
        entry["n"] += 1
        entry["seconds"] += seconds
        if kind == "model":
            models.append((rest.split(".")[-1], seconds))
    models.sort(key=lambda m: -m[1])
    by_layer: dict[str, float] = {}
    for name, seconds in models:
        # model names start with their layer (stg_, int_, ph_, cohort_, mart_, dq_: docs/architecture.md)
        layer = name.split("_", 1)[0]
        by_layer[layer] = by_layer.get(layer, 0.0) + seconds
    return {
        "dbt_elapsed_s": float(data.get("elapsed_time") or 0.0),
        "by_kind": by_kind,
        "models": [{"model": name, "seconds": s} for name, s in models],
        "by_layer": dict(sorted(by_layer.items(), key=lambda kv: -kv[1])),
        "export_s": sum(s for name, s in models if name.startswith(EXPORT_PREFIX)),
    }
