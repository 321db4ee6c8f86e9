"""Injection-response study (seeds/002_a07b86033410fed6.txt, Kim et al. 2022): does a TFESI give >= 50 %
leg-pain relief at 2 months? Predicted from the pre-injection T2 sagittal MRI, from chart data, and both.

    run_dir = train_injection(Path("warehouse/marts"), Path("runs/injection"), images_root=Path("data/raw"))
    rich.print(summary_table(run_dir))

Reads mart_injection_features (label, split, clinical features, report-derived Miskin / Modic grades) and
mart_injection_images (DICOM file paths), plus the DICOM files themselves (models_py/featurize/dicom.py says
how relative paths are resolved against `images_root`).

Models, all fitted on the mart's `split == 'train'` rows only and scored on `split == 'test'`:
- `cnn`: the 2-D CNN of models/image_cnn.py on the three central sagittal slices. Trained by K-fold
  cross-fitting on the training rows: fold model k never sees fold k, which gives honest out-of-fold scores
  for every training row (needed by `combined`); the test score is the K fold models' mean logit (a
  cross-validation ensemble, which is also steadier than one network trained on 155 images).
- `clinical`: logistic regression (L2, class-weighted) on baseline leg NRS, age, sex, indication
  (herniation/stenosis), Miskin central and lateral-recess grades (z-scored, training-mean imputed) and
  Modic type (one-hot, missing = 'unknown').
- `combined`: stacking, the same logistic regression with the CNN logit as one more feature. It is fitted on
  the CNN's out-of-fold training scores, never on in-sample ones, which would make the network look better
  than it is and the model over-trust it.

Evaluation uses the shared module (models_py/evaluate.py, through the same loop as the surgery study):
metrics with bootstrap intervals on the test rows (one set of resamples shared by every model, so model
differences are paired), calibration, subgroup AUC; Welch tests on the bootstrap AUCs with Bonferroni over
the three model pairs. Saliency: input gradients of the CNN ensemble for a sample of test images
(`saliency/*.png`, owner-only like the whole run folder) and their mean over all test images.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from ingest.privacy import suppress_subset
from models_py import evaluate as ev
from models_py import report as rp
from models_py.errors import UserInputError
from models_py.featurize.dicom import load_images
from models_py.featurize.static import StaticFeaturizer
from models_py.marts import (
    mart_path,
    marts_record,
    read_mart,
    read_marts_record,
    sha256_of,
    warn_about_builds,
    write_report,
)
from models_py.models.image_cnn import ImageCNNClassifier, saliency_map
from models_py.models.mdl import resolve_device

STUDY = "injection"
FEATURES_MART = "mart_injection_features"
IMAGES_MART = "mart_injection_images"
CLINICAL_CATEGORICAL = ("sex", "indication", "modic_type")
CLINICAL_NUMERIC = ("nrs_pre", "age_at_injection", "miskin_central", "miskin_lateral_recess")
FEATURE_COLUMNS = (
    ("patient_id", "image_id", "good_outcome", "split") + CLINICAL_CATEGORICAL + CLINICAL_NUMERIC
)
IMAGE_COLUMNS = ("image_id", "path", "format", "file_number")
MODELS = ("cnn", "clinical", "combined")
DESCRIPTIONS = {
    "cnn": "2-D CNN on the T2 sagittal slices (cross-fitted ensemble)",
    "clinical": "logistic regression on chart features and report grades",
    "combined": "logistic regression on chart features + the CNN's logit (stacked on out-of-fold scores)",
}
PAIRS = (("combined", "clinical"), ("combined", "cnn"), ("cnn", "clinical"))
PAPER_AUC = 0.827
MIN_PER_CLASS = 2


@dataclass(frozen=True)
class InjectionConfig:
    seed: int = 0
    epochs: int = 30
    n_bootstrap: int = 1000
    folds: int = 5
    n_saliency: int = 8
    image_size: int = 64
    n_slices: int = 3
    widths: tuple[int, ...] = (16, 32, 64)
    lr: float = 3e-3
    weight_decay: float = 1e-3
    batch_size: int = 32
    logistic_C: float = 1.0
    device: str = "auto"
    threads: int | None = None  # torch threads; None = one per core


# -- data ---------------------------------------------------------------------------------------------------


def load_cohort(marts_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Feature and image-file marts (checked) and their sha256."""
    marts_dir = Path(marts_dir)
    features = read_mart(marts_dir, FEATURES_MART, FEATURE_COLUMNS)
    files = read_mart(marts_dir, IMAGES_MART, IMAGE_COLUMNS)
    hashes = {name: sha256_of(mart_path(marts_dir, name)) for name in (FEATURES_MART, IMAGES_MART)}
    warn_about_builds(marts_dir, hashes)
    bad = sorted(set(features["split"].astype(str)) - {"train", "test"})
    if bad:
        raise UserInputError(f"{FEATURES_MART}.split has value(s) {bad}; expected only 'train' and 'test'")
    if features["patient_id"].duplicated().any():
        raise UserInputError(f"{FEATURES_MART} has more than one row per patient_id; rebuild the marts")
    features = features.sort_values("patient_id").reset_index(drop=True)
    features["label"] = features["good_outcome"].astype(int)
    return features, files, hashes


def split_by_pixel_data(features: pd.DataFrame, files: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Patients whose pre-injection MRI has pixel-data rows, and how many do not (reported, not silent).

    The cohort takes the latest lumbar MRI before the injection, which can be a study known only by its
    report (e.g. read at another facility). Those patients cannot be scored by any image model; leaving them
    out of every model keeps the three models comparable on the same patients. A file that is listed but
    missing or unreadable is different: that is an error (models_py/featurize/dicom.py).
    """
    has_files = features["image_id"].isin(set(files["image_id"]))
    return features[has_files].reset_index(drop=True), int((~has_files).sum())


def _check_classes(y: np.ndarray, where: str, need: int) -> None:
    n_pos = int(y.sum())
    if n_pos < need or len(y) - n_pos < need:
        raise UserInputError(
            f"the {where} rows need at least {need} patients of each outcome (have {ev.mask_count(n_pos)} good, "
            f"{ev.mask_count(len(y) - n_pos)} poor); check the injection cohort and its split"
        )


# -- models -------------------------------------------------------------------------------------------------


def clinical_model(cfg: InjectionConfig, extra_numeric: tuple[str, ...] = ()) -> Pipeline:
    """StaticFeaturizer (one-hot + z-score, training-mean imputation) -> class-weighted L2 logistic."""
    return Pipeline(
        [
            ("features", StaticFeaturizer(CLINICAL_CATEGORICAL, CLINICAL_NUMERIC + extra_numeric)),
            (
                "logistic",
                LogisticRegression(C=cfg.logistic_C, class_weight="balanced", max_iter=5000),
            ),
        ]
    )


def _cnn(cfg: InjectionConfig, seed: int, progress: bool, label: str) -> ImageCNNClassifier:
    return ImageCNNClassifier(
        widths=cfg.widths,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        device=cfg.device,
        n_threads=cfg.threads,
        random_state=seed,
        progress=progress,
        progress_label=label,
    )


def cross_fit_cnn(
    images: np.ndarray, y: np.ndarray, cfg: InjectionConfig, progress: bool
) -> tuple[list[ImageCNNClassifier], np.ndarray]:
    """K fold models and the out-of-fold logit of every training image."""
    folds = StratifiedKFold(cfg.folds, shuffle=True, random_state=cfg.seed)
    models, oof = [], np.full(len(y), np.nan)
    for k, (fit_idx, held_idx) in enumerate(folds.split(np.zeros(len(y)), y)):
        model = _cnn(cfg, cfg.seed + k, progress, f"CNN fold {k + 1}/{cfg.folds}").fit(
            images[fit_idx], y[fit_idx]
        )
        oof[held_idx] = model.decision_function(images[held_idx])
        models.append(model)
    return models, oof


def ensemble_logit(models: list[ImageCNNClassifier], images: np.ndarray) -> np.ndarray:
    return np.mean([m.decision_function(images) for m in models], axis=0)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def _coefficients(pipe: Pipeline) -> list[tuple[str, float]]:
    names = [n.removeprefix("static:") for n in pipe.named_steps["features"].get_feature_names_out()]
    coefs = pipe.named_steps["logistic"].coef_[0]
    return sorted(zip(names, map(float, coefs), strict=True), key=lambda t: -abs(t[1]))


# -- evaluation ---------------------------------------------------------------------------------------------


def _prediction_frame(rows: pd.DataFrame, scores: np.ndarray, model: str, split: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": rows["patient_id"].to_numpy(),
            "model": model,
            "split": split,
            "test_set": pd.Series(["test" if split == "test" else None] * len(rows), dtype="string"),
            "score": np.asarray(scores, dtype=float),
            "label": rows["label"].to_numpy().astype(int),
        }
    )


def _truth_path(truth_dir: Path) -> Path:
    path = Path(truth_dir) / "injection.parquet"
    if not path.is_file():
        raise UserInputError(f"no {path}; pass the generator's truth/ folder or leave out --truth")
    return path


def _truth_check(truth_dir: Path, test: pd.DataFrame, cnn_score: np.ndarray) -> dict[str, float]:
    """Synthetic data only: how the CNN's test scores track the planted lesion size and outcome model."""
    path = _truth_path(truth_dir)
    truth = pd.read_parquet(path, columns=["image_id", "lesion_size", "p_good_outcome"]).set_index("image_id")
    planted = truth.reindex(test["image_id"].to_numpy())
    known = planted["lesion_size"].notna().to_numpy()
    y = test["label"].to_numpy()[known]
    return {
        "n_matched": int(known.sum()),
        "spearman_cnn_vs_lesion_size": float(
            stats.spearmanr(cnn_score[known], planted["lesion_size"][known]).statistic
        ),
        "oracle_auc_test": ev.point_metrics(y, planted["p_good_outcome"].to_numpy()[known])["auc"],
        "lesion_size_auc_test": ev.point_metrics(y, _sigmoid(-planted["lesion_size"].to_numpy()[known]))[
            "auc"
        ],
    }


# -- saliency -----------------------------------------------------------------------------------------------


def write_saliency(
    models: list[ImageCNNClassifier],
    images: np.ndarray,
    rows: pd.DataFrame,
    scores: np.ndarray,
    run_dir: Path,
    n_sample: int,
    seed: int,
) -> pd.DataFrame:
    """PNG per sampled test image (slices, and input-gradient saliency over them) and the mean map."""
    folder = run_dir / "saliency"
    folder.mkdir(mode=0o700)
    saliency = saliency_map(models, images)
    _plot_mean_saliency(images, saliency, run_dir / "saliency_mean.png")
    rng = np.random.default_rng(seed)
    labels = rows["label"].to_numpy()
    # half good and half poor outcomes where possible, so both directions of the score are shown
    picks = []
    for cls in (1, 0):
        pool = np.flatnonzero(labels == cls)
        picks += list(rng.choice(pool, size=min(len(pool), (n_sample + cls) // 2), replace=False))
    index = []
    for k, i in enumerate(sorted(picks)):
        name = f"test_{k + 1:02d}.png"
        outcome = "good" if labels[i] else "poor"
        _plot_saliency(images[i], saliency[i], folder / name, f"outcome {outcome}, CNN score {scores[i]:.2f}")
        index.append(
            {"file": f"saliency/{name}", "image_id": rows["image_id"].iloc[i], "label": int(labels[i])}
        )
    frame = pd.DataFrame(index, columns=["file", "image_id", "label"])
    frame.to_parquet(folder / "index.parquet", index=False)
    return frame


def _overlay(ax, image: np.ndarray, sal: np.ndarray, scale: float) -> None:
    ax.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax.imshow(np.clip(sal / scale, 0, 1), cmap="inferno", alpha=0.55, vmin=0, vmax=1)


def _plot_saliency(image: np.ndarray, sal: np.ndarray, path: Path, title: str) -> None:
    n = image.shape[0]
    scale = float(np.percentile(sal, 99.5)) or 1.0
    fig, axes = rp.plt.subplots(2, n, figsize=(2.6 * n, 5.4), squeeze=False)
    for j in range(n):
        axes[0, j].imshow(image[j], cmap="gray", vmin=0, vmax=1)
        axes[0, j].set_title(f"slice {j + 1}", fontsize=8)
        _overlay(axes[1, j], image[j], sal[j], scale)
        axes[1, j].set_title("|input gradient|", fontsize=8)
    for ax in axes.ravel():
        ax.axis("off")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    rp.plt.close(fig)


def _plot_mean_saliency(images: np.ndarray, saliency: np.ndarray, path: Path) -> None:
    # each image's map is scaled to its own total first, so a few large gradients do not dominate the mean
    weights = saliency / saliency.sum(axis=(1, 2, 3), keepdims=True).clip(min=1e-12)
    mean_sal, mean_img = weights.mean(axis=0), images.mean(axis=0)
    scale = float(np.percentile(mean_sal, 99.5)) or 1.0
    n = images.shape[1]
    fig, axes = rp.plt.subplots(1, n, figsize=(2.8 * n, 3.2), squeeze=False)
    for j in range(n):
        _overlay(axes[0, j], mean_img[j], mean_sal[j], scale)
        axes[0, j].set_title(f"slice {j + 1}", fontsize=8)
        axes[0, j].axis("off")
    fig.suptitle(f"Mean saliency over the test images (n = {ev.mask_count(len(images))})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    rp.plt.close(fig)


# -- entry points -------------------------------------------------------------------------------------------


def train_injection(
    marts_dir: Path,
    out_dir: Path,
    *,
    images_root: Path | None = None,
    seed: int = 0,
    epochs: int = 30,
    n_bootstrap: int = 1000,
    progress: bool = True,
    device: str = "auto",
    threads: int | None = None,
    truth_dir: Path | None = None,
    config: InjectionConfig | None = None,
) -> Path:
    """Train the CNN, clinical and combined models, evaluate them on the test rows; return the run folder.

    images_root: folder that relative paths in mart_injection_images are relative to (the folder the raw
    tables were loaded from). threads: torch threads (None = one per core). `config`, when given, replaces
    seed / epochs / n_bootstrap / device / threads.
    truth_dir: the generator's `truth/` folder; when given, the CNN's agreement with the planted lesion size
    is reported (synthetic data only).
    """
    started = time.perf_counter()
    cfg = config or InjectionConfig(
        seed=seed, epochs=epochs, n_bootstrap=n_bootstrap, device=device, threads=threads
    )
    _check_config(cfg)
    if truth_dir is not None:
        _truth_path(truth_dir)  # before hours of CNN training, not after them
    console = Console(stderr=True, quiet=not progress)
    features, files, hashes = load_cohort(Path(marts_dir))
    features, n_no_pixels = split_by_pixel_data(features, files)
    if n_no_pixels:
        console.print(
            f"{ev.mask_count(n_no_pixels)} patient(s) left out: their pre-injection MRI has no pixel-data "
            f"files in {IMAGES_MART}"
        )
    train = features[features["split"] == "train"].reset_index(drop=True)
    test = features[features["split"] == "test"].reset_index(drop=True)
    _check_classes(train["label"].to_numpy(), "training", max(MIN_PER_CLASS, cfg.folds))
    if test.empty:
        raise UserInputError(f"{FEATURES_MART} has no test rows; check the split column")
    console.print(
        f"[bold]injection[/]: {ev.mask_count(len(train))} training and {ev.mask_count(len(test))} test patients"
    )
    root = Path(images_root).expanduser() if images_root is not None else None
    ids = list(train["image_id"]) + list(test["image_id"])
    images = load_images(files, ids, root, n_slices=cfg.n_slices, size=cfg.image_size, progress=progress)
    x_train, x_test = images[: len(train)], images[len(train) :]
    y_train = train["label"].to_numpy()

    run_dir = rp.make_run_dir(Path(out_dir), f"{STUDY}-seed{cfg.seed}")
    models_dir = run_dir / "models"
    models_dir.mkdir(mode=0o700)
    rp.write_json(run_dir / "marts.json", marts_record(marts_dir, hashes))

    console.print(f"training [bold]cnn[/]: {cfg.folds}-fold cross-fitting, {cfg.epochs} epochs per fold")
    t0 = time.perf_counter()
    cnns, oof_logit = cross_fit_cnn(x_train, y_train, cfg, progress)
    cnn_seconds = time.perf_counter() - t0
    test_logit = ensemble_logit(cnns, x_test)
    for k, model in enumerate(cnns):
        model.save(models_dir / f"cnn_fold{k + 1}.pt")

    clinical = clinical_model(cfg).fit(train, y_train)
    combined = clinical_model(cfg, ("cnn_logit",)).fit(train.assign(cnn_logit=oof_logit), y_train)
    joblib.dump(clinical, models_dir / "clinical.joblib")
    joblib.dump(combined, models_dir / "combined.joblib")

    scores = {
        "cnn": (_sigmoid(oof_logit), _sigmoid(test_logit)),
        "clinical": (clinical.predict_proba(train)[:, 1], clinical.predict_proba(test)[:, 1]),
        "combined": (
            combined.predict_proba(train.assign(cnn_logit=oof_logit))[:, 1],
            combined.predict_proba(test.assign(cnn_logit=test_logit))[:, 1],
        ),
    }
    predictions = pd.concat(
        [_prediction_frame(train, s_train, m, "train") for m, (s_train, _) in scores.items()]
        + [_prediction_frame(test, s_test, m, "test") for m, (_, s_test) in scores.items()],
        ignore_index=True,
    )

    console.print(f"evaluating: {cfg.n_bootstrap} bootstrap resamples of the test rows")
    results = ev.evaluate_predictions(
        predictions,
        features,
        list(MODELS),
        cfg.n_bootstrap,
        cfg.seed,
        pairs=[(a, b, len(PAIRS)) for a, b in PAIRS],
    )
    indication = pd.concat(
        [
            ev.subgroup_auc(test["label"], s_test, test, attributes=("indication",)).assign(
                test_set="test", model=m
            )
            for m, (_, s_test) in scores.items()
        ],
        ignore_index=True,
    )
    results["subgroups"] = pd.concat([results["subgroups"], indication], ignore_index=True)
    predictions.to_parquet(run_dir / "predictions.parquet", index=False)
    for key, frame in results.items():
        frame.to_parquet(run_dir / f"{key}.parquet", index=False)
    history = pd.concat(
        [pd.DataFrame(m.history_).assign(fold=k + 1) for k, m in enumerate(cnns)], ignore_index=True
    )
    history.to_parquet(run_dir / "cnn_history.parquet", index=False)

    rp.plot_curves(predictions, run_dir / "roc.png", "roc")
    rp.plot_curves(predictions, run_dir / "pr.png", "pr")
    rp.plot_calibration(results["reliability"], run_dir / "calibration.png")
    rp.plot_auc_boxes(results["bootstrap"], results["comparisons"], run_dir / "auc_bootstrap.png", "combined")
    console.print(f"saliency maps: {cfg.n_saliency} sampled test images and the mean over all")
    sample = write_saliency(cnns, x_test, test, scores["cnn"][1], run_dir, cfg.n_saliency, cfg.seed)

    counts = {
        "train": {"n": len(train), "n_positive": int(y_train.sum())},
        "test": {"n": len(test), "n_positive": int(test["label"].sum())},
    }
    summary = {
        "study": STUDY,
        "config": asdict(cfg),
        "device": str(resolve_device(cfg.device)),
        "images_root": str(root) if root is not None else None,
        "evaluation": {"train": counts["train"], "test_sets": {"test": counts["test"]}},
        "left_out_without_pixel_data": n_no_pixels,
        "missing_report_grades": {
            c: int(features[c].isna().sum())
            for c in ("miskin_central", "miskin_lateral_recess", "modic_type")
        },
        "models": list(MODELS),
        "fitted": {
            "cnn": {
                "folds": cfg.folds,
                "epochs": cfg.epochs,
                "seconds": cnn_seconds,
                "seconds_per_epoch": float(history["seconds"].mean()),
                "parameters": int(sum(p.numel() for p in cnns[0].net_.parameters())),
            },
            "clinical": {"coefficients": _coefficients(clinical)},
            "combined": {"coefficients": _coefficients(combined)},
        },
        "saliency_images": len(sample),
        "truth": _truth_check(Path(truth_dir), test, test_logit) if truth_dir is not None else None,
        "versions": rp.run_versions("torch", "pydicom"),
        "seconds_total": time.perf_counter() - started,
    }
    rp.write_json(run_dir / "config.json", summary)
    marts = read_marts_record(run_dir)
    write_report(run_dir, _report(summary, results, marts))
    console.print(f"run folder: {escape(str(run_dir))}")
    return rp.finish_run(run_dir)


def _check_config(cfg: InjectionConfig) -> None:
    if cfg.n_bootstrap < 2:
        raise UserInputError(f"n_bootstrap must be at least 2 (got {cfg.n_bootstrap})")
    if cfg.epochs < 1:
        raise UserInputError(f"epochs must be at least 1 (got {cfg.epochs})")
    if cfg.threads is not None and cfg.threads < 1:
        raise UserInputError(f"threads must be at least 1 (got {cfg.threads})")
    if cfg.folds < 2:
        raise UserInputError(
            f"folds must be at least 2 (got {cfg.folds}); cross-fitting needs held-out folds"
        )
    try:
        resolve_device(cfg.device)
    except (ValueError, RuntimeError) as err:
        raise UserInputError(str(err)) from None


def _title(marts: dict) -> str:
    """The outcome as the marts defined it: the dbt vars recorded for the features mart, when on record
    (a researcher may have changed the responder rule with --vars)."""
    v = (marts.get("build", {}).get(FEATURES_MART) or {}).get("vars") or {}
    needed = ("injection_responder_min_percent", "injection_nrs_name", "injection_followup_min_days")
    if not all(k in v for k in (*needed, "injection_followup_max_days")):
        return "# Injection response after TFESI (responder rule of the marts' build: not on record)"
    return (
        f"# Injection response: >= {v['injection_responder_min_percent']} % relief of {v['injection_nrs_name']} "
        f"{v['injection_followup_min_days']}-{v['injection_followup_max_days']} days after TFESI"
    )


def _report(summary: dict, results: dict[str, pd.DataFrame], marts: dict) -> str:
    metrics, comparisons = results["metrics"], results["comparisons"]
    test_sets = summary["evaluation"]["test_sets"]
    train = summary["evaluation"]["train"]
    cnn = summary["fitted"]["cnn"]
    cfg = summary["config"]
    lines = [
        _title(marts),
        "",
        f"Training patients: {ev.mask_count(train['n'])} "
        f"(good outcome: {suppress_subset(train['n'], train['n_positive'])}); "
        f"test patients: {ev.mask_count(test_sets['test']['n'])} "
        f"(good outcome: {suppress_subset(test_sets['test']['n'], test_sets['test']['n_positive'])}). "
        f"Seed {cfg['seed']}; "
        f"{cfg['n_bootstrap']} bootstrap resamples of the test rows; device {summary['device']}.",
        "",
        "Models (fitted on training rows only):",
        "",
        *(f"- **{m}**: {DESCRIPTIONS[m]}" for m in summary["models"]),
        "",
        f"The paper (Kim et al. 2022) reports AUC {PAPER_AUC} for its CNN on its validation set.",
        "",
        "## Test-set performance",
        "",
        "Mean ± SD over bootstrap resamples; threshold metrics at 0.5 on class-weighted probabilities. "
        f"{rp.SIGNIFICANT} marks the better of combined and clinical when their Welch t-test (Bonferroni x 3) "
        "gives p < 0.05.",
        "",
        rp.performance_table(
            metrics,
            comparisons,
            test_sets,
            summary["models"],
            "Outcome",
            {"test": ">= 50 % relief"},
            pair=("combined", "clinical"),
        ),
        "",
        _interval_table(metrics, summary["evaluation"]["test_sets"]["test"]),
        "",
        "![ROC](roc.png) ![PR](pr.png)",
        "",
        "## Model comparisons (AUC)",
        "",
        rp.comparison_table(comparisons),
        "",
        "![AUC bootstrap](auc_bootstrap.png)",
        "",
        "## Calibration",
        "",
        "Logistic recalibration on logit(p). Class weighting moves probabilities towards 0.5 on purpose.",
        "",
        rp.calibration_table(metrics),
        "",
        "![calibration](calibration.png)",
        "",
        "## Subgroup AUC",
        "",
        rp.subgroup_table(results["subgroups"]),
        "",
        "## Saliency",
        "",
        f"Input-gradient saliency (|d logit / d pixel|) of the CNN ensemble. {summary['saliency_images']} "
        "sampled test images are in `saliency/` (index: `saliency/index.parquet`); below, the mean map over all "
        "test images on the mean image.",
        "",
        "![mean saliency](saliency_mean.png)",
        "",
        "## Fitted models",
        "",
        f"- **cnn**: {cnn['folds']} fold models x {cnn['epochs']} epochs, {cnn['parameters']:,} parameters each, "
        f"{cnn['seconds_per_epoch']:.2f} s/epoch, {cnn['seconds']:.0f} s in all (per-epoch losses: `cnn_history.parquet`).",
    ]
    for name in ("clinical", "combined"):
        top = ", ".join(f"{n} ({c:+.2f})" for n, c in summary["fitted"][name]["coefficients"][:8])
        lines.append(f"- **{name}** standardised coefficients (log-odds of a good outcome): {top}")
    missing = summary["missing_report_grades"]
    lines += [
        "",
        f"Left out of all models because their pre-injection MRI has no pixel-data files: "
        f"{ev.mask_count(summary['left_out_without_pixel_data'])} patient(s).",
        "Report grades not stated in the MRI report (imputed with the training mean / 'unknown'): "
        + ", ".join(f"{k} {ev.mask_count(v)}" for k, v in missing.items())
        + ".",
    ]
    if summary["truth"] is not None:
        t = summary["truth"]
        lines += [
            "",
            "## Planted signal (synthetic data)",
            "",
            f"Spearman correlation of the CNN's test score with the planted lesion size: "
            f"{t['spearman_cnn_vs_lesion_size']:.3f} (negative = larger lesion, lower chance of relief). "
            f"Test AUC of the true outcome probability (oracle): {t['oracle_auc_test']:.3f}; "
            f"of the lesion size alone: {t['lesion_size_auc_test']:.3f}.",
        ]
    lines += [
        "",
        "Marts read (sha256) are in `marts.json`; the configuration and fitted summaries in `config.json`.",
        "",
    ]
    return "\n".join(lines)


def _interval_table(metrics: pd.DataFrame, test: dict[str, int]) -> str:
    """AUC and AUPRC: point estimate with the 2.5-97.5 percentile bootstrap interval."""
    lines = ["| Model | AUC (95 % CI) | AUPRC (95 % CI) | Brier |", "|---|---|---|---|"]
    for model in MODELS:
        cells = []
        for metric in ("auc", "auprc"):
            v = _stats(metrics, model, metric)
            text = f"{v['point']:.3f} ({v['p2_5']:.3f}-{v['p97_5']:.3f})"
            cells.append(rp.metric_text(text, metric, test["n"], test["n_positive"]))
        cells.append(f"{_stats(metrics, model, 'brier')['point']:.3f}")
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    if rp.has_small_class(test["n"], test["n_positive"]):
        lines += ["", rp.small_class_note()]
    return "\n".join(lines)


def _stats(metrics: pd.DataFrame, model: str, metric: str) -> dict[str, float]:
    rows = metrics[(metrics["model"] == model) & (metrics["metric"] == metric)]
    return dict(zip(rows["statistic"], rows["value"], strict=True))


def summary_table(run_dir: Path) -> Table:
    """AUC with its bootstrap interval, AUPRC and Brier score per model of a finished run, for the CLI."""
    run_dir = Path(run_dir)
    rp.require_finished(run_dir, STUDY)
    try:
        summary = json.loads((run_dir / "config.json").read_text())
        metrics = pd.read_parquet(run_dir / "metrics.parquet")
    except FileNotFoundError as err:
        raise UserInputError(
            f"{run_dir} is not a finished injection run folder (missing {Path(err.filename).name})"
        ) from None
    test = summary["evaluation"]["test_sets"]["test"]
    table = Table(
        title=f"{escape(_title(read_marts_record(run_dir)).removeprefix('# '))}: test N = {ev.mask_count(test['n'])}, "
        f"good outcome = {suppress_subset(test['n'], test['n_positive'])}"
    )
    for col in ("Model", "AUC", "95 % CI", "AUPRC", "Balanced accuracy", "Brier"):
        table.add_column(col, justify="left" if col == "Model" else "right")
    for model in summary["models"]:
        auc = _stats(metrics, model, "auc")
        table.add_row(
            model,
            f"{auc['point']:.3f}",
            f"{auc['p2_5']:.3f}-{auc['p97_5']:.3f}",
            *(
                rp.metric_text(f"{_stats(metrics, model, m)['point']:.3f}", m, test["n"], test["n_positive"])
                for m in ("auprc", "balanced_accuracy")
            ),
            f"{_stats(metrics, model, 'brier')['point']:.3f}",
        )
    captions = []
    if summary.get("truth"):
        captions.append(
            f"Spearman(CNN score, planted lesion size) = {summary['truth']['spearman_cnn_vs_lesion_size']:.3f}"
        )
    if rp.has_small_class(test["n"], test["n_positive"]):
        captions.append(rp.small_class_note())
    table.caption = ". ".join(captions) or None
    return table
