"""bench.medication_timing: one timed medication run, its JSON, and the labelled extrapolation of a subset."""

import json

import pytest

from bench.medication_timing import ALL_CELLS, grid_size, main
from models_py.errors import UserInputError
from models_py.models.trees import GRIDS


def test_grid_size_counts_every_combination() -> None:
    sizes = grid_size("small")
    assert set(sizes) == set(GRIDS["small"])
    assert sizes["random_forest"] == len(GRIDS["small"]["random_forest"]["max_depth"])
    assert grid_size("paper")["random_forest"] > sizes["random_forest"]
    with pytest.raises(UserInputError, match="unknown grid"):
        grid_size("huge")


def test_subset_run_writes_measured_and_extrapolated_numbers_apart(medication_marts, tmp_path) -> None:
    out = tmp_path / "bench" / "medication.json"
    argv = [str(medication_marts), str(out), "--grid", "small", "--outcomes", "none_vs_opioids,rest_vs_none"]
    assert main([*argv, "--datatypes", "tabular", "--bootstrap", "20", "--n-jobs", "1"]) == 0
    result = json.loads(out.read_text())
    assert result["cells"] == 2
    assert result["models_tuned"] == 2 * len(GRIDS["small"])
    assert result["cv_fits"] == 2 * sum(grid_size("small").values()) * 5
    assert result["wall_s"] > 0
    assert result["peak_rss_bytes"]["self"] > 10_000_000
    assert set(result["best_balanced_accuracy"]) == {"none_vs_opioids", "rest_vs_none"}
    assert 0 <= result["best_balanced_accuracy"]["rest_vs_none"]["balanced_accuracy"] <= 1
    assert len(result["borda_top"]["tabular"]) == 10
    # a subset is extrapolated to the full 36 cells, and says so
    per_cell = result["cell_seconds"]["mean"]
    assert result["extrapolated_full_wall_s"] == pytest.approx(per_cell * ALL_CELLS, rel=0.01)
    assert "not measured" in result["extrapolation_note"]


def test_missing_marts_is_one_line_error(tmp_path, capsys) -> None:
    assert main([str(tmp_path / "nowhere"), str(tmp_path / "out.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not (tmp_path / "out.json").exists()


def test_report_keeps_measured_and_estimated_seconds_apart(tmp_path) -> None:
    from bench.report_medication import medication_section, stored_medication_results

    base = {
        "grid": "paper",
        "n_patients_with_report": 5000,
        "cv_fits": 2310,
        "n_jobs": 2,
        "peak_rss_bytes": {"self": 5e8, "children": 4e8},
        "best_balanced_accuracy": {"rest_vs_opioids": {"balanced_accuracy": 0.6}},
    }
    partial = base | {"measured_at": "2026-01-01 00:00 UTC", "cells": 6, "wall_s": 1666.0}
    partial |= {"extrapolated_full_wall_s": 9507.0, "extrapolation_note": "estimate, not measured: 6 of 36"}
    full = base | {"measured_at": "2026-01-02 00:00 UTC", "cells": 36, "wall_s": 9000.0}
    (tmp_path / "medication-paper-partial.json").write_text(json.dumps(partial))
    (tmp_path / "medication-paper.json").write_text(json.dumps(full))
    stored = stored_medication_results(tmp_path)
    assert [r["cells"] for r in stored] == [6, 36]  # oldest first
    text = "\n".join(medication_section(stored))
    assert "≈ 9507 (estimate)" in text and "9000 (measured)" in text
    assert "estimate, not measured: 6 of 36" in text
    assert medication_section([]) == []
