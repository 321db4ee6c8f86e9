"""Decision thresholds in the surgery trainer: LASSO 0.5 (paper), networks the validation-F1 threshold."""

import json

import numpy as np
import pandas as pd
import pytest

from models_py import evaluate as ev
from models_py.models import mdl
from models_py.models.mdl import f1_threshold
from models_py.studies.surgery import train_surgery
from models_py.synthetic import make_surgery_marts

FAST = {"n_bootstrap": 20, "lasso_repeats": 1, "progress": False, "device": "cpu", "seed": 1}
MODELS = ["lasso_codes", "mdl_static"]


def _write(marts: dict[str, pd.DataFrame], folder) -> None:
    folder.mkdir()
    for name, frame in marts.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same marts twice, the second with every test label flipped."""
    root = tmp_path_factory.mktemp("threshold")
    marts = make_surgery_marts(n=400, seed=3)
    flipped = {k: v.copy() for k, v in marts.items()}
    static = flipped["mart_surgery_static"]
    test = static["split"] == "test"
    static.loc[test, "label"] = 1 - static.loc[test, "label"]
    _write(marts, root / "marts")
    _write(flipped, root / "flipped")
    tiny = mdl.Grid(
        n_filters=(8,), lr=(3e-3,), dropout=(0.3,), gru_hidden=(8,), weight_decay=(0.0,), epochs=4
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(mdl.GRIDS, "small", tiny)
        return [
            train_surgery(root / name, root / f"runs-{name}", task="early", models=MODELS, **FAST)
            for name in ("marts", "flipped")
        ]


def _thresholds(run) -> dict[str, float]:
    return json.loads((run / "config.json").read_text())["evaluation"]["thresholds"]


def test_lasso_keeps_0_5_and_the_network_threshold_comes_from_its_validation_rows(runs):
    thresholds = _thresholds(runs[0])
    assert thresholds["lasso_codes"] == 0.5
    predictions = pd.read_parquet(runs[0] / "predictions.parquet")
    val = predictions[(predictions["model"] == "mdl_static") & (predictions["split"] == "validation")]
    assert thresholds["mdl_static"] == f1_threshold(val["label"], val["score"])


def test_test_rows_cannot_change_the_threshold(runs):
    original, flipped = (_thresholds(r) for r in runs)
    assert original == flipped
    # the flip did reach the evaluation, so the runs differ where test labels matter
    metrics = [pd.read_parquet(r / "metrics.parquet") for r in runs]
    auc = [
        m.query("model == 'mdl_static' and metric == 'auc' and statistic == 'point'")["value"]
        for m in metrics
    ]
    assert float(auc[0].iloc[0]) == pytest.approx(1 - float(auc[1].iloc[0]))


def test_threshold_metrics_use_each_models_own_threshold(runs):
    run = runs[0]
    thresholds = _thresholds(run)
    predictions = pd.read_parquet(run / "predictions.parquet")
    metrics = pd.read_parquet(run / "metrics.parquet").query("statistic == 'point'")
    for model in MODELS:
        rows = predictions[(predictions["model"] == model) & (predictions["split"] == "test")]
        expected = ev.point_metrics(rows["label"].to_numpy(), rows["score"].to_numpy(), thresholds[model])
        got = metrics[metrics["model"] == model].set_index("metric")["value"]
        for metric in ("recall", "specificity", "f1"):
            assert got[metric] == pytest.approx(expected[metric], nan_ok=True), (model, metric)
    report = (run / "report.md").read_text()
    assert "How the decision threshold is chosen" in report and f"{thresholds['mdl_static']:.3f}" in report


def _predictions(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    frames = [
        pd.DataFrame(
            {
                "patient_id": np.arange(n),
                "model": model,
                "split": "test",
                "test_set": "test",
                "score": np.clip(0.2 * y + rng.random(n) * shift, 0, 1),
                "label": y,
            }
        )
        for model, shift in (("mdl", 0.8), ("lasso", 0.9))
    ]
    patients = pd.DataFrame({"patient_id": np.arange(n), "sex": rng.choice(["F", "M"], n)})
    return pd.concat(frames, ignore_index=True), patients


def test_a_mapping_of_equal_thresholds_matches_one_threshold():
    predictions, patients = _predictions()
    pairs = [("mdl", "lasso", 1)]
    mapped = ev.evaluate_predictions(
        predictions, patients, ["mdl", "lasso"], 50, 7, {"mdl": 0.5, "lasso": 0.5}, pairs=pairs
    )
    shared = ev.evaluate_predictions(predictions, patients, ["mdl", "lasso"], 50, 7, 0.5, pairs=pairs)
    for key, frame in shared.items():
        pd.testing.assert_frame_equal(mapped[key], frame)


def test_per_model_thresholds_keep_the_comparisons_paired():
    predictions, patients = _predictions()
    pairs = [("mdl", "lasso", 3)]
    ours = ev.evaluate_predictions(
        predictions, patients, ["mdl", "lasso"], 50, 7, {"mdl": 0.35, "lasso": 0.5}, pairs=pairs
    )
    boots = {}
    for model, threshold in (("mdl", 0.35), ("lasso", 0.5)):
        rows = predictions[predictions["model"] == model]
        y, s = rows["label"].to_numpy(), rows["score"].to_numpy()
        boots[model] = ev.bootstrap_metrics(y, s, ev.bootstrap_indices(len(y), 50, 7), threshold)
        got = ours["bootstrap"].query("model == @model").reset_index(drop=True)
        pd.testing.assert_frame_equal(got[list(ev.METRICS)], boots[model])
    f1 = ours["comparisons"].query("metric == 'f1'").iloc[0]
    assert f1["p_adjusted"] == pytest.approx(
        ev.compare_bootstrap(boots["mdl"]["f1"], boots["lasso"]["f1"], 3)["p_adjusted"]
    )
