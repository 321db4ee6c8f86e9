"""The shared evaluation module against scikit-learn / scipy / a direct loop."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression

from models_py import evaluate as ev


def _data(n=300, seed=0, prevalence=0.2):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(int)
    # rounded scores create ties, which is where ROC/PR implementations differ
    score = np.round(np.clip(0.35 + 0.25 * y + rng.normal(0, 0.2, n), 0, 1), 2)
    return y, score


def _sklearn_metrics(y, score, threshold):
    pred = (score >= threshold).astype(int)
    return {
        "recall": skm.recall_score(y, pred),
        "specificity": skm.recall_score(y, pred, pos_label=0),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, zero_division=0),
        "f1": skm.f1_score(y, pred, zero_division=0),
        "auc": skm.roc_auc_score(y, score),
        "auprc": skm.average_precision_score(y, score),
    }


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
@pytest.mark.parametrize("seed", [0, 1])
def test_point_metrics_equal_sklearn(threshold, seed):
    y, score = _data(seed=seed)
    ours = ev.point_metrics(y, score, threshold)
    for metric, expected in _sklearn_metrics(y, score, threshold).items():
        assert ours[metric] == pytest.approx(expected, abs=1e-12), metric


def test_precision_and_f1_are_zero_when_nothing_is_predicted_positive():
    y, score = _data()
    ours = ev.point_metrics(y, score, threshold=2.0)
    assert ours["precision"] == 0.0 == skm.precision_score(y, np.zeros_like(y), zero_division=0)
    assert ours["f1"] == 0.0
    assert ours["recall"] == 0.0


def test_bootstrap_matches_a_direct_loop():
    y = np.array([0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1])
    score = np.array([0.1, 0.4, 0.35, 0.8, 0.7, 0.9, 0.2, 0.5, 0.5, 0.3, 0.6, 0.65])
    indices = ev.bootstrap_indices(len(y), 40, seed=3)
    boot = ev.bootstrap_metrics(y, score, indices, threshold=0.5)
    assert boot.shape == (40, len(ev.METRICS))
    for r, idx in enumerate(indices):
        yy, ss = y[idx], score[idx]
        if len(np.unique(yy)) < 2:
            assert np.isnan(boot.loc[r, "auc"])
            continue
        for metric, expected in _sklearn_metrics(yy, ss, 0.5).items():
            assert boot.loc[r, metric] == pytest.approx(expected, abs=1e-12), (r, metric)


def test_bootstrap_chunking_does_not_change_results(monkeypatch):
    y, score = _data(n=50)
    indices = ev.bootstrap_indices(50, 30, seed=0)
    whole = ev.bootstrap_metrics(y, score, indices)
    monkeypatch.setattr(ev, "_CELLS_PER_CHUNK", 120)  # 2 resamples per chunk
    pd.testing.assert_frame_equal(whole, ev.bootstrap_metrics(y, score, indices))


def test_bootstrap_indices_are_seeded():
    a = ev.bootstrap_indices(20, 5, seed=7)
    assert a.shape == (5, 20) and a.min() >= 0 and a.max() < 20
    assert np.array_equal(a, ev.bootstrap_indices(20, 5, seed=7))
    assert not np.array_equal(a, ev.bootstrap_indices(20, 5, seed=8))


def test_summary_statistics():
    boot = pd.DataFrame({"auc": [0.5, 0.6, np.nan, 0.9, 0.7]})
    summary = ev.summarize_bootstrap(boot, {"auc": 0.65}).set_index("statistic")["value"]
    valid = np.array([0.5, 0.6, 0.9, 0.7])
    assert summary["mean"] == pytest.approx(valid.mean())
    assert summary["sd"] == pytest.approx(valid.std(ddof=1))
    assert summary["p2_5"] == pytest.approx(np.percentile(valid, 2.5))
    assert summary["p97_5"] == pytest.approx(np.percentile(valid, 97.5))
    assert summary["n_valid"] == 4 and summary["point"] == 0.65


def test_compare_bootstrap_applies_bonferroni():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.70, 0.05, 1000), rng.normal(0.695, 0.05, 1000)
    p = stats.ttest_ind(a, b, equal_var=False).pvalue
    result = ev.compare_bootstrap(a, b, n_comparisons=3)
    assert result["p"] == pytest.approx(p)
    assert result["p_adjusted"] == pytest.approx(min(1.0, 3 * p))
    assert ev.compare_bootstrap(a, a + 0.0, n_comparisons=3)["p_adjusted"] == pytest.approx(1.0)


def test_calibration_recovers_planted_slope_and_intercept():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.02, 0.98, 20000)
    logit = np.log(p / (1 - p))
    y = (rng.random(len(p)) < 1 / (1 + np.exp(-(-0.5 + 0.7 * logit)))).astype(int)
    slope, intercept = ev.calibration_slope_intercept(y, p)
    assert slope == pytest.approx(0.7, abs=0.05)
    assert intercept == pytest.approx(-0.5, abs=0.05)
    reference = LogisticRegression(C=1e12, tol=1e-10, max_iter=1000).fit(logit[:, None], y)
    assert slope == pytest.approx(reference.coef_[0, 0], abs=1e-4)
    assert ev.calibration_summary(y, p)["brier"] == pytest.approx(skm.brier_score_loss(y, p))


def test_reliability_curve_counts_every_patient():
    y, score = _data()
    curve = ev.reliability_curve(y, score, n_bins=5)
    assert curve["n"].sum() == len(y)
    assert (curve["observed_rate"].between(0, 1)).all()


def test_subgroup_auc_with_counts_and_one_class_groups():
    y = np.array([0, 1, 0, 1, 0, 0, 1, 0])
    score = np.array([0.1, 0.9, 0.2, 0.8, 0.3, 0.4, 0.7, 0.6])
    groups = pd.DataFrame({"sex": ["F", "F", "F", "F", "M", "M", "M", "M"], "site": ["a"] * 4 + ["b"] * 4})
    groups.loc[[4, 5, 7], "site"] = "c"  # site c: negatives only
    table = ev.subgroup_auc(y, score, groups).set_index(["attribute", "group"])
    assert table.loc[("sex", "F"), "n"] == 4 and table.loc[("sex", "F"), "n_positive"] == 2
    assert table.loc[("sex", "M"), "auc"] == pytest.approx(skm.roc_auc_score(y[4:], score[4:]))
    assert np.isnan(table.loc[("site", "c"), "auc"]) and table.loc[("site", "c"), "n"] == 3


@pytest.mark.parametrize(("n", "shown"), [(0, "0"), (1, "<11"), (10, "<11"), (11, "11"), (824, "824")])
def test_mask_count(n, shown):
    assert ev.mask_count(n) == shown


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="0/1"):
        ev.point_metrics([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="same length"):
        ev.point_metrics([0, 1], [0.1])
