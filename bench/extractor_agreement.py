"""Agreement of the rule-based MRI findings extractor with per-report truth (per-finding F1).

The medication study's extractor (dbt: int_medication_mri_findings_by_level) grades seven findings per index
MRI report. Where a truth table exists (the synthetic generator writes `truth/report_findings.parquet`: one row
per positive finding, level and severity), this module scores presence per report and finding (precision,
recall, F1) and exact severity agreement on reports where both say present. The paper's language-model
extractor reached 0.956 F1 on 20 reports (004_8aea355467337d34.txt, Supplemental Table 1).

    python -m bench.extractor_agreement --warehouse W.duckdb --truth DIR/truth/report_findings.parquet

It reads the warehouse's intermediate tables, so it lives beside the benchmarks, not among the trainers (which
read only Parquet marts); the truth exists only for generated data, so its counts are never a patient's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_score, recall_score

FINDINGS = (
    "disc_pathology",
    "spinal_canal_stenosis",
    "lateral_recess_stenosis",
    "foraminal_stenosis",
    "facet_joint",
    "endplate_change",
    "curvature",
)
# generator truth names -> extractor finding; disc types carry the grade the extractor gives them
TRUTH_MAP = {
    "disc_bulge": ("disc_pathology", 1),
    "disc_protrusion": ("disc_pathology", 2),
    "disc_extrusion": ("disc_pathology", 3),
    "disc_space_narrowing": ("disc_pathology", None),
    "spinal_canal_stenosis": ("spinal_canal_stenosis", None),
    "lateral_recess_stenosis": ("lateral_recess_stenosis", None),
    "foraminal_stenosis": ("foraminal_stenosis", None),
    "facet_arthropathy": ("facet_joint", None),
    "endplate_change": ("endplate_change", 1),
    "scoliosis": ("curvature", None),
    "lordosis": ("curvature", 1),
}
SEVERITY = {"mild": 1, "moderate": 2, "severe": 3}
LUMBAR_LEVELS = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")


def truth_per_report(truth: pd.DataFrame, image_ids: pd.Series) -> pd.DataFrame:
    """Max severity per (image_id, finding) from the generator truth, lumbar levels (or no level) only."""
    rows = truth[truth["image_id"].isin(set(image_ids)) & truth["finding"].isin(TRUTH_MAP)].copy()
    rows = rows[rows["level"].isna() | rows["level"].isin(LUMBAR_LEVELS)]
    mapped = rows["finding"].map(TRUTH_MAP)
    rows["finding"] = mapped.str[0]
    fixed = mapped.str[1]
    graded = rows["severity"].map(SEVERITY)
    rows["severity"] = fixed.where(fixed.notna(), graded).fillna(1).astype(int)
    return rows.groupby(["image_id", "finding"], as_index=False)["severity"].max()


def agreement(predicted: pd.DataFrame, truth: pd.DataFrame, image_ids: pd.Series) -> pd.DataFrame:
    """Per finding: reports, true/false positives, precision, recall, F1, severity agreement.

    predicted: image_id, finding, severity (> 0 rows only, any level); truth: per-report truth rows.
    """
    pred = predicted.groupby(["image_id", "finding"], as_index=False)["severity"].max()
    merged = pd.DataFrame({"image_id": pd.unique(image_ids)}).merge(
        pd.DataFrame({"finding": FINDINGS}), how="cross"
    )
    merged = merged.merge(pred.rename(columns={"severity": "predicted"}), how="left")
    merged = merged.merge(truth.rename(columns={"severity": "true"}), how="left").fillna(0)
    out = []
    for finding, g in merged.groupby("finding", sort=False):
        p, t = g["predicted"].to_numpy() > 0, g["true"].to_numpy() > 0
        # undefined (no predicted or no true positives) is NaN, not 0: "nothing to score" is not "all wrong"
        precision = precision_score(t, p, zero_division=np.nan)
        recall = recall_score(t, p, zero_division=np.nan)
        f1 = f1_score(t, p, zero_division=np.nan)
        both = p & t
        exact = (
            (g["predicted"].to_numpy()[both] == g["true"].to_numpy()[both]).mean() if both.any() else np.nan
        )
        out.append(
            {
                "finding": finding,
                "n_reports": len(g),
                "n_true": int(t.sum()),
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "severity_exact": exact,
            }
        )
    return pd.DataFrame(out)


def agreement_from_warehouse(warehouse: Path, truth_path: Path) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        images = con.sql("select image_id from intermediate.int_medication_mri_findings").df()["image_id"]
        predicted = con.sql(
            "select image_id, finding, severity from intermediate.int_medication_mri_findings_by_level"
        ).df()
    truth = truth_per_report(pd.read_parquet(truth_path), images)
    return agreement(predicted, truth, images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--truth", type=Path, required=True)
    args = parser.parse_args()
    table = agreement_from_warehouse(args.warehouse, args.truth)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"mean F1 {table['f1'].mean():.3f}")


if __name__ == "__main__":
    main()
