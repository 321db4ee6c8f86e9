"""Featurisers learn from training rows only and produce the documented shapes."""

import numpy as np
import pandas as pd
import pytest

from models_py.featurize.codes import CodesBagFeaturizer, CodesTemporalFeaturizer
from models_py.featurize.static import StaticFeaturizer
from models_py.featurize.text import NgramFeaturizer, normalise_report, report_tokens


def _static(rows):
    cols = [
        "site",
        "sex",
        "race",
        "ethnicity",
        "pcp_gender",
        "pcp_clinician_type",
        "pcp_specialty",
        "index_modality",
        "age_at_index",
    ]
    return pd.DataFrame(rows, columns=cols)


def test_static_one_hot_and_standardised_age_from_training_rows():
    train = _static(
        [
            ["a", "F", "white", None, "F", "MD", "fm", "MRI", 40],
            ["b", "M", "black", "hispanic", "M", "MD", "fm", "XR", 60],
        ]
    )
    test = _static([["a", "F", "asian", "hispanic", "F", "MD", "fm", "CT", 70]])
    feat = StaticFeaturizer().fit(train)
    names = list(feat.feature_names_)
    out = feat.transform(test)[0]
    assert "race=asian" not in names  # unseen in training: all-zero dummies, no new column
    assert out[names.index("race=white")] == 0 and out[names.index("race=black")] == 0
    assert out[names.index("ethnicity=hispanic")] == 1 and "ethnicity=unknown" in names
    # constant in training -> no information, dropped (e.g. one site under generalizability)
    assert not any(n.startswith(("pcp_clinician_type=", "pcp_specialty=")) for n in names)
    assert out[names.index("age_at_index")] == pytest.approx((70 - 50) / 10)


def _codes_table(docs):
    return pd.DataFrame({"codes": docs, "codes_binned": [[(b, f) for f in d for b in (3,)] for d in docs]})


def test_codes_bag_filters_rare_and_common_features_on_training_rows():
    train = _codes_table([["dx:1", "rx:a"], ["dx:1"], ["dx:1", "px:9"], ["dx:1"]])
    test = _codes_table([["dx:1", "rx:a", "dx:only_in_test"]])
    feat = CodesBagFeaturizer(min_df=0.3, max_df=0.99).fit(train)
    # dx:1 is in 100 % of training patients (>= 99 %): excluded; rx:a, px:9 are in 25 % (<= 30 %): excluded
    assert feat.vocabulary_ == {}
    feat = CodesBagFeaturizer(min_df=0.2, max_df=0.99).fit(train)
    assert set(feat.vocabulary_) == {"px:9", "rx:a"}
    X = feat.transform(test)
    assert X.shape == (1, 2) and X.sum() == 1  # dx:only_in_test never enters the vocabulary
    assert set(CodesBagFeaturizer(min_df=0.2, allowed={"rx:a"}).fit(train).vocabulary_) == {"rx:a"}


def test_temporal_tensor_places_events_in_their_bins():
    train = pd.DataFrame({"codes_binned": [[(1, "dx:1"), (3, "rx:a")], [(2, "dx:1")]]})
    test = pd.DataFrame({"codes_binned": [[(3, "dx:1"), (2, "dx:new")], []]})
    feat = CodesTemporalFeaturizer().fit(train)
    assert list(feat.vocabulary_) == ["dx:1", "rx:a"]
    X = feat.transform(test)
    assert X.shape == (2, 3, 2) and X.dtype == np.float32
    assert X[0, 2, 0] == 1 and X.sum() == 1  # dx:new unseen in training; patient 2 has empty bins


def test_report_tokens_drop_stop_words_keep_negations_and_stem():
    tokens = report_tokens("there is no significant stenosis and not herniated discs")
    assert "there" not in tokens and "and" not in tokens
    assert "no" in tokens and "not" in tokens
    assert "stenosi" in tokens and "herniat" in tokens and "disc" in tokens


def test_ngram_vocabulary_comes_from_training_rows_only():
    train = pd.DataFrame(
        {"report": ["mild disc bulge", "severe canal stenosis", "mild disc bulge no stenosis"]}
    )
    test = pd.DataFrame({"report": ["zebra finding mild disc"]})
    feat = NgramFeaturizer(min_df=0.0, max_df=1.01).fit(train)
    vocab = set(feat.vectorizer_.vocabulary_)
    assert {"mild", "mild disc", "mild disc bulg", "no stenosi"} <= vocab
    assert not any("zebra" in term for term in vocab)
    X = feat.transform(test)
    assert X.shape == (1, len(vocab))
    assert X.sum() == 3  # "mild", "disc", "mild disc"


def test_ngram_document_frequency_filter():
    # paper: drop n-grams in <= min_df or >= max_df of the training reports
    train = pd.DataFrame({"report": ["disc bulge"] * 97 + ["disc canal"] * 2 + ["disc stenosis"]})
    feat = NgramFeaturizer(min_df=0.01, max_df=0.97).fit(train)
    assert set(feat.vectorizer_.vocabulary_) == {"canal", "disc canal"}  # 2 %: kept
    feat = NgramFeaturizer(min_df=0.001, max_df=0.99).fit(train)
    assert {"bulg", "stenosi", "disc stenosi"} <= set(feat.vectorizer_.vocabulary_)  # 97 % and 1 % kept
    assert "disc" not in feat.vectorizer_.vocabulary_  # 100 %
    assert normalise_report("the disc") == "disc"


def test_ngram_featurizer_without_text_gives_zero_columns():
    feat = NgramFeaturizer().fit(pd.DataFrame({"report": ["", ""]}))
    assert feat.transform(pd.DataFrame({"report": ["disc"]})).shape == (1, 0)
