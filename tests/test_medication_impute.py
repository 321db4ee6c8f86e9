"""KNN category imputation is fitted on training rows only."""

import numpy as np
import pandas as pd

from models_py.featurize.impute import KNNCategoryImputer


def _frame(n, smoking, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sex": rng.choice(["F", "M"], n),
            "age_at_first_imaging": rng.integers(20, 80, n),
            "year_at_first_imaging": rng.integers(2012, 2020, n),
            "preferred_language": rng.choice(["english", "spanish"], n),
            "race_ethnicity": rng.choice(["white", "black"], n),
            "social_support": "partnered",
            "smoking_status": smoking,
            "primary_insurance": "commercial",
        }
    )


def test_imputed_values_come_from_training_rows_only():
    train = _frame(50, "never", 0)
    test = _frame(50, "current", 1)  # every test row knows 'current'; none of it may leak into imputations
    test.loc[:9, "smoking_status"] = None
    imputer = KNNCategoryImputer().fit(train)
    out = imputer.transform(test)
    assert set(out.loc[:9, "smoking_status"]) == {"never"}
    assert (out.loc[10:, "smoking_status"] == "current").all()  # known values are never changed
    assert set(imputer.known_values_["smoking_status"]) == {"never"}


def test_nearest_neighbours_decide():
    train = pd.concat([_frame(20, "never", 2), _frame(20, "current", 3)], ignore_index=True)
    train.loc[:19, "age_at_first_imaging"] = 25
    train.loc[20:, "age_at_first_imaging"] = 75
    query = train.iloc[[0, 39]].copy()
    query["smoking_status"] = None
    out = KNNCategoryImputer(numeric=("age_at_first_imaging",), categorical=()).fit(train).transform(query)
    assert out["smoking_status"].tolist() == ["never", "current"]
