"""Run folder, plots and report.md. Everything here reads aggregate tables, never patient rows
(the ROC/PR/calibration curves are computed from scores but only curves are drawn)."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import platform
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: servers that train models have no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import precision_recall_curve, roc_curve  # noqa: E402

from ingest.cell_suppression import Flow, mask_table  # noqa: E402
from ingest.privacy import MASK, mask_note, masked, suppress, suppression_threshold  # noqa: E402
from models_py.errors import UserInputError  # noqa: E402
from models_py.evaluate import mask_count  # noqa: E402

MODEL_LABELS = {
    "lasso": "Benchmark",
    "lasso_codes": "Benchmark codes",
    "lasso_demographics": "Benchmark demographics",
    "lasso_text": "Benchmark text",
    "mdl": "MDL",
    "mdl_static": "MDL static",
    "mdl_temporal": "MDL temporal",
    "mdl_text": "MDL text",
}
TABLE_METRICS = (
    ("recall", "Recall"),
    ("precision", "Precision"),
    ("balanced_accuracy", "Balanced accuracy"),
    ("f1", "F1"),
    ("auc", "AUC"),
    ("auprc", "AUPRC"),
    ("specificity", "Specificity"),
)
ALPHA = 0.05
# marks the better of two models when their test is significant; not "*", which is a suppressed count
SIGNIFICANT = "†"


def label(model: str) -> str:
    return MODEL_LABELS.get(model, model)


def make_run_dir(out_dir: Path, stem: str) -> Path:
    """Create `out_dir/<stem>-<UTC timestamp>/` readable by the owner only (runs hold patient scores)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"{stem}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    for attempt in range(1000):
        run_dir = out_dir / (base if attempt == 0 else f"{base}-{attempt}")
        try:
            run_dir.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(run_dir, 0o700)  # mkdir's mode is filtered by the umask; make it exact
        (run_dir / INCOMPLETE).write_text(
            "This run did not finish (it failed or was interrupted): its files are partial. "
            "finish_run() removes this file when the run completes.\n"
        )
        return run_dir
    raise RuntimeError(f"could not create a fresh run folder under {out_dir}")


INCOMPLETE = "INCOMPLETE"  # present in a run folder until its study finished writing everything


def finish_run(run_dir: Path) -> Path:
    """Mark a run folder complete: the last step of every study."""
    (Path(run_dir) / INCOMPLETE).unlink(missing_ok=True)
    return run_dir


def require_finished(run_dir: Path, study: str) -> None:
    """A one-line error for a run folder whose study failed or was interrupted."""
    if (Path(run_dir) / INCOMPLETE).exists():
        raise UserInputError(
            f"{run_dir} is an unfinished {study} run (it failed or was interrupted); run it again"
        )


BASE_MODULES = ("numpy", "pandas", "scipy", "sklearn", "pyarrow")


def run_versions(*modules: str) -> dict[str, str]:
    """Python, lumbar and the version of every module a study's numbers depend on (the base numeric stack
    plus `modules`, e.g. torch, xgboost, shap), for a run folder's config.json: the same seed gives the same
    metrics only with the same versions. Read from each module's __version__ (a distribution name can differ
    from the import name: xgboost ships as xgboost-cpu)."""
    try:
        lumbar = importlib.metadata.version("lumbar")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        lumbar = "not installed"
    versions = {"python": platform.python_version(), "lumbar": lumbar, "lumbar_commit": source_commit()}
    for name in (*BASE_MODULES, *modules):
        try:
            versions[name] = str(getattr(importlib.import_module(name), "__version__", "unknown"))
        except ImportError:
            versions[name] = "not installed"
    return versions


def source_commit() -> str:
    """The git commit of the lumbar checkout the code runs from, '+modified' when tracked files differ from it
    (the package version stays 0.1.0 between releases, so only the commit names the code behind a run);
    'unknown' outside a git checkout."""
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return "unknown"
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        modified = (
            subprocess.run(["git", "-C", str(root), "diff", "--quiet", "HEAD"], timeout=10).returncode != 0
        )
    except (OSError, subprocess.SubprocessError):  # no git on the machine, or not a repository after all
        return "unknown"
    return head + ("+modified" if modified else "")


def write_json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# -- plots ----------------------------------------------------------------------------------------------


def _grid(n: int) -> tuple[plt.Figure, np.ndarray]:
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 4.5), squeeze=False)
    return fig, axes[0]


def plot_curves(predictions: pd.DataFrame, path: Path, kind: str) -> None:
    """ROC or PR curve per model, one panel per test set."""
    test = predictions[predictions["split"] == "test"]
    sets = list(dict.fromkeys(test["test_set"]))
    fig, axes = _grid(max(len(sets), 1))
    for ax, name in zip(axes, sets, strict=False):
        rows_of_set = test[test["test_set"] == name]
        labels = rows_of_set.loc[
            rows_of_set["model"] == rows_of_set["model"].iloc[0], "label"
        ]  # one per patient
        if has_small_class(len(labels), int(labels.sum())):
            # each step of a curve is one patient of the small class
            ax.text(0.5, 0.5, small_class_note(), ha="center", va="center", wrap=True, fontsize=8)
            ax.set_title(f"{'ROC' if kind == 'roc' else 'Precision-recall'}: {name}")
            ax.set_axis_off()
            continue
        for model, rows in test[test["test_set"] == name].groupby("model", sort=False):
            y, s = rows["label"].to_numpy(), rows["score"].to_numpy()
            if len(np.unique(y)) < 2:
                continue
            if kind == "roc":
                fpr, tpr, _ = roc_curve(y, s)
                ax.plot(fpr, tpr, label=label(model))
            else:
                precision, recall, _ = precision_recall_curve(y, s)
                ax.step(recall, precision, where="post", label=label(model))
        if kind == "roc":
            ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
            ax.set(xlabel="1 - specificity", ylabel="Recall (sensitivity)")
        else:
            ax.set(xlabel="Recall", ylabel="Precision")
        ax.set_title(f"{'ROC' if kind == 'roc' else 'Precision-recall'}: {name}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_calibration(reliability: pd.DataFrame, path: Path) -> None:
    sets = list(dict.fromkeys(reliability["test_set"]))
    fig, axes = _grid(max(len(sets), 1))
    for ax, name in zip(axes, sets, strict=False):
        for model, rows in reliability[reliability["test_set"] == name].groupby("model", sort=False):
            ax.plot(rows["mean_predicted"], rows["observed_rate"], marker="o", label=label(model))
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
        ax.set(xlabel="Mean predicted probability", ylabel="Observed rate", title=f"Calibration: {name}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_auc_boxes(
    bootstrap: pd.DataFrame, comparisons: pd.DataFrame, path: Path, reference: str = "mdl"
) -> None:
    """Bootstrap AUC per model and test set (paper's Figs 3 and 4); '†' = differs from MDL after Bonferroni."""
    sets = list(dict.fromkeys(bootstrap["test_set"]))
    fig, axes = _grid(max(len(sets), 1))
    for ax, name in zip(axes, sets, strict=False):
        rows = bootstrap[bootstrap["test_set"] == name]
        models = list(dict.fromkeys(rows["model"]))
        data = [rows.loc[rows["model"] == m, "auc"].dropna().to_numpy() for m in models]
        names = []
        for m in models:
            hit = comparisons[
                (comparisons["test_set"] == name)
                & (comparisons["metric"] == "auc")
                & (comparisons["model_a"] == reference)
                & (comparisons["model_b"] == m)
            ]
            star = SIGNIFICANT if len(hit) and hit["p_adjusted"].iloc[0] < ALPHA else ""
            names.append(label(m) + star)
        ax.boxplot(data, showfliers=False)
        ax.set_xticks(range(1, len(names) + 1), names, rotation=30, ha="right", fontsize=8)
        ax.set(ylabel="AUC (bootstrap)", title=name)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# -- tables ---------------------------------------------------------------------------------------------


def metric_cell(metrics: pd.DataFrame, test_set: str, model: str, metric: str) -> tuple[float, float]:
    rows = metrics[
        (metrics["test_set"] == test_set) & (metrics["model"] == model) & (metrics["metric"] == metric)
    ]
    values = dict(zip(rows["statistic"], rows["value"], strict=True))
    return values.get("mean", np.nan), values.get("sd", np.nan)


def significant_winner(comparisons: pd.DataFrame, test_set: str, metric: str, a: str, b: str) -> str | None:
    """The model with the higher mean when the a-vs-b test is significant, else None."""
    rows = comparisons[
        (comparisons["test_set"] == test_set)
        & (comparisons["metric"] == metric)
        & (comparisons["model_a"] == a)
        & (comparisons["model_b"] == b)
    ]
    if rows.empty or not rows["p_adjusted"].iloc[0] < ALPHA:
        return None
    return a if rows["mean_difference"].iloc[0] > 0 else b


# Metrics that are ratios of a test set's confusion counts: with a class of 1 to 10 patients and N printed,
# they give that class's size or the model's hits in it away (precision 0.028 of 76 patients is 2 positives
# when a model flags everyone). AUC and Brier are averages over all pairs or patients and stay.
COUNT_METRICS = frozenset({"recall", "precision", "balanced_accuracy", "f1", "auprc", "specificity"})
SMALL_CLASS_NOTE = (
    f"{MASK} hidden: a test set with a class of 1 to {{limit}} patients, whose size recall, precision, "
    "balanced accuracy, F1, AUPRC and specificity would give away"
)


def has_small_class(n: int, n_positive: int) -> bool:
    """True when a test set's positives or negatives number 1 to the suppression threshold."""
    limit = suppression_threshold()
    return 0 < n_positive <= limit or 0 < n - n_positive <= limit


def small_class_note() -> str:
    return SMALL_CLASS_NOTE.format(limit=suppression_threshold())


def metric_text(text: str, metric: str, n: int, n_positive: int) -> str:
    """A formatted metric, or MASK when it is a count ratio on a test set with a small class."""
    return MASK if metric in COUNT_METRICS and has_small_class(n, n_positive) else text


def prevalence_cell(n: int, n_positive: int) -> str:
    """Prevalence beside N would give a small class's count away (N x prevalence), so a class of 1 to 10
    patients prints as that suppressed count instead."""
    limit = suppression_threshold()
    if 0 < n_positive <= limit:
        return f"{suppress(n_positive)} positive"
    if 0 < n - n_positive <= limit:
        return f"{suppress(n - n_positive)} negative"
    return f"{n_positive / n:.3f}" if n else "n/a"


def performance_table(
    metrics: pd.DataFrame,
    comparisons: pd.DataFrame,
    test_sets: Mapping[str, Mapping[str, int]],
    models: Sequence[str],
    first_column: str,
    first_value: Mapping[str, str],
    pair: tuple[str, str] = ("mdl", "lasso"),
) -> str:
    """Markdown table shaped like the paper's Table 2 / Table 3 (mean ± SD over bootstrap resamples)."""
    head = [first_column, "Prevalence", "N", "Model"] + [name for _, name in TABLE_METRICS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    hidden = False
    for name, counts in test_sets.items():
        prevalence = prevalence_cell(counts["n"], counts["n_positive"])
        hidden |= has_small_class(counts["n"], counts["n_positive"])
        for i, model in enumerate(models):
            cells = []
            for metric, _ in TABLE_METRICS:
                mean, sd = metric_cell(metrics, name, model, metric)
                star = SIGNIFICANT if significant_winner(comparisons, name, metric, *pair) == model else ""
                cells.append(
                    metric_text(f"{mean:.3f} ± {sd:.3f}{star}", metric, counts["n"], counts["n_positive"])
                )
            lead = (
                [first_value.get(name, name), prevalence, mask_count(counts["n"])] if i == 0 else ["", "", ""]
            )
            lines.append("| " + " | ".join(lead + [label(model)] + cells) + " |")
    if hidden:
        lines += ["", small_class_note()]
    return "\n".join(lines)


def comparison_table(comparisons: pd.DataFrame, metric: str = "auc") -> str:
    rows = comparisons[comparisons["metric"] == metric]
    lines = [
        "| Test set | Model | vs | Mean difference | t | p (Bonferroni) | Comparisons |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows.itertuples():
        lines.append(
            f"| {r.test_set} | {label(r.model_a)} | {label(r.model_b)} | {r.mean_difference:+.3f} | {r.t:.1f} "
            f"| {r.p_adjusted:.2g} | {r.n_comparisons} |"
        )
    return "\n".join(lines)


def calibration_table(metrics: pd.DataFrame) -> str:
    lines = [
        "| Test set | Model | Brier | Calibration slope | Calibration intercept |",
        "|---|---|---|---|---|",
    ]
    point = metrics[metrics["statistic"] == "point"]
    for (test_set, model), rows in point.groupby(["test_set", "model"], sort=False):
        v = dict(zip(rows["metric"], rows["value"], strict=True))
        if "brier" not in v:
            continue
        lines.append(
            f"| {test_set} | {label(model)} | {v['brier']:.4f} | {v['calibration_slope']:.3f} "
            f"| {v['calibration_intercept']:.3f} |"
        )
    return "\n".join(lines)


_SUBGROUP_FLOW = Flow.chain(["n", "n_positive"])  # positives are a subset of the group


def subgroup_table(subgroups: pd.DataFrame) -> str:
    """Subgroup AUCs with their counts. An attribute's groups add up to the test set (whose counts the
    report prints), and a group's negatives are its N minus its positives, so cells are masked together
    (ingest/cell_suppression.py): no count from 1 to 10 can be worked out by subtraction."""
    lines = [
        "| Test set | Model | Attribute | Group | N | Positives | AUC |",
        "|---|---|---|---|---|---|---|",
    ]
    masked_any = False
    for _, block in subgroups.groupby(["test_set", "model", "attribute"], sort=False):
        columns = {r.group: {"n": int(r.n), "n_positive": int(r.n_positive)} for r in block.itertuples()}
        total = {row: sum(c[row] for c in columns.values()) for row in ("n", "n_positive")}
        _, hidden = mask_table(total, columns, _SUBGROUP_FLOW, suppression_threshold(), total_public=True)
        masked_any = masked_any or bool(hidden)
        for r in block.itertuples():
            n = masked(int(r.n), (r.group, "n") in hidden)
            pos = masked(int(r.n_positive), (r.group, "n_positive") in hidden)
            auc = "n/a (one class)" if np.isnan(r.auc) else f"{r.auc:.3f}"
            lines.append(
                f"| {r.test_set} | {label(r.model)} | {r.attribute} | {r.group} | {n} | {pos} | {auc} |"
            )
    if masked_any:
        lines += ["", mask_note() + "."]
    return "\n".join(lines)


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".4g") -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = [format(v, floatfmt) if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
