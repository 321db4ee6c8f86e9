"""Diagnoses, procedures and drugs (paper, "Diagnosis, procedures, and prescriptions").

Classical ML: one 0/1 column per feature at patient level (sparse CSR).
Deep learning: a patients x 3 monthly bins x features 0/1 tensor (bin 1 = days
61-90 before index, bin 3 = the last 30 days, so a GRU reads time forwards).

Which features exist is learned from the training rows only. `allowed` narrows
that further to the marts' dictionary (`kept_classical` / `kept_temporal`), which
dbt computed on the mart's own training split; under the generalizability
protocol the training rows differ from that split, so the study passes no
`allowed` set and the rare/common filter is recomputed here on the actual
training rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from models_py.patients import BINNED_CODE_COLUMN, CODE_COLUMN

N_BINS = 3


def _document_frequency_filter(
    doc_sets: Iterable[Iterable[str]], n_docs: int, min_df: float, max_df: float
) -> list[str]:
    """Features whose training prevalence is strictly between min_df and max_df.

    The paper excludes features present in <= 0.1 % or >= 99 % of patients; with
    min_df=0.001 and max_df=0.99 this keeps 0.1 % < prevalence < 99 %.
    """
    counts: dict[str, int] = {}
    for doc in doc_sets:
        for feat in set(doc):
            counts[feat] = counts.get(feat, 0) + 1
    if n_docs == 0:
        return []
    return sorted(f for f, c in counts.items() if min_df < c / n_docs < max_df)


class CodesBagFeaturizer(TransformerMixin, BaseEstimator):
    """Patient-level presence (0/1) of each kept code/drug, as a CSR matrix.

    Parameters
    ----------
    allowed : collection of "feature_type:feature" keys or None
        If given, only these features may be kept (e.g. the mart's kept_classical).
    min_df, max_df : float
        Exclusive prevalence bounds computed on the training rows.

    Attributes
    ----------
    vocabulary_ : dict[str, int]
    """

    def __init__(
        self,
        allowed: Iterable[str] | None = None,
        min_df: float = 0.001,
        max_df: float = 0.99,
        column: str = CODE_COLUMN,
    ) -> None:
        self.allowed = allowed
        self.min_df = min_df
        self.max_df = max_df
        self.column = column

    def fit(self, X: pd.DataFrame, y: object = None) -> CodesBagFeaturizer:
        kept = _document_frequency_filter(X[self.column], len(X), self.min_df, self.max_df)
        if self.allowed is not None:
            allowed = set(self.allowed)
            kept = [f for f in kept if f in allowed]
        self.vocabulary_ = {f: i for i, f in enumerate(kept)}
        return self

    def transform(self, X: pd.DataFrame) -> sp.csr_matrix:
        check_is_fitted(self, "vocabulary_")
        rows, cols = [], []
        for r, doc in enumerate(X[self.column]):
            for feat in set(doc):
                j = self.vocabulary_.get(feat)
                if j is not None:
                    rows.append(r)
                    cols.append(j)
        data = np.ones(len(rows), dtype=np.float64)
        return sp.csr_matrix((data, (rows, cols)), shape=(len(X), len(self.vocabulary_)))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        return np.asarray(["codes:" + f for f in self.vocabulary_], dtype=object)


class CodesTemporalFeaturizer(TransformerMixin, BaseEstimator):
    """Patients x 3 bins x features 0/1 tensor (float32) for the GRU branch.

    Patients with fewer than three non-empty bins get all-zero bins (the paper's
    "empty bins"). Features are those present in at least `min_patients` training
    patients, narrowed to `allowed` when given (e.g. the mart's kept_temporal).
    """

    def __init__(
        self,
        allowed: Iterable[str] | None = None,
        min_patients: int = 1,
        column: str = BINNED_CODE_COLUMN,
    ) -> None:
        self.allowed = allowed
        self.min_patients = min_patients
        self.column = column

    def fit(self, X: pd.DataFrame, y: object = None) -> CodesTemporalFeaturizer:
        counts: dict[str, int] = {}
        for doc in X[self.column]:
            for feat in {f for _, f in doc}:
                counts[feat] = counts.get(feat, 0) + 1
        kept = sorted(f for f, c in counts.items() if c >= self.min_patients)
        if self.allowed is not None:
            allowed = set(self.allowed)
            kept = [f for f in kept if f in allowed]
        self.vocabulary_ = {f: i for i, f in enumerate(kept)}
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        out = np.zeros((len(X), N_BINS, len(self.vocabulary_)), dtype=np.float32)
        for r, doc in enumerate(X[self.column]):
            for bin_, feat in doc:
                j = self.vocabulary_.get(feat)
                if j is not None:
                    out[r, int(bin_) - 1, j] = 1.0
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "vocabulary_")
        return np.asarray(list(self.vocabulary_), dtype=object)
