"""Report text for deep learning: skip-gram word2vec and padded token ids.

The paper pre-trains a 300-dimensional skip-gram word2vec on every report taken
after enrollment (`mart_report_corpus`), preprocessed exactly like the index
reports, and feeds the index reports to a CNN as token ids padded to the
longest index report. Pre-training is unsupervised (no labels), as in the paper.

Training word2vec is the slowest featurisation step, so the vectors are cached
by the hash of the corpus and the word2vec settings: a second run on the same
marts reuses them. `workers=1` with a fixed seed makes the vectors reproducible
(gensim is only deterministic single-threaded).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from models_py.featurize.text import report_tokens
from models_py.patients import REPORT_COLUMN

PAD, OOV = 0, 1  # token id 0 pads, 1 stands for words word2vec never saw


@dataclass(frozen=True)
class Word2VecConfig:
    vector_size: int = 300
    window: int = 5
    min_count: int = 2
    epochs: int = 5
    negative: int = 5
    seed: int = 0


def corpus_hash(texts: Iterable[str], config: Word2VecConfig) -> str:
    """Identity of a word2vec model: the corpus text (in order) and its settings."""
    digest = hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode())
    for text in texts:
        digest.update(str(text).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _stable_hash(text: str) -> int:
    """gensim seeds each word vector with hashfxn(word + seed); Python's hash() changes per process."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def train_word2vec(texts: Sequence[str], config: Word2VecConfig):  # -> gensim KeyedVectors
    """Skip-gram (sg=1) word2vec on stemmed, stop-word-free report tokens."""
    from gensim.models import Word2Vec  # heavy import, only when training

    sentences = [toks for toks in (report_tokens(t) for t in texts) if toks]
    if not sentences:
        from gensim.models import KeyedVectors

        return KeyedVectors(vector_size=config.vector_size)
    model = Word2Vec(
        sentences=sentences,
        vector_size=config.vector_size,
        window=config.window,
        min_count=config.min_count,
        sg=1,
        negative=config.negative,
        epochs=config.epochs,
        seed=config.seed,
        workers=1,
        hashfxn=_stable_hash,
    )
    return model.wv


def load_or_train_word2vec(
    corpus: pd.DataFrame, cache_dir: Path, config: Word2VecConfig
) -> tuple[object, Path]:
    """Return (KeyedVectors, path of the saved vectors), training only on a cache miss."""
    from gensim.models import KeyedVectors

    ordered = corpus.sort_values("image_id", kind="stable")["report_clean"].fillna("").astype(str).tolist()
    key = corpus_hash(ordered, config)[:20]
    cache_dir = Path(cache_dir)
    path = cache_dir / f"word2vec-{key}.kv"
    if path.exists():
        return KeyedVectors.load(str(path)), path
    vectors = train_word2vec(ordered, config)
    cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # write then rename so a crash never leaves a half-written cache entry
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        tmp_path = Path(tmp) / path.name
        vectors.save(str(tmp_path))
        for produced in Path(tmp).iterdir():  # gensim may add .npy side files
            os.replace(produced, cache_dir / produced.name)
    return vectors, path


def copy_vectors(path: Path, dest_dir: Path) -> Path:
    """Copy a saved KeyedVectors (and any .npy side files) into the run folder."""
    dest_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for file in path.parent.glob(path.name + "*"):
        shutil.copy2(file, dest_dir / file.name)
    return dest_dir / path.name


class ReportTokenIndexer(TransformerMixin, BaseEstimator):
    """Index report -> int64 token ids (0 = padding, 1 = unknown word), right-padded.

    Reports are padded to the longest training report (the paper pads to the
    longest index report); a longer report at transform time is truncated.
    `max_length` caps the length to bound memory on unusual corpora.

    Attributes
    ----------
    token_to_id_ : dict[str, int]   (word2vec words, ids from 2)
    max_length_ : int
    """

    def __init__(
        self, vocabulary: Sequence[str] = (), max_length: int | None = None, column: str = REPORT_COLUMN
    ):
        self.vocabulary = vocabulary
        self.max_length = max_length
        self.column = column

    def fit(self, X: pd.DataFrame, y: object = None) -> ReportTokenIndexer:
        self.token_to_id_ = {w: i + 2 for i, w in enumerate(self.vocabulary)}
        longest = max((len(report_tokens(t)) for t in X[self.column]), default=1)
        longest = max(longest, 1)
        self.max_length_ = min(longest, self.max_length) if self.max_length else longest
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "token_to_id_")
        out = np.zeros((len(X), self.max_length_), dtype=np.int64)
        for r, text in enumerate(X[self.column]):
            ids = [self.token_to_id_.get(t, OOV) for t in report_tokens(text)[: self.max_length_]]
            out[r, : len(ids)] = ids
        return out


def embedding_matrix(vectors, vocabulary: Sequence[str], seed: int = 0) -> np.ndarray:
    """Rows: padding (zeros), unknown word (small random), then each vocabulary word's vector."""
    dim = int(vectors.vector_size)
    rng = np.random.default_rng(seed)
    matrix = np.zeros((len(vocabulary) + 2, dim), dtype=np.float32)
    matrix[OOV] = rng.normal(0.0, 0.01, dim)
    for i, word in enumerate(vocabulary):
        matrix[i + 2] = vectors[word]
    return matrix
