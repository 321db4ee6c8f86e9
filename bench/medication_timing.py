"""Wall time and peak memory of the medication study's model grid (004_8aea355467337d34.txt: 36 tuned models).

`lumbar train medication --grid paper` tunes four tree ensembles per cell (6 outcomes x 6 predictor sets = 36
cells; random forest 48, bagging 8, AdaBoost 9 and XGBoost 12 hyper-parameter sets, each 5-fold CV) and then
scores, explains (SHAP) and ranks (Borda) them. This stage runs exactly that, through the trainer itself, and
records what a benchmark reader needs: wall seconds, cells, models and CV fits, seconds per cell, peak RSS, and
the study's headline results (best test balanced accuracy per outcome, Borda top 10 per model group) so a
timing is never read without knowing what the run produced.

A subset of cells (--outcomes / --datatypes) can be timed when the full grid is too long for the machine; the
JSON then also carries `extrapolated_full_wall_s`, an estimate for all 36 cells (measured seconds per cell x
36 / parallel workers), labelled as such. Measured and extrapolated numbers are never mixed.

    python -m bench.medication_timing MARTS_DIR OUT_JSON --grid paper
    python -m bench.medication_timing MARTS_DIR OUT_JSON --grid paper --outcomes rest_vs_opioids

`make bench` renders every `bench/.cache/results/medication-*.json` into BENCHMARKS.md (bench/report_medication.py),
so write results there to publish them.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from bench.stages import write_json_result
from models_py.errors import UserInputError

ALL_CELLS = 36  # the paper's 6 outcomes x 6 predictor sets


def grid_size(grid: str) -> dict[str, int]:
    """Hyper-parameter combinations per algorithm in a trainer grid."""
    from models_py.models.trees import GRIDS

    if grid not in GRIDS:
        raise UserInputError(f"unknown grid '{grid}'; use one of: {', '.join(GRIDS)}")
    sizes = {}
    for algorithm, params in GRIDS[grid].items():
        n = 1
        for values in params.values():
            n *= len(values)
        sizes[algorithm] = n
    return sizes


def peak_rss_bytes() -> dict[str, int]:
    """Peak resident memory of this process and of its reaped children (joblib workers), in bytes.

    Linux reports ru_maxrss in KiB. The children figure is the largest single child, not a sum: with two
    workers alive at once the machine held up to self + 2 x children.
    """
    scale = 1 if sys.platform == "darwin" else 1024
    return {
        "self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale,
        "children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale,
    }


def _shutdown_workers() -> None:
    """Stop joblib's reusable worker pool so its processes are reaped and count in RUSAGE_CHILDREN."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)


def summarise_run(run_dir: Path, top: int = 10) -> dict[str, Any]:
    """Test balanced accuracy of each outcome's best predictor set (chosen by CV on training rows) and the Borda
    top `top` per group, from a run folder."""
    from models_py.studies.medication import best_datatype_per_outcome

    metrics = pd.read_parquet(run_dir / "metrics.parquet")
    models = pd.read_parquet(run_dir / "best_models.parquet")
    best = best_datatype_per_outcome(models)
    mean_ba = metrics[(metrics["metric"] == "balanced_accuracy") & (metrics["statistic"] == "mean")]
    best_ba = {
        outcome: {
            "datatype": datatype,
            "balanced_accuracy": float(
                mean_ba[(mean_ba["outcome"] == outcome) & (mean_ba["datatype"] == datatype)]["value"].iloc[0]
            ),
        }
        for outcome, datatype in best.items()
    }
    borda = pd.read_parquet(run_dir / "borda_ranking.parquet")
    top_features = {
        group: g.sort_values("rank")["feature"].head(top).tolist() for group, g in borda.groupby("group")
    }
    return {
        "best_balanced_accuracy": best_ba,
        "best_chosen_by": "cv",
        "borda_top": top_features,
        "cell_seconds": {
            "sum": float(models["seconds"].sum()),
            "mean": float(models["seconds"].mean()),
            "max": float(models["seconds"].max()),
        },
        "algorithms_chosen": models["algorithm"].value_counts().to_dict(),
    }


def time_medication_grid(
    marts_dir: Path,
    out_dir: Path,
    *,
    grid: str = "paper",
    outcomes: str | None = None,
    datatypes: str | None = None,
    seed: int = 0,
    n_bootstrap: int = 1000,
    n_jobs: int = 2,
    progress: bool = False,
) -> dict[str, Any]:
    """Run `lumbar train medication` once on the marts and return its timings and headline results."""
    from models_py.studies.medication import train_medication

    sizes = grid_size(grid)
    started = time.perf_counter()
    run_dir = train_medication(
        marts_dir,
        out_dir,
        datatypes=datatypes,
        outcomes=outcomes,
        grid=grid,
        seed=seed,
        n_bootstrap=n_bootstrap,
        progress=progress,
        n_jobs=n_jobs,
    )
    wall_s = time.perf_counter() - started
    _shutdown_workers()
    config = json.loads((run_dir / "config.json").read_text())
    cells = len(config["outcomes"]) * len(config["datatypes"])
    folds = 5
    summary = summarise_run(run_dir)
    result: dict[str, Any] = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "grid": grid,
        "run_dir": str(run_dir),
        "n_patients_with_report": int(config["n_patients"]),
        "outcomes": config["outcomes"],
        "datatypes": config["datatypes"],
        "cells": cells,
        "models_tuned": cells * len(sizes),  # one grid search per algorithm per cell
        "hyperparameter_sets_per_cell": sum(sizes.values()),
        "cv_fits": cells * sum(sizes.values()) * folds,
        "n_jobs": n_jobs,
        "n_bootstrap": n_bootstrap,
        "wall_s": round(wall_s, 1),
        "peak_rss_bytes": peak_rss_bytes(),
        **summary,
    }
    if cells < ALL_CELLS:
        # cells run n_jobs at a time, so the full grid needs about (36 / n_jobs) x the mean cell's seconds
        per_cell = summary["cell_seconds"]["mean"]
        result["extrapolated_full_wall_s"] = round(per_cell * ALL_CELLS / max(n_jobs, 1), 1)
        result["extrapolation_note"] = (
            f"estimate, not measured: {cells} of {ALL_CELLS} cells timed; mean cell {per_cell:.1f} s "
            f"x {ALL_CELLS} cells / {n_jobs} workers (cells differ in rows: one-vs-one tasks are smaller)"
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("marts_dir", type=Path)
    parser.add_argument("out_json", type=Path)
    parser.add_argument("--grid", default="paper", help="small or paper (default: paper)")
    parser.add_argument("--outcomes", default=None, help="comma-separated subset (default: all six)")
    parser.add_argument("--datatypes", default=None, help="comma-separated subset (default: all six)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--progress", action="store_true", help="show the trainer's progress bar")
    args = parser.parse_args(argv)
    return write_json_result(
        args.out_json,
        lambda: time_medication_grid(
            args.marts_dir,
            args.out_json.parent / "medication_runs",
            grid=args.grid,
            outcomes=args.outcomes,
            datatypes=args.datatypes,
            seed=args.seed,
            n_bootstrap=args.bootstrap,
            n_jobs=args.n_jobs,
            progress=args.progress,
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
