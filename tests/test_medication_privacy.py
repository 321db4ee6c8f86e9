"""Medication plots and tables never give a count from 1 to 10 away."""

import numpy as np
import pandas as pd

from models_py.explain.shap_plot import feature_levels, level_summary, plot_shap_by_level
from models_py.studies.medication import confusion_rows


def test_a_confusion_row_holding_a_small_count_is_hidden_whole():
    # 25 opioid patients, 7 predicted opioid: 0.28 x 25 (the class size the report prints) would be 7
    y = np.r_[np.ones(25, int), np.zeros(40, int)]
    pred = np.r_[np.ones(7, bool), np.zeros(18, bool), np.ones(20, bool), np.zeros(20, bool)]
    rows = pd.DataFrame(confusion_rows(y, pred, "nsaids_vs_opioids", "text")).set_index(["true", "predicted"])
    assert rows.loc[(1, 0), "suppressed"] and rows.loc[(1, 1), "suppressed"]
    assert rows.loc[[(1, 0), (1, 1)], "share"].isna().all()  # 1 - share would give the other away
    assert not rows.loc[(0, 0), "suppressed"] and rows.loc[(0, 1), "share"] == 0.5


def test_shap_plot_draws_groups_and_leaves_out_small_ones(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    features = pd.DataFrame(
        {
            "fibromyalgia": np.r_[np.ones(2), np.zeros(n - 2)],  # 2 patients: never drawn
            "age": rng.normal(50, 10, n),  # many values: quantile bins of 24
            "sex": np.r_[np.ones(60), np.zeros(60)],
        }
    )
    shap_values = np.column_stack(
        [features["fibromyalgia"] * 0.3, features["age"] / 100, features["sex"] * 0.05]
    )
    table = level_summary(shap_values, features)
    fib = table[table.feature == "fibromyalgia"].set_index("level")
    assert fib.loc[1, "hidden"] and not fib.loc[0, "hidden"]
    assert (table[table.feature == "age"]["hidden"] == False).all()  # noqa: E712
    assert len(np.unique(feature_levels(features["age"].to_numpy()))) == 5
    shown = plot_shap_by_level(shap_values, features, tmp_path / "shap.png", "title")
    assert (tmp_path / "shap.png").read_bytes()[:4] == b"\x89PNG"
    assert not ((shown.feature == "fibromyalgia") & (shown.level == 1)).any()
