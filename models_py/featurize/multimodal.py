"""Featurise the one-row-per-patient table into the network's inputs (MDLInputs)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from models_py.featurize.codes import CodesTemporalFeaturizer
from models_py.featurize.embeddings import ReportTokenIndexer
from models_py.featurize.static import StaticFeaturizer
from models_py.models.mdl import MDLInputs


class MultimodalFeaturizer(TransformerMixin, BaseEstimator):
    """Fits only the featurisers the chosen modalities need, on training rows only.

    Parameters
    ----------
    modalities : subset of ("text", "temporal", "static")
    vocabulary : word2vec vocabulary (for the token indexer)
    allowed_temporal : features the temporal tensor may use (mart's kept_temporal) or None
    max_report_length : cap on padded report length (None = longest training report)
    """

    def __init__(
        self,
        modalities: Sequence[str] = ("text", "temporal", "static"),
        vocabulary: Sequence[str] = (),
        allowed_temporal: Iterable[str] | None = None,
        max_report_length: int | None = None,
    ) -> None:
        self.modalities = modalities
        self.vocabulary = vocabulary
        self.allowed_temporal = allowed_temporal
        self.max_report_length = max_report_length

    def fit(self, X: pd.DataFrame, y: object = None) -> MultimodalFeaturizer:
        self.static_ = StaticFeaturizer().fit(X) if "static" in self.modalities else None
        self.temporal_ = (
            CodesTemporalFeaturizer(allowed=self.allowed_temporal).fit(X)
            if "temporal" in self.modalities
            else None
        )
        self.tokens_ = (
            ReportTokenIndexer(vocabulary=self.vocabulary, max_length=self.max_report_length).fit(X)
            if "text" in self.modalities
            else None
        )
        return self

    def transform(self, X: pd.DataFrame) -> MDLInputs:
        check_is_fitted(self, "static_")
        return MDLInputs(
            tokens=None if self.tokens_ is None else self.tokens_.transform(X),
            temporal=None if self.temporal_ is None else self.temporal_.transform(X),
            static=None if self.static_ is None else self.static_.transform(X),
        )
