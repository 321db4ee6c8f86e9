"""A small synthetic medication profile mart with planted drivers, shared by the medication trainer tests."""

import numpy as np
import pandas as pd

from models_py.featurize.profile import CATEGORICAL, PROFILE_COLUMNS


def make_profile(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = {c: rng.integers(0, 2, n) for c in PROFILE_COLUMNS if c not in CATEGORICAL}
    frame["age_at_first_imaging"] = rng.integers(18, 90, n)
    frame["year_at_first_imaging"] = rng.integers(2012, 2024, n)
    for c in CATEGORICAL:
        frame[c] = rng.choice(["a", "b", "c"], n).astype(object)
    profile = pd.DataFrame(frame)
    profile.loc[rng.random(n) < 0.2, "smoking_status"] = None
    # planted drivers: later years get fewer opioids, chart stenosis more medication
    logit_nsaid = 1.5 * profile["spinal_stenosis"] - 0.5
    logit_opioid = -0.4 * (profile["year_at_first_imaging"] - 2018) + 1.5 * profile["spinal_stenosis"] - 1.0
    p = np.exp(np.column_stack([np.zeros(n), logit_nsaid, logit_opioid]))
    p /= p.sum(axis=1, keepdims=True)
    cls = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    profile["outcome"] = np.array(["none", "nsaid", "opioid"])[cls]
    profile["patient_id"] = [f"P{i:04d}" for i in range(n)]
    profile["split"] = np.where(rng.random(n) < 0.25, "test", "train")
    profile["has_mri_report"] = True
    return profile
