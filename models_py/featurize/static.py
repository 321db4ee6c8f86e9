"""Demographics: one-hot categories and standardised age (paper, Fig. 2A)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

STATIC_CATEGORICAL = (
    "site",
    "sex",
    "race",
    "ethnicity",
    "pcp_gender",
    "pcp_clinician_type",
    "pcp_specialty",
    "index_modality",
)
STATIC_NUMERIC = ("age_at_index",)
UNKNOWN = "unknown"


class StaticFeaturizer(TransformerMixin, BaseEstimator):
    """Dummy variables for categorical columns plus z-scored numeric columns.

    Categories are those seen in training rows (a column with a single training
    level is dropped); a category first seen at transform time gets all-zero dummies (like OneHotEncoder(handle_unknown="ignore")). Missing
    categories become "unknown"; missing numbers are imputed with the training mean.

    Attributes
    ----------
    categories_ : dict[str, list[str]]
    means_, scales_ : dict[str, float]
    feature_names_ : list[str]
    """

    def __init__(
        self,
        categorical: Sequence[str] = STATIC_CATEGORICAL,
        numeric: Sequence[str] = STATIC_NUMERIC,
    ) -> None:
        self.categorical = categorical
        self.numeric = numeric

    def fit(self, X: pd.DataFrame, y: object = None) -> StaticFeaturizer:
        self.categories_ = {}
        for col in self.categorical:
            levels = sorted(self._categories(X, col).unique())
            # a column with one level in training is constant there and carries no information; keeping
            # it would let the model use it as an intercept that silently shifts at other sites
            self.categories_[col] = levels if len(levels) > 1 else []
        self.means_: dict[str, float] = {}
        self.scales_: dict[str, float] = {}
        for col in self.numeric:
            values = pd.to_numeric(X[col], errors="coerce").astype(float)
            mean = float(values.mean()) if values.notna().any() else 0.0
            std = float(values.std(ddof=0)) if values.notna().sum() > 1 else 0.0
            self.means_[col] = mean
            # a constant column would divide by zero; leave it centred instead
            self.scales_[col] = std if std > 0 else 1.0
        self.feature_names_ = [f"{c}={v}" for c in self.categorical for v in self.categories_[c]] + list(
            self.numeric
        )
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "categories_")
        blocks = []
        for col in self.categorical:
            values = self._categories(X, col).to_numpy()
            cats = np.asarray(self.categories_[col], dtype=object)
            blocks.append((values[:, None] == cats[None, :]).astype(np.float32))
        for col in self.numeric:
            values = pd.to_numeric(X[col], errors="coerce").astype(float).fillna(self.means_[col])
            blocks.append(
                ((values.to_numpy() - self.means_[col]) / self.scales_[col])[:, None].astype(np.float32)
            )
        return np.hstack(blocks) if blocks else np.zeros((len(X), 0), dtype=np.float32)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "feature_names_")
        return np.asarray(["static:" + n for n in self.feature_names_], dtype=object)

    @staticmethod
    def _categories(X: pd.DataFrame, col: str) -> pd.Series:
        return X[col].astype("string").fillna(UNKNOWN).str.strip().replace("", UNKNOWN).astype(str)
