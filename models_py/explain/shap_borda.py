"""SHAP feature importance of tree models and the paper's variational Borda count
(004_8aea355467337d34.txt, Methods "Feature importance": "ranked features with a mean SHAP value above 0.01 in
descending order, assigned missing features a rank of zero, and normalized rankings to sum to one. The final
ranking summed normalized ranks across models").

"Mean SHAP value" is read as the mean absolute SHAP value over the test rows (`model_importance`), the usual
global importance (SHAP's own bar and beeswarm summary plots rank by it). The paper's text supports that
reading: its Results say year_at_first_imaging "averaged the highest SHAP value magnitudes across most models",
and it ranks features whose effects are "symmetric" or "opposing" (disc_pathology, sex, social_support) as
important. The signed mean cannot be what it means: it lets positive and negative contributions cancel, so a
feature that pushes some patients strongly towards the event and others strongly away would fall under the
0.01 cut-off; and as each row's SHAP values sum to its prediction minus the model's average prediction, the
signed means sit near 0 and would rank features by how lopsided their effect is, not by how large it is.
This is an interpretation of an ambiguous sentence, not a deviation we chose.

Ranking convention: within a model the k features whose mean |SHAP| exceeds the threshold get points k (most
important) down to 1 (least); every other feature gets 0; points are divided by their sum (k(k+1)/2) so each
model contributes 1 in total. Summing over models gives the aggregate score (higher = more important).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import shap
from sklearn.ensemble import AdaBoostClassifier, BaggingClassifier, RandomForestClassifier

BORDA_THRESHOLD = 0.01


def _positive_class(values) -> np.ndarray:
    """SHAP values for the event class as (n, features), whatever shape the explainer returned."""
    values = np.asarray(values)
    if values.ndim == 3:  # (n, features, classes)
        return values[:, :, -1]
    return values


def tree_shap_values(model, X: pd.DataFrame | np.ndarray) -> np.ndarray:
    """(n, features) SHAP values for the event class.

    Random forest and XGBoost go straight to TreeExplainer. Bagging averages its trees' probabilities, so its
    SHAP values are the mean of the trees' values (exact). AdaBoost is explained as the estimator-weighted mean
    of its stumps' probability SHAP values, an approximation of SAMME's weighted vote. AdaBoost and XGBoost
    values (vote / log-odds scale) are then rescaled by one least-squares factor so that their row sums track the
    model's predicted probability: ranks are unchanged and the Borda threshold (0.01) means the same thing
    (a probability contribution) for all four algorithms.
    """
    X = np.asarray(X, dtype=np.float64)
    if isinstance(model, BaggingClassifier | AdaBoostClassifier):
        if isinstance(model, BaggingClassifier):
            members = list(zip(model.estimators_, model.estimators_features_, strict=True))
            weights = np.ones(len(members))
        else:
            members = [(e, np.arange(X.shape[1])) for e in model.estimators_]
            weights = np.asarray(model.estimator_weights_[: len(members)], dtype=float)
        total = np.zeros(X.shape)
        for (tree, features), weight in zip(members, weights, strict=True):
            part = _positive_class(shap.TreeExplainer(tree).shap_values(X[:, features]))
            total[:, features] += weight * part
        values = total / max(weights.sum(), 1e-12)
        return _to_probability_scale(model, X, values) if isinstance(model, AdaBoostClassifier) else values
    values = _positive_class(shap.TreeExplainer(model).shap_values(X))
    if isinstance(model, RandomForestClassifier):
        return values
    return _to_probability_scale(model, X, values)


def _to_probability_scale(model, X: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Multiply by the least-squares slope of predicted probability on the SHAP row sums (kept >= 0)."""
    probability = model.predict_proba(X)[:, 1]
    total = values.sum(axis=1)
    centred = total - total.mean()
    denominator = float(centred @ centred)
    if denominator <= 0:
        return values
    slope = float((probability - probability.mean()) @ centred) / denominator
    return values * max(slope, 0.0)


def model_importance(shap_values) -> np.ndarray:
    """One model's importance per feature: the mean |SHAP| over the explained rows (module docstring)."""
    values = np.asarray(shap_values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"expected (rows, features) SHAP values, got shape {values.shape}")
    return np.abs(values).mean(axis=0)


def normalised_ranks(importance: Mapping[str, float], threshold: float = BORDA_THRESHOLD) -> dict[str, float]:
    """One model's Borda points: features above the threshold ranked (k .. 1), others 0, summing to 1."""
    kept = sorted(
        ((f, v) for f, v in importance.items() if v > threshold), key=lambda item: (-item[1], item[0])
    )
    k = len(kept)
    points = {f: 0.0 for f in importance}
    total = k * (k + 1) / 2
    for position, (feature, _) in enumerate(kept):
        points[feature] = (k - position) / total
    return points


def borda_count(
    importances: Mapping[str, Mapping[str, float]], threshold: float = BORDA_THRESHOLD
) -> pd.DataFrame:
    """Aggregate ranking over models: feature, score (sum of normalised ranks), n_models_ranked, rank (1 = top)."""
    features = sorted({f for imp in importances.values() for f in imp})
    score = dict.fromkeys(features, 0.0)
    ranked = dict.fromkeys(features, 0)
    for importance in importances.values():
        full = {f: float(importance.get(f, 0.0)) for f in features}
        for feature, points in normalised_ranks(full, threshold).items():
            score[feature] += points
            ranked[feature] += points > 0
    frame = pd.DataFrame(
        {
            "feature": features,
            "score": [score[f] for f in features],
            "n_models_ranked": [ranked[f] for f in features],
        }
    )
    frame = frame.sort_values(["score", "feature"], ascending=[False, True], kind="mergesort").reset_index(
        drop=True
    )
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame
