"""LASSO benchmark: lambda = the mode of the per-repeat best, ties to the stronger penalty."""

import numpy as np
import pytest
import scipy.sparse as sp

from models_py.models.lasso import LassoBenchmark, best_c_per_repeat, select_mode_c


def test_select_mode_c_picks_the_most_frequent_value():
    assert select_mode_c([1.0, 0.1, 1.0, 10.0, 1.0, 0.1]) == 1.0


def test_select_mode_c_breaks_ties_towards_the_stronger_penalty():
    assert select_mode_c([1.0, 0.1, 1.0, 0.1, 10.0]) == 0.1


def test_best_c_per_repeat_uses_mean_f1_over_folds_and_ties_to_smaller_c():
    Cs = [10.0, 0.1, 1.0]  # unsorted on purpose
    f1 = np.zeros((2, 2, 3))
    f1[0] = [[0.2, 0.5, 0.4], [0.2, 0.1, 0.4]]  # means: C=10 .2, C=.1 .3, C=1 .4 -> 1
    f1[1] = [[0.3, 0.3, 0.3], [0.3, 0.3, 0.3]]  # all equal -> smallest C
    assert best_c_per_repeat(f1, Cs).tolist() == [1.0, 0.1]


class _PlantedCV(LassoBenchmark):
    """Inject per-repeat CV results: repeats 0-2 favour C=1, repeats 3-4 favour C=0.01."""

    def _cv_f1(self, X, y, Cs_ascending):
        f1 = np.zeros((self.n_repeats, self.n_splits, len(Cs_ascending)))
        for r in range(self.n_repeats):
            favourite = 1.0 if r < 3 else 0.01
            f1[r, :, int(np.argmin(np.abs(Cs_ascending - favourite)))] = 0.9
        return f1


def _signal_data(n=300, p=40, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.random((n, p)) < 0.2).astype(float)
    logit = -2.0 + 3.0 * X[:, 0] + 2.0 * X[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return sp.csr_matrix(X), y


def test_fit_selects_the_mode_of_injected_repeats_and_refits():
    X, y = _signal_data()
    model = _PlantedCV(Cs=[0.01, 0.1, 1.0, 10.0], n_repeats=5, n_jobs=1).fit(X, y)
    assert model.best_C_per_repeat_.tolist() == [1.0, 1.0, 1.0, 0.01, 0.01]
    assert model.C_ == 1.0 and model.lambda_ == pytest.approx(1.0)
    assert model.estimator_.C == 1.0
    assert model.predict_proba(X).shape == (X.shape[0], 2)


def test_lasso_finds_the_planted_features_and_is_reproducible():
    X, y = _signal_data()
    a = LassoBenchmark(n_repeats=2, n_jobs=1, random_state=3).fit(X, y)
    b = LassoBenchmark(n_repeats=2, n_jobs=1, random_state=3).fit(X, y)
    assert a.cv_f1_.shape == (2, 5, len(a.Cs))
    coef = a.coef_.ravel()
    assert coef[0] > 0 and coef[1] > 0
    assert np.abs(coef[2:]).max() < coef[:2].min()
    assert np.array_equal(a.cv_f1_, b.cv_f1_) and a.C_ == b.C_


def test_lasso_rejects_a_single_class():
    X, _ = _signal_data(n=20)
    with pytest.raises(ValueError, match="both classes"):
        LassoBenchmark(n_repeats=1, n_jobs=1).fit(X, np.zeros(20, dtype=int))


def test_cross_validation_uses_cv_tol_and_the_refit_uses_tol(monkeypatch):
    from models_py.models import lasso as lasso_module

    tolerances = []
    real = lasso_module.l1_logistic

    def recording(*args, **kwargs):
        tolerances.append(kwargs["tol"])
        return real(*args, **kwargs)

    monkeypatch.setattr(lasso_module, "l1_logistic", recording)
    X, y = _signal_data()
    LassoBenchmark(Cs=[0.1, 1.0], n_repeats=2, n_splits=3, tol=1e-5, cv_tol=1e-2, n_jobs=1).fit(X, y)
    # one model per (repeat, fold) walks the C path, then one refit on all rows
    assert tolerances == [1e-2] * 6 + [1e-5]


def test_looser_cv_tolerance_keeps_the_f1_path_and_the_chosen_lambda():
    X, y = _signal_data(n=600, p=60, seed=4)
    Cs = [0.01, 0.03, 0.1, 0.3, 1.0]
    tight = LassoBenchmark(Cs=Cs, n_repeats=2, cv_tol=1e-4, n_jobs=1).fit(X, y)
    loose = LassoBenchmark(Cs=Cs, n_repeats=2, cv_tol=1e-3, n_jobs=1).fit(X, y)
    assert loose.C_ == tight.C_
    assert np.abs(loose.cv_f1_ - tight.cv_f1_).max() < 0.02
    # the refit does not depend on cv_tol
    assert np.array_equal(loose.coef_, tight.coef_)
