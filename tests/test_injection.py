"""Injection study end to end: generate -> load -> dbt (injection marts) -> train; the CNN finds the lesion.

One small generated population is shared by the module. Every eligible LDH/LSS patient gets an injection
(INJ_SHARE = 1), so a population of a few thousand gives a cohort of a couple of hundred series to learn
from. The CNN is smaller and trains fewer epochs than the default so the module stays fast.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import ingest.generate.injection as injection_gen
from ingest.build import build
from ingest.cli import _images_root_from_loads, app
from ingest.generate import generate
from ingest.load import load_directory
from models_py.errors import UserInputError
from models_py.studies.injection import InjectionConfig, summary_table, train_injection

pytestmark = pytest.mark.slow  # builds a warehouse

PATIENTS, SEED = 8000, 11
FAST = InjectionConfig(
    epochs=20, folds=3, widths=(8, 16, 32), n_bootstrap=200, n_saliency=4, device="cpu", threads=1
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("injection")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(injection_gen, "INJ_SHARE", 1.0)
        generate(PATIENTS, SEED, root / "raw", progress=False)
        load_directory(root / "raw", root / "lumbar.duckdb")
        # only tests whose parents are all selected: project-wide data-quality tests read models we skip
        mp.setenv("DBT_INDIRECT_SELECTION", "cautious")
        build(
            root / "lumbar.duckdb", marts_dir=root / "marts", select="+mart_injection_images", progress=False
        )
    return root


@pytest.fixture(scope="module")
def run(data):
    run_dir = train_injection(
        data / "marts",
        data / "runs",
        images_root=data / "raw",
        truth_dir=data / "raw" / "truth",
        progress=False,
        config=FAST,
    )
    return run_dir, json.loads((run_dir / "config.json").read_text())


def test_cnn_beats_chance_on_the_planted_lesion(run):
    run_dir, summary = run
    metrics = pd.read_parquet(run_dir / "metrics.parquet")
    auc = metrics[(metrics.model == "cnn") & (metrics.metric == "auc")].set_index("statistic").value
    assert auc["point"] > 0.65
    assert auc["p2_5"] > 0.5  # the bootstrap interval excludes chance
    # larger lesion, lower chance of relief: the score must track the lesion drawn in the pixels
    assert summary["truth"]["spearman_cnn_vs_lesion_size"] < -0.4


def test_run_folder_has_predictions_metrics_report_and_saliency(run):
    run_dir, summary = run
    for name in ("report.md", "config.json", "metrics.parquet", "predictions.parquet", "saliency_mean.png"):
        assert (run_dir / name).is_file(), name
    assert {"torch", "numpy", "pandas", "sklearn", "lumbar"} <= set(summary["versions"])
    predictions = pd.read_parquet(run_dir / "predictions.parquet")
    n_test = summary["evaluation"]["test_sets"]["test"]["n"]
    assert set(predictions.model) == {"cnn", "clinical", "combined"}
    assert (predictions[predictions.split == "test"].groupby("model").size() == n_test).all()
    index = pd.read_parquet(run_dir / "saliency" / "index.parquet")
    assert len(index) == FAST.n_saliency and set(index.label) == {0, 1}
    for file in index.file:
        assert (run_dir / file).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (run_dir / "report.md").read_text()
    assert "AUC" in report
    assert summary_table(run_dir).row_count == 3
    # the outcome in the title is the one the marts were built with (dbt_project.yml's vars here)
    assert report.startswith("# Injection response: >= 50 % relief of pain_nrs_leg 42-90 days after TFESI")
    assert "no `--vars`" in report and "unknown" not in report.split("## Data provenance")[1]


def test_same_seed_same_predictions(data, tmp_path):
    tiny = InjectionConfig(
        epochs=2, folds=2, widths=(4, 8), n_bootstrap=20, n_saliency=2, device="cpu", threads=1
    )
    first, second = (
        train_injection(
            data / "marts", tmp_path / name, images_root=data / "raw", progress=False, config=tiny
        )
        for name in ("a", "b")
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(first / "predictions.parquet"), pd.read_parquet(second / "predictions.parquet")
    )


def test_missing_dicom_is_a_one_line_user_error(data, tmp_path):
    (tmp_path / "empty").mkdir()  # a folder without the files (a missing --images-root is its own error)
    with pytest.raises(UserInputError, match=r"^image IMG\d+: DICOM file .*\.dcm not found"):
        train_injection(data / "marts", tmp_path, images_root=tmp_path / "empty", progress=False, config=FAST)
    result = CliRunner().invoke(
        app,
        ["train", "injection", "--marts-dir", str(data / "marts"), "--images-root", str(tmp_path / "empty")],
    )
    assert result.exit_code == 2
    assert "not found" in result.output and "Traceback" not in result.output


def test_cli_finds_the_images_root_in_the_load_log(data):
    assert _images_root_from_loads(data / "lumbar.duckdb") == (data / "raw").resolve()
    assert _images_root_from_loads(data / "missing.duckdb") is None


def test_images_root_on_a_busy_warehouse_says_busy(data, tmp_path):
    import shutil
    import subprocess
    import sys

    from ingest.errors import LumbarError

    warehouse = tmp_path / "lumbar.duckdb"
    shutil.copy(data / "lumbar.duckdb", warehouse)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); "
         "time.sleep(60)", str(warehouse)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(LumbarError, match="is busy"):
            _images_root_from_loads(warehouse)
    finally:
        holder.kill()
        holder.wait()
