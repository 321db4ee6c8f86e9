"""The paper's variational Borda count on a hand-worked example."""

import numpy as np
import pytest

from models_py.explain.shap_borda import borda_count, model_importance, normalised_ranks


def test_normalised_ranks_hand_worked():
    # f3 is below the 0.01 threshold: rank 0; f1 (top of 2) gets 2/3, f2 gets 1/3
    assert normalised_ranks({"f1": 0.5, "f2": 0.2, "f3": 0.005}) == pytest.approx(
        {"f1": 2 / 3, "f2": 1 / 3, "f3": 0}
    )


def test_borda_count_sums_normalised_ranks_over_models():
    models = {
        "a": {"f1": 0.5, "f2": 0.2, "f3": 0.005},  # f1 2/3, f2 1/3, f3 0
        "b": {"f2": 0.3, "f3": 0.1, "f1": 0.02},  # f2 3/6, f3 2/6, f1 1/6
        "c": {"f4": 0.9},  # a feature only one model has: the others count it as rank 0
    }
    out = borda_count(models).set_index("feature")
    assert out.loc["f1", "score"] == pytest.approx(2 / 3 + 1 / 6)
    assert out.loc["f2", "score"] == pytest.approx(1 / 3 + 1 / 2)
    assert out.loc["f3", "score"] == pytest.approx(1 / 3)
    assert out.loc["f4", "score"] == pytest.approx(1.0)
    assert out.loc["f4", "rank"] == 1
    assert out.loc["f3", "rank"] == 4
    assert out["n_models_ranked"].to_dict() == {"f4": 1, "f1": 2, "f2": 2, "f3": 1}


def test_model_with_nothing_above_threshold_contributes_nothing():
    assert borda_count({"a": {"f1": 0.001, "f2": 0.0}})["score"].sum() == 0


def test_importance_is_the_mean_absolute_shap_value():
    """Paper 004's "mean SHAP value" read as mean |SHAP| (explain/shap_borda.py): a feature pushing half the
    patients up and half down by 0.2 is important (0.2), although its signed mean is 0 and would miss the 0.01
    cut-off."""
    shap_values = np.array([[0.2, 0.004], [-0.2, 0.004], [0.2, 0.004], [-0.2, 0.004]])
    assert model_importance(shap_values) == pytest.approx([0.2, 0.004])
    ranks = normalised_ranks(
        dict(zip(["opposing", "small_same_sign"], model_importance(shap_values), strict=True))
    )
    assert ranks == {"opposing": 1.0, "small_same_sign": 0.0}
    with pytest.raises(ValueError, match="rows, features"):
        model_importance(np.zeros((2, 3, 2)))
