"""SHAP summary plot that shows groups of patients, never one patient.

SHAP's beeswarm (and its violin, which scatters the points underneath) draws one dot per explained patient,
coloured by that patient's feature value: two red dots on a 'fibromyalgia' row tell a reader that two test
patients had the diagnosis. Here each feature row shows, for every value of the feature (numbers with many
values in quantile bins), the mean SHAP value and its interquartile range over the patients holding that
value, coloured low to high like the beeswarm, so the direction of each feature's effect still reads off the
plot. A value held by 1 to the suppression threshold explained patients is not drawn (ingest/privacy.py).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: servers that train models have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ingest.privacy import suppression_threshold  # noqa: E402

N_BINS = 5  # quantile bins for a feature with more distinct values than this


def feature_levels(values: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Level index per row, ordered low to high: the distinct value, or its quantile bin for many values."""
    values = np.asarray(values, dtype=float)
    distinct = np.unique(values[~np.isnan(values)])
    if len(distinct) <= n_bins:
        return np.searchsorted(distinct, values)  # NaN sorts past the last value: its own top level
    edges = np.unique(np.nanquantile(values, np.linspace(0, 1, n_bins + 1))[1:-1])
    return np.searchsorted(edges, values, side="right")


def level_summary(shap_values: np.ndarray, features: pd.DataFrame, max_display: int = 15) -> pd.DataFrame:
    """One row per (feature, level) of the `max_display` features with the largest mean |SHAP|: n, mean,
    quartiles and whether the level is hidden (1 to the suppression threshold patients)."""
    shap_values = np.asarray(shap_values, dtype=float)
    limit = suppression_threshold()
    order = np.argsort(-np.abs(shap_values).mean(axis=0), kind="stable")[:max_display]
    rows = []
    for rank, i in enumerate(order):
        levels = feature_levels(features.iloc[:, i].to_numpy())
        present = np.unique(levels)
        for position, level in enumerate(present):
            s = shap_values[levels == level, i]
            rows.append(
                {
                    "rank": rank,
                    "feature": str(features.columns[i]),
                    "level": position,
                    "n_levels": len(present),
                    "hidden": 0 < len(s) <= limit,
                    "mean": float(s.mean()),
                    "q25": float(np.percentile(s, 25)),
                    "q75": float(np.percentile(s, 75)),
                }
            )
    return pd.DataFrame(rows)


def plot_shap_by_level(
    shap_values: np.ndarray, features: pd.DataFrame, path: Path, title: str, max_display: int = 15
) -> pd.DataFrame:
    """Draw the summary (module docstring) to `path`; return the drawn table without its hidden levels."""
    table = level_summary(shap_values, features, max_display)
    n_features = int(table["rank"].max()) + 1 if len(table) else 0
    fig, ax = plt.subplots(figsize=(7, 0.45 * n_features + 1.6))
    cmap = plt.get_cmap("coolwarm")
    shown = table[~table["hidden"]]
    for r in shown.itertuples():
        y = n_features - 1 - r.rank + (r.level - (r.n_levels - 1) / 2) * min(0.6 / r.n_levels, 0.15)
        color = cmap(r.level / max(r.n_levels - 1, 1))
        ax.hlines(y, r.q25, r.q75, color=color, linewidth=2)
        ax.plot(r.mean, y, "o", color=color, markersize=5)
    features_shown = table.drop_duplicates("rank").sort_values("rank")["feature"].tolist()
    ax.set_yticks(range(n_features), features_shown[::-1], fontsize=8)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set(xlabel="SHAP value: mean and interquartile range per feature value", title=title)
    colorbar = fig.colorbar(plt.cm.ScalarMappable(cmap=cmap), ax=ax, ticks=[0, 1])
    colorbar.ax.set_yticklabels(["low", "high"])
    colorbar.set_label("Feature value")
    if table["hidden"].any():
        fig.text(
            0.01,
            0.01,
            f"Values held by 1 to {suppression_threshold()} explained patients are not drawn.",
            fontsize=7,
        )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return shown.reset_index(drop=True)
