"""bench/train_timing.py: times the trainer's own LASSO search and MDL epochs and records the CV tolerance."""

import json

from bench import train_timing
from models_py.synthetic import write_surgery_marts


def test_train_timing_reports_selection_seconds_and_cv_tolerance(tmp_path):
    marts = write_surgery_marts(tmp_path / "marts", n=300, seed=4)
    out = tmp_path / "timing" / "timings.json"
    code = train_timing.main([str(marts), str(out), "--lasso-repeats", "1", "--mdl-epochs", "1"])
    assert code == 0
    timings = json.loads(out.read_text())
    assert timings["lasso_repeats"] == 1 and timings["lasso_selection_s"] > 0
    assert timings["lasso_cv_tol"] == 1e-3 and timings["lasso_refit_tol"] == 1e-4
    assert timings["mdl_epochs_timed"] == 1 and timings["mdl_seconds_per_epoch"] > 0


def test_train_timing_defaults_to_the_papers_50_repeats():
    parser_defaults = train_timing.build_parser().parse_args(["m", "o.json"])
    assert parser_defaults.lasso_repeats == 50
