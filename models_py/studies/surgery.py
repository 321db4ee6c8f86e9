"""Surgery prediction study (seed paper 000): LASSO benchmark vs multimodal deep learning.

    run_dir = train_surgery(Path("warehouse/marts"), Path("runs/surgery"), task="early")
    rich.print(summary_table(run_dir))

Protocols
---------
classical         train on the mart's `split == 'train'` rows, test on `split == 'test'`.
generalizability  train on the largest site, test on every other site except the smallest
                  (the paper trains on Kaiser and drops Mayo); `train_site` / `test_sites`
                  override the choice.

Only the Parquet marts are read. Every featuriser is fitted on training rows
only; word2vec is pre-trained, without labels, on the report corpus mart as in
the paper.

Decision thresholds (recall, specificity, balanced accuracy, precision, F1):
LASSO models use 0.5 on their balanced-class-weight probabilities, as in the
paper; networks use the threshold that maximised F1 on their validation rows
(`MDLClassifier.threshold_`, models_py/models/mdl.py). AUC and AUPRC do not
depend on either.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sklearn.pipeline import FeatureUnion, Pipeline

from ingest.privacy import suppress_subset
from models_py import evaluate as ev
from models_py import report as rp
from models_py.errors import UserInputError
from models_py.featurize.codes import CodesBagFeaturizer
from models_py.featurize.embeddings import (
    Word2VecConfig,
    copy_vectors,
    embedding_matrix,
    load_or_train_word2vec,
)
from models_py.featurize.multimodal import MultimodalFeaturizer
from models_py.featurize.static import StaticFeaturizer
from models_py.featurize.text import NgramFeaturizer
from models_py.marts import (
    SurgeryMarts,
    load_surgery_marts,
    marts_record,
    write_report,
)
from models_py.models.lasso import LassoBenchmark, top_coefficients
from models_py.models.mdl import GRIDS, MDLClassifier, grid_search, resolve_device
from models_py.patients import build_patient_table, feature_key

STUDY = "surgery"
TASKS = ("early", "late")
PROTOCOLS = ("classical", "generalizability")


@dataclass(frozen=True)
class ModelSpec:
    kind: str  # "lasso" or "mdl"
    modalities: tuple[str, ...]
    description: str


MODEL_SPECS: dict[str, ModelSpec] = {
    "lasso": ModelSpec(
        "lasso", ("static", "codes", "text"), "LASSO on demographics + codes + report n-grams"
    ),
    "lasso_codes": ModelSpec("lasso", ("codes",), "LASSO on diagnosis/procedure/drug codes"),
    "lasso_demographics": ModelSpec("lasso", ("static",), "LASSO on demographics"),
    "lasso_text": ModelSpec("lasso", ("text",), "LASSO on report n-grams"),
    "mdl": ModelSpec("mdl", ("text", "temporal", "static"), "CNN (text) + GRU (codes) + demographics"),
    "mdl_static": ModelSpec("mdl", ("static",), "demographics network (1-layer FC)"),
    "mdl_temporal": ModelSpec("mdl", ("temporal",), "GRU network on monthly code bins"),
    "mdl_text": ModelSpec("mdl", ("text",), "CNN network on the index report"),
}
# comparisons corrected together (paper: MDL vs its three single-modality networks, p x 3)
FAMILIES = {
    "mdl": ("mdl_static", "mdl_temporal", "mdl_text"),
    "lasso": ("lasso_codes", "lasso_demographics", "lasso_text"),
}


@dataclass
class SurgeryConfig:
    task: str
    protocol: str
    models: list[str]
    grid: str
    seed: int
    n_bootstrap: int
    lasso_repeats: int
    device: str
    marts_dir: str
    out_dir: str
    train_site: str | None = None
    test_sites: list[str] | None = None
    threshold: float = ev.DEFAULT_THRESHOLD  # LASSO models; networks choose theirs on validation rows
    lasso_tol: float = 1e-4  # final refit on all training rows
    lasso_cv_tol: float = 1e-3  # lambda-search fits (see models_py/models/lasso.py, "Speed")
    word2vec: dict = field(default_factory=dict)
    mdl_grid: dict = field(default_factory=dict)


@dataclass
class Split:
    train: np.ndarray  # row positions in the patient table
    tests: dict[str, np.ndarray]


# -- configuration ----------------------------------------------------------------------------------------


def _resolve_config(
    marts_dir,
    out_dir,
    task,
    protocol,
    models,
    grid,
    seed,
    n_bootstrap,
    lasso_repeats,
    device,
    train_site,
    test_sites,
) -> SurgeryConfig:
    if task not in TASKS:
        raise UserInputError(f"unknown task '{task}'; use one of: {', '.join(TASKS)}")
    if protocol not in PROTOCOLS:
        raise UserInputError(f"unknown protocol '{protocol}'; use one of: {', '.join(PROTOCOLS)}")
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    models = list(dict.fromkeys(models))
    unknown = [m for m in models if m not in MODEL_SPECS]
    if unknown or not models:
        raise UserInputError(
            f"unknown model(s) {', '.join(unknown) or '(none given)'}; choose from: {', '.join(MODEL_SPECS)}"
        )
    if grid not in GRIDS:
        raise UserInputError(f"unknown grid '{grid}'; use one of: {', '.join(GRIDS)}")
    if protocol != "generalizability" and (train_site is not None or test_sites is not None):
        # the classical protocol splits every site 80/20; a site choice would be silently ignored
        raise UserInputError("train and test sites apply to the generalizability protocol only")
    if n_bootstrap < 2:
        raise UserInputError(f"n_bootstrap must be at least 2 (got {n_bootstrap}); the paper uses 1000")
    if lasso_repeats < 1:
        raise UserInputError(f"lasso_repeats must be at least 1 (got {lasso_repeats}); the paper uses 50")
    try:
        resolved_device = str(resolve_device(device))
    except (ValueError, RuntimeError) as err:
        raise UserInputError(str(err)) from None
    selected = GRIDS[grid]
    return SurgeryConfig(
        task=task,
        protocol=protocol,
        models=models,
        grid=grid,
        seed=int(seed),
        n_bootstrap=int(n_bootstrap),
        lasso_repeats=int(lasso_repeats),
        device=resolved_device,
        marts_dir=str(marts_dir),
        out_dir=str(out_dir),
        train_site=train_site,
        test_sites=list(test_sites) if test_sites is not None else None,
        word2vec=asdict(Word2VecConfig(seed=int(seed))),
        mdl_grid={**asdict(selected), "n_combinations": len(selected.combos())},
    )


# -- splits -------------------------------------------------------------------------------------------------


def classical_split(patients: pd.DataFrame) -> Split:
    values = patients["split"].astype(str)
    bad = sorted(set(values) - {"train", "test"})
    if bad:
        raise UserInputError(
            f"mart_surgery_static.split has value(s) {bad}; expected only 'train' and 'test'"
        )
    return Split(train=np.flatnonzero(values == "train"), tests={"test": np.flatnonzero(values == "test")})


def generalizability_split(
    patients: pd.DataFrame, train_site: str | None = None, test_sites: Sequence[str] | None = None
) -> Split:
    """Train on the largest site; test on each other site except the smallest (ties by name)."""
    sites = patients["site"].astype("string").fillna("unknown").to_numpy()
    counts = pd.Series(sites).value_counts()
    ranked = sorted(counts.index, key=lambda s: (-counts[s], s))
    if train_site is None:
        train_site = ranked[0]
    if train_site not in counts:
        raise UserInputError(
            f"train site '{train_site}' not in mart_surgery_static.site; sites: {', '.join(ranked)}"
        )
    if test_sites is None:
        others = [s for s in ranked if s != train_site]
        # the paper drops the smallest system as too small to test on; keep at least one test site
        test_sites = others[:-1] if len(others) > 1 else others
    missing = [s for s in test_sites if s not in counts]
    if missing:
        raise UserInputError(
            f"test site(s) {', '.join(missing)} not in mart_surgery_static.site; sites: {', '.join(ranked)}"
        )
    if not test_sites or train_site in test_sites:
        raise UserInputError(
            "the generalizability protocol needs at least one test site different from the training site"
        )
    return Split(
        train=np.flatnonzero(sites == train_site),
        tests={s: np.flatnonzero(sites == s) for s in test_sites},
    )


def _check_split(patients: pd.DataFrame, split: Split) -> None:
    y = patients["label"].to_numpy()
    train_ids = set(patients["patient_id"].iloc[split.train])
    for name, idx in split.tests.items():
        if len(idx) == 0:
            raise UserInputError(f"test set '{name}' has no patients; check the mart's split/site columns")
        overlap = train_ids & set(patients["patient_id"].iloc[idx])
        if overlap:  # impossible with unique patient_id, kept as a guard against future split rules
            raise UserInputError(
                f"{len(overlap)} patient(s) are in both the training rows and test set '{name}'"
            )
    n_pos = int(y[split.train].sum())
    if n_pos < 2 or len(split.train) - n_pos < 2:
        raise UserInputError(
            f"the training rows need at least 2 patients of each class (have {ev.mask_count(n_pos)} positive, "
            f"{ev.mask_count(len(split.train) - n_pos)} negative); check the cohort and split"
        )


def _allowed(dictionary: pd.DataFrame, column: str, protocol: str) -> set[str] | None:
    """The mart's kept flags apply to its own split; other protocols refilter on their training rows."""
    if protocol != "classical":
        return None
    kept = dictionary[dictionary[column].astype(bool)]
    return set(feature_key(kept["feature_type"], kept["feature"]))


# -- model fitting ----------------------------------------------------------------------------------------


def _lasso_pipeline(
    spec: ModelSpec, marts: SurgeryMarts, cfg: SurgeryConfig, progress: bool, name: str
) -> Pipeline:
    parts = []
    if "static" in spec.modalities:
        parts.append(("static", StaticFeaturizer()))
    if "codes" in spec.modalities:
        parts.append(
            (
                "codes",
                CodesBagFeaturizer(
                    allowed=_allowed(marts.feature_dictionary, "kept_classical", cfg.protocol)
                ),
            )
        )
    if "text" in spec.modalities:
        parts.append(("text", NgramFeaturizer()))
    model = LassoBenchmark(
        n_repeats=cfg.lasso_repeats,
        tol=cfg.lasso_tol,
        cv_tol=cfg.lasso_cv_tol,
        random_state=cfg.seed,
        progress=progress,
        progress_label=f"{name}: lambda search ({cfg.lasso_repeats} x 5 folds)",
    )
    return Pipeline([("features", FeatureUnion(parts)), ("lasso", model)])


def _fit_lasso(name, spec, marts, cfg, train, y_train, models_dir, progress) -> tuple[object, dict]:
    pipe = _lasso_pipeline(spec, marts, cfg, progress, name)
    features = pipe.named_steps["features"].fit(train)
    X_train = features.transform(train)
    lasso = pipe.named_steps["lasso"].fit(X_train, y_train)
    joblib.dump(pipe, models_dir / f"{name}.joblib")
    names = list(features.get_feature_names_out())
    chosen = lasso.best_C_per_repeat_
    info = {
        "kind": "lasso",
        "C": lasso.C_,
        "lambda": lasso.lambda_,
        "repeats_choosing_lambda": int(np.sum(np.isclose(chosen, lasso.C_))),
        "repeats": int(len(chosen)),
        "selection_seconds": lasso.selection_seconds_,
        "cv_tol": lasso.cv_tol,
        "tol": lasso.tol,
        "threshold": cfg.threshold,
        "threshold_rule": "fixed 0.5 on balanced-class-weight probabilities (paper)",
        "n_features": int(X_train.shape[1]),
        "n_nonzero": int(np.count_nonzero(lasso.coef_)),
        "top_coefficients": top_coefficients(lasso, names),
    }
    return (lambda rows: pipe.predict_proba(rows)[:, 1]), info


def _fit_mdl(
    name, spec, marts, cfg, train, y_train, vectors, models_dir, progress
) -> tuple[object, dict, dict]:
    vocabulary = list(vectors.index_to_key) if vectors is not None else []
    featurizer = MultimodalFeaturizer(
        modalities=spec.modalities,
        vocabulary=vocabulary,
        allowed_temporal=_allowed(marts.feature_dictionary, "kept_temporal", cfg.protocol),
    ).fit(train)
    inputs = featurizer.transform(train)
    embedding = embedding_matrix(vectors, vocabulary, seed=cfg.seed) if "text" in spec.modalities else None
    base = MDLClassifier(
        modalities=spec.modalities, embedding=embedding, device=cfg.device, random_state=cfg.seed
    )
    result = grid_search(
        inputs,
        y_train,
        GRIDS[cfg.grid],
        base=base,
        seed=cfg.seed,
        progress=progress,
        label=f"{name}: grid search",
    )
    best = result.best
    joblib.dump(featurizer, models_dir / f"{name}-featurizer.joblib")
    best.save(models_dir / f"{name}.pt")
    pd.DataFrame(result.table).to_parquet(models_dir / f"{name}-grid.parquet", index=False)
    info = {
        "kind": "mdl",
        "best_params": {
            k: best.get_params()[k] for k in ("n_filters", "lr", "dropout", "gru_hidden", "weight_decay")
        },
        "best_val_loss": best.best_val_loss_,
        "best_epoch": best.best_epoch_,
        "epochs": len(best.history_),
        "threshold": best.threshold_,
        "threshold_rule": "maximises F1 on the validation rows (ties to the higher threshold)",
        "validation_f1": best.val_f1_,
        "seconds_per_epoch": float(np.mean([r["seconds_per_epoch"] for r in result.table])),
        "grid": result.table,
    }
    within = {"train": result.train_idx, "validation": result.val_idx}
    return (lambda rows: best.predict_proba(featurizer.transform(rows))[:, 1]), info, within


# -- evaluation -------------------------------------------------------------------------------------------


def _comparison_pairs(models: Sequence[str]) -> list[tuple[str, str, int]]:
    pairs = []
    if "mdl" in models and "lasso" in models:
        pairs.append(("mdl", "lasso", 1))
    for full, singles in FAMILIES.items():
        present = [m for m in singles if m in models]
        if full in models:
            pairs += [(full, m, len(present)) for m in present]
    return pairs


# -- entry points -------------------------------------------------------------------------------------------


def train_surgery(
    marts_dir: Path,
    out_dir: Path,
    *,
    task: str = "early",
    protocol: str = "classical",
    models: Sequence[str] = ("lasso", "mdl"),
    grid: str = "small",
    seed: int = 0,
    n_bootstrap: int = 1000,
    lasso_repeats: int = 50,
    device: str = "auto",
    progress: bool = True,
    train_site: str | None = None,
    test_sites: Sequence[str] | None = None,
) -> Path:
    """Train and evaluate the surgery-study models on the marts; return the run folder."""
    started = time.perf_counter()
    cfg = _resolve_config(
        marts_dir,
        out_dir,
        task,
        protocol,
        models,
        grid,
        seed,
        n_bootstrap,
        lasso_repeats,
        device,
        train_site,
        test_sites,
    )
    console = Console(stderr=True, quiet=not progress)
    marts = load_surgery_marts(Path(marts_dir), task)
    patients = build_patient_table(marts)
    split = (
        classical_split(patients)
        if protocol == "classical"
        else generalizability_split(patients, train_site, test_sites)
    )
    _check_split(patients, split)

    run_dir = rp.make_run_dir(Path(out_dir), f"{STUDY}-{task}-{protocol}-seed{cfg.seed}")
    models_dir = run_dir / "models"
    models_dir.mkdir(mode=0o700)
    rp.write_json(run_dir / "marts.json", marts_record(marts_dir, marts.hashes))

    train = patients.iloc[split.train]
    y_train = train["label"].to_numpy()
    counts = {"train": {"n": len(train), "n_positive": int(y_train.sum())}}
    test_sets = {
        name: {"n": len(idx), "n_positive": int(patients["label"].iloc[idx].sum())}
        for name, idx in split.tests.items()
    }
    described = ", ".join(f"{escape(k)} ({ev.mask_count(v['n'])})" for k, v in test_sets.items())
    console.print(
        f"[bold]surgery[/] task={task} protocol={protocol}: "
        f"{ev.mask_count(len(train))} training patients; test sets {described}"
    )

    vectors = None
    if any(MODEL_SPECS[m].kind == "mdl" and "text" in MODEL_SPECS[m].modalities for m in cfg.models):
        console.print("word2vec on the report corpus (cached by corpus hash)")
        cache = Path(out_dir) / "_cache"
        cache.mkdir(mode=0o700, exist_ok=True)
        os.chmod(cache, 0o700)  # vectors are learned from patient text: owner-only, like run folders
        vectors, kv_path = load_or_train_word2vec(
            marts.corpus, cache / "word2vec", Word2VecConfig(**cfg.word2vec)
        )
        copy_vectors(kv_path, run_dir / "embeddings")

    prediction_frames, fitted = [], {}
    for name in cfg.models:
        spec = MODEL_SPECS[name]
        console.print(f"training [bold]{name}[/]: {spec.description}")
        within = {"train": np.arange(len(train))}
        if spec.kind == "lasso":
            score, info = _fit_lasso(name, spec, marts, cfg, train, y_train, models_dir, progress)
        else:
            score, info, within = _fit_mdl(
                name, spec, marts, cfg, train, y_train, vectors, models_dir, progress
            )
        fitted[name] = info
        train_scores = score(train)
        for part, idx in within.items():
            prediction_frames.append(_prediction_frame(train.iloc[idx], train_scores[idx], name, part, None))
        for test_name, idx in split.tests.items():
            rows = patients.iloc[idx]
            prediction_frames.append(_prediction_frame(rows, score(rows), name, "test", test_name))
    predictions = pd.concat(prediction_frames, ignore_index=True)

    console.print(f"evaluating: {cfg.n_bootstrap} bootstrap resamples per test set")
    results = ev.evaluate_predictions(
        predictions,
        patients,
        cfg.models,
        cfg.n_bootstrap,
        cfg.seed,
        threshold={name: fitted[name]["threshold"] for name in cfg.models},
        pairs=_comparison_pairs(cfg.models),
    )
    predictions.to_parquet(run_dir / "predictions.parquet", index=False)
    for key, frame in results.items():
        frame.to_parquet(run_dir / f"{key}.parquet", index=False)

    rp.plot_curves(predictions, run_dir / "roc.png", "roc")
    rp.plot_curves(predictions, run_dir / "pr.png", "pr")
    rp.plot_calibration(results["reliability"], run_dir / "calibration.png")
    rp.plot_auc_boxes(results["bootstrap"], results["comparisons"], run_dir / "auc_bootstrap.png")

    config = {
        "study": STUDY,
        **asdict(cfg),
        "evaluation": {
            "train": counts["train"],
            "test_sets": test_sets,
            "threshold_rule": (
                "LASSO: fixed 0.5 on balanced-class-weight probabilities (paper); "
                "networks: the threshold maximising F1 on their validation rows"
            ),
            "thresholds": {name: fitted[name]["threshold"] for name in cfg.models},
        },
        "patients_without_index_report": int((patients["report"] == "").sum()),
        "fitted": {
            k: {kk: vv for kk, vv in v.items() if kk not in ("grid", "top_coefficients")}
            for k, v in fitted.items()
        },
        "versions": rp.run_versions("torch", "gensim", "nltk"),
        "seconds_total": time.perf_counter() - started,
    }
    rp.write_json(run_dir / "config.json", config)
    write_report(run_dir, _report_markdown(config, results, fitted, test_sets))
    console.print(f"run folder: {escape(str(run_dir))}")
    return rp.finish_run(run_dir)


def _prediction_frame(rows: pd.DataFrame, scores: np.ndarray, model: str, split: str, test_set: str | None):
    return pd.DataFrame(
        {
            "patient_id": rows["patient_id"].to_numpy(),
            "model": model,
            "split": split,
            "test_set": pd.Series([test_set] * len(rows), dtype="string"),
            "score": np.asarray(scores, dtype=float),
            "label": rows["label"].to_numpy().astype(int),
        }
    )


def _report_markdown(config: dict, results: dict[str, pd.DataFrame], fitted: dict, test_sets: dict) -> str:
    task, protocol, models = config["task"], config["protocol"], config["models"]
    metrics, comparisons = results["metrics"], results["comparisons"]
    table_name = "Table 2 (classical evaluation)" if protocol == "classical" else "Table 3 (generalizability)"
    first_col, first_val = (
        ("Prediction", {"test": f"{task.capitalize()} surgery"})
        if protocol == "classical"
        else ("System", {})
    )
    main_models = [m for m in ("mdl", "lasso") if m in models] + [
        m for m in models if m not in ("mdl", "lasso")
    ]
    train = config["evaluation"]["train"]
    lines = [
        f"# Surgery prediction: {task} surgery, {protocol} evaluation",
        "",
        f"Seed {config['seed']}; grid `{config['grid']}` ({config['mdl_grid']['notes']}); "
        f"{config['n_bootstrap']} bootstrap resamples of each test set; LASSO lambda from "
        f"{config['lasso_repeats']} repeats of 5-fold CV.",
        f"Training patients: {ev.mask_count(train['n'])} "
        f"(positives: {suppress_subset(train['n'], train['n_positive'])}).",
        "",
        "How the decision threshold is chosen (recall, specificity, balanced accuracy, precision, F1): "
        "LASSO models predict positive at probability >= 0.5 on balanced-class-weight probabilities, as in "
        "the paper; each network uses the threshold that maximised F1 on its validation rows (the 20 % of "
        "the training rows its grid search monitors), never on test rows. AUC and AUPRC use no threshold. "
        "Thresholds: " + ", ".join(f"{name} {info['threshold']:.3f}" for name, info in fitted.items()) + ".",
        "",
        f"## {table_name}",
        "",
        f"Mean ± SD over bootstrap resamples of the test set. {rp.SIGNIFICANT} marks the better of MDL and Benchmark "
        "when their Welch t-test on the bootstrap distributions gives p < 0.05.",
        "",
        rp.performance_table(metrics, comparisons, test_sets, main_models, first_col, first_val),
        "",
        "## MDL against single-modality networks (Fig. 3/4 data, AUC)",
        "",
        "p-values Bonferroni-corrected by the number of single-modality comparisons (3 when all are trained). "
        "Box plots: `auc_bootstrap.png`.",
        "",
        rp.comparison_table(comparisons) if len(comparisons) else "_No comparisons (fewer than two models)._",
        "",
        "## Calibration",
        "",
        "Logistic recalibration on logit(p): slope 1 and intercept 0 are perfect. Class weighting shifts "
        "probabilities towards 0.5 on purpose, so expect negative intercepts. Reliability curves: `calibration.png`.",
        "",
        rp.calibration_table(metrics),
        "",
        "## Subgroup AUC",
        "",
        "AUC is not computed for a subgroup with one class.",
        "",
        rp.subgroup_table(results["subgroups"]),
        "",
        "## Fitted models",
        "",
    ]
    for name, info in fitted.items():
        if info["kind"] == "lasso":
            lines.append(
                f"- **{name}**: lambda = {info['lambda']:.4g} (C = {info['C']:.4g}), chosen by "
                f"{info['repeats_choosing_lambda']}/{info['repeats']} repeats; "
                f"{info['n_nonzero']}/{info['n_features']} non-zero coefficients; "
                f"selection {info['selection_seconds']:.1f} s (CV tolerance {info['cv_tol']:g}, "
                f"refit {info['tol']:g})"
            )
            top = ", ".join(f"{n} ({c:+.2f})" for n, c in info["top_coefficients"][:10])
            lines.append(f"  - largest coefficients: {top}")
        else:
            params = ", ".join(f"{k}={v}" for k, v in info["best_params"].items())
            lines.append(
                f"- **{name}**: {params}; best validation loss {info['best_val_loss']:.4f} at epoch "
                f"{info['best_epoch']}/{info['epochs']}; {info['seconds_per_epoch']:.2f} s/epoch; "
                f"decision threshold {info['threshold']:.3f} (validation F1 {info['validation_f1']:.3f})"
            )
    lines += [
        "",
        "Marts read (sha256) are in `marts.json`; the resolved configuration is in `config.json`.",
        "",
    ]
    return "\n".join(lines)


def summary_table(run_dir: Path) -> Table:
    """Table-2-shaped summary of a run folder (mean ± SD over bootstrap resamples), for the CLI."""
    run_dir = Path(run_dir)
    rp.require_finished(run_dir, STUDY)
    try:
        config = json.loads((run_dir / "config.json").read_text())
        metrics = pd.read_parquet(run_dir / "metrics.parquet")
        comparisons = pd.read_parquet(run_dir / "comparisons.parquet")
    except FileNotFoundError as err:
        raise UserInputError(
            f"{run_dir} is not a finished surgery run folder (missing {Path(err.filename).name})"
        ) from None
    test_sets = config["evaluation"]["test_sets"]
    models = [m for m in ("mdl", "lasso") if m in config["models"]] + [
        m for m in config["models"] if m not in ("mdl", "lasso")
    ]
    table = Table(title=f"Surgery prediction: {config['task']} surgery, {config['protocol']} evaluation")
    for col in ("Test set", "Prevalence", "N", "Model", *(name for _, name in rp.TABLE_METRICS[:6])):
        table.add_column(col, justify="left" if col in ("Test set", "Model") else "right")
    hidden = False
    for name, counts in test_sets.items():
        prevalence = rp.prevalence_cell(counts["n"], counts["n_positive"])
        hidden |= rp.has_small_class(counts["n"], counts["n_positive"])
        for i, model in enumerate(models):
            cells = []
            for metric, _ in rp.TABLE_METRICS[:6]:
                mean, sd = rp.metric_cell(metrics, name, model, metric)
                winner = rp.significant_winner(comparisons, name, metric, "mdl", "lasso")
                star = rp.SIGNIFICANT if winner == model else ""
                text = f"{mean:.3f} ± {sd:.3f}{star}"
                cells.append(rp.metric_text(text, metric, counts["n"], counts["n_positive"]))
            lead = [escape(name), prevalence, ev.mask_count(counts["n"])] if i == 0 else ["", "", ""]
            table.add_row(*lead, rp.label(model), *cells)
    table.caption = (
        f"Mean ± SD over bootstrap resamples. {rp.SIGNIFICANT} the better of MDL and Benchmark, Welch t-test "
        f"p < {rp.ALPHA}." + (f" {rp.small_class_note()}." if hidden else "")
    )
    return table
