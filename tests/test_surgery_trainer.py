"""train_surgery end to end on small synthetic marts with planted signal."""

import json
import shutil
import stat

import pandas as pd
import pytest
from rich.table import Table

from models_py.errors import UserInputError
from models_py.marts import load_surgery_marts
from models_py.models import mdl
from models_py.patients import build_patient_table
from models_py.studies.surgery import generalizability_split, summary_table, train_surgery
from models_py.synthetic import write_surgery_marts

FAST = {"n_bootstrap": 200, "lasso_repeats": 2, "progress": False, "device": "cpu"}


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    return write_surgery_marts(tmp_path_factory.mktemp("marts"), n=500, seed=2)


@pytest.fixture(scope="module")
def runs(marts, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    # one combination and 6 epochs keep the suite fast; the grid code itself is tested in test_mdl.py
    tiny = mdl.Grid(
        n_filters=(32,), lr=(3e-3,), dropout=(0.3,), gru_hidden=(32,), weight_decay=(1e-4,), epochs=6
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(mdl.GRIDS, "small", tiny)
        first = train_surgery(marts, out, task="early", models=("lasso", "mdl"), seed=5, **FAST)
        second = train_surgery(marts, out, task="early", models=("lasso", "mdl"), seed=5, **FAST)
    return first, second


def test_run_folder_has_every_artifact(runs):
    run = runs[0]
    assert stat.S_IMODE(run.stat().st_mode) == 0o700
    for name in (
        "config.json",
        "marts.json",
        "metrics.parquet",
        "predictions.parquet",
        "report.md",
        "roc.png",
        "pr.png",
        "calibration.png",
        "auc_bootstrap.png",
        "comparisons.parquet",
        "subgroups.parquet",
        "models/lasso.joblib",
        "models/mdl.pt",
        "models/mdl-featurizer.joblib",
    ):
        assert (run / name).is_file(), name
    assert list((run / "embeddings").glob("word2vec-*.kv"))
    assert not (run / "INCOMPLETE").exists()  # removed only when everything above was written
    hashes = json.loads((run / "marts.json").read_text())["sha256"]
    assert set(hashes) >= {"mart_surgery_static", "mart_report_corpus"} and all(
        len(h) == 64 for h in hashes.values()
    )
    versions = json.loads((run / "config.json").read_text())["versions"]
    assert {"torch", "gensim", "numpy", "pandas", "sklearn", "lumbar"} <= set(versions)
    report = (run / "report.md").read_text()
    assert "Table 2" in report and "| MDL |" in report and "| Benchmark |" in report


def test_models_recover_the_planted_signal(runs):
    metrics = pd.read_parquet(runs[0] / "metrics.parquet")
    auc = metrics[(metrics["metric"] == "auc") & (metrics["statistic"] == "mean")].set_index("model")["value"]
    assert auc["lasso"] > 0.75 and auc["mdl"] > 0.75
    assert set(metrics["statistic"]) >= {"point", "mean", "sd", "p2_5", "p97_5"}


def test_no_patient_is_in_both_train_and_test(runs):
    predictions = pd.read_parquet(runs[0] / "predictions.parquet")
    for _, rows in predictions.groupby("model"):
        train = set(rows.loc[rows["split"].isin(["train", "validation"]), "patient_id"])
        test = set(rows.loc[rows["split"] == "test", "patient_id"])
        assert train and test and not train & test
    assert set(predictions.columns) >= {"patient_id", "model", "split", "score", "label"}


def test_a_run_is_reproducible_with_its_seed(runs):
    first, second = (pd.read_parquet(r / "metrics.parquet") for r in runs)
    pd.testing.assert_frame_equal(first, second)
    assert runs[0] != runs[1]  # a fresh folder per run


def test_summary_table_is_table_2_shaped(runs):
    table = summary_table(runs[0])
    assert isinstance(table, Table) and table.row_count == 2
    assert [c.header for c in table.columns][:4] == ["Test set", "Prevalence", "N", "Model"]
    # the significance marker is explained under the table, and is not the suppressed-count "*"
    assert "† the better of MDL and Benchmark" in str(table.caption)


def test_generalizability_trains_on_largest_site_and_skips_smallest(marts):
    patients = build_patient_table(load_surgery_marts(marts, "late"))
    split = generalizability_split(patients)
    sites = patients["site"].to_numpy()
    assert set(sites[split.train]) == {"kaiser"}
    assert set(split.tests) == {"henry_ford", "group_health"}  # mayo (smallest) is not a test set
    custom = generalizability_split(patients, train_site="kaiser", test_sites=["mayo"])
    assert set(custom.tests) == {"mayo"}


def test_generalizability_run_reports_each_site(marts, tmp_path):
    run = train_surgery(
        marts, tmp_path, task="late", protocol="generalizability", models=["lasso_text"], **FAST
    )
    metrics = pd.read_parquet(run / "metrics.parquet")
    assert set(metrics["test_set"]) == {"henry_ford", "group_health"}
    assert "Table 3" in (run / "report.md").read_text()


def test_a_run_that_fails_midway_is_marked_unfinished(marts, tmp_path, monkeypatch):
    import models_py.studies.surgery as surgery

    def fail(*args, **kwargs):
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C during evaluation

    monkeypatch.setattr(surgery, "_report_markdown", fail)
    with pytest.raises(KeyboardInterrupt):
        train_surgery(marts, tmp_path, task="early", models=["lasso_text"], **FAST)
    (run,) = tmp_path.glob("surgery-early-*")
    assert (run / "INCOMPLETE").is_file()
    with pytest.raises(UserInputError, match="unfinished surgery run"):
        summary_table(run)


def test_cli_chooses_the_sites(marts, tmp_path):
    from typer.testing import CliRunner

    from ingest.cli import app

    argv = ["train", "surgery", "--task", "late", "--protocol", "generalizability", "--models", "lasso_text",
            "--marts-dir", str(marts), "--out", str(tmp_path), "--bootstrap", "50", "--lasso-repeats", "1",
            "--device", "cpu", "--train-site", "kaiser", "--test-sites", "mayo"]  # fmt: skip
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    (run,) = tmp_path.glob("surgery-late-generalizability-*")
    assert set(pd.read_parquet(run / "metrics.parquet")["test_set"]) == {"mayo"}
    result = CliRunner().invoke(app, [*argv[:-4], "--train-site", "nowhere"])
    assert result.exit_code == 2 and "train site 'nowhere' not in" in result.output


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"models": ["lasso", "xgboost"]}, "unknown model"),
        ({"task": "mid"}, "unknown task"),
        ({"grid": "huge"}, "unknown grid"),
        ({"protocol": "random"}, "unknown protocol"),
    ],
)
def test_user_mistakes_get_one_line_errors(marts, tmp_path, kwargs, message):
    with pytest.raises(UserInputError, match=message) as err:
        train_surgery(marts, tmp_path, **{**FAST, **kwargs})
    assert "\n" not in str(err.value)


def test_missing_mart_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError, match="mart_surgery_static not found"):
        train_surgery(tmp_path, tmp_path / "out", **FAST)


def test_word2vec_is_reused_across_runs(runs):
    names = [next((r / "embeddings").glob("*.kv")).name for r in runs]
    assert names[0] == names[1]  # same corpus hash -> the cached vectors were copied, not retrained
    cache = runs[0].parent / "_cache" / "word2vec"
    assert [p.name for p in cache.glob("*.kv")] == [names[0]]


def test_lasso_features_reach_the_model_as_sparse_csr(marts, tmp_path, monkeypatch):
    import scipy.sparse as sp

    from models_py.models.lasso import LassoBenchmark

    seen = []
    real_fit = LassoBenchmark.fit

    def recording_fit(self, X, y):
        seen.append(X)
        return real_fit(self, X, y)

    monkeypatch.setattr(LassoBenchmark, "fit", recording_fit)
    run = train_surgery(marts, tmp_path, task="early", models=["lasso"], **FAST)
    assert len(seen) == 1 and sp.issparse(seen[0]) and seen[0].format == "csr"
    fitted = json.loads((run / "config.json").read_text())["fitted"]["lasso"]
    assert fitted["cv_tol"] == 1e-3 and fitted["tol"] == 1e-4


def test_an_empty_cohort_says_so(marts, tmp_path):
    # real exports without spine imaging (the Synthea and OMOP samples) give an empty cohort
    shutil.copytree(marts, tmp_path / "marts")
    static = tmp_path / "marts" / "mart_surgery_static.parquet"
    frame = pd.read_parquet(static)
    frame[frame["task"] == "early"].to_parquet(static)
    with pytest.raises(UserInputError, match="the late surgery cohort is empty") as err:
        load_surgery_marts(tmp_path / "marts", "late")
    assert "task name" not in str(err.value) and "\n" not in str(err.value)
