"""The benchmark at a tiny scale, end to end: the pandas baseline must produce exactly the warehouse's
surgery cohorts and patient-level code features before any speed-up is reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.progress import Progress

from bench import report
from bench.run import Settings, bench_scale, results_path


@pytest.mark.slow
def test_tiny_benchmark_checks_the_pandas_baseline_row_for_row(tmp_path: Path) -> None:
    settings = Settings(seed=3, train=False, baseline=True, lasso_repeats=1, mdl_epochs=1)
    with Progress(disable=True) as progress:
        result = bench_scale(2_000, settings, progress, cache_dir=tmp_path)

    baseline = report.stage(result, "pandas_baseline")
    assert baseline["details"]["differences"] == []
    assert baseline["details"]["equal"] is True
    stages = [s["stage"] for s in result["stages"]]
    assert stages == ["generate", "load", "build", "sql_only", "floor", "build_surgery", "pandas_baseline"]
    assert all(s["wall_s"] > 0 and s["peak_rss_bytes"] > 0 for s in result["stages"])
    floor = report.stage(result, "floor")
    assert len(floor["details"]["runs_s"]) == 3 and floor["wall_s"] == sorted(floor["details"]["runs_s"])[1]
    assert report.stage(result, "build")["details"]["models"], "per-model dbt timings were read"
    surgery = report.stage(result, "build_surgery")["details"]
    # the surgery selection builds fewer models than the whole project
    assert 0 < len(surgery["models"]) < len(report.stage(result, "build")["details"]["models"])
    sql_only = report.stage(result, "sql_only")["details"]
    # every model and data test of the build ran without dbt (seeds and unit tests are not in that count)
    built = report.stage(result, "build")["details"]["by_kind"]
    assert sql_only["n_models"] == built["model"]["n"] and sql_only["n_tests"] == built["test"]["n"]
    assert sql_only["model_s"] > 0 and sql_only["slowest"]
    assert results_path(2_000, 3, tmp_path).exists()
    assert "pandas baseline / lumbar" in report.render([result])
