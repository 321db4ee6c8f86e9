"""LASSO benchmark (paper, "Benchmark model").

L1-penalised logistic regression, classes weighted inversely to prevalence.
The penalty lambda (= 1 / C) is chosen by 5-fold stratified cross-validation on
the training rows maximising F1, repeated `n_repeats` times with different fold
assignments; the lambda chosen most often across repeats wins, and the model is
refitted on all training rows.

Ties are broken towards the stronger penalty (smaller C) both within a repeat
(equal mean F1) and across repeats (equal counts): with F1 unchanged, the sparser
model is the safer choice.

Speed. liblinear (the default solver) has no warm start: every (repeat, fold, C)
is an independent fit, 50 x 5 x 9 = 2,250 fits with the paper's protocol. The
warm-started alternatives were measured slower on the 250,000-patient early-task
training matrix (6,224 x 2,837 CSR, about 1 M non-zeros): saga had not converged
after 1,000 iterations at C = 0.0032 (11 s for that one C), and glum's
warm-started L1 path took 17-24 s per 9-C path against 2.9-8.4 s for liblinear.
What makes the search fast instead:
- a looser tolerance for the cross-validation fits only (`cv_tol`, default
  1e-3): one 9-C path per fold took 2.9 s instead of 8.4 s at 1e-4, with the
  same validation F1 at every C except the two weakest penalties (C = 3.2, 10:
  the noisy, overfitted end of the path). A whole search (2 repeats x 5 folds,
  2 threads) took 49 s instead of 121 s and chose the same lambda. The final
  refit on all training rows keeps `tol` (1e-4).
- all cores: liblinear releases the GIL, so joblib threads run folds in
  parallel without copying the matrix (`n_jobs`, default all cores).
- sparse CSR inputs (the featurisers emit CSR; liblinear works on it directly).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import sklearn
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.utils.validation import check_is_fitted

from models_py.progress import progress_bar

DEFAULT_CS = tuple(np.logspace(-3, 1, 9))  # lambda from 1000 down to 0.1, half-decade steps
_NEW_PENALTY_API = tuple(int(p) for p in sklearn.__version__.split(".")[:2]) >= (1, 8)


def l1_logistic(
    C: float,
    solver: str,
    *,
    warm_start: bool = False,
    max_iter: int = 1000,
    tol: float = 1e-4,
    random_state: int | None = None,
) -> LogisticRegression:
    """L1 logistic regression with balanced class weights (scikit-learn >=1.8 spells L1 as l1_ratio=1)."""
    penalty = {"l1_ratio": 1.0} if _NEW_PENALTY_API else {"penalty": "l1"}
    return LogisticRegression(
        C=C,
        solver=solver,
        class_weight="balanced",
        warm_start=warm_start,
        max_iter=max_iter,
        tol=tol,
        random_state=random_state,
        **penalty,
    )


def best_c_per_repeat(f1: np.ndarray, Cs: Sequence[float]) -> np.ndarray:
    """f1 has shape (repeats, folds, Cs); per repeat, the C with the highest mean F1.

    Ties go to the smallest C (strongest penalty).
    """
    order = np.argsort(Cs)  # ascending C = descending penalty
    mean = f1.mean(axis=1)[:, order]
    # argmax returns the first maximum, i.e. the smallest C among ties
    return np.asarray(Cs, dtype=float)[order][np.argmax(mean, axis=1)]


def select_mode_c(best_per_repeat: Sequence[float]) -> float:
    """The C chosen most often across repeats; ties go to the smallest C (strongest penalty)."""
    values, counts = np.unique(np.asarray(best_per_repeat, dtype=float), return_counts=True)
    return float(values[counts == counts.max()].min())


def _fold_f1_path(X, y, train, val, Cs_ascending, solver, max_iter, tol, seed) -> np.ndarray:
    """F1 on the validation fold for each C, from strong to weak penalty (saga warm-starts along it)."""
    import warnings

    model = l1_logistic(
        Cs_ascending[0], solver, warm_start=solver == "saga", max_iter=max_iter, tol=tol, random_state=seed
    )
    X_train, y_train, X_val, y_val = X[train], y[train], X[val], y[val]
    scores = np.empty(len(Cs_ascending))
    with warnings.catch_warnings():
        # strong penalties on a few folds may stop at max_iter; the grid point is still comparable
        warnings.simplefilter("ignore", ConvergenceWarning)
        for i, C in enumerate(Cs_ascending):
            model.set_params(C=C)
            model.fit(X_train, y_train)
            scores[i] = f1_score(y_val, model.predict(X_val), zero_division=0)
    return scores


class LassoBenchmark(ClassifierMixin, BaseEstimator):
    """L1 logistic regression with lambda chosen by repeated stratified CV on F1 (mode across repeats).

    Parameters
    ----------
    Cs : inverse penalties to try (lambda = 1 / C)
    n_splits, n_repeats : folds per repeat and number of repeats (paper: 5 and 50)
    solver : "liblinear" (no warm start; the fastest measured here) or "saga" (warm starts along the path)
    tol : solver tolerance of the final refit on all training rows
    cv_tol : solver tolerance of the cross-validation fits (looser than `tol` for speed; see module doc)
    n_jobs : joblib workers across folds (-1 = all cores)

    Attributes
    ----------
    C_, lambda_ : the selected penalty
    cv_f1_ : ndarray (n_repeats, n_splits, len(Cs)) validation F1, Cs in ascending order
    best_C_per_repeat_ : ndarray (n_repeats,)
    selection_seconds_ : wall time of the lambda search
    estimator_ : the LogisticRegression refitted on all training rows
    """

    def __init__(
        self,
        Cs: Sequence[float] = DEFAULT_CS,
        n_splits: int = 5,
        n_repeats: int = 50,
        solver: str = "liblinear",
        max_iter: int = 1000,
        tol: float = 1e-4,
        cv_tol: float = 1e-3,
        n_jobs: int = -1,
        random_state: int = 0,
        progress: bool = False,
        progress_label: str = "LASSO lambda search",
    ) -> None:
        self.Cs = Cs
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.cv_tol = cv_tol
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.progress = progress
        self.progress_label = progress_label

    def _cv_f1(self, X, y: np.ndarray, Cs_ascending: np.ndarray) -> np.ndarray:
        """Validation F1 for every (repeat, fold, C); overridable in tests."""
        n_splits = min(self.n_splits, int(np.bincount(y).min()))
        splitter = RepeatedStratifiedKFold(
            n_splits=n_splits, n_repeats=self.n_repeats, random_state=self.random_state
        )
        splits = list(splitter.split(np.zeros(len(y)), y))
        jobs = (
            delayed(_fold_f1_path)(
                X, y, tr, va, Cs_ascending, self.solver, self.max_iter, self.cv_tol, self.random_state
            )
            for tr, va in splits
        )
        results = []
        with progress_bar(self.progress) as bar:
            task = bar.add_task(self.progress_label, total=len(splits))
            for scores in Parallel(n_jobs=self.n_jobs, prefer="threads", return_as="generator")(jobs):
                results.append(scores)
                bar.advance(task)
        return np.asarray(results).reshape(self.n_repeats, n_splits, len(Cs_ascending))

    def fit(self, X, y) -> LassoBenchmark:
        y = np.asarray(y).astype(int)
        if len(np.unique(y)) < 2:
            raise ValueError("LASSO needs both classes in the training rows")
        if int(np.bincount(y).min()) < 2:
            raise ValueError(
                "LASSO cross-validation needs at least 2 patients of each class in the training rows"
            )
        Cs_ascending = np.sort(np.asarray(self.Cs, dtype=float))
        start = time.perf_counter()
        self.cv_f1_ = self._cv_f1(X, y, Cs_ascending)
        self.best_C_per_repeat_ = best_c_per_repeat(self.cv_f1_, Cs_ascending)
        self.C_ = select_mode_c(self.best_C_per_repeat_)
        self.lambda_ = 1.0 / self.C_
        self.selection_seconds_ = time.perf_counter() - start
        self.estimator_ = l1_logistic(
            self.C_, self.solver, max_iter=self.max_iter, tol=self.tol, random_state=self.random_state
        ).fit(X, y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)

    @property
    def coef_(self) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return self.estimator_.coef_


def top_coefficients(model: LassoBenchmark, names: Sequence[str], k: int = 10) -> list[tuple[str, float]]:
    """The k largest and k smallest non-zero coefficients (paper's Tables S3-S5)."""
    coef = model.coef_.ravel()
    nonzero = np.flatnonzero(coef)
    order = nonzero[np.argsort(coef[nonzero])]
    picked = list(order[::-1][:k]) + list(order[:k][::-1])
    seen: set[int] = set()
    return [(names[i], float(coef[i])) for i in picked if not (i in seen or seen.add(i))]
