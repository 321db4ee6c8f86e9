"""End-to-end medication run on a small synthetic mart with planted drivers."""

import numpy as np
import pandas as pd
import pytest

from models_py.errors import UserInputError
from models_py.featurize.profile import CATEGORICAL, PROFILE_COLUMNS
from models_py.studies.medication import MART, summary_table, train_medication


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


@pytest.fixture
def marts(tmp_path):
    folder = tmp_path / "marts"
    folder.mkdir()
    make_profile().to_parquet(folder / f"{MART}.parquet", index=False)
    return folder


def test_small_run_writes_outputs_and_finds_planted_drivers(marts, tmp_path):
    run = train_medication(
        marts,
        tmp_path / "runs",
        outcomes="none_vs_opioids,rest_vs_none",
        datatypes="tabular,text",
        n_bootstrap=50,
        progress=False,
        n_jobs=1,
    )
    for name in ("metrics", "predictions", "shap_values", "borda_ranking", "best_models", "table1"):
        assert (run / f"{name}.parquet").exists()
    assert (run / "report.md").read_text().startswith("# Medication study run")
    assert (run / "plots" / "parallel_coordinates.png").exists()
    metrics = pd.read_parquet(run / "metrics.parquet")
    assert len(metrics.groupby(["outcome", "datatype"])) == 4
    borda = pd.read_parquet(run / "borda_ranking.parquet")
    top = borda[borda["group"] == "tabular"].head(3)["feature"].tolist()
    assert "spinal_stenosis" in top or "year_at_first_imaging" in top
    predictions = pd.read_parquet(run / "predictions.parquet")
    assert predictions["score"].between(0, 1).all()
    assert summary_table(run).row_count == 2


def test_unknown_outcome_is_a_user_error(marts, tmp_path):
    with pytest.raises(UserInputError, match="unknown outcome"):
        train_medication(marts, tmp_path / "runs", outcomes="opioids_vs_everything", progress=False)


def test_missing_mart_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError, match="not found"):
        train_medication(tmp_path, tmp_path / "runs", progress=False)
