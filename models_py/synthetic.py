"""Tiny synthetic surgery marts with planted signal, for tests and smoke runs.

The columns are exactly those of docs/architecture.md. Positives get more of a
few report phrases (strong), a recent diagnosis code (moderate) and higher age
(weak), so a working pipeline must reach an AUC well above 0.5 and text should
dominate, as in the paper.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models_py.marts import SURGERY_MART_COLUMNS

_FILLER = [
    "lumbar",
    "spine",
    "vertebral",
    "body",
    "height",
    "alignment",
    "maintained",
    "mild",
    "degenerative",
    "change",
    "facet",
    "arthropathy",
    "level",
    "disc",
    "space",
    "bulge",
    "small",
    "annular",
    "fissure",
    "foramen",
    "canal",
    "patent",
    "normal",
    "marrow",
    "signal",
    "conus",
    "terminates",
    "appropriately",
    "visualized",
    "paraspinal",
    "soft",
    "tissue",
    "unremarkable",
    "impression",
]
_SIGNAL = ["severe stenosis", "nerve root compression", "large extrusion", "cauda equina effacement"]
_SITES = ("kaiser", "henry_ford", "group_health", "mayo")
_SITE_P = (0.7, 0.12, 0.12, 0.06)


def make_surgery_marts(
    n: int = 400, seed: int = 0, tasks: tuple[str, ...] = ("early", "late"), prevalence: float = 0.15
) -> dict[str, pd.DataFrame]:
    """Return {mart name: DataFrame}; patient ids are shared across tasks."""
    rng = np.random.default_rng(seed)
    frames: dict[str, list[pd.DataFrame]] = {k: [] for k in SURGERY_MART_COLUMNS}
    ids = np.array([f"P{i:05d}" for i in range(n)])
    site = rng.choice(_SITES, size=n, p=_SITE_P)
    sex = rng.choice(["F", "M"], size=n)
    race = rng.choice(["white", "black", "asian", "unknown"], size=n, p=[0.6, 0.15, 0.15, 0.1])
    ethnicity = rng.choice(["not hispanic", "hispanic", None], size=n, p=[0.2, 0.15, 0.65])
    corpus_rows = []
    for t, task in enumerate(tasks):
        latent = rng.normal(size=n)
        label = (latent > np.quantile(latent, 1 - prevalence)).astype(int)
        age = np.round(55 + 10 * rng.normal(size=n) + 4 * label).clip(18, 95)
        split = np.where(rng.random(n) < 0.8, "train", "test")
        frames["mart_surgery_static"].append(
            pd.DataFrame(
                {
                    "task": task,
                    "patient_id": ids,
                    "index_date": pd.Timestamp("2015-01-01")
                    + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
                    "label": label,
                    "split": split,
                    "site": site,
                    "age_at_index": age,
                    "sex": sex,
                    "race": race,
                    "ethnicity": ethnicity,
                    "pcp_gender": rng.choice(["F", "M", None], size=n),
                    "pcp_clinician_type": rng.choice(["MD", "NP"], size=n),
                    "pcp_specialty": rng.choice(["family medicine", "internal medicine"], size=n),
                    "index_modality": rng.choice(["MRI", "XR", "CT"], size=n, p=[0.65, 0.3, 0.05]),
                }
            )
        )
        codes = []
        for i in range(n):
            for _ in range(rng.integers(0, 6)):
                kind = rng.choice(["dx", "px", "rx"])
                feat = {
                    "dx": rng.choice(["722", "724", "846", "739"]),
                    "px": rng.choice(["72148", "97110", "99213"]),
                    "rx": rng.choice(["ibuprofen", "gabapentin", "cyclobenzaprine"]),
                }[kind]
                codes.append((task, ids[i], kind, feat, int(rng.integers(1, 4)), int(rng.integers(1, 3))))
            if label[i] and rng.random() < 0.5:
                codes.append((task, ids[i], "dx", "344", 3, 1))  # recent cauda-equina-like code
            elif rng.random() < 0.04:
                codes.append((task, ids[i], "dx", "344", int(rng.integers(1, 4)), 1))
        codes_df = pd.DataFrame(codes, columns=list(SURGERY_MART_COLUMNS["mart_surgery_codes"]))
        codes_df = codes_df.groupby(["task", "patient_id", "feature_type", "feature", "bin"], as_index=False)[
            "n_events"
        ].sum()
        frames["mart_surgery_codes"].append(codes_df)
        patient = codes_df.groupby(["task", "patient_id", "feature_type", "feature"], as_index=False)[
            "n_events"
        ].sum()
        frames["mart_surgery_codes_patient"].append(patient)
        train_ids = set(ids[split == "train"])
        per_feature = (
            patient[patient["patient_id"].isin(train_ids)].groupby(["feature_type", "feature"]).size()
        )
        n_train = max(len(train_ids), 1)
        dictionary = per_feature.rename("n_train_patients").reset_index()
        dictionary.insert(0, "task", task)
        dictionary["train_prevalence"] = dictionary["n_train_patients"] / n_train
        dictionary["kept_classical"] = dictionary["train_prevalence"].between(
            0.001, 0.99, inclusive="neither"
        )
        dictionary["kept_temporal"] = True
        frames["mart_surgery_feature_dictionary"].append(dictionary)
        reports = []
        for i in range(n):
            words = list(rng.choice(_FILLER, size=int(rng.integers(15, 40))))
            n_signal = rng.poisson(1.6 if label[i] else 0.25)
            for _ in range(n_signal):
                words.insert(int(rng.integers(0, len(words))), str(rng.choice(_SIGNAL)))
            if rng.random() < 0.3:
                words.insert(int(rng.integers(0, len(words))), "no stenosis")
            text = " ".join(words)
            image_id = f"I{t}{i:05d}"
            reports.append((task, ids[i], image_id, text, True))
            corpus_rows.append((image_id, ids[i], pd.Timestamp("2015-06-01"), text))
        frames["mart_surgery_report"].append(
            pd.DataFrame(reports, columns=list(SURGERY_MART_COLUMNS["mart_surgery_report"]))
        )
    for j in range(n):  # follow-up reports: more text for word2vec, no labels involved
        words = list(rng.choice(_FILLER + _SIGNAL, size=int(rng.integers(15, 40))))
        corpus_rows.append((f"F{j:05d}", ids[j], pd.Timestamp("2016-01-01"), " ".join(words)))
    frames["mart_report_corpus"].append(
        pd.DataFrame(corpus_rows, columns=list(SURGERY_MART_COLUMNS["mart_report_corpus"])).drop_duplicates(
            "image_id"
        )
    )
    return {k: pd.concat(v, ignore_index=True)[list(SURGERY_MART_COLUMNS[k])] for k, v in frames.items()}


def write_surgery_marts(marts_dir: Path, **kwargs: object) -> Path:
    marts_dir = Path(marts_dir)
    marts_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in make_surgery_marts(**kwargs).items():
        frame.to_parquet(marts_dir / f"{name}.parquet", index=False)
    return marts_dir
