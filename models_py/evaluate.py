"""Evaluation shared by every study: metrics, bootstrap, tests, calibration, subgroups.

Pure functions of (labels, scores); no I/O.

Decision threshold
------------------
Threshold metrics (recall, specificity, balanced accuracy, precision, F1) use a
fixed threshold of 0.5 on the predicted probability by default. All models here
are trained with class weights inverse to prevalence, which moves their 0.5
point to the balanced operating point; a fixed rule needs no extra data, cannot
leak test labels, and is the rule the LASSO F1 search itself uses (scikit-learn's
predict). A study may instead pass one threshold per model, chosen without test
rows (the surgery networks use the threshold that maximised F1 on their
validation rows). AUC and AUPRC do not depend on a threshold.

Conventions for degenerate cases (a bootstrap sample can draw no positives):
recall, specificity, balanced accuracy, AUC and AUPRC are undefined (NaN) when a
class they need is absent; precision and F1 are 0 when nothing is predicted
positive (scikit-learn's zero_division=0). Summaries ignore NaN and report how
many resamples were valid. AUPRC is average precision (scikit-learn's
average_precision_score), the step-wise area that does not interpolate.

Significance follows the paper: a t-test (Welch) between two models' bootstrap
distributions, with Bonferroni correction (p x number of comparisons, capped at
1). Because the bootstrap size is arbitrary, such p-values shrink as resamples
are added; read them together with the intervals.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ingest.privacy import suppress

METRICS = ("recall", "specificity", "balanced_accuracy", "precision", "f1", "auc", "auprc")
DEFAULT_THRESHOLD = 0.5
STATISTICS = ("point", "mean", "sd", "p2_5", "p97_5", "n_valid")
SUBGROUP_ATTRIBUTES = ("sex", "race", "ethnicity", "site")
_CELLS_PER_CHUNK = 4_000_000  # bootstrap rows x patients processed at once (~100 MB of float64 work arrays)


def mask_count(n: int) -> str:
    """Small-cell suppression for printed reports: counts 1..10 print as '<11' (threshold configurable)."""
    return suppress(int(n)).replace(",", "")


def _check(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y).astype(int)
    score = np.asarray(score, dtype=float)
    if y.shape != score.shape or y.ndim != 1:
        raise ValueError(
            f"labels and scores must be 1-D and the same length, got {y.shape} and {score.shape}"
        )
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0/1")
    if not np.isfinite(score).all():
        raise ValueError("scores must be finite")
    return y, score


def _weighted_metrics(
    y: np.ndarray, score: np.ndarray, weights: np.ndarray, threshold: float
) -> dict[str, np.ndarray]:
    """All metrics for each row of `weights` (b, n): row r is a sample holding patient i weights[r, i] times.

    A bootstrap resample is exactly such a weighting, so one sort of the scores
    serves every resample and the work is matrix arithmetic.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        pred = score >= threshold
        tp = weights @ (y * pred)
        fn = weights @ (y * ~pred)
        fp = weights @ ((1 - y) * pred)
        tn = weights @ ((1 - y) * ~pred)
        pos, neg = tp + fn, fp + tn
        recall = np.where(pos > 0, tp / pos, np.nan)
        specificity = np.where(neg > 0, tn / neg, np.nan)
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        balanced = (recall + specificity) / 2

        # ranking metrics: cumulative weighted positives/negatives at each distinct score, high to low
        order = np.argsort(-score, kind="mergesort")
        s_sorted, y_sorted = score[order], y[order]
        group_end = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s_sorted) - 1]
        w_sorted = weights[:, order]
        tps = np.cumsum(w_sorted * y_sorted, axis=1)[:, group_end]
        fps = np.cumsum(w_sorted * (1 - y_sorted), axis=1)[:, group_end]
        zeros = np.zeros((len(weights), 1))
        tps0, fps0 = np.hstack([zeros, tps]), np.hstack([zeros, fps])
        d_tp, d_fp = np.diff(tps0, axis=1), np.diff(fps0, axis=1)
        both = (pos > 0) & (neg > 0)
        auc = np.sum(d_fp * (tps0[:, 1:] + tps0[:, :-1]) / 2, axis=1) / (pos * neg)
        auc = np.where(both, auc, np.nan)
        prec_curve = np.where(tps + fps > 0, tps / (tps + fps), 0.0)
        auprc = np.where(pos > 0, np.sum(d_tp * prec_curve, axis=1) / pos, np.nan)
    return {
        "recall": recall,
        "specificity": specificity,
        "balanced_accuracy": balanced,
        "precision": precision,
        "f1": f1,
        "auc": auc,
        "auprc": auprc,
    }


def point_metrics(y, score, threshold: float = DEFAULT_THRESHOLD) -> dict[str, float]:
    """Every metric on the full set (no resampling)."""
    y, score = _check(y, score)
    values = _weighted_metrics(y, score, np.ones((1, len(y))), threshold)
    return {k: float(v[0]) for k, v in values.items()}


def bootstrap_indices(n: int, n_bootstrap: int, seed: int) -> np.ndarray:
    """All resample index arrays at once, shape (n_bootstrap, n), from a seeded numpy Generator."""
    return np.random.default_rng(seed).integers(0, n, size=(n_bootstrap, n))


def bootstrap_metrics(y, score, indices: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """One row per resample (same order as `indices`), one column per metric.

    Pass the same `indices` to every model evaluated on a test set so their
    distributions are paired resample by resample.
    """
    y, score = _check(y, score)
    n = len(y)
    indices = np.asarray(indices)
    if indices.ndim != 2 or indices.shape[1] != n:
        raise ValueError(f"bootstrap indices must have shape (B, {n}), got {indices.shape}")
    chunk = max(1, _CELLS_PER_CHUNK // max(n, 1))
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, len(indices), chunk):
        block = indices[start : start + chunk]
        b = len(block)
        flat = (np.arange(b)[:, None] * n + block).ravel()
        weights = np.bincount(flat, minlength=b * n).reshape(b, n).astype(float)
        parts.append(_weighted_metrics(y, score, weights, threshold))
    return pd.DataFrame({m: np.concatenate([p[m] for p in parts]) for m in METRICS})


def summarize_bootstrap(boot: pd.DataFrame, point: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Long table: metric, statistic (point, mean, sd, p2_5, p97_5, n_valid), value."""
    rows = []
    for metric in boot.columns:
        values = boot[metric].to_numpy(dtype=float)
        valid = values[~np.isnan(values)]
        summary = {
            "point": np.nan if point is None else point.get(metric, np.nan),
            "mean": valid.mean() if len(valid) else np.nan,
            "sd": valid.std(ddof=1) if len(valid) > 1 else np.nan,
            "p2_5": np.percentile(valid, 2.5) if len(valid) else np.nan,
            "p97_5": np.percentile(valid, 97.5) if len(valid) else np.nan,
            "n_valid": float(len(valid)),
        }
        rows += [{"metric": metric, "statistic": s, "value": float(summary[s])} for s in STATISTICS]
    return pd.DataFrame(rows)


def compare_bootstrap(a: Sequence[float], b: Sequence[float], n_comparisons: int = 1) -> dict[str, float]:
    """Welch t-test between two bootstrap distributions; p_adjusted = min(1, p x n_comparisons)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) < 2 or len(b) < 2:
        return {"mean_difference": np.nan, "t": np.nan, "p": np.nan, "p_adjusted": np.nan}
    result = stats.ttest_ind(a, b, equal_var=False)
    p = float(result.pvalue)
    return {
        "mean_difference": float(a.mean() - b.mean()),
        "t": float(result.statistic),
        "p": p,
        "p_adjusted": min(1.0, p * n_comparisons) if np.isfinite(p) else np.nan,
    }


def _logit(p: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    p = np.clip(p, eps, 1 - eps)
    return np.log(p / (1 - p))


def calibration_slope_intercept(y, score, max_iter: int = 100) -> tuple[float, float]:
    """Logistic recalibration: fit P(y=1) = sigmoid(a + b * logit(score)); return (b, a).

    Perfect calibration gives slope 1 and intercept 0. Unpenalised Newton-Raphson;
    NaN when only one class is present. Class-weighted models are deliberately
    shifted towards the balanced point, so expect intercepts well below 0 for them.
    """
    y, score = _check(y, score)
    if len(np.unique(y)) < 2:
        return float("nan"), float("nan")
    x = np.column_stack([np.ones(len(y)), _logit(score)])
    beta = np.zeros(2)
    for _ in range(max_iter):
        p = 1 / (1 + np.exp(-(x @ beta)))
        grad = x.T @ (y - p)
        hess = (x * (p * (1 - p))[:, None]).T @ x
        try:
            step = np.linalg.solve(hess + 1e-10 * np.eye(2), grad)
        except np.linalg.LinAlgError:
            break
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(beta[1]), float(beta[0])


def calibration_summary(y, score) -> dict[str, float]:
    y, score = _check(y, score)
    slope, intercept = calibration_slope_intercept(y, score)
    return {
        "brier": float(np.mean((score - y) ** 2)),
        "calibration_slope": slope,
        "calibration_intercept": intercept,
        "mean_predicted": float(score.mean()),
        "observed_rate": float(y.mean()),
    }


def reliability_curve(y, score, n_bins: int = 10) -> pd.DataFrame:
    """Quantile bins of the score: mean predicted, observed rate and count per bin."""
    y, score = _check(y, score)
    edges = np.unique(np.quantile(score, np.linspace(0, 1, n_bins + 1)))
    if len(edges) < 2:
        edges = np.array([score.min(), score.max() + 1e-12])
    bins = np.clip(np.searchsorted(edges, score, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for b in np.unique(bins):
        mask = bins == b
        rows.append(
            {
                "bin": int(b),
                "mean_predicted": float(score[mask].mean()),
                "observed_rate": float(y[mask].mean()),
                "n": int(mask.sum()),
            }
        )
    return pd.DataFrame(rows)


def subgroup_auc(
    y, score, groups: pd.DataFrame, attributes: Sequence[str] = SUBGROUP_ATTRIBUTES
) -> pd.DataFrame:
    """AUC within each level of each attribute, with counts; AUC is NaN for a one-class subgroup."""
    y, score = _check(y, score)
    rows = []
    for attribute in attributes:
        if attribute not in groups.columns:
            continue
        levels = groups[attribute].astype("string").fillna("unknown").to_numpy()
        for level in sorted(set(levels)):
            mask = levels == level
            sub_y = y[mask]
            auc = point_metrics(sub_y, score[mask])["auc"] if 0 < sub_y.sum() < len(sub_y) else np.nan
            rows.append(
                {
                    "attribute": attribute,
                    "group": str(level),
                    "n": int(mask.sum()),
                    "n_positive": int(sub_y.sum()),
                    "auc": float(auc),
                }
            )
    return pd.DataFrame(rows, columns=["attribute", "group", "n", "n_positive", "auc"])


COMPARISON_COLUMNS = [
    "test_set",
    "metric",
    "model_a",
    "model_b",
    "n_comparisons",
    "mean_difference",
    "t",
    "p",
    "p_adjusted",
]


def evaluate_predictions(
    predictions: pd.DataFrame,
    patients: pd.DataFrame,
    models: Sequence[str],
    n_bootstrap: int,
    seed: int,
    threshold: float | Mapping[str, float] = DEFAULT_THRESHOLD,
    pairs: Sequence[tuple[str, str, int]] = (),
) -> dict[str, pd.DataFrame]:
    """Metrics, bootstrap, comparisons, calibration and subgroups for every test set and model.

    `threshold` is one decision threshold for every model or a mapping model -> threshold.

    `predictions` has patient_id, model, split, test_set, score, label; `patients` holds the subgroup
    attributes. `pairs` lists (model_a, model_b, n_comparisons) for the Welch tests on the paired
    bootstrap distributions, Bonferroni-adjusted by n_comparisons.
    """
    test = predictions[predictions["split"] == "test"]
    groups = patients.set_index("patient_id")
    metric_rows, boot_frames, comp_rows, rel_frames, sub_frames = [], [], [], [], []
    for test_set, rows_set in test.groupby("test_set", sort=False):
        boots: dict[str, pd.DataFrame] = {}
        indices = None
        for model in models:
            rows = rows_set[rows_set["model"] == model]
            y, s = rows["label"].to_numpy(), rows["score"].to_numpy()
            if indices is None:
                # one set of resamples per test set, shared by every model (paired distributions)
                indices = bootstrap_indices(len(y), n_bootstrap, seed)
            cut = threshold[model] if isinstance(threshold, Mapping) else threshold
            point = point_metrics(y, s, cut)
            boot = bootstrap_metrics(y, s, indices, cut)
            boots[model] = boot
            summary = summarize_bootstrap(boot, point)
            calib = calibration_summary(y, s)
            summary = pd.concat(
                [
                    summary,
                    pd.DataFrame([{"metric": k, "statistic": "point", "value": v} for k, v in calib.items()]),
                ],
                ignore_index=True,
            )
            metric_rows.append(summary.assign(test_set=test_set, model=model))
            boot_frames.append(boot.assign(test_set=test_set, model=model, resample=np.arange(len(boot))))
            rel_frames.append(reliability_curve(y, s).assign(test_set=test_set, model=model))
            sub = subgroup_auc(y, s, groups.loc[rows["patient_id"]].reset_index())
            sub_frames.append(sub.assign(test_set=test_set, model=model))
        for a, b, k in pairs:
            for metric in METRICS:
                with warnings.catch_warnings():
                    # identical distributions (a model that learned nothing) make scipy warn; p is NaN then
                    warnings.simplefilter("ignore", RuntimeWarning)
                    result = compare_bootstrap(boots[a][metric], boots[b][metric], n_comparisons=k)
                comp_rows.append(
                    {
                        "test_set": test_set,
                        "metric": metric,
                        "model_a": a,
                        "model_b": b,
                        "n_comparisons": k,
                        **result,
                    }
                )
    metric_cols = ["test_set", "model", "metric", "statistic", "value"]
    return {
        "metrics": pd.concat(metric_rows, ignore_index=True)[metric_cols],
        "bootstrap": pd.concat(boot_frames, ignore_index=True),
        "comparisons": pd.DataFrame(comp_rows, columns=COMPARISON_COLUMNS),
        "reliability": pd.concat(rel_frames, ignore_index=True),
        "subgroups": pd.concat(sub_frames, ignore_index=True),
    }
