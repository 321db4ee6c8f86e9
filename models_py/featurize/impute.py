"""KNN imputation of missing psychosocial categories (004_8aea355467337d34.txt, Methods "Missing demographic
variables": KNNImputer for race_ethnicity, social_support, smoking_status and primary_insurance from sex,
age_at_first_imaging, year_at_first_imaging and preferred_language).

Categories are not numbers, so each target column gets its own k-nearest-neighbours vote: neighbours are found
in the standardised predictor space among *training* rows where the target is known, and the most common
category among the k nearest wins (ties: the category first in sorted order). Nothing outside `fit` sees test
rows or labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_is_fitted

IMPUTE_TARGETS = ("race_ethnicity", "social_support", "smoking_status", "primary_insurance")
IMPUTE_PREDICTORS_NUMERIC = ("age_at_first_imaging", "year_at_first_imaging")
IMPUTE_PREDICTORS_CATEGORICAL = ("sex", "preferred_language")
UNKNOWN = "unknown"


class KNNCategoryImputer(TransformerMixin, BaseEstimator):
    """Fill missing values of categorical `targets` by a k-nearest-neighbour vote over training rows.

    Attributes
    ----------
    means_, scales_ : dict[str, float]      numeric predictor standardisation (training rows)
    levels_ : dict[str, list[str]]           one-hot levels of categorical predictors (training rows)
    neighbours_ : dict[str, NearestNeighbors]  per target, fitted on training rows where it is known
    known_values_ : dict[str, np.ndarray]    the target values of those rows
    """

    def __init__(
        self,
        targets: Sequence[str] = IMPUTE_TARGETS,
        numeric: Sequence[str] = IMPUTE_PREDICTORS_NUMERIC,
        categorical: Sequence[str] = IMPUTE_PREDICTORS_CATEGORICAL,
        n_neighbors: int = 5,
    ) -> None:
        self.targets = targets
        self.numeric = numeric
        self.categorical = categorical
        self.n_neighbors = n_neighbors

    def _design(self, X: pd.DataFrame) -> np.ndarray:
        blocks = []
        for col in self.numeric:
            values = pd.to_numeric(X[col], errors="coerce").astype(float).fillna(self.means_[col])
            blocks.append(((values.to_numpy() - self.means_[col]) / self.scales_[col])[:, None])
        for col in self.categorical:
            values = X[col].astype("string").fillna(UNKNOWN).to_numpy()
            levels = np.asarray(self.levels_[col], dtype=object)
            blocks.append((values[:, None] == levels[None, :]).astype(float))
        return np.hstack(blocks) if blocks else np.zeros((len(X), 0))

    def fit(self, X: pd.DataFrame, y: object = None) -> KNNCategoryImputer:
        self.means_, self.scales_, self.levels_ = {}, {}, {}
        for col in self.numeric:
            values = pd.to_numeric(X[col], errors="coerce").astype(float)
            self.means_[col] = float(values.mean()) if values.notna().any() else 0.0
            std = float(values.std(ddof=0)) if values.notna().sum() > 1 else 0.0
            self.scales_[col] = std if std > 0 else 1.0
        for col in self.categorical:
            self.levels_[col] = sorted(X[col].astype("string").fillna(UNKNOWN).unique())
        design = self._design(X)
        self.neighbours_, self.known_values_ = {}, {}
        for col in self.targets:
            known = X[col].notna().to_numpy()
            if not known.any():
                raise ValueError(f"cannot impute {col}: no training row has a value")
            k = min(self.n_neighbors, int(known.sum()))
            self.neighbours_[col] = NearestNeighbors(n_neighbors=k).fit(design[known])
            self.known_values_[col] = X.loc[known, col].astype(str).to_numpy()
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "neighbours_")
        out = X.copy()
        design = self._design(X)
        for col in self.targets:
            missing = out[col].isna().to_numpy()
            if not missing.any():
                continue
            _, idx = self.neighbours_[col].kneighbors(design[missing])
            votes = self.known_values_[col][idx]
            out.loc[missing, col] = [_mode(row) for row in votes]
        return out


def _mode(values: np.ndarray) -> str:
    levels, counts = np.unique(values, return_counts=True)  # sorted, so ties go to the first level
    return str(levels[np.argmax(counts)])
