"""Decision-curve analysis (Vickers & Elkin 2006): net benefit of acting on a risk estimate.

Net benefit at threshold probability pt = TP/n - FP/n x pt / (1 - pt), treating everyone whose risk is
>= pt (the same rule as the `dcurves` package, which the tests use as the reference). "Treat all" treats
everyone (risk 1); "treat none" has net benefit 0. Pure functions; bootstrap resamples come from
`evaluate.bootstrap_indices` so every strategy is evaluated on the same resamples.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from models_py.evaluate import bootstrap_indices

TREAT_ALL, TREAT_NONE = "treat_all", "treat_none"


def _check(y, risk, thresholds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y).astype(int)
    risk = np.asarray(risk, dtype=float)
    thresholds = np.asarray(thresholds, dtype=float)
    if y.shape != risk.shape or y.ndim != 1:
        raise ValueError(f"labels and risks must be 1-D and the same length, got {y.shape} and {risk.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0/1")
    if not ((thresholds > 0) & (thresholds < 1)).all():
        raise ValueError("thresholds must lie strictly between 0 and 1")
    return y, risk, thresholds


def _weighted_net_benefit(y, risk, thresholds, weights: np.ndarray) -> np.ndarray:
    """(rows of weights, thresholds) net benefit; a weight row is a resample (counts per patient)."""
    treat = risk[:, None] >= thresholds[None, :]
    n = weights.sum(axis=1, keepdims=True)
    tp = weights @ (treat & (y[:, None] == 1))
    fp = weights @ (treat & (y[:, None] == 0))
    return tp / n - fp / n * (thresholds / (1 - thresholds))[None, :]


def net_benefit(y, risk, thresholds) -> np.ndarray:
    """Net benefit of treating patients with risk >= each threshold."""
    y, risk, thresholds = _check(y, risk, thresholds)
    return _weighted_net_benefit(y, risk, thresholds, np.ones((1, len(y))))[0]


def decision_curves(
    y,
    risks: Mapping[str, np.ndarray],
    thresholds,
    *,
    n_bootstrap: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Long table: strategy, threshold, net_benefit, p2_5, p97_5 (percentile bootstrap), for every
    strategy in `risks` plus treat-all and treat-none, all on the same resamples; n_treated_positive and
    n_treated_negative are the point estimate's TP and FP counts (a report must not let a small one be solved
    for: net benefit with n printed is a linear function of them)."""
    y = np.asarray(y).astype(int)
    strategies = {**{k: np.asarray(v, dtype=float) for k, v in risks.items()}, TREAT_ALL: np.ones(len(y))}
    idx = bootstrap_indices(len(y), n_bootstrap, seed)
    n = len(y)
    flat = (np.arange(n_bootstrap)[:, None] * n + idx).ravel()
    weights = np.bincount(flat, minlength=n_bootstrap * n).reshape(n_bootstrap, n).astype(float)
    rows = []
    for name, risk in strategies.items():
        y_, risk_, t = _check(y, risk, thresholds)
        point = _weighted_net_benefit(y_, risk_, t, np.ones((1, n)))[0]
        boot = _weighted_net_benefit(y_, risk_, t, weights)
        low, high = np.percentile(boot, [2.5, 97.5], axis=0)
        treat = risk_[:, None] >= t[None, :]
        rows.append(
            pd.DataFrame(
                {
                    "strategy": name,
                    "threshold": t,
                    "net_benefit": point,
                    "p2_5": low,
                    "p97_5": high,
                    "n_treated_positive": (treat & (y_[:, None] == 1)).sum(axis=0),
                    "n_treated_negative": (treat & (y_[:, None] == 0)).sum(axis=0),
                }
            )
        )
    t = np.asarray(thresholds, dtype=float)
    zeros = np.zeros(len(t))
    rows.append(
        pd.DataFrame(
            {
                "strategy": TREAT_NONE,
                "threshold": t,
                "net_benefit": zeros,
                "p2_5": zeros,
                "p97_5": zeros,
                "n_treated_positive": np.zeros(len(t), dtype=int),
                "n_treated_negative": np.zeros(len(t), dtype=int),
            }
        )
    )
    return pd.concat(rows, ignore_index=True)


def reveals_small_count(curves: pd.DataFrame, n_positive: int, n_negative: int, limit: int) -> pd.Series:
    """Per row of `decision_curves`: True when its treated or untreated positives or negatives number 1 to
    `limit`. With n and the prevalence known, net benefit at two thresholds treating the same patients solves
    for TP and FP, and the untreated counts follow by subtraction, so such a cell must be hidden."""
    counts = [
        curves["n_treated_positive"],
        curves["n_treated_negative"],
        n_positive - curves["n_treated_positive"],
        n_negative - curves["n_treated_negative"],
    ]
    return pd.concat([(c > 0) & (c <= limit) for c in counts], axis=1).any(axis=1)
