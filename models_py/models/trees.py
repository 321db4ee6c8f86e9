"""Tree ensembles tuned by grid search, best algorithm by cross-validated balanced accuracy
(004_8aea355467337d34.txt, Methods: random forest, bagging, AdaBoost and XGBoost; 5-fold cross-validation;
"the best models were selected based on highest validation balanced accuracy").

Every fit weights classes inversely to their prevalence, so the fixed 0.5 threshold of
models_py/evaluate.py sits at the balanced operating point for all four algorithms. Bagging is the exception
in how: scikit-learn's BaggingClassifier spends sample weights only on which rows each tree draws, so without
bootstrapping and with max_samples=1.0 every tree would get every row and the weights would vanish. Its trees
weight classes themselves instead (class_weight="balanced" on the rows each one is given).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import AdaBoostClassifier, BaggingClassifier, RandomForestClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.class_weight import compute_sample_weight
from xgboost import XGBClassifier

ALGORITHMS = ("random_forest", "bagging", "adaboost", "xgboost")

# "small" runs in minutes on a laptop; "paper" covers the hyperparameters the paper names (trees count, depth,
# samples per split and leaf, bootstrapping, estimator count).
GRIDS: dict[str, dict[str, dict[str, list]]] = {
    "small": {
        "random_forest": {"n_estimators": [100], "max_depth": [4, 8], "min_samples_leaf": [5]},
        "bagging": {"n_estimators": [30], "max_samples": [0.5]},
        "adaboost": {"n_estimators": [50], "learning_rate": [0.5]},
        "xgboost": {"n_estimators": [100], "max_depth": [3], "learning_rate": [0.1]},
    },
    "paper": {
        "random_forest": {
            "n_estimators": [100, 300],
            "max_depth": [None, 5, 10],
            "min_samples_split": [2, 10],
            "min_samples_leaf": [1, 5],
            "bootstrap": [True, False],
        },
        "bagging": {"n_estimators": [50, 100], "max_samples": [0.5, 1.0], "bootstrap": [True, False]},
        "adaboost": {"n_estimators": [50, 100, 200], "learning_rate": [0.1, 0.5, 1.0]},
        "xgboost": {"n_estimators": [100, 300], "max_depth": [3, 5, 7], "learning_rate": [0.05, 0.1]},
    },
}


def make_estimator(algorithm: str, seed: int):
    """An untuned estimator; one thread each, since the study runs cells in parallel."""
    if algorithm == "random_forest":
        return RandomForestClassifier(random_state=seed, n_jobs=1)
    if algorithm == "bagging":
        return BaggingClassifier(
            DecisionTreeClassifier(min_samples_leaf=5, class_weight="balanced", random_state=seed),
            random_state=seed,
            n_jobs=1,
        )
    if algorithm == "adaboost":
        return AdaBoostClassifier(DecisionTreeClassifier(max_depth=1, random_state=seed), random_state=seed)
    if algorithm == "xgboost":
        return XGBClassifier(
            random_state=seed, n_jobs=1, tree_method="hist", eval_metric="logloss", verbosity=0
        )
    raise ValueError(f"unknown algorithm '{algorithm}'; choose from: {', '.join(ALGORITHMS)}")


@dataclass
class TunedTree:
    algorithm: str
    params: dict
    cv_balanced_accuracy: float
    estimator: object  # refitted on all training rows
    cv_by_algorithm: dict[str, float]


def tune_best_tree(X: np.ndarray, y: np.ndarray, grid: str, seed: int, n_folds: int = 5) -> TunedTree:
    """Grid-search each algorithm (stratified k-fold, balanced accuracy); return the best, refitted."""
    if grid not in GRIDS:
        raise ValueError(f"unknown grid '{grid}'; use one of: {', '.join(GRIDS)}")
    weights = compute_sample_weight("balanced", y)
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    best: TunedTree | None = None
    scores: dict[str, float] = {}
    for algorithm in ALGORITHMS:
        search = GridSearchCV(
            make_estimator(algorithm, seed),
            GRIDS[grid][algorithm],
            scoring="balanced_accuracy",
            cv=folds,
            n_jobs=1,
            refit=True,
        )
        # bagging's trees weight classes themselves (see the module docstring)
        search.fit(X, y, **({} if algorithm == "bagging" else {"sample_weight": weights}))
        scores[algorithm] = float(search.best_score_)
        # ties keep the earlier algorithm, so the choice is deterministic
        if best is None or search.best_score_ > best.cv_balanced_accuracy:
            best = TunedTree(
                algorithm, dict(search.best_params_), float(search.best_score_), search.best_estimator_, {}
            )
    assert best is not None
    best.cv_by_algorithm = scores
    return best
