"""BENCHMARKS.md section for the medication study's model grid (bench/medication_timing.py results).

Measured and extrapolated seconds sit in separate columns, so an estimate is never read as a measurement.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def stored_medication_results(results_dir: Path) -> list[dict[str, Any]]:
    """Every `medication-*.json` timing in the results folder, oldest first."""
    found = [json.loads(p.read_text()) for p in sorted(results_dir.glob("medication-*.json"))]
    return sorted(found, key=lambda r: r.get("measured_at", ""))


def medication_section(results: list[dict[str, Any]]) -> list[str]:
    if not results:
        return []
    lines = [
        "## Medication study: the 36-model grid",
        "",
        "`lumbar train medication` on a paper-sized cohort (004_8aea355467337d34.txt had about 3,300-3,700 "
        "patients with a report): 6 outcomes x 6 predictor sets, four tree ensembles grid-searched per cell by "
        "5-fold CV, then test metrics with bootstrap intervals, SHAP and the Borda ranking "
        "(`python -m bench.medication_timing`).",
        "",
        "| measured | grid | patients | cells run | CV fits | workers | wall s (measured) | full 36 cells, s | "
        "peak RSS GB (main / worker) |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    notes = []
    for r in results:
        rss = r.get("peak_rss_bytes", {})
        if r.get("conditions"):
            notes.append(f"- {r.get('measured_at', '?')}, grid `{r['grid']}`: {r['conditions']}.")
        if r["cells"] >= 36:
            full = f"{r['wall_s']:.0f} (measured)"
        else:
            full = f"≈ {r['extrapolated_full_wall_s']:.0f} (estimate)"
            notes.append(f"- {r.get('measured_at', '?')}, grid `{r['grid']}`: {r['extrapolation_note']}.")
        lines.append(
            f"| {r.get('measured_at', '?')} | {r['grid']} | {r['n_patients_with_report']:,} | {r['cells']} | "
            f"{r['cv_fits']:,} | {r['n_jobs']} | {r['wall_s']:.0f} | {full} | "
            f"{rss.get('self', 0) / 1e9:.2f} / {rss.get('children', 0) / 1e9:.2f} |"
        )
    lines += ["", *notes, ""] if notes else [""]
    best = results[-1]
    # runs before the best predictor set was chosen by CV on training rows picked it by its test score
    label = (
        "Test balanced accuracy of each outcome's predictor set chosen by CV on training rows"
        if best.get("best_chosen_by") == "cv"
        else "Best test balanced accuracy per outcome (set chosen by its test score)"
    )
    lines += [
        f"{label}, latest run (grid `{best['grid']}`): "
        + ", ".join(
            f"{outcome} {v['balanced_accuracy']:.3f}" for outcome, v in best["best_balanced_accuracy"].items()
        )
        + " (paper: 0.51-0.68).",
        "",
    ]
    return lines
