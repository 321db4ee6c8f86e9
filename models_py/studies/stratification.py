"""Multimodal low-back-pain stratification (seeds/001_052d89f173b9bcf3.txt) on mart_stratification_features.

Two stratifications, one per screening questionnaire. The paper "integrates ... self-reported data from
Örebro Musculoskeletal Pain Screening Questionnaire (ÖMPSQ) short and the STarT Back Tool (SBT)" and reports
"Predictive models for cluster assignment were robust, achieving high mean accuracies (SBT-based: 0.89;
ÖMPSQ-short-based: 0.87)". The text we have is the abstract; it reads as two frameworks, each clustering
imaging + demographics + one questionnaire and each validated on its own clusters: the two questionnaires are
alternative screens for the same psychosocial risk ("Current risk stratification for individuals with LBP
relies on ÖMPSQ short and SBT among others"), and predicting one joint clustering from half of its inputs
would not validate either framework. (An earlier version clustered on both questionnaires at once and
predicted those labels from each half.) So for each framework in FRAMEWORKS:

robust k-means for k = 2..6 with imputation of blank inputs (models/robust_kmeans) -> k by the gap
statistic with a bootstrap-stability threshold -> cluster profiles with Kruskal-Wallis / chi-squared tests
(Bonferroni) -> multinomial logistic regression predicting the framework's clusters from the framework's
own inputs (repeated stratified 5-fold accuracy). Then one set of decision curves for persistent bothersome
LBP on the same participants and bootstrap resamples: each framework's stratified strategy (out-of-fold
outcome rate of the patient's cluster) and the STarT Back risk group against treat-all / treat-none. The
agreement of the two frameworks' clusters (adjusted Rand index) is reported too.

Clustering inputs of a framework: Pfirrmann grade and facet tropism per level, current smoking, male sex,
BMI and the framework's questionnaire item scores (items rather than totals, so the psychosocial domain is
not outweighed by ten imaging columns). LBP frequency and bothersomeness characterise the clusters and are
never inputs. Both frameworks cluster the same participants (those with both questionnaires scoreable,
below), so their accuracies and decision curves compare like with like.

Choice of k (details in models/robust_kmeans): the smallest k with Gap(k) >= Gap(k+1) - s(k+1) (gap
statistic against uniform references in the principal-component box), accepted when its mean bootstrap
ARI is >= 0.75, else the largest smaller k that is. Stability or silhouette alone tend to favour
k = 2 (why: models/robust_kmeans).

Missing data. Who is clustered: participants with a study MRI read at >= 4 of the 5 levels, sex F or M,
a scoreable Örebro total (<= orebro_max_missing_items blank items, the mart's rule) and <= 2 blank STarT
Back items; everyone else is counted by reason in the report, never dropped silently. Blank inputs of
those clustered -- BMI or smoking with no record in the mart's covariate window (on generated data never
recorded at all, so a wider window does not help), one unread MRI level, a few blank items -- are imputed inside
the clustering model from the 10 nearest participants on the other inputs (fitted on the inputs only,
without outcome or labels; refitted in every bootstrap resample), after a blank Örebro item has been filled
with the patient's mean item score as the Örebro proration does. The logistic-regression check imputes the
same way inside each training fold. Decision curves use the participants whose outcome is known.
Requiring complete cases instead left out ~45 % of participants (BMI missing in ~25 %, smoking in ~17 %);
the recovered subgroups are as good either way on generated data, but the complete cases are a selected
sample, and there k = 3 was often less stable than k = 2.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from scipy import stats
from sklearn.impute import KNNImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from ingest.privacy import MASK, mask_note, suppress_parts, suppress_subset, suppression_threshold
from models_py import report as rp
from models_py.errors import UserInputError
from models_py.evaluate import mask_count
from models_py.evaluate_dca import TREAT_ALL, TREAT_NONE, decision_curves, reveals_small_count
from models_py.marts import (
    mart_path,
    marts_record,
    read_mart,
    sha256_of,
    warn_about_builds,
    write_report,
)
from models_py.models.robust_kmeans import MIN_STABILITY, N_NEIGHBORS, KChoice, choose_k
from models_py.progress import progress_bar

STUDY = "stratification"
MART = "mart_stratification_features"
LEVELS = ("l1_l2", "l2_l3", "l3_l4", "l4_l5", "l5_s1")
IMAGING = tuple(f"dd_{lv}" for lv in LEVELS) + tuple(f"ft_{lv}" for lv in LEVELS)
DEMOGRAPHIC = ("smoking_current", "male", "bmi")
OREBRO_ITEMS = tuple(f"orebro_q{i}" for i in range(1, 11))
SBT_ITEMS = tuple(f"sbt_q{i}" for i in range(1, 10))
# one stratification per questionnaire (module docstring): its clustering inputs, which are also the
# inputs of its membership model
FRAMEWORKS = {
    "sbt_based": IMAGING + DEMOGRAPHIC + SBT_ITEMS,
    "orebro_based": IMAGING + DEMOGRAPHIC + OREBRO_ITEMS,
}
FRAMEWORK_LABELS = {"sbt_based": "SBT-based", "orebro_based": "ÖMPSQ-short-based"}
# the questionnaire total that names a framework's psychosocial clusters
FRAMEWORK_SCORE = {"sbt_based": "sbt_total", "orebro_based": "orebro_total"}
# every input of either framework (eligibility and the imputed-participant count)
CLUSTER_FEATURES = tuple(dict.fromkeys(IMAGING + DEMOGRAPHIC + OREBRO_ITEMS + SBT_ITEMS))
PROFILE_CONTINUOUS = (
    IMAGING
    + ("bmi", "age_at_visit", "orebro_total", "sbt_total", "sbt_psychosocial")
    + ("lbp_frequency", "lbp_bothersomeness")
)
PROFILE_CATEGORICAL = ("sex", "smoking", "sbt_risk_group", "persistent_bothersome_lbp")
MART_COLUMNS = (
    ("patient_id", "sex", "age_at_visit", "smoking", "smoking_current", "bmi")
    + IMAGING
    + OREBRO_ITEMS
    + SBT_ITEMS
    + ("orebro_total", "sbt_total", "sbt_psychosocial", "sbt_risk_group")
    + ("lbp_frequency", "lbp_bothersomeness", "persistent_bothersome_lbp")
)
MIN_PATIENTS = 30


@dataclass(frozen=True)
class StratConfig:
    seed: int = 0
    ks: tuple[int, ...] = (2, 3, 4, 5, 6)
    n_init: int = 10
    stability_bootstrap: int = 30
    gap_references: int = 20
    cv_folds: int = 5
    cv_repeats: int = 5
    dca_bootstrap: int = 500
    thresholds: tuple[float, ...] = tuple(np.round(np.arange(0.05, 0.81, 0.01), 2))


MIN_LEVELS_READ = 4  # of 5: one level the MRI reader failed on is imputed, more means no usable MRI
MAX_BLANK_SBT_ITEMS = 2


@dataclass(frozen=True)
class Participants:
    frame: pd.DataFrame  # eligible participants, sorted by patient_id; blank cluster inputs stay NaN
    excluded: dict[str, int]  # reason -> count, each participant under its first reason
    n_total: int
    n_imputed: int  # eligible participants with at least one imputed clustering input
    sha256: str


def load_features(marts_dir: Path) -> Participants:
    """Eligible participants of the mart (module docstring), the exclusions by reason, and its sha256."""
    frame = read_mart(Path(marts_dir), MART, MART_COLUMNS)
    digest = sha256_of(mart_path(Path(marts_dir), MART))
    warn_about_builds(Path(marts_dir), {MART: digest})
    levels_read = frame[[f"dd_{lv}" for lv in LEVELS]].notna().to_numpy() & (
        frame[[f"ft_{lv}" for lv in LEVELS]].notna().to_numpy()
    )
    reasons = {
        f"study MRI read at fewer than {MIN_LEVELS_READ} levels": levels_read.sum(axis=1) < MIN_LEVELS_READ,
        "sex not F or M": ~frame["sex"].isin(["F", "M"]).to_numpy(),
        "Örebro total not scoreable (too many blank items)": frame["orebro_total"].isna().to_numpy(),
        f"more than {MAX_BLANK_SBT_ITEMS} blank STarT Back items": (
            frame[list(SBT_ITEMS)].isna().sum(axis=1) > MAX_BLANK_SBT_ITEMS
        ).to_numpy(),
    }
    keep = np.ones(len(frame), bool)
    excluded = {}
    for reason, rule in reasons.items():
        excluded[reason] = int((keep & rule).sum())
        keep &= ~rule
    eligible = frame[keep].copy()
    eligible["male"] = (eligible["sex"] == "M").astype(float)
    # the Örebro proration fills a blank item with the mean of the patient's answered item scores
    items = eligible[list(OREBRO_ITEMS)].astype(float)
    eligible[list(OREBRO_ITEMS)] = items.T.fillna(items.mean(axis=1)).T
    eligible["persistent_bothersome_lbp"] = (
        eligible["persistent_bothersome_lbp"].astype("boolean").astype("Int64")
    )
    if len(eligible) < MIN_PATIENTS:
        raise UserInputError(
            f"{MART} has {mask_count(len(eligible))} participants eligible for clustering; at least "
            f"{MIN_PATIENTS} are needed (check the study's questionnaires and imaging measurements were loaded)"
        )
    n_imputed = int(eligible[list(CLUSTER_FEATURES)].isna().any(axis=1).sum())
    return Participants(
        eligible.sort_values("patient_id").reset_index(drop=True), excluded, len(frame), n_imputed, digest
    )


def cluster_profiles(frame: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """One row per variable: per-cluster summary, test, p and Bonferroni-adjusted p."""
    clusters = sorted(np.unique(labels))
    n_tests = len(PROFILE_CONTINUOUS) + len(PROFILE_CATEGORICAL)
    rows = []
    for col in PROFILE_CONTINUOUS:
        # observed values only: an imputed BMI describes the model, not the patient
        groups = [frame.loc[labels == c, col].astype(float).dropna().to_numpy() for c in clusters]
        testable = all(len(g) for g in groups) and len(np.unique(np.concatenate(groups))) > 1
        p = float(stats.kruskal(*groups).pvalue) if testable else np.nan
        cells = {
            f"cluster_{c}": (
                f"{np.median(g):.1f} ({np.percentile(g, 25):.1f}-{np.percentile(g, 75):.1f})"
                if len(g)
                else "-"
            )
            for c, g in zip(clusters, groups, strict=True)
        }
        rows.append({"variable": col, "summary": "median (IQR)", **cells, "test": "Kruskal-Wallis", "p": p})
    for col in PROFILE_CATEGORICAL:
        values = frame[col].astype("string").fillna("missing")
        table = pd.crosstab(values, labels)
        p = float(stats.chi2_contingency(table.to_numpy()).pvalue) if table.shape[0] > 1 else np.nan
        top = table.index[0] if col != "persistent_bothersome_lbp" else "1"
        having = table.loc[top] if top in table.index else table.iloc[0] * 0
        cells = {f"cluster_{c}": _share_cell(int(having.get(c, 0)), int(table[c].sum())) for c in clusters}
        rows.append(
            {"variable": f"{col} = {top}", "summary": "% of cluster", **cells, "test": "chi-squared", "p": p}
        )
    out = pd.DataFrame(rows)
    out["p_bonferroni"] = np.minimum(1.0, out["p"] * n_tests)
    return out


def _share_cell(count: int, size: int) -> str:
    """'% of cluster' beside a printed cluster size gives the count away (size x share), so a share whose
    count, or whose complement in the cluster, is 1 to the suppression threshold prints as MASK."""
    limit = suppression_threshold()
    if 0 < count <= limit or 0 < size - count <= limit:
        return MASK
    return f"{100 * count / size:.0f} %" if size else "-"


def name_clusters(frame: pd.DataFrame, labels: np.ndarray, score: str = "orebro_total") -> dict[int, str]:
    """Describe each cluster by its mean degeneration and questionnaire total (`score`, the framework's own)
    relative to the whole sample."""
    dd = frame[[f"dd_{lv}" for lv in LEVELS]].mean(axis=1)
    z_dd = (dd - dd.mean()) / dd.std()
    z_ps = (frame[score] - frame[score].mean()) / frame[score].std()
    names = {}
    for c in np.unique(labels):
        d, s = z_dd[labels == c].mean(), z_ps[labels == c].mean()
        names[int(c)] = (
            "mixed"
            if d > 0 and s > 0
            else "degenerative"
            if d > 0
            else "psychosocial"
            if s > 0
            else "low burden"
        )
    return names


def out_of_fold_group_rate(groups: np.ndarray, y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Risk = outcome rate of the patient's group in the other folds (no patient sees its own label)."""
    risk = np.empty(len(y))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(y)), y):
        overall = y[train].mean()
        rates = pd.Series(y[train]).groupby(groups[train]).mean()
        risk[test] = pd.Series(groups[test]).map(rates).fillna(overall).to_numpy()
    return np.clip(risk, 1e-6, 1 - 1e-6)


@dataclass
class Stratification:
    """One framework's clustering and its validation."""

    name: str
    choice: KChoice
    labels: np.ndarray
    names: dict[int, str]
    profiles: pd.DataFrame
    accuracy: dict[str, float]


def stratify(frame: pd.DataFrame, name: str, cfg: StratConfig, bar) -> Stratification:
    """Cluster on the framework's inputs, choose k, profile the clusters and validate them with a
    multinomial logistic regression on the same inputs (repeated stratified k-fold accuracy)."""
    cols = list(FRAMEWORKS[name])
    X = frame[cols].to_numpy(float)
    choice = choose_k(
        X,
        list(cfg.ks),
        n_bootstrap=cfg.stability_bootstrap,
        n_init=cfg.n_init,
        n_reference=cfg.gap_references,
        seed=cfg.seed,
        progress=bar,
    )
    labels = choice.models[choice.k].labels_
    cv = RepeatedStratifiedKFold(n_splits=cfg.cv_folds, n_repeats=cfg.cv_repeats, random_state=cfg.seed)
    # blank BMI / smoking / items: imputed inside each training fold, as in the clustering
    model = make_pipeline(
        KNNImputer(n_neighbors=N_NEIGHBORS), StandardScaler(), LogisticRegression(max_iter=5000)
    )
    scores = cross_val_score(model, X, labels, cv=cv, scoring="accuracy")
    return Stratification(
        name=name,
        choice=choice,
        labels=labels,
        names=name_clusters(frame, labels, FRAMEWORK_SCORE[name]),
        profiles=cluster_profiles(frame, labels),
        accuracy={"mean": float(scores.mean()), "sd": float(scores.std(ddof=1)), "n_fits": len(scores)},
    )


def train_stratification(
    marts_dir: Path,
    out_dir: Path,
    *,
    seed: int = 0,
    progress: bool = True,
    truth_dir: Path | None = None,
    config: StratConfig | None = None,
) -> Path:
    """Run both stratifications (module docstring) and the decision curves; return the run folder.

    truth_dir: the generator's `truth/` folder; when given, the adjusted Rand index of each framework's
    clusters against the planted subgroups is reported (synthetic data only).
    """
    started = time.perf_counter()
    cfg = config or StratConfig(seed=seed)
    if truth_dir is not None:
        _truth_path(truth_dir)  # before the clustering, not after it
    console = Console(stderr=True, quiet=not progress)
    people = load_features(marts_dir)
    frame, digest = people.frame, people.sha256
    clustered = suppress_subset(people.n_total, len(frame))
    console.print(
        f"[bold]stratification[/]: {clustered} of {mask_count(people.n_total)} participants "
        f"clustered ({suppress_subset(len(frame), people.n_imputed)} with imputed inputs)"
    )
    known = frame["persistent_bothersome_lbp"].notna().to_numpy()
    y = frame.loc[known, "persistent_bothersome_lbp"].to_numpy(int)
    if len(np.unique(y)) < 2:
        raise UserInputError(
            f"{MART}: persistent_bothersome_lbp is known for {mask_count(known.sum())} clustered participants "
            "and takes one value at most; the decision curves need both outcomes (check the LBP frequency "
            "and bothersomeness observations were loaded)"
        )
    # k-means on 2 cores: BLAS/OpenMP oversubscription makes many small fits 50x slower
    with threadpool_limits(1), progress_bar(progress) as bar:
        results = {name: stratify(frame, name, cfg, bar) for name in FRAMEWORKS}
    # decision curves need the outcome: participants without LBP frequency/bothersomeness are left out
    risks = {
        f"stratified_{name}": out_of_fold_group_rate(r.labels[known], y, cfg.cv_folds, cfg.seed)
        for name, r in results.items()
    }
    risks["sbt_risk_group"] = out_of_fold_group_rate(
        frame.loc[known, "sbt_risk_group"].astype(str).to_numpy(), y, cfg.cv_folds, cfg.seed
    )
    curves = decision_curves(y, risks, cfg.thresholds, n_bootstrap=cfg.dca_bootstrap, seed=cfg.seed)

    run_dir = rp.make_run_dir(Path(out_dir), f"{STUDY}-seed{cfg.seed}")
    rp.write_json(run_dir / "marts.json", marts_record(marts_dir, {MART: digest}))
    pd.DataFrame(
        {"patient_id": frame["patient_id"], **{f"cluster_{n}": r.labels for n, r in results.items()}}
    ).to_parquet(run_dir / "clusters.parquet", index=False)
    k_table = pd.concat([r.choice.table.assign(framework=n) for n, r in results.items()], ignore_index=True)
    profiles = pd.concat([r.profiles.assign(framework=n) for n, r in results.items()], ignore_index=True)
    k_table = k_table[["framework", *k_table.columns.drop("framework")]]
    profiles = profiles[["framework", *profiles.columns.drop("framework")]]
    k_table.to_parquet(run_dir / "k_selection.parquet", index=False)
    profiles.to_parquet(run_dir / "profiles.parquet", index=False)
    curves.to_parquet(run_dir / "decision_curves.parquet", index=False)
    for name, r in results.items():
        _plot_k(r.choice.table, run_dir / f"k_selection_{name}.png", FRAMEWORK_LABELS[name])
        _plot_profiles(frame, r.labels, r.names, run_dir / f"profiles_{name}.png", FRAMEWORK_LABELS[name])
    _plot_decision_curves(curves, int(y.sum()), int(len(y) - y.sum()), run_dir / "decision_curves.png")
    frameworks = {
        name: {
            "inputs": list(FRAMEWORKS[name]),
            "k": r.choice.k,
            "k_rule": r.choice.rule,
            "cluster_sizes": {int(c): int((r.labels == c).sum()) for c in np.unique(r.labels)},
            "cluster_names": r.names,
            "accuracy": r.accuracy,
            "ari_vs_truth": (
                _truth_ari(Path(truth_dir), frame["patient_id"], r.labels) if truth_dir is not None else None
            ),
        }
        for name, r in results.items()
    }
    sbt, orebro = results["sbt_based"].labels, results["orebro_based"].labels
    summary = {
        "study": STUDY,
        "config": asdict(cfg),
        "n_participants": people.n_total,
        "n_clustered": len(frame),
        "n_imputed": people.n_imputed,
        "excluded": people.excluded,
        "n_outcome_known": int(known.sum()),
        "frameworks": frameworks,
        "ari_between_frameworks": float(adjusted_rand_score(sbt, orebro)),
        "outcome_prevalence": float(y.mean()),
        "n_outcome_positive": int(y.sum()),
        "versions": rp.run_versions(),
        "seconds_total": time.perf_counter() - started,
    }
    rp.write_json(run_dir / "config.json", summary)
    write_report(run_dir, _report(summary, k_table, profiles, curves))
    console.print(f"run folder: {escape(str(run_dir))}")
    return rp.finish_run(run_dir)


def _truth_path(truth_dir: Path) -> Path:
    path = Path(truth_dir) / "stratification.parquet"
    if not path.is_file():
        raise UserInputError(f"no {path}; pass the generator's truth/ folder or leave out --truth")
    return path


def _truth_ari(truth_dir: Path, patient_ids: pd.Series, labels: np.ndarray) -> float:
    path = _truth_path(truth_dir)
    truth = pd.read_parquet(path, columns=["patient_id", "subgroup"]).set_index("patient_id")["subgroup"]
    planted = truth.reindex(patient_ids.to_numpy())
    known = planted.notna().to_numpy()
    return float(adjusted_rand_score(planted[known], labels[known]))


def _plot_k(table: pd.DataFrame, path: Path, framework: str) -> None:
    fig, (ax, gap_ax) = rp.plt.subplots(1, 2, figsize=(10, 4))
    gap_ax.errorbar(table["k"], table["gap"], yerr=table["gap_se"], marker="o", capsize=3)
    gap_ax.set(xlabel="k", ylabel="Gap(k) ± s(k)", title="Gap statistic")
    ax.plot(table["k"], table["silhouette"], marker="o", label="silhouette")
    ax.errorbar(
        table["k"],
        table["stability_mean"],
        yerr=[
            table["stability_mean"] - table["stability_p2_5"],
            table["stability_p97_5"] - table["stability_mean"],
        ],
        marker="s",
        capsize=3,
        label="bootstrap stability (ARI)",
    )
    ax.axhline(MIN_STABILITY, color="grey", linestyle=":", linewidth=0.8)
    ax.set(xlabel="k", ylabel="score", title="Silhouette and stability")
    for axis in (ax, gap_ax):
        axis.set_xticks(table["k"])
    ax.legend(fontsize=8)
    fig.suptitle(f"{framework} stratification")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    rp.plt.close(fig)


def _plot_profiles(
    frame: pd.DataFrame, labels: np.ndarray, names: dict[int, str], path: Path, framework: str
) -> None:
    cols = [
        "dd_l4_l5",
        "dd_l5_s1",
        "ft_l4_l5",
        "bmi",
        "smoking_current",
        "male",
        "orebro_total",
        "sbt_total",
        "lbp_bothersomeness",
    ]
    z = (frame[cols] - frame[cols].mean()) / frame[cols].std().replace(0, 1)
    fig, ax = rp.plt.subplots(figsize=(8, 4))
    width = 0.8 / len(names)
    for i, c in enumerate(sorted(names)):
        ax.bar(
            np.arange(len(cols)) + i * width, z[labels == c].mean(), width, label=f"cluster {c} ({names[c]})"
        )
    ax.set_xticks(np.arange(len(cols)) + 0.4 - width / 2, cols, rotation=30, ha="right", fontsize=8)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set(ylabel="mean z-score", title=f"Cluster profiles, {framework} stratification")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    rp.plt.close(fig)


def _plot_decision_curves(curves: pd.DataFrame, n_positive: int, n_negative: int, path: Path) -> None:
    """Net benefit per strategy; points the report table would hide (reveals_small_count) are gaps."""
    hidden = reveals_small_count(curves, n_positive, n_negative, suppression_threshold())
    curves = curves.assign(
        net_benefit=curves["net_benefit"].mask(hidden),
        p2_5=curves["p2_5"].mask(hidden),
        p97_5=curves["p97_5"].mask(hidden),
    )
    fig, ax = rp.plt.subplots(figsize=(6, 4.5))
    for name, rows in curves.groupby("strategy", sort=False):
        ax.plot(rows["threshold"], rows["net_benefit"], label=name)
        if name != TREAT_NONE:
            ax.fill_between(rows["threshold"], rows["p2_5"], rows["p97_5"], alpha=0.15)
    top = curves["net_benefit"].max()
    ax.set(
        ylim=(-0.05, top + 0.05),
        xlabel="Threshold probability",
        ylabel="Net benefit",
        title="Decision curves",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    rp.plt.close(fig)


def _framework_lines(name: str, fw: dict, n_clustered: int, k_table: pd.DataFrame, profiles: pd.DataFrame):
    label = FRAMEWORK_LABELS[name]
    names = fw["cluster_names"]
    own = profiles[profiles["framework"] == name].drop(columns="framework")
    # the frameworks' tables were stacked: a framework with fewer clusters has blank cluster_j columns
    own = own.drop(columns=[c for c in own if c.startswith("cluster_") and own[c].isna().all()])
    size_text = suppress_parts(n_clustered, fw["cluster_sizes"])
    sizes = ", ".join(f"cluster {c} ({names[c]}): {size_text[c]}" for c in fw["cluster_sizes"])
    lines = [
        f"## {label} stratification",
        "",
        f"Inputs: imaging (Pfirrmann grade and facet tropism, 5 levels), current smoking, male sex, BMI and the "
        f"{'STarT Back' if name == 'sbt_based' else 'Örebro short-form'} item scores. "
        f"Chosen k = {fw['k']} ({fw['k_rule']}). {sizes}.",
        *([mask_note() + "."] if MASK in size_text.values() else []),
    ]
    if fw["ari_vs_truth"] is not None:
        lines.append(f"Adjusted Rand index against the planted subgroups: {fw['ari_vs_truth']:.3f}.")
    lines += [
        "",
        "### Choice of k",
        "",
        rp.markdown_table(k_table[k_table["framework"] == name].drop(columns="framework"), ".3f"),
        "",
        f"![k, {label}](k_selection_{name}.png)",
        "",
        "### Cluster profiles (Bonferroni over all tests of this framework)",
        "",
        rp.markdown_table(own, ".3g"),
        *(["", mask_note() + "."] if (own == MASK).any().any() else []),
        "",
        f"![profiles, {label}](profiles_{name}.png)",
        "",
    ]
    return lines


def _report(summary: dict, k_table: pd.DataFrame, profiles: pd.DataFrame, curves: pd.DataFrame) -> str:
    frameworks = summary["frameworks"]
    # the clustered and the excluded (by reason) add up to the participants
    flow = suppress_parts(
        summary["n_participants"], {"clustered": summary["n_clustered"], **summary["excluded"]}
    )
    picks = curves[curves["threshold"].round(2).isin([0.1, 0.2, 0.3, 0.4, 0.5])].copy()
    n_known, n_positive = summary["n_outcome_known"], summary["n_outcome_positive"]
    hidden = reveals_small_count(picks, n_positive, n_known - n_positive, suppression_threshold())
    picks["cell"] = [MASK if h else f"{v:.4f}" for v, h in zip(picks["net_benefit"], hidden, strict=True)]
    wide = picks.pivot(index="threshold", columns="strategy", values="cell").reset_index()
    lines = [
        "# Multimodal LBP stratification",
        "",
        'Two stratifications, as the paper reports ("SBT-based" and "ÖMPSQ-short-based"): each clusters '
        "imaging, demographics and one questionnaire, and is validated on its own clusters.",
        "",
        f"Participants: {mask_count(summary['n_participants'])}; clustered (both frameworks, the same "
        f"participants): {flow['clustered']}, of whom "
        f"{suppress_subset(summary['n_clustered'], summary['n_imputed'])} had at least one blank "
        "input imputed (10 nearest neighbours on the other inputs, fitted without outcome); decision curves "
        f"on the {suppress_subset(summary['n_clustered'], summary['n_outcome_known'])} with a known outcome.",
        *(f"Not clustered, {reason}: {flow[reason]}." for reason, n in summary["excluded"].items() if n),
        *([mask_note() + "."] if MASK in flow.values() else []),
        f"Agreement of the two frameworks' clusters (adjusted Rand index): "
        f"{summary['ari_between_frameworks']:.3f}.",
        "",
        "k is chosen by the gap statistic (Tibshirani et al. 2001; "
        f"{summary['config']['gap_references']} uniform reference sets in the principal-component box of the "
        "scaled, imputed inputs): the smallest k with Gap(k) >= Gap(k+1) - s(k+1), accepted when its "
        f"mean bootstrap ARI (stability) is >= {MIN_STABILITY}, else the largest smaller stable k. "
        "Silhouette is shown for reference; silhouette or stability alone tend to favour k = 2.",
        "",
    ]
    for name, fw in frameworks.items():
        lines += _framework_lines(name, fw, summary["n_clustered"], k_table, profiles)
    acc = pd.DataFrame(
        [
            {
                "framework": FRAMEWORK_LABELS[name],
                "k": fw["k"],
                "mean accuracy": fw["accuracy"]["mean"],
                "sd": fw["accuracy"]["sd"],
                "folds": fw["accuracy"]["n_fits"],
            }
            for name, fw in frameworks.items()
        ]
    )
    lines += [
        "## Predicting cluster membership (multinomial logistic regression, repeated 5-fold CV)",
        "",
        "Each framework's clusters predicted from that framework's own inputs.",
        "",
        rp.markdown_table(acc, ".3f"),
        "",
    ]
    prevalence = rp.prevalence_cell(n_known, n_positive)
    lines += [
        "## Decision curves: persistent bothersome LBP",
        "",
        f"Outcome prevalence {prevalence}. Risk of a strategy = out-of-fold outcome rate of the patient's group "
        "(stratified_sbt_based, stratified_orebro_based: the framework's cluster; sbt_risk_group: the STarT "
        f"Back risk group); {TREAT_ALL} treats everyone, {TREAT_NONE} no one. All strategies on the same "
        "participants and bootstrap resamples. Intervals: percentile bootstrap (decision_curves.parquet).",
        "",
    ]
    if "positive" in prevalence or "negative" in prevalence:
        # treat-all's net benefit is a function of the prevalence, so the curves would give the small class
        # away; they stay in decision_curves.parquet inside the run folder
        lines += ["Net benefit not shown: one outcome class has 1 to 10 participants.", ""]
    else:
        note = (
            [f"{MASK} hidden: the strategy treats or leaves untreated 1 to {suppression_threshold()} participants "
             "of one outcome class at that threshold, which net benefit beside n would give away.", ""]
            if hidden.any()
            else []
        )  # fmt: skip
        lines += [rp.markdown_table(wide, ".4f"), "", *note, "![decision curves](decision_curves.png)", ""]
    return "\n".join(lines)


def summary_table(run_dir: Path) -> Table:
    """Per framework: k, cluster sizes, CV accuracy and ARI of a finished run, for the CLI."""
    rp.require_finished(run_dir, STUDY)
    try:
        summary = json.loads((Path(run_dir) / "config.json").read_text())
    except FileNotFoundError:
        raise UserInputError(
            f"{run_dir} is not a finished stratification run folder (missing config.json)"
        ) from None
    if "frameworks" not in summary:
        raise UserInputError(
            f"{run_dir} is a stratification run from before the SBT- and ÖMPSQ-based frameworks were "
            "separated; rerun `lumbar train stratification`"
        )
    ks = ", ".join(f"{FRAMEWORK_LABELS[n]} k = {fw['k']}" for n, fw in summary["frameworks"].items())
    table = Table(title=f"Stratification: {ks}")
    table.add_column("Item")
    table.add_column("Value", justify="right")
    for name, fw in summary["frameworks"].items():
        label = FRAMEWORK_LABELS[name]
        size_text = suppress_parts(summary["n_clustered"], fw["cluster_sizes"])
        for c in fw["cluster_sizes"]:
            table.add_row(f"{label}: cluster {c} ({fw['cluster_names'][c]})", size_text[c])
        acc = fw["accuracy"]
        table.add_row(f"{label}: accuracy", f"{acc['mean']:.3f} ± {acc['sd']:.3f}")
        if fw["ari_vs_truth"] is not None:
            table.add_row(f"{label}: ARI vs planted subgroups", f"{fw['ari_vs_truth']:.3f}")
    table.add_row("ARI between the frameworks", f"{summary['ari_between_frameworks']:.3f}")
    return table
