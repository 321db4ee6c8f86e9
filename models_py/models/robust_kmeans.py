"""Robust k-means: median/IQR scaling, many initialisations, bootstrap stability, and choice of k.

Scaling by median and interquartile range (scikit-learn's RobustScaler) keeps a few extreme values (a BMI
of 60, a tropism of 30 degrees) from setting the scale of a feature. k-means is restarted `n_init` times
from k-means++ seeds and the lowest-inertia solution kept.

Stability of a solution (Hennig 2007; Lange et al. 2004): refit on a bootstrap resample, assign every
original patient with the refitted model, and compare with the full-data assignment by the adjusted Rand
index (ARI); the mean over resamples is the stability. Choice of k over a range (default 2..6): among the
k whose silhouette shows some structure (>= `min_silhouette`, 0.1), the one with the highest mean
stability; stabilities within `tie` (0.01) of the best count as tied and the higher silhouette wins. When
no k reaches the silhouette floor, the most stable k. Stability leads because silhouette favours k = 2
whenever two groups share one axis (here: two subgroups with high degeneration), while a k that splits a
real group, or merges two, is unstable under resampling.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import RobustScaler

MIN_SILHOUETTE = 0.1
TIE = 0.01


class RobustKMeans(ClusterMixin, BaseEstimator):
    def __init__(self, n_clusters: int = 3, n_init: int = 50, random_state: int = 0):
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.random_state = random_state

    def fit(self, X, y=None) -> RobustKMeans:
        X = np.asarray(X, dtype=float)
        self.scaler_ = RobustScaler().fit(X)
        self.kmeans_ = KMeans(self.n_clusters, n_init=self.n_init, random_state=self.random_state).fit(
            self.scaler_.transform(X)
        )
        self.labels_ = self.kmeans_.labels_
        return self

    def transform(self, X) -> np.ndarray:
        return self.scaler_.transform(np.asarray(X, dtype=float))

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


@dataclass
class KChoice:
    k: int
    table: pd.DataFrame  # k, silhouette, stability_mean, stability_p2_5, stability_p97_5
    models: dict[int, RobustKMeans]
    rule: str


def choose_k(
    X: np.ndarray,
    ks: range | list[int] = range(2, 7),
    *,
    n_bootstrap: int = 50,
    n_init: int = 10,
    min_silhouette: float = MIN_SILHOUETTE,
    tie: float = TIE,
    seed: int = 0,
    progress=None,
) -> KChoice:
    """Silhouette (on the robust-scaled data) and bootstrap stability for each k; pick k by the rule above."""
    rows, models = [], {}
    task = progress.add_task("k-means: k and stability", total=len(ks)) if progress is not None else None
    for k in ks:
        model, scores = bootstrap_stability(X, k, n_bootstrap=n_bootstrap, n_init=n_init, seed=seed)
        models[k] = model
        rows.append(
            {
                "k": k,
                "silhouette": float(silhouette_score(model.transform(X), model.labels_)),
                "stability_mean": float(scores.mean()),
                "stability_p2_5": float(np.percentile(scores, 2.5)),
                "stability_p97_5": float(np.percentile(scores, 97.5)),
            }
        )
        if progress is not None:
            progress.advance(task)
    table = pd.DataFrame(rows)
    eligible = table[table["silhouette"] >= min_silhouette]
    rule = f"highest mean bootstrap ARI among k with silhouette >= {min_silhouette} (ties within {tie}: higher silhouette)"
    if eligible.empty:
        eligible = table
        rule = f"no k reached silhouette {min_silhouette}; highest mean bootstrap ARI"
    best = eligible["stability_mean"].max()
    tied = eligible[eligible["stability_mean"] >= best - tie]
    k = int(tied.sort_values(["silhouette", "k"], ascending=[False, True]).iloc[0]["k"])
    return KChoice(k, table, models, rule)
