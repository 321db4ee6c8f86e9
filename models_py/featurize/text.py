"""Index imaging report text (paper, "Index imaging reports").

The marts already hold the findings + impression sections, lower-cased, without
punctuation and with single spaces. Here we remove stop words and Porter-stem.
The stop-word list is scikit-learn's English list minus its negation words:
radiology reports say "no stenosis", and dropping "no" would flip the meaning.
(NLTK's stop-word corpus needs a download, which production sites often block;
NLTK's PorterStemmer needs none.)

Classical ML: binary uni-, bi- and trigram presence with the paper's 0.1 % / 99 %
document-frequency filter, learned on training rows only (sparse CSR).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp
from nltk.stem import PorterStemmer
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from sklearn.utils.validation import check_is_fitted

from models_py.patients import REPORT_COLUMN

NEGATION_WORDS = frozenset(
    {
        "no",
        "not",
        "nor",
        "never",
        "none",
        "cannot",
        "cant",
        "without",
        "nothing",
        "neither",
        "nobody",
        "noone",
        "nowhere",
        "couldnt",
        "hasnt",
        "against",
    }
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) - NEGATION_WORDS

_STEMMER = PorterStemmer()


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # reports reuse a small vocabulary; caching makes stemming ~50x faster
    return _STEMMER.stem(word)


def report_tokens(text: str) -> list[str]:
    """Stop words removed, Porter stems; the same tokens feed n-grams and word2vec."""
    return [_stem(w) for w in str(text).split() if w not in STOP_WORDS]


def normalise_report(text: str) -> str:
    return " ".join(report_tokens(text))


class NgramFeaturizer(TransformerMixin, BaseEstimator):
    """Binary uni/bi/trigram presence over stemmed, stop-word-free report text.

    Document-frequency filter as in the paper (and as for codes): an n-gram is kept
    when min_df < (share of training reports containing it) < max_df, so the
    defaults drop n-grams in <= 0.1 % or >= 99 % of training reports.
    (CountVectorizer's own min_df/max_df are inclusive, hence the explicit filter.)

    Attributes
    ----------
    vectorizer_ : CountVectorizer with the kept training vocabulary (None when nothing is kept)
    n_features_out_ : int
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 3),
        min_df: float = 0.001,
        max_df: float = 0.99,
        column: str = REPORT_COLUMN,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.column = column

    def _vectorizer(self, vocabulary: list[str] | None = None) -> CountVectorizer:
        return CountVectorizer(
            lowercase=False,
            token_pattern=r"\S+",
            ngram_range=tuple(self.ngram_range),
            binary=True,
            dtype=np.float64,
            vocabulary=vocabulary,
        )

    def fit(self, X: pd.DataFrame, y: object = None) -> NgramFeaturizer:
        docs = [normalise_report(t) for t in X[self.column]]
        self.vectorizer_ = None
        self.n_features_out_ = 0
        if not any(docs):
            return self
        full = self._vectorizer()
        counts = full.fit_transform(docs).tocsc()
        share = np.diff(counts.indptr) / len(docs)  # binary matrix: non-zeros per column = documents
        terms = full.get_feature_names_out()
        kept = sorted(terms[(share > self.min_df) & (share < self.max_df)])
        if kept:
            self.vectorizer_ = self._vectorizer(kept).fit(docs[:1])
            self.n_features_out_ = len(kept)
        return self

    def transform(self, X: pd.DataFrame) -> sp.csr_matrix:
        check_is_fitted(self, "n_features_out_")
        if self.vectorizer_ is None:
            return sp.csr_matrix((len(X), 0), dtype=np.float64)
        return self.vectorizer_.transform([normalise_report(t) for t in X[self.column]]).tocsr()

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        check_is_fitted(self, "n_features_out_")
        terms = [] if self.vectorizer_ is None else self.vectorizer_.get_feature_names_out()
        return np.asarray(["text:" + t for t in terms], dtype=object)
