"""Table 1 of the medication study: each profile feature's distribution by outcome class, with chi-squared tests
(Bonferroni-corrected over the categorical features) for categorical and binary features and one-way ANOVA for
numeric ones (004_8aea355467337d34.txt, Table 1). Pure function of the profile; counts are exact here and
masked ("<11") by whoever prints them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

NUMERIC = ("age_at_first_imaging", "year_at_first_imaging")


def table1(
    profile: pd.DataFrame, features: Sequence[str], outcome: str = "outcome", numeric: Sequence[str] = NUMERIC
) -> pd.DataFrame:
    """Long table: feature, value ('mean (sd)' row for numbers), class, n, share; plus test, p, p_adjusted."""
    classes = sorted(profile[outcome].unique())
    rows, tests = [], []
    categorical = [f for f in features if f not in numeric]
    for feature in features:
        if feature in numeric:
            values = pd.to_numeric(profile[feature], errors="coerce")
            groups = [values[profile[outcome] == c].dropna() for c in classes]
            for c, g in zip(classes, groups, strict=True):
                rows.append(
                    {
                        "feature": feature,
                        "value": "mean (sd)",
                        "class": c,
                        "n": len(g),
                        "share": np.nan,
                        "mean": g.mean(),
                        "sd": g.std(ddof=1),
                    }
                )
            valid = [g for g in groups if len(g) > 1]
            p = float(stats.f_oneway(*valid).pvalue) if len(valid) >= 2 else np.nan
            tests.append({"feature": feature, "test": "anova", "p": p, "p_adjusted": p})
            continue
        values = profile[feature].astype("string").fillna("missing")
        counts = pd.crosstab(values, profile[outcome]).reindex(columns=classes, fill_value=0)
        for value, row in counts.iterrows():
            for c in classes:
                total = counts[c].sum()
                rows.append(
                    {
                        "feature": feature,
                        "value": str(value),
                        "class": c,
                        "n": int(row[c]),
                        "share": row[c] / total if total else np.nan,
                        "mean": np.nan,
                        "sd": np.nan,
                    }
                )
        p = float(stats.chi2_contingency(counts.to_numpy())[1]) if counts.shape[0] > 1 else np.nan
        tests.append(
            {
                "feature": feature,
                "test": "chi2",
                "p": p,
                "p_adjusted": min(1.0, p * len(categorical)) if np.isfinite(p) else np.nan,
            }
        )
    return pd.DataFrame(rows).merge(pd.DataFrame(tests), on="feature")
