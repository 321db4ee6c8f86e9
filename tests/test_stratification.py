"""Stratification study: one stratification per questionnaire (SBT-based, ÖMPSQ-short-based), planted
subgroups are recovered, decision curves equal dcurves, outputs are written.

The mart is built here from the generator's own draws (no dbt), scored with the published rules the dbt
model implements (its scoring edges are dbt unit tests in int_stratification_questionnaire_scores).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

import ingest.generate.stratification as gen
from models_py.errors import UserInputError
from models_py.evaluate_dca import TREAT_ALL, TREAT_NONE, decision_curves, net_benefit
from models_py.models.robust_kmeans import RobustKMeans, choose_k, select_k
from models_py.studies.stratification import (
    FRAMEWORKS,
    OREBRO_ITEMS,
    PROFILE_CONTINUOUS,
    SBT_ITEMS,
    StratConfig,
    load_features,
    stratify,
    summary_table,
    train_stratification,
)

LEVELS = ("l1_l2", "l2_l3", "l3_l4", "l4_l5", "l5_s1")


def planted_mart(n: int, seed: int, bmi_missing: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A mart-shaped frame and the truth table from the generator's measurement model.

    Subgroup shares are unequal like the generator's (degenerative commonest); `bmi_missing` blanks BMI
    and, at two thirds of that rate, smoking, as in EHR data where neither was ever recorded."""
    rng = np.random.default_rng(seed)
    group = (rng.random(n)[:, None] > np.cumsum([0.33, 0.41, 0.26])).sum(axis=1).clip(0, 2)
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
    frame["bmi"] = np.where(rng.random(n) < bmi_missing, np.nan, rng.normal(27, 4, n))
    no_smoking = rng.random(n) < bmi_missing * 2 / 3
    frame["smoking"] = frame["smoking"].where(~no_smoking, None)
    frame["smoking_current"] = frame["smoking_current"].astype(float).where(~no_smoking)
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


def test_each_framework_recovers_planted_structure_and_validates_on_its_own_clusters(run):
    _, summary = run
    assert set(summary["frameworks"]) == {"sbt_based", "orebro_based"}
    orebro = summary["frameworks"]["orebro_based"]
    assert orebro["k"] == 3 and orebro["ari_vs_truth"] > 0.7
    assert sorted(orebro["cluster_names"].values()) == ["degenerative", "mixed", "psychosocial"]
    # 001 finds three subgroups with either questionnaire: the 0/1 STarT Back items must carry enough of the
    # psychosocial factor for a bootstrap-stable k = 3 on a few hundred participants too
    sbt = summary["frameworks"]["sbt_based"]
    assert sbt["k"] == 3 and sbt["ari_vs_truth"] > 0.7
    assert sorted(sbt["cluster_names"].values()) == ["degenerative", "mixed", "psychosocial"]
    for fw in summary["frameworks"].values():
        assert fw["accuracy"]["mean"] > 0.8
    assert 0 < summary["ari_between_frameworks"] < 1


def test_a_framework_clusters_on_its_own_questionnaire_only(tmp_path):
    """Paper 001 reports an SBT-based and an ÖMPSQ-short-based stratification: scrambling the Örebro answers
    must leave the SBT-based clusters unchanged and the reverse (a joint clustering would move both)."""
    frame = load_features(write_mart(tmp_path, planted_mart(300, 2)[0])).frame
    rng = np.random.default_rng(0)
    cfg = StratConfig(ks=(2, 3), n_init=2, stability_bootstrap=2, gap_references=3, cv_repeats=1)
    for name, other in (("sbt_based", OREBRO_ITEMS), ("orebro_based", SBT_ITEMS)):
        assert not set(other) & set(FRAMEWORKS[name])
        scrambled = frame.copy()
        scrambled[list(other)] = rng.permuted(frame[list(other)].to_numpy(), axis=0)
        first, second = (stratify(f, name, cfg, None) for f in (frame, scrambled))
        assert np.array_equal(first.labels, second.labels), name
        assert first.accuracy == second.accuracy


def test_run_folder_has_report_plots_and_bonferroni_profiles(run):
    run_dir, summary = run
    names = [
        "report.md",
        "decision_curves.png",
        "profiles.parquet",
        "k_selection.parquet",
        "clusters.parquet",
    ]
    names += [f"{kind}_{fw}.png" for kind in ("profiles", "k_selection") for fw in FRAMEWORKS]
    for name in names:
        assert (run_dir / name).is_file(), name
    profiles = pd.read_parquet(run_dir / "profiles.parquet")
    assert (profiles.p_bonferroni >= profiles.p).all()
    for fw in FRAMEWORKS:
        dd = profiles[profiles.framework == fw].set_index("variable").loc["dd_l4_l5"]
        assert dd.test == "Kruskal-Wallis" and dd.p_bonferroni < 0.001
    k_table = pd.read_parquet(run_dir / "k_selection.parquet")
    assert set(k_table.framework) == set(FRAMEWORKS) and len(k_table) == 2 * len(FAST.ks)
    clusters = pd.read_parquet(run_dir / "clusters.parquet")
    assert list(clusters.columns) == ["patient_id", "cluster_sbt_based", "cluster_orebro_based"]
    for fw in FRAMEWORKS:
        assert clusters[f"cluster_{fw}"].nunique() == summary["frameworks"][fw]["k"]
    curves = pd.read_parquet(run_dir / "decision_curves.parquet")
    assert {"stratified_sbt_based", "stratified_orebro_based", "sbt_risk_group"} < set(curves.strategy)
    report = (run_dir / "report.md").read_text()
    assert "## SBT-based stratification" in report and "## ÖMPSQ-short-based stratification" in report
    sbt_section = report.split("## SBT-based stratification")[1].split("## ÖMPSQ-short-based")[0]
    k_sbt = summary["frameworks"]["sbt_based"]["k"]
    assert f"cluster_{k_sbt - 1} |" in sbt_section and f"cluster_{k_sbt} |" not in sbt_section
    table = summary_table(run_dir)
    assert "SBT-based" in table.title and "ÖMPSQ-short-based" in table.title


def test_report_hides_net_benefit_when_an_outcome_class_is_small(run):
    from models_py.studies.stratification import _report

    run_dir, summary = run
    tables = [
        pd.read_parquet(run_dir / f"{name}.parquet")
        for name in ("k_selection", "profiles", "decision_curves")
    ]
    shown = _report(summary, *tables)
    assert "Net benefit not shown" not in shown and f"{summary['outcome_prevalence']:.3f}" in shown
    small = {**summary, "n_outcome_positive": 4}  # as if 4 participants had the outcome
    hidden = _report(small, *tables)
    assert "Outcome prevalence <11 positive" in hidden
    assert "| threshold" in shown and "decision_curves.png" in shown
    assert "Net benefit not shown" in hidden
    assert "| threshold" not in hidden and "decision_curves.png" not in hidden


def test_net_benefit_cells_that_give_a_small_treated_count_away_are_hidden():
    from models_py.evaluate_dca import reveals_small_count

    # 200 participants, 60 with the outcome; the strategy treats exactly 5 positives at risk >= 0.5
    y = np.r_[np.ones(60), np.zeros(140)].astype(int)
    risk = np.r_[np.full(5, 0.9), np.full(55, 0.3), np.full(70, 0.3), np.full(70, 0.1)]
    curves = decision_curves(y, {"m": risk}, [0.2, 0.5], n_bootstrap=10)
    m = curves[curves.strategy == "m"].set_index("threshold")
    assert m.loc[0.5, ["n_treated_positive", "n_treated_negative"]].tolist() == [5, 0]
    hidden = reveals_small_count(curves, 60, 140, 10).to_numpy()
    by_row = dict(zip(zip(curves.strategy, curves.threshold, strict=True), hidden, strict=True))
    assert by_row[("m", 0.5)] and not by_row[("m", 0.2)]  # at 0.2: all 60 positives and 70 negatives treated
    assert not by_row[(TREAT_ALL, 0.5)] and not by_row[(TREAT_NONE, 0.5)]


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


def test_too_few_eligible_participants_is_a_user_error(tmp_path):
    frame, _ = planted_mart(40, 1)
    frame[[f"orebro_q{i}" for i in range(1, 11)]] = np.nan
    frame["orebro_total"] = np.nan
    (tmp_path / "marts").mkdir()
    frame.to_parquet(tmp_path / "marts" / "mart_stratification_features.parquet", index=False)
    with pytest.raises(UserInputError, match="eligible for clustering"):
        train_stratification(tmp_path / "marts", tmp_path / "runs", progress=False, config=FAST)


def write_mart(root, frame: pd.DataFrame):
    (root / "marts").mkdir(parents=True)
    frame.to_parquet(root / "marts" / "mart_stratification_features.parquet", index=False)
    return root / "marts"


@pytest.mark.parametrize("seed", [11, 12])
def test_k_and_subgroups_recovered_across_seeds_with_missing_bmi(tmp_path, seed):
    frame, truth = planted_mart(500, seed, bmi_missing=0.25)
    people = load_features(write_mart(tmp_path, frame))
    # nobody is dropped for a missing BMI or smoking status: those inputs are imputed
    assert len(people.frame) == len(frame) and people.n_imputed >= 0.25 * len(frame)
    # the ÖMPSQ-short-based framework: its 0-10 items carry the planted psychosocial factor best
    choice = choose_k(
        people.frame[list(FRAMEWORKS["orebro_based"])].to_numpy(float),
        [2, 3, 4, 5],
        n_bootstrap=8,
        n_init=4,
        n_reference=10,
        seed=seed,
    )
    planted = truth.set_index("patient_id").subgroup.reindex(people.frame.patient_id)
    assert choice.k == 3, choice.table
    assert adjusted_rand_score(planted, choice.models[3].labels_) >= 0.7


def k_table(gap: list[float], stability: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"k": [2, 3, 4, 5], "gap": gap, "gap_se": 0.01, "stability_mean": stability, "silhouette": 0.2}
    )


def test_gap_rule_is_not_pulled_to_k2_by_stability():
    # k = 2 is the most stable, but k = 3 is the first k whose gap is not beaten by the next one
    k, _ = select_k(k_table([1.18, 1.26, 1.25, 1.25], [0.99, 0.97, 0.82, 0.70]))
    assert k == 3
    # a real fourth group: gap keeps rising to k = 4
    k, _ = select_k(k_table([1.18, 1.22, 1.30, 1.29], [0.99, 0.90, 0.90, 0.70]))
    assert k == 4


def test_unstable_gap_choice_falls_back_to_the_largest_stable_smaller_k():
    k, rule = select_k(k_table([1.10, 1.20, 1.30, 1.29], [0.95, 0.80, 0.60, 0.55]))
    assert k == 3 and "unstable" in rule


def test_model_imputes_blank_inputs_and_predicts_rows_with_blanks():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (60, 4)), rng.normal(5, 1, (60, 4))])
    X[rng.random(X.shape) < 0.1] = np.nan
    model = RobustKMeans(2, n_init=4).fit(X)
    assert np.isfinite(model.transform(X)).all()
    assert adjusted_rand_score(np.repeat([0, 1], 60), model.predict(X)) > 0.9


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


def test_a_run_is_reproducible_with_its_seed(run, tmp_path):
    """The same marts and seed give the same clusters, k table, accuracies and decision curves."""
    first, summary = run
    marts = json.loads((first / "marts.json").read_text())["marts_dir"]
    second = train_stratification(marts, tmp_path, progress=False, config=FAST)
    for name in ("clusters", "k_selection", "profiles", "decision_curves"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(first / f"{name}.parquet"), pd.read_parquet(second / f"{name}.parquet")
        )
    again = json.loads((second / "config.json").read_text())
    assert {"python", "lumbar", "numpy", "pandas", "scipy", "sklearn"} <= set(again["versions"])
    for fw in FRAMEWORKS:
        assert again["frameworks"][fw]["accuracy"] == summary["frameworks"][fw]["accuracy"]


def test_profile_shares_that_give_a_small_count_away_are_masked():
    """'% of cluster' beside the cluster size is a count: 5 smokers of 40 print as '*', as do 35 women of 40
    (5 men); 20 of 40 prints as a share."""
    from models_py.studies.stratification import cluster_profiles

    n = 80
    labels = np.repeat([0, 1], 40)
    frame = pd.DataFrame({col: np.linspace(1, 5, n) for col in PROFILE_CONTINUOUS})
    frame["sex"] = ["F"] * 35 + ["M"] * 5 + ["F"] * 20 + ["M"] * 20
    frame["smoking"] = ["current"] * 5 + ["never"] * 35 + ["current"] * 20 + ["never"] * 20
    frame["sbt_risk_group"] = ["low"] * 20 + ["high"] * 20 + ["low"] * 20 + ["high"] * 20
    frame["persistent_bothersome_lbp"] = [1] * 20 + [0] * 20 + [0] * 40  # 0 of 40 is not a small count
    profiles = cluster_profiles(frame, labels).set_index("variable")
    assert profiles.loc["smoking = current", "cluster_0"] == "*"
    assert profiles.loc["smoking = current", "cluster_1"] == "50 %"
    assert profiles.loc["sex = F", "cluster_0"] == "*"  # 35 of 40: the 5 men are known by subtraction
    assert profiles.loc["persistent_bothersome_lbp = 1", "cluster_1"] == "0 %"
