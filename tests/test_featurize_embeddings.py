"""word2vec pre-training (cached, deterministic) and the padded token indexer."""

import numpy as np
import pandas as pd
import pytest

from models_py.featurize import embeddings as emb


def _corpus(n=60):
    rng = np.random.default_rng(0)
    words = [
        "disc",
        "bulge",
        "stenosis",
        "canal",
        "foramen",
        "severe",
        "mild",
        "nerve",
        "root",
        "compression",
    ]
    return pd.DataFrame(
        {
            "image_id": [f"I{i}" for i in range(n)],
            "report_clean": [" ".join(rng.choice(words, 12)) for _ in range(n)],
        }
    )


def test_word2vec_is_deterministic_and_cached(tmp_path, monkeypatch):
    config = emb.Word2VecConfig(vector_size=16, epochs=2, seed=1)
    vectors, path = emb.load_or_train_word2vec(_corpus(), tmp_path, config)
    assert path.exists() and vectors.vector_size == 16 and "stenosi" in vectors.key_to_index
    again = emb.train_word2vec(_corpus().sort_values("image_id")["report_clean"].tolist(), config)
    assert np.array_equal(vectors["stenosi"], again["stenosi"])

    def fail(*args, **kwargs):
        raise AssertionError("cache miss: word2vec retrained")

    monkeypatch.setattr(emb, "train_word2vec", fail)
    cached, cached_path = emb.load_or_train_word2vec(_corpus(), tmp_path, config)
    assert cached_path == path and np.array_equal(cached["stenosi"], vectors["stenosi"])
    with pytest.raises(AssertionError, match="cache miss"):  # a different corpus is a different model
        emb.load_or_train_word2vec(_corpus(61), tmp_path, config)


def test_token_indexer_pads_to_longest_training_report():
    train = pd.DataFrame({"report": ["mild disc bulge", "severe stenosis"]})
    test = pd.DataFrame({"report": ["severe zebra stenosis disc bulge mild"]})
    indexer = emb.ReportTokenIndexer(vocabulary=["mild", "disc", "bulg", "sever", "stenosi"]).fit(train)
    assert indexer.max_length_ == 3
    ids = indexer.transform(train)
    assert ids.tolist() == [[2, 3, 4], [5, 6, 0]]
    assert indexer.transform(test).tolist() == [[5, emb.OOV, 6]]  # unknown word -> 1, truncated to 3


def test_embedding_matrix_rows_follow_the_vocabulary():
    vectors = emb.train_word2vec(
        _corpus()["report_clean"].tolist(), emb.Word2VecConfig(vector_size=8, epochs=1)
    )
    vocab = list(vectors.index_to_key)
    matrix = emb.embedding_matrix(vectors, vocab)
    assert matrix.shape == (len(vocab) + 2, 8)
    assert not matrix[emb.PAD].any()
    assert np.array_equal(matrix[2 + vocab.index("disc")], vectors["disc"])
