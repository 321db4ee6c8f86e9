"""Stratification study: planted subgroups are recovered, decision curves equal dcurves, outputs are written.

The mart is built here from the generator's own draws (no dbt), scored with the published rules the dbt
model implements (its scoring edges are dbt unit tests in int_stratification_questionnaire_scores).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import ingest.generate.stratification as gen
from models_py.errors import UserInputError
from models_py.evaluate_dca import TREAT_ALL, TREAT_NONE, decision_curves, net_benefit
from models_py.studies.stratification import StratConfig, train_stratification

LEVELS = ("l1_l2", "l2_l3", "l3_l4", "l4_l5", "l5_s1")


def planted_mart(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A mart-shaped frame and the truth table from the generator's measurement model."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    sv = gen._measure(
        rng, np.arange(n), np.arange(n), np.zeros(n), group, np.full((n, 3), 1 / 3), rng.normal(57, 12, n)
    )
    reversed_ = np.isin(np.arange(10), np.array(gen.OREBRO_REVERSED) - 1)
    orebro = np.where(reversed_, 10 - sv.orebro, sv.orebro)
    sbt = sv.sbt.copy()
    sbt[:, 8] = np.where(np.isnan(sbt[:, 8]), np.nan, sbt[:, 8] >= 3)
    frame = pd.DataFrame({"patient_id": [f"p{i:04d}" for i in range(n)]})
    frame["sex"] = np.where(rng.random(n) < 0.5, "F", "M")
    frame["age_at_visit"] = rng.integers(30, 80, n)
    frame["smoking"] = np.where(rng.random(n) < 0.2, "current", "never")
    frame["smoking_current"] = (frame["smoking"] == "current").astype(int)
    frame["bmi"] = rng.normal(27, 4, n)
    for j, lv in enumerate(LEVELS):
        frame[f"dd_{lv}"] = sv.pfirrmann[:, j]
        frame[f"ft_{lv}"] = sv.tropism[:, j]
    for j in range(10):
        frame[f"orebro_q{j + 1}"] = orebro[:, j]
    for j in range(9):
        frame[f"sbt_q{j + 1}"] = sbt[:, j]
    answered = np.isfinite(orebro).sum(axis=1)
    frame["orebro_total"] = np.where(answered >= 8, np.nansum(orebro, axis=1) * 10 / answered, np.nan)
    frame["sbt_total"] = sbt.sum(axis=1)  # NaN when any item is blank, as in the dbt model
    frame["sbt_psychosocial"] = sbt[:, 4:].sum(axis=1)
    frame["sbt_risk_group"] = np.select(
        [frame.sbt_total.isna(), frame.sbt_total <= 3, frame.sbt_psychosocial <= 3],
        [None, "low", "medium"],
        "high",
    )
    frame["lbp_frequency"] = sv.lbp_frequency
    frame["lbp_bothersomeness"] = sv.bothersomeness
    frame["persistent_bothersome_lbp"] = sv.outcome
    frame["complete_case"] = frame.orebro_total.notna() & frame.sbt_total.notna()
    truth = pd.DataFrame({"patient_id": frame.patient_id, "subgroup": np.array(gen.SUBGROUPS)[group]})
    return frame, truth


FAST = StratConfig(ks=(2, 3, 4), n_init=4, stability_bootstrap=8, cv_repeats=1, dca_bootstrap=50)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("strat")
    frame, truth = planted_mart(450, 5)
    (root / "marts").mkdir()
    (root / "truth").mkdir()
    frame.to_parquet(root / "marts" / "mart_stratification_features.parquet", index=False)
    truth.to_parquet(root / "truth" / "stratification.parquet", index=False)
    run_dir = train_stratification(
        root / "marts", root / "runs", progress=False, truth_dir=root / "truth", config=FAST
    )
    return run_dir, json.loads((run_dir / "config.json").read_text())


def test_recovers_the_three_planted_subgroups(run):
    _, summary = run
    assert summary["k"] == 3
    assert summary["ari_vs_truth"] > 0.7
    assert sorted(summary["cluster_names"].values()) == ["degenerative", "mixed", "psychosocial"]
    for acc in summary["accuracy"].values():
        assert acc["mean"] > 0.8


def test_run_folder_has_report_plots_and_bonferroni_profiles(run):
    run_dir, _ = run
    for name in ("report.md", "profiles.png", "decision_curves.png", "k_selection.png", "profiles.parquet"):
        assert (run_dir / name).is_file(), name
    profiles = pd.read_parquet(run_dir / "profiles.parquet")
    assert (profiles.p_bonferroni >= profiles.p).all()
    dd = profiles.set_index("variable").loc["dd_l4_l5"]
    assert dd.test == "Kruskal-Wallis" and dd.p_bonferroni < 0.001


def test_net_benefit_equals_dcurves():
    dcurves = pytest.importorskip("dcurves")
    rng = np.random.default_rng(3)
    y = (rng.random(300) < 0.3).astype(int)
    risk = np.clip(0.3 + 0.3 * (y - 0.3) + rng.normal(0, 0.15, 300), 0.001, 0.999)
    thresholds = np.round(np.arange(0.05, 0.8, 0.05), 2)
    ref = dcurves.dca(
        data=pd.DataFrame({"y": y, "model": risk}), outcome="y", modelnames=["model"], thresholds=thresholds
    )
    ours = decision_curves(y, {"model": risk}, thresholds, n_bootstrap=20)
    for name, theirs in (("model", "model"), (TREAT_ALL, "all"), (TREAT_NONE, "none")):
        expected = ref[ref.model == theirs].sort_values("threshold").net_benefit.to_numpy(float)
        got = ours[ours.strategy == name].sort_values("threshold").net_benefit.to_numpy()
        np.testing.assert_allclose(got, expected, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(net_benefit(y, risk, thresholds), ours[ours.strategy == "model"].net_benefit)


def test_bootstrap_interval_brackets_the_point_estimate():
    rng = np.random.default_rng(0)
    y = (rng.random(200) < 0.4).astype(int)
    curves = decision_curves(y, {"m": rng.random(200)}, [0.2, 0.4], n_bootstrap=200, seed=1)
    m = curves[curves.strategy == "m"]
    assert ((m.p2_5 <= m.net_benefit) & (m.net_benefit <= m.p97_5)).all()
    with pytest.raises(ValueError):
        net_benefit(y, rng.random(200), [0.0, 0.5])


def test_too_few_complete_cases_is_a_user_error(tmp_path):
    frame, _ = planted_mart(40, 1)
    frame["complete_case"] = False
    (tmp_path / "marts").mkdir()
    frame.to_parquet(tmp_path / "marts" / "mart_stratification_features.parquet", index=False)
    with pytest.raises(UserInputError, match="complete cases"):
        train_stratification(tmp_path / "marts", tmp_path / "runs", progress=False, config=FAST)


def test_generator_writes_survey_rows_and_truth(tmp_path):
    from ingest.generate import generate

    card = generate(3000, 2, tmp_path, progress=False)
    section = card["cohorts"]["stratification"]
    obs = pd.read_parquet(tmp_path / "observations.parquet")
    items = obs[obs.name.str.match(r"^(orebro|sbt)_q\d+$")]
    assert items.patient_id.nunique() == section["n"] > 0
    assert set(items.name) == {f"orebro_q{i}" for i in range(1, 11)} | {f"sbt_q{i}" for i in range(1, 10)}
    meas = pd.read_parquet(tmp_path / "imaging_measurements.parquet")
    assert set(meas.measure) == {"pfirrmann_grade", "facet_tropism_deg"}
    assert meas[meas.measure == "pfirrmann_grade"].value.between(1, 5).all()
    truth = pd.read_parquet(tmp_path / "truth" / "stratification.parquet")
    assert set(truth.subgroup) <= set(gen.SUBGROUPS) and len(truth) == section["n"]
