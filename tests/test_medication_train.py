"""End-to-end medication run on a small synthetic mart with planted drivers."""

import json

import pandas as pd
import pytest

from models_py.errors import UserInputError
from models_py.studies.medication import summary_table, train_medication


def test_small_run_writes_outputs_and_finds_planted_drivers(medication_marts, tmp_path):
    run = train_medication(
        medication_marts,
        tmp_path / "runs",
        outcomes="none_vs_opioids,rest_vs_none",
        datatypes="tabular,text",
        n_bootstrap=50,
        progress=False,
        n_jobs=1,
    )
    for name in ("metrics", "predictions", "shap_values", "borda_ranking", "best_models", "table1"):
        assert (run / f"{name}.parquet").exists()
    assert (run / "report.md").read_text().startswith("# Medication study run")
    assert (run / "plots" / "parallel_coordinates.png").exists()
    metrics = pd.read_parquet(run / "metrics.parquet")
    assert len(metrics.groupby(["outcome", "datatype"])) == 4
    borda = pd.read_parquet(run / "borda_ranking.parquet")
    top = borda[borda["group"] == "tabular"].head(3)["feature"].tolist()
    assert "spinal_stenosis" in top or "year_at_first_imaging" in top
    predictions = pd.read_parquet(run / "predictions.parquet")
    assert predictions["score"].between(0, 1).all()
    assert summary_table(run).row_count == 2


def test_unknown_outcome_is_a_user_error(medication_marts, tmp_path):
    with pytest.raises(UserInputError, match="unknown outcome"):
        train_medication(
            medication_marts, tmp_path / "runs", outcomes="opioids_vs_everything", progress=False
        )


def test_missing_mart_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError, match="not found"):
        train_medication(tmp_path, tmp_path / "runs", progress=False)


def test_results_do_not_depend_on_the_number_of_workers(medication_marts, tmp_path):
    from typer.testing import CliRunner

    from ingest.cli import app

    predictions = {}
    for n_jobs in ("1", "2"):
        out = tmp_path / f"jobs{n_jobs}"
        argv = ["train", "medication", "--marts-dir", str(medication_marts), "--out", str(out),
                "--outcomes", "none_vs_opioids,rest_vs_none", "--datatypes", "tabular",
                "--bootstrap", "20", "--n-jobs", n_jobs]  # fmt: skip
        result = CliRunner().invoke(app, argv)
        assert result.exit_code == 0, result.output
        (run,) = out.glob("medication-*")
        predictions[n_jobs] = pd.read_parquet(run / "predictions.parquet").sort_values(
            ["outcome", "datatype", "patient_id"], ignore_index=True
        )
    pd.testing.assert_frame_equal(predictions["1"], predictions["2"])


def test_a_column_blank_for_every_training_patient_is_a_one_line_error(medication_marts, tmp_path):
    """The KNN imputer has nothing to vote with: the CLI says which column, exit 2, no traceback."""
    from typer.testing import CliRunner

    from ingest.cli import app
    from models_py.studies.medication import MART

    path = medication_marts / f"{MART}.parquet"
    pd.read_parquet(path).assign(social_support=None).to_parquet(path, index=False)
    argv = ["train", "medication", "--marts-dir", str(medication_marts), "--out", str(tmp_path / "runs"),
            "--outcomes", "none_vs_opioids", "--datatypes", "tabular", "--bootstrap", "20"]  # fmt: skip
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "social_support is blank for every training patient" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) <= 3


def test_best_predictor_set_is_chosen_on_training_rows_not_on_the_test_rows(medication_marts, tmp_path):
    from models_py.studies.medication import best_datatype_per_outcome

    models = pd.DataFrame(
        {
            "outcome": ["none_vs_opioids"] * 2 + ["rest_vs_none"] * 2,
            "datatype": ["tabular", "text", "tabular", "text"],
            "cv_balanced_accuracy": [0.61, 0.66, 0.70, 0.70],
        }
    )
    assert best_datatype_per_outcome(models) == {"none_vs_opioids": "text", "rest_vs_none": "tabular"}
    run = train_medication(
        medication_marts, tmp_path / "runs", outcomes="none_vs_opioids", datatypes="tabular,text",
        n_bootstrap=20, progress=False, n_jobs=1,
    )  # fmt: skip
    cv = pd.read_parquet(run / "best_models.parquet").set_index("datatype")["cv_balanced_accuracy"]
    versions = json.loads((run / "config.json").read_text())["versions"]
    assert {"xgboost", "shap", "numpy", "pandas", "sklearn", "lumbar"} <= set(versions)  # all its numbers use
    borda = pd.read_parquet(run / "borda_ranking.parquet")
    chosen = summary_table(run).columns[1]._cells[0]
    assert chosen == cv.idxmax()
    assert set(borda.loc[borda.group == "best_balanced_accuracy", "feature"]) == set(
        borda.loc[borda.group == chosen, "feature"]
    )


def test_outcomes_a_small_cohort_cannot_train_are_named_together():
    from models_py.studies.medication import _check_classes

    # 12 opioid, 12 none and no nsaid patients, half of each in train
    profile = pd.DataFrame(
        {"outcome": ["opioid"] * 12 + ["none"] * 12, "split": (["train"] * 6 + ["test"] * 6) * 2}
    )
    with pytest.raises(UserInputError) as raised:
        _check_classes(profile, ["none_vs_nsaids", "none_vs_opioids", "nsaids_vs_opioids", "rest_vs_nsaids"])
    message = str(raised.value)
    assert "none_vs_nsaids (no patient of class nsaid in the train rows)" in message
    assert "nsaids_vs_opioids (no patient of class nsaid in the train rows)" in message
    assert "rest_vs_nsaids (no patient of class nsaid in the train rows)" in message
    assert "run the others with --outcomes none_vs_opioids" in message
    assert "np.int64" not in message
