"""Medication study (seed paper 004): no medication / NSAID / opioid after the first lumbar MRI in
non-specific chronic low back pain, predicted from chart and report-derived profiles with tree ensembles.

    run_dir = train_medication(Path("warehouse/marts"), Path("runs/medication"))
    rich.print(summary_table(run_dir))

Six outcomes (three one-vs-one, three one-vs-rest; event = 1 is the more potent class, except rest_vs_none
where the event is no medication) x six predictor sets = 36 cells; each cell grid-searches random forest,
bagging, AdaBoost and XGBoost (5-fold CV, balanced accuracy) and keeps the best. Rows: cohort patients whose
index MRI has a report (the paper's 3,663 of 4,077), so every predictor set sees the same patients. Missing
race/ethnicity, social support, smoking and insurance are KNN-imputed from sex, age, year and language, fitted
on training rows only. The imputer and encoder are fitted once on all training rows, before the 5-fold CV, not
inside each fold: they use no labels, so the CV folds share only the unsupervised neighbourhoods of the
predictors, and the test rows never enter them. Test metrics with bootstrap 95 % intervals come from models_py/evaluate.py (fixed 0.5
threshold; all fits are class-weighted). SHAP (TreeExplainer) on the test rows of every best model feeds the
variational Borda count. Each outcome's "best" predictor set (Borda group 1, confusion matrices, SHAP plots,
the CLI summary) is the one with the highest CV balanced accuracy on training rows, never chosen on test rows.
Only the Parquet mart is read.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ingest.cell_suppression import Flow, column_hidden
from ingest.privacy import MASK, mask_note, masked, suppress_subset, suppression_threshold
from models_py import evaluate as ev
from models_py import report as rp
from models_py.errors import UserInputError
from models_py.explain.shap_borda import borda_count, model_importance, tree_shap_values
from models_py.explain.shap_plot import plot_shap_by_level
from models_py.explain.table1 import table1
from models_py.featurize.impute import IMPUTE_TARGETS, KNNCategoryImputer
from models_py.featurize.profile import DATATYPES, PROFILE_COLUMNS, ProfileEncoder
from models_py.marts import (
    check_marts_dir,
    mart_path,
    marts_record,
    read_mart,
    sha256_of,
    warn_about_builds,
    write_report,
)
from models_py.models.trees import GRIDS, tune_best_tree
from models_py.progress import progress_bar

STUDY = "medication"
MART = "mart_medication_profile"
MART_COLUMNS = ("patient_id", "outcome", "split", "has_mri_report") + PROFILE_COLUMNS
CLASSES = ("none", "nsaid", "opioid")
# outcome -> (classes kept, event class): event 1 = more potent, except rest_vs_none (event = no medication)
OUTCOMES: dict[str, tuple[tuple[str, ...], str]] = {
    "none_vs_nsaids": (("none", "nsaid"), "nsaid"),
    "none_vs_opioids": (("none", "opioid"), "opioid"),
    "nsaids_vs_opioids": (("nsaid", "opioid"), "opioid"),
    "rest_vs_none": (CLASSES, "none"),
    "rest_vs_nsaids": (CLASSES, "nsaid"),
    "rest_vs_opioids": (CLASSES, "opioid"),
}
# the paper's Table 2 groups: best model per outcome, then three fixed predictor sets
BORDA_GROUPS = ("best_balanced_accuracy", "tabular_text", "tabular", "text")
SHAP_MAX_ROWS = 500  # test rows explained per model (all when fewer)


@dataclass
class MedicationConfig:
    datatypes: list[str]
    outcomes: list[str]
    grid: str
    seed: int
    n_bootstrap: int
    marts_dir: str
    out_dir: str
    threshold: float = ev.DEFAULT_THRESHOLD
    n_jobs: int = 2


def _names(value, allowed: Sequence[str], what: str) -> list[str]:
    if value is None:
        return list(allowed)
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    value = list(dict.fromkeys(value))
    unknown = [v for v in value if v not in allowed]
    if unknown or not value:
        raise UserInputError(
            f"unknown {what} {', '.join(unknown) or '(none given)'}; choose from: {', '.join(allowed)}"
        )
    return value


def load_profile(marts_dir: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """The medication mart's rows with a report, checked; plus its sha256."""
    marts_dir = check_marts_dir(marts_dir)
    profile = read_mart(marts_dir, MART, MART_COLUMNS)
    bad = sorted(set(profile["outcome"].astype(str)) - set(CLASSES))
    if bad:
        raise UserInputError(f"{MART}.outcome has value(s) {bad}; expected none, nsaid, opioid")
    bad = sorted(set(profile["split"].astype(str)) - {"train", "test"})
    if bad:
        raise UserInputError(f"{MART}.split has value(s) {bad}; expected train and test")
    profile = profile[profile["has_mri_report"].fillna(False).astype(bool)].reset_index(drop=True)
    if profile.empty:
        raise UserInputError(
            f"{MART} in {marts_dir} has no patient with an index MRI report; check the cohort"
        )
    hashes = {MART: sha256_of(mart_path(marts_dir, MART))}
    warn_about_builds(marts_dir, hashes)
    return profile, hashes


def prepare_features(profile: pd.DataFrame) -> tuple[pd.DataFrame, KNNCategoryImputer, ProfileEncoder]:
    """Impute and integer-code the profile; both steps are fitted on training rows only."""
    train = profile["split"] == "train"
    unknown = [c for c in IMPUTE_TARGETS if profile.loc[train, c].isna().all()]
    if unknown:
        # the imputer votes among training patients who have a value; with none there is nothing to copy
        raise UserInputError(
            f"{MART}: {', '.join(unknown)} is blank for every training patient, so it cannot be imputed; "
            "check that the source table was loaded and rebuild the marts"
        )
    imputer = KNNCategoryImputer().fit(profile[train])
    imputed = imputer.transform(profile)
    encoder = ProfileEncoder().fit(imputed[train])
    return encoder.transform(imputed), imputer, encoder


def outcome_rows(profile: pd.DataFrame, outcome: str) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in the task and their 0/1 labels."""
    keep, event = OUTCOMES[outcome]
    rows = np.flatnonzero(profile["outcome"].isin(keep).to_numpy())
    return rows, (profile["outcome"].to_numpy()[rows] == event).astype(int)


def _fit_cell(outcome, datatype, X, y, split, grid, seed):
    """One of the 36 cells: tune on training rows, score test rows, explain test rows. Runs in a worker."""
    columns = list(DATATYPES[datatype])
    train, test = split == "train", split == "test"
    started = time.perf_counter()
    tuned = tune_best_tree(X.loc[train, columns].to_numpy(), y[train], grid, seed)
    score = tuned.estimator.predict_proba(X.loc[test, columns].to_numpy())[:, 1]
    explain_rows = np.flatnonzero(test)
    if len(explain_rows) > SHAP_MAX_ROWS:
        explain_rows = np.sort(np.random.default_rng(seed).choice(explain_rows, SHAP_MAX_ROWS, replace=False))
    values = tree_shap_values(tuned.estimator, X.iloc[explain_rows][columns].to_numpy())
    return {
        "outcome": outcome,
        "datatype": datatype,
        "tuned": tuned,
        "score": score,
        "shap": values,
        "shap_rows": explain_rows,
        "columns": columns,
        "seconds": time.perf_counter() - started,
    }


def _check_classes(profile: pd.DataFrame, outcomes: Sequence[str]) -> None:
    """Every requested outcome needs both of its classes in the train and the test rows, and 5 training
    patients in each for 5-fold CV. All outcomes that fail are named at once, each with the class it lacks
    by name (a small cohort often lacks several), and the ones that can run are suggested."""
    split_all = profile["split"].to_numpy()
    problems: dict[str, str] = {}
    for outcome in outcomes:
        keep, event = OUTCOMES[outcome]
        names = {1: event, 0: "/".join(k for k in keep if k != event)}
        rows, y = outcome_rows(profile, outcome)
        split = split_all[rows]
        for part in ("train", "test"):
            absent = [names[c] for c in (1, 0) if not (y[split == part] == c).any()]
            if absent:
                problems[outcome] = f"no patient of class {' or '.join(absent)} in the {part} rows"
                break
        else:
            if min(np.bincount(y[split == "train"], minlength=2)) < 5:
                problems[outcome] = "fewer than 5 training patients in a class; 5-fold CV needs more"
    if problems:
        usable = [o for o in outcomes if o not in problems]
        raise UserInputError(
            f"the medication cohort in {MART} is too small for "
            + "; ".join(f"{o} ({why})" for o, why in problems.items())
            + (f"; run the others with --outcomes {','.join(usable)}" if usable else "")
        )


def train_medication(
    marts_dir: Path,
    out_dir: Path,
    *,
    datatypes: Sequence[str] | str | None = None,
    outcomes: Sequence[str] | str | None = None,
    grid: str = "small",
    seed: int = 0,
    n_bootstrap: int = 1000,
    progress: bool = True,
    n_jobs: int = 2,
) -> Path:
    """Train and evaluate the medication-study grid on the mart; return the run folder."""
    started = time.perf_counter()
    if grid not in GRIDS:
        raise UserInputError(f"unknown grid '{grid}'; use one of: {', '.join(GRIDS)}")
    if n_bootstrap < 2:
        raise UserInputError(f"n_bootstrap must be at least 2 (got {n_bootstrap}); the paper uses 1000")
    cfg = MedicationConfig(
        datatypes=_names(datatypes, tuple(DATATYPES), "datatype(s)"),
        outcomes=_names(outcomes, tuple(OUTCOMES), "outcome(s)"),
        grid=grid,
        seed=int(seed),
        n_bootstrap=int(n_bootstrap),
        marts_dir=str(marts_dir),
        out_dir=str(out_dir),
        n_jobs=int(n_jobs),
    )
    console = Console(stderr=True, quiet=not progress)
    profile, hashes = load_profile(Path(marts_dir))
    _check_classes(profile, cfg.outcomes)
    X, imputer, _ = prepare_features(profile)
    missing = {c: int(profile[c].isna().sum()) for c in IMPUTE_TARGETS}

    run_dir = rp.make_run_dir(Path(out_dir), f"{STUDY}-{grid}-seed{cfg.seed}")
    rp.write_json(run_dir / "marts.json", marts_record(marts_dir, hashes))
    split_all = profile["split"].to_numpy()
    console.print(
        f"[bold]medication[/]: {ev.mask_count(len(profile))} patients with a report "
        f"({suppress_subset(len(profile), int((split_all == 'train').sum()))} train); {len(cfg.outcomes)} outcomes x "
        f"{len(cfg.datatypes)} predictor sets, grid={grid}"
    )

    jobs = []
    for outcome in cfg.outcomes:
        rows, y = outcome_rows(profile, outcome)
        for datatype in cfg.datatypes:
            jobs.append((outcome, datatype, rows, y))
    results = []
    with progress_bar(progress) as bar:
        task = bar.add_task("tuning 4 algorithms per cell", total=len(jobs))
        parallel = joblib.Parallel(n_jobs=cfg.n_jobs, return_as="generator_unordered")
        for result in parallel(
            joblib.delayed(_fit_cell)(o, d, X.iloc[r].reset_index(drop=True), y, split_all[r], grid, cfg.seed)
            for o, d, r, y in jobs
        ):
            result["rows"] = dict((o, r) for o, _, r, _ in jobs)[result["outcome"]]
            results.append(result)
            bar.advance(task)
    order = {(o, d): i for i, (o, d, _, _) in enumerate(jobs)}
    results.sort(key=lambda r: order[(r["outcome"], r["datatype"])])

    tables = _evaluate(results, profile, cfg)
    _write_outputs(run_dir, results, tables, profile, X, cfg)
    config = {
        **asdict(cfg),
        "n_patients": len(profile),
        "missing_before_imputation": missing,
        "imputer": {"targets": list(imputer.targets), "n_neighbors": imputer.n_neighbors},
        "versions": rp.run_versions("xgboost", "shap", "joblib"),
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    rp.write_json(run_dir / "config.json", config)
    write_report(run_dir, _report_markdown(config, tables, profile))
    console.print(f"run folder: {escape(str(run_dir))}")
    return rp.finish_run(run_dir)


def _evaluate(results: list[dict], profile: pd.DataFrame, cfg: MedicationConfig) -> dict[str, pd.DataFrame]:
    metrics, models, confusion, predictions, importance = [], [], [], [], []
    indices: dict[str, np.ndarray] = {}
    for r in results:
        rows = r["rows"]
        test = profile["split"].to_numpy()[rows] == "test"
        _, y_all = outcome_rows(profile, r["outcome"])
        y = y_all[test]
        if r["outcome"] not in indices:  # same resamples for every predictor set of an outcome (paired)
            indices[r["outcome"]] = ev.bootstrap_indices(len(y), cfg.n_bootstrap, cfg.seed)
        point = ev.point_metrics(y, r["score"], cfg.threshold)
        boot = ev.bootstrap_metrics(y, r["score"], indices[r["outcome"]], cfg.threshold)
        summary = ev.summarize_bootstrap(boot, point)
        summary.insert(0, "datatype", r["datatype"])
        summary.insert(0, "outcome", r["outcome"])
        metrics.append(summary)
        tuned = r["tuned"]
        models.append(
            {
                "outcome": r["outcome"],
                "datatype": r["datatype"],
                "algorithm": tuned.algorithm,
                "params": str(tuned.params),
                "cv_balanced_accuracy": tuned.cv_balanced_accuracy,
                **{f"cv_{k}": v for k, v in tuned.cv_by_algorithm.items()},
                "n_train": int((~test).sum()),
                "n_test": int(test.sum()),
                "seconds": r["seconds"],
            }
        )
        confusion += confusion_rows(y, r["score"] >= cfg.threshold, r["outcome"], r["datatype"])
        predictions.append(
            pd.DataFrame(
                {
                    "outcome": r["outcome"],
                    "datatype": r["datatype"],
                    "patient_id": profile["patient_id"].to_numpy()[rows][test],
                    "label": y,
                    "score": r["score"],
                }
            )
        )
        # the paper's "mean SHAP value", read as mean |SHAP| (explain/shap_borda.py says why)
        mean_abs = model_importance(r["shap"])
        importance.append(
            pd.DataFrame(
                {
                    "outcome": r["outcome"],
                    "datatype": r["datatype"],
                    "feature": r["columns"],
                    "mean_abs_shap": mean_abs,
                }
            )
        )
    metrics_df = pd.concat(metrics, ignore_index=True)
    models_df = pd.DataFrame(models)
    importance_df = pd.concat(importance, ignore_index=True)
    return {
        "metrics": metrics_df,
        "models": models_df,
        "confusion": pd.DataFrame(confusion),
        "predictions": pd.concat(predictions, ignore_index=True),
        "importance": importance_df,
        "borda": _borda_groups(importance_df, models_df),
    }


def confusion_rows(y: np.ndarray, pred: np.ndarray, outcome: str, datatype: str) -> list[dict]:
    """Row-normalised confusion matrix (the paper's Fig. 3). A row's two shares times its class size (printed
    in the report's cohort table) are counts, so a row holding a count from 1 to the suppression threshold is
    hidden whole (share NaN, suppressed True): its other share would give the count away as 1 - share."""
    limit = suppression_threshold()
    rows = []
    for true in (0, 1):
        counts = [int(((y == true) & (pred == predicted)).sum()) for predicted in (0, 1)]
        hidden = any(0 < c <= limit for c in counts)
        for predicted, count in zip((0, 1), counts, strict=True):
            rows.append(
                {
                    "outcome": outcome,
                    "datatype": datatype,
                    "true": true,
                    "predicted": predicted,
                    "share": np.nan if hidden else count / max(sum(counts), 1),
                    "suppressed": hidden,
                }
            )
    return rows


def best_datatype_per_outcome(models: pd.DataFrame) -> dict[str, str]:
    """The predictor set with the highest cross-validated (training-row) balanced accuracy for each outcome.

    The paper selects its best models "based on highest validation balanced accuracy". Picking the set with
    the best *test* score instead would choose on the test rows and then report the winner's test score,
    which is biased upwards (the maximum of six noisy estimates). Ties go to the first set by name."""
    best = (
        models.sort_values(["outcome", "cv_balanced_accuracy", "datatype"], ascending=[True, False, True])
        .groupby("outcome", sort=False)
        .head(1)
    )
    return dict(zip(best["outcome"], best["datatype"], strict=True))


def _borda_groups(importance: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    frames = []
    best = best_datatype_per_outcome(models)
    for group in BORDA_GROUPS:
        if group == "best_balanced_accuracy":
            pick = importance[
                [best.get(o) == d for o, d in zip(importance["outcome"], importance["datatype"], strict=True)]
            ]
        else:
            pick = importance[importance["datatype"] == group]
        if pick.empty:
            continue
        per_model = {
            f"{o}/{d}": dict(zip(g["feature"], g["mean_abs_shap"], strict=True))
            for (o, d), g in pick.groupby(["outcome", "datatype"], sort=False)
        }
        ranking = borda_count(per_model)
        ranking.insert(0, "group", group)
        frames.append(ranking)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _write_outputs(run_dir: Path, results, tables, profile, X, cfg) -> None:
    tables["metrics"].to_parquet(run_dir / "metrics.parquet", index=False)
    tables["models"].to_parquet(run_dir / "best_models.parquet", index=False)
    tables["confusion"].to_parquet(run_dir / "confusion_matrices.parquet", index=False)
    tables["predictions"].to_parquet(run_dir / "predictions.parquet", index=False)
    tables["importance"].to_parquet(run_dir / "shap_importance.parquet", index=False)
    tables["borda"].to_parquet(run_dir / "borda_ranking.parquet", index=False)
    shap_long = [
        pd.DataFrame(
            {
                "outcome": r["outcome"],
                "datatype": r["datatype"],
                "patient_id": np.repeat(
                    profile["patient_id"].to_numpy()[r["rows"]][r["shap_rows"]], len(r["columns"])
                ),
                "feature": np.tile(r["columns"], len(r["shap_rows"])),
                "shap_value": r["shap"].ravel(),
            }
        )
        for r in results
    ]
    pd.concat(shap_long, ignore_index=True).to_parquet(run_dir / "shap_values.parquet", index=False)
    table1(profile, list(PROFILE_COLUMNS)).to_parquet(run_dir / "table1.parquet", index=False)
    plots = run_dir / "plots"
    plots.mkdir()
    plot_parallel_coordinates(tables["metrics"], plots / "parallel_coordinates.png")
    plot_confusion(
        tables["confusion"], best_datatype_per_outcome(tables["models"]), plots / "confusion_matrices.png"
    )
    best = best_datatype_per_outcome(tables["models"])
    for r in results:
        if best.get(r["outcome"]) == r["datatype"]:
            features = X.iloc[r["rows"]].iloc[r["shap_rows"]][r["columns"]]
            # not shap.summary_plot: its beeswarm draws one dot per patient (explain/shap_plot.py)
            plot_shap_by_level(
                r["shap"],
                features,
                plots / f"shap_summary_{r['outcome']}.png",
                f"{r['outcome']} ({r['datatype']})",
            )


PLOT_METRICS = ("precision", "recall", "specificity", "f1", "balanced_accuracy", "auc")


def plot_parallel_coordinates(metrics: pd.DataFrame, path: Path) -> None:
    """Paper Fig. 2: one panel per metric; x = predictor set, a line per outcome, bars = bootstrap 95 % CI."""
    datatypes = list(dict.fromkeys(metrics["datatype"]))
    fig, axes = plt.subplots(1, len(PLOT_METRICS), figsize=(4 * len(PLOT_METRICS), 4.5), sharey=True)
    for ax, metric in zip(axes, PLOT_METRICS, strict=True):
        rows = metrics[metrics["metric"] == metric]
        for outcome, g in rows.groupby("outcome", sort=False):
            wide = g.pivot(index="datatype", columns="statistic", values="value").reindex(datatypes)
            x = np.arange(len(datatypes))
            mean, low, high = (wide[c].to_numpy(dtype=float) for c in ("mean", "p2_5", "p97_5"))
            ax.errorbar(
                x,
                mean,
                yerr=np.vstack([mean - low, high - mean]),
                marker="o",
                capsize=2,
                label=outcome,
            )
        ax.set_xticks(np.arange(len(datatypes)), datatypes, rotation=45, ha="right", fontsize=8)
        ax.set_title(metric)
        ax.set_ylim(0, 1)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion(confusion: pd.DataFrame, best: dict[str, str], path: Path) -> None:
    """Paper Fig. 3: row-normalised confusion matrices of each outcome's best model."""
    fig, axes = plt.subplots(1, max(len(best), 1), figsize=(3.2 * max(len(best), 1), 3.2), squeeze=False)
    any_hidden = False
    for ax, (outcome, datatype) in zip(axes[0], best.items(), strict=False):
        g = confusion[(confusion["outcome"] == outcome) & (confusion["datatype"] == datatype)]
        matrix = g.pivot(index="true", columns="predicted", values="share").reindex(
            index=[0, 1], columns=[0, 1]
        )
        ax.imshow(matrix.to_numpy(), vmin=0, vmax=1, cmap="Blues")  # NaN (hidden) cells stay blank
        for (i, j), v in np.ndenumerate(matrix.to_numpy()):
            ax.text(j, i, MASK if np.isnan(v) else f"{v:.2f}", ha="center", va="center")
        any_hidden = any_hidden or bool(g["suppressed"].any())
        ax.set(
            xticks=[0, 1], yticks=[0, 1], xlabel="predicted", ylabel="true", title=f"{outcome}\n{datatype}"
        )
    if any_hidden:
        fig.text(0.5, 0.01, mask_note(), ha="center", va="bottom", fontsize=6, wrap=True)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
    else:
        fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cohort_counts(profile: pd.DataFrame) -> pd.DataFrame:
    """Patients per split and outcome class, as printed. The report prints the whole cohort and the console
    the train size, so the classes are masked as one flow (cohort -> splits -> classes): a small class hides
    the rest of its split, and a small split hides the other split's classes too."""
    counts = profile.groupby(["split", "outcome"]).size().rename("n").reset_index()
    cells = {(r.split, r.outcome): int(r.n) for r in counts.itertuples()}
    splits = {split: tuple(k for k in cells if k[0] == split) for split in counts["split"].unique()}
    values = {
        "all": sum(cells.values()),
        **{s: sum(cells[k] for k in ks) for s, ks in splits.items()},
        **cells,
    }
    flow = Flow.chain(["all"], {"all": tuple(splits), **splits})
    hidden = column_hidden(values, flow, suppression_threshold())
    counts["n"] = [
        masked(cells[k], k in hidden) for k in zip(counts["split"], counts["outcome"], strict=True)
    ]
    return counts


def _report_markdown(config: dict, tables: dict[str, pd.DataFrame], profile: pd.DataFrame) -> str:
    metrics = tables["metrics"]
    counts = cohort_counts(profile)
    wide = (
        metrics[metrics["statistic"].isin(["mean", "p2_5", "p97_5"])]
        .pivot_table(index=["outcome", "datatype", "metric"], columns="statistic", values="value")
        .reset_index()
    )
    wide["value"] = [
        f"{m:.3f} [{lo:.3f}, {hi:.3f}]"
        for m, lo, hi in zip(wide["mean"], wide["p2_5"], wide["p97_5"], strict=True)
    ]
    perf = wide[wide["metric"].isin(PLOT_METRICS)].pivot(
        index=["outcome", "datatype"], columns="metric", values="value"
    )
    perf = perf[list(PLOT_METRICS)].reset_index()
    models = tables["models"][["outcome", "datatype", "algorithm", "params", "cv_balanced_accuracy"]]
    borda = tables["borda"]
    top = borda[borda["rank"] <= 10].pivot(index="rank", columns="group", values="feature").reset_index()
    t1 = table1(profile, list(PROFILE_COLUMNS)).drop_duplicates("feature")[["feature", "test", "p_adjusted"]]
    lines = [
        "# Medication study run (004_8aea355467337d34.txt)",
        "",
        f"Grid `{config['grid']}`, seed {config['seed']}, {config['n_bootstrap']} bootstrap resamples, "
        f"wall time {config['wall_seconds']} s. Patients with an index MRI report: {ev.mask_count(config['n_patients'])}.",
        "",
        "## Cohort by split and outcome",
        "",
        rp.markdown_table(counts),
        *(["", mask_note() + "."] if (counts["n"] == MASK).any() else []),
        "",
        "## Test performance (bootstrap mean [95 % interval]; threshold 0.5)",
        "",
        rp.markdown_table(perf),
        "",
        "## Best algorithm per cell (5-fold CV balanced accuracy)",
        "",
        rp.markdown_table(models),
        "",
        "## Variational Borda count: top 10 features per model group",
        "",
        "best_balanced_accuracy: each outcome's predictor set with the highest 5-fold CV balanced accuracy on "
        "the training rows (the paper's 'validation balanced accuracy'; never chosen on the test rows). The "
        "confusion matrices and SHAP summaries in plots/ are of the same models.",
        "",
        rp.markdown_table(top),
        "",
        "## Table 1 tests (chi-squared with Bonferroni / one-way ANOVA across outcome classes)",
        "",
        rp.markdown_table(t1),
        "",
        "Files: metrics.parquet, best_models.parquet, predictions.parquet, confusion_matrices.parquet, "
        "shap_values.parquet, shap_importance.parquet, borda_ranking.parquet, table1.parquet, plots/.",
    ]
    return "\n".join(lines) + "\n"


def summary_table(run_dir: Path) -> Table:
    """Best predictor set per outcome (by CV balanced accuracy on training rows) with its test balanced
    accuracy, AUC and F1 (bootstrap mean and 95 % interval)."""
    rp.require_finished(run_dir, STUDY)
    try:
        metrics = pd.read_parquet(Path(run_dir) / "metrics.parquet")
        best = best_datatype_per_outcome(pd.read_parquet(Path(run_dir) / "best_models.parquet"))
    except FileNotFoundError as err:
        raise UserInputError(
            f"{run_dir} is not a finished medication run folder (missing {Path(err.filename).name})"
        ) from None
    table = Table(
        title=f"medication: best predictor set per outcome by CV balanced accuracy ({escape(Path(run_dir).name)})"
    )
    for column in ("outcome", "predictor set", "balanced accuracy", "AUC", "F1"):
        table.add_column(column)
    for outcome, datatype in best.items():
        cells = []
        for metric in ("balanced_accuracy", "auc", "f1"):
            g = metrics[
                (metrics["outcome"] == outcome)
                & (metrics["datatype"] == datatype)
                & (metrics["metric"] == metric)
            ]
            v = dict(zip(g["statistic"], g["value"], strict=True))
            cells.append(f"{v['mean']:.3f} [{v['p2_5']:.3f}, {v['p97_5']:.3f}]")
        table.add_row(outcome, datatype, *cells)
    return table
