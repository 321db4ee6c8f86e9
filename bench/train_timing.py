"""Trainer timings at benchmark scale without the full study run.

`lumbar train surgery` records LASSO lambda-selection seconds and MDL seconds per epoch in its run folder,
but a full run at 250,000 patients (50 x 5-fold lambda search, an MDL grid of 12-30 epochs per combination,
bootstrap evaluation) takes far longer than a benchmark can spend. This stage builds the same features
through the trainer's own code (models_py.studies.surgery) on the same marts and times exactly the two
quantities: one LASSO lambda selection (`LassoBenchmark.selection_seconds_`) and a few MDL epochs of the
full model (text + temporal + static; `MDLClassifier.seconds_per_epoch_`). Word2vec pre-training on the
report corpus is timed too, since the MDL needs it.

    python -m bench.train_timing MARTS_DIR OUT_JSON --lasso-repeats 50 --mdl-epochs 2
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from bench.stages import write_json_result


def time_trainers(
    marts_dir: Path, work_dir: Path, *, lasso_repeats: int, mdl_epochs: int, seed: int
) -> dict[str, Any]:
    # the trainer's private helpers are used on purpose: the features timed must be the trainer's own
    from models_py.featurize.embeddings import Word2VecConfig, embedding_matrix, load_or_train_word2vec
    from models_py.featurize.multimodal import MultimodalFeaturizer
    from models_py.marts import load_surgery_marts
    from models_py.models.mdl import MDLClassifier
    from models_py.patients import build_patient_table
    from models_py.studies import surgery

    cfg = surgery._resolve_config(
        marts_dir, work_dir, "early", "classical", ["lasso", "mdl"], "small", seed, 2, lasso_repeats,
        "cpu", None, None,
    )  # fmt: skip
    marts = load_surgery_marts(marts_dir, "early")
    patients = build_patient_table(marts)
    split = surgery.classical_split(patients)
    train = patients.iloc[split.train]
    y = train["label"].to_numpy()

    started = time.perf_counter()
    pipe = surgery._lasso_pipeline(surgery.MODEL_SPECS["lasso"], marts, cfg, False, "lasso")
    X = pipe.named_steps["features"].fit_transform(train)
    lasso_features_s = time.perf_counter() - started
    lasso = pipe.named_steps["lasso"].fit(X, y)

    started = time.perf_counter()
    # the trainer caches word2vec by corpus hash; a cache left by an earlier benchmark run would time a load
    shutil.rmtree(work_dir / "word2vec", ignore_errors=True)
    vectors, _ = load_or_train_word2vec(marts.corpus, work_dir / "word2vec", Word2VecConfig(seed=seed))
    word2vec_s = time.perf_counter() - started

    spec = surgery.MODEL_SPECS["mdl"]
    vocabulary = list(vectors.index_to_key)
    featurizer = MultimodalFeaturizer(
        modalities=spec.modalities,
        vocabulary=vocabulary,
        allowed_temporal=surgery._allowed(marts.feature_dictionary, "kept_temporal", "classical"),
    ).fit(train)
    inputs = featurizer.transform(train)
    # the 80/20 split grid_search trains each combination on
    tr, va = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed)
    model = MDLClassifier(
        modalities=spec.modalities,
        embedding=embedding_matrix(vectors, vocabulary, seed=seed),
        device="cpu",
        random_state=seed,
        epochs=mdl_epochs,
    ).fit(inputs.take(tr), y[tr], inputs.take(va), y[va])
    return {
        "n_train": int(len(train)),
        "lasso_repeats": lasso_repeats,
        "lasso_n_features": int(X.shape[1]),
        "lasso_features_s": lasso_features_s,
        "lasso_selection_s": float(lasso.selection_seconds_),
        # the lambda-search fits use a looser tolerance than the final refit (models_py/models/lasso.py, "Speed")
        "lasso_cv_tol": float(lasso.cv_tol),
        "lasso_refit_tol": float(lasso.tol),
        "lasso_n_jobs": lasso.n_jobs,
        "word2vec_s": word2vec_s,
        "mdl_epochs_timed": mdl_epochs,
        "mdl_seconds_per_epoch": float(model.seconds_per_epoch_),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("marts_dir", type=Path)
    parser.add_argument("out_json", type=Path)
    parser.add_argument("--lasso-repeats", type=int, default=50, help="repeats of 5-fold CV (paper: 50)")
    parser.add_argument("--mdl-epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return write_json_result(
        args.out_json,
        lambda: time_trainers(
            args.marts_dir,
            args.out_json.parent,
            lasso_repeats=args.lasso_repeats,
            mdl_epochs=args.mdl_epochs,
            seed=args.seed,
        ),
    )


if __name__ == "__main__":
    sys.exit(main())
