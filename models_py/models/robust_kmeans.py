"""Robust k-means: median/IQR scaling, unsupervised imputation, many initialisations, and choice of k.

Preprocessing (fitted on the clustering inputs only, never on an outcome or a label): scaling by median
and interquartile range (scikit-learn's RobustScaler) keeps a few extreme values (a BMI of 60, a tropism of
30 degrees) from setting the scale of a feature; a blank input (BMI or smoking never recorded, a level the
MRI reader failed on, a blank questionnaire item) is then filled with the mean of the `n_neighbors` nearest
patients on the inputs both have (KNNImputer, nan-Euclidean distance on the scaled inputs). k-means is
restarted `n_init` times from k-means++ seeds and the lowest-inertia solution kept. Every refit (each
bootstrap resample) relearns the scaling and the imputation, so stability includes imputation uncertainty.

Stability of a solution (Hennig 2007; Lange et al. 2004): refit on a bootstrap resample, assign every
original patient with the refitted model, and compare with the full-data assignment by the adjusted Rand
index (ARI); the mean over resamples is the stability.

Choice of k over a range (default 2..6), `choose_k`:
1. Gap statistic (Tibshirani, Walther & Hastie 2001): Gap(k) = E*[log W*_k] - log W_k, where W_k is the
   within-cluster sum of squares on the preprocessed inputs and E* the mean over `n_reference` reference
   data sets drawn uniformly in the box aligned with the data's principal components; s_k is the reference
   SD x sqrt(1 + 1/B). Candidate k = the smallest k with Gap(k) >= Gap(k+1) - s_(k+1) (the largest k of
   the range when none qualifies).
2. Stability threshold: the candidate must reach a mean bootstrap ARI of `min_stability` (0.75, Hennig's
   "stable" guideline); otherwise the largest smaller k that does (when none does, the candidate is kept
   and the rule says so).
Why not stability or silhouette alone: both favour k = 2 by construction. Two clusters split the data
along its main axis, a split that is reproducible even in data without groups (a permuted-column null
reached a mean bootstrap ARI of 0.67-0.99 at k = 2 on the synthetic seeds), and silhouette rewards the coarse split whenever two real
groups share one axis (degenerative and mixed both carry high degeneration). The gap statistic compares
each k with what k clusters achieve in structureless data of the same spread, so the coarse split earns no
credit for being easy; stability then guards against a k that only fits noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.impute import KNNImputer
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import RobustScaler
from threadpoolctl import threadpool_limits

MIN_STABILITY = 0.75
N_NEIGHBORS = 10


def preprocessor(n_neighbors: int = N_NEIGHBORS) -> Pipeline:
    """Robust scaling, then k-nearest-neighbour imputation of blank inputs (NaN) on the scaled inputs."""
    # keep_empty_features: a column blank for every patient stays (as 0) so column positions never shift
    return Pipeline(
        [("scale", RobustScaler()), ("impute", KNNImputer(n_neighbors=n_neighbors, keep_empty_features=True))]
    )


class RobustKMeans(ClusterMixin, BaseEstimator):
    def __init__(
        self, n_clusters: int = 3, n_init: int = 50, n_neighbors: int = N_NEIGHBORS, random_state: int = 0
    ):
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    def fit(self, X, y=None) -> RobustKMeans:
        X = np.asarray(X, dtype=float)
        self.preprocess_ = preprocessor(self.n_neighbors).fit(X)
        self.kmeans_ = KMeans(self.n_clusters, n_init=self.n_init, random_state=self.random_state).fit(
            self.preprocess_.transform(X)
        )
        self.labels_ = self.kmeans_.labels_
        return self

    def transform(self, X) -> np.ndarray:
        return self.preprocess_.transform(np.asarray(X, dtype=float))

    def predict(self, X) -> np.ndarray:
        return self.kmeans_.predict(self.transform(X))


def bootstrap_stability(
    X: np.ndarray, n_clusters: int, *, n_bootstrap: int = 50, n_init: int = 10, seed: int = 0
) -> tuple[RobustKMeans, np.ndarray]:
    """The full-data model and the ARI of each bootstrap refit against it (on all original rows)."""
    X = np.asarray(X, dtype=float)
    full = RobustKMeans(n_clusters, n_init=n_init * 5, random_state=seed).fit(X)
    rng = np.random.default_rng(seed)
    scores = np.empty(n_bootstrap)
    for b in range(n_bootstrap):
        rows = rng.integers(0, len(X), len(X))
        refit = RobustKMeans(n_clusters, n_init=n_init, random_state=seed + b + 1).fit(X[rows])
        scores[b] = adjusted_rand_score(full.labels_, refit.predict(X))
    return full, scores


def reference_sets(Z: np.ndarray, n_reference: int, seed: int) -> list[np.ndarray]:
    """Uniform draws in the box spanned by Z along its principal components (Tibshirani's method b)."""
    centre = Z.mean(axis=0)
    _, _, vt = np.linalg.svd(Z - centre, full_matrices=False)
    rotated = (Z - centre) @ vt.T
    low, high = rotated.min(axis=0), rotated.max(axis=0)
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, rotated.shape) @ vt + centre for _ in range(n_reference)]


def gap_statistic(
    Z: np.ndarray, inertia: float, references: list[np.ndarray], n_clusters: int, n_init: int, seed: int
) -> tuple[float, float]:
    """Gap(k) and s_k for preprocessed inputs Z whose k-means solution has within-cluster SS `inertia`."""
    ref = np.array(
        [
            np.log(KMeans(n_clusters, n_init=n_init, random_state=seed + b).fit(R).inertia_)
            for b, R in enumerate(references)
        ]
    )
    return float(ref.mean() - np.log(inertia)), float(ref.std() * np.sqrt(1 + 1 / len(references)))


@dataclass
class KChoice:
    k: int
    # k, silhouette, gap, gap_se, stability_mean, stability_p2_5, stability_p97_5
    table: pd.DataFrame
    models: dict[int, RobustKMeans]
    rule: str


def select_k(table: pd.DataFrame, min_stability: float = MIN_STABILITY) -> tuple[int, str]:
    """Apply the gap 1-SE rule, then the stability threshold (module docstring), to a k table."""
    table = table.sort_values("k").reset_index(drop=True)
    candidate = int(table["k"].iloc[-1])
    for i in range(len(table) - 1):
        if table["gap"].iloc[i] >= table["gap"].iloc[i + 1] - table["gap_se"].iloc[i + 1]:
            candidate = int(table["k"].iloc[i])
            break
    rule = (
        "gap statistic, smallest k with Gap(k) >= Gap(k+1) - s(k+1), "
        f"required mean bootstrap ARI >= {min_stability}"
    )
    stable = table[(table["k"] <= candidate) & (table["stability_mean"] >= min_stability)]
    if stable.empty:
        return candidate, rule + f"; no k up to {candidate} reached it, gap choice kept (unstable)"
    k = int(stable["k"].max())
    if k != candidate:
        rule += f"; gap chose k = {candidate} but it was unstable, largest stable smaller k taken"
    return k, rule


def choose_k(
    X: np.ndarray,
    ks: range | list[int] = range(2, 7),
    *,
    n_bootstrap: int = 50,
    n_init: int = 10,
    n_reference: int = 20,
    min_stability: float = MIN_STABILITY,
    seed: int = 0,
    progress=None,
) -> KChoice:
    """Silhouette, gap statistic and bootstrap stability for each k; pick k by the rule above."""
    # many small k-means fits: BLAS/OpenMP thread oversubscription on few cores makes them ~50x slower
    with threadpool_limits(1):
        return _choose_k(X, sorted(ks), n_bootstrap, n_init, n_reference, min_stability, seed, progress)


def _choose_k(X, ks, n_bootstrap, n_init, n_reference, min_stability, seed, progress) -> KChoice:
    X = np.asarray(X, dtype=float)
    # scaling and imputation do not depend on k: one preprocessed matrix and one set of references
    Z = preprocessor().fit_transform(X)
    references = reference_sets(Z, n_reference, seed)
    rows, models = [], {}
    task = progress.add_task("k-means: k, gap and stability", total=len(ks)) if progress is not None else None
    for k in ks:
        model, scores = bootstrap_stability(X, k, n_bootstrap=n_bootstrap, n_init=n_init, seed=seed)
        models[k] = model
        gap, gap_se = gap_statistic(Z, model.kmeans_.inertia_, references, k, n_init, seed)
        rows.append(
            {
                "k": k,
                "silhouette": float(silhouette_score(Z, model.labels_)),
                "gap": gap,
                "gap_se": gap_se,
                "stability_mean": float(scores.mean()),
                "stability_p2_5": float(np.percentile(scores, 2.5)),
                "stability_p97_5": float(np.percentile(scores, 97.5)),
            }
        )
        if progress is not None:
            progress.advance(task)
    table = pd.DataFrame(rows)
    k, rule = select_k(table, min_stability)
    return KChoice(k, table, models, rule)
