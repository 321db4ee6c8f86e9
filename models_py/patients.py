"""One row per patient: the form every featuriser takes as `X`.

The long marts (codes per bin, codes per patient, the index report) are folded
into list/string columns of the static mart, so selecting training rows of this
table selects everything a featuriser may see. That keeps leakage visible: a
featuriser fitted on `table.iloc[train]` cannot reach a test patient's codes or
report.
"""

from __future__ import annotations

import pandas as pd

from models_py.errors import UserInputError
from models_py.marts import SurgeryMarts

CODE_COLUMN = "codes"  # list[str] of "feature_type:feature" present in the 90-day window
BINNED_CODE_COLUMN = "codes_binned"  # list[tuple[int, str]] of (bin, "feature_type:feature")
REPORT_COLUMN = "report"  # cleaned index report text ("" when the patient has none)


def feature_key(feature_type: pd.Series, feature: pd.Series) -> pd.Series:
    """Features are keyed by type so a drug and a code that share a spelling stay apart."""
    return feature_type.astype(str) + ":" + feature.astype(str)


def build_patient_table(marts: SurgeryMarts) -> pd.DataFrame:
    """Static mart rows (one per patient) with codes, binned codes and report text attached."""
    static = marts.static.copy()
    duplicated = static["patient_id"].duplicated()
    if duplicated.any():
        raise UserInputError(
            f"mart_surgery_static has {int(duplicated.sum())} duplicate patient_id row(s) for one task; "
            "rebuild the marts"
        )
    bad_labels = ~static["label"].isin([0, 1])
    if bad_labels.any():
        raise UserInputError(
            f"mart_surgery_static has {int(bad_labels.sum())} label(s) other than 0/1; rebuild the marts"
        )
    static["label"] = static["label"].astype(int)

    patient_codes = marts.codes_patient.assign(
        key=feature_key(marts.codes_patient["feature_type"], marts.codes_patient["feature"])
    )
    patient_codes = patient_codes[patient_codes["n_events"] > 0]
    codes = patient_codes.groupby("patient_id")["key"].agg(lambda s: sorted(set(s)))

    binned = marts.codes.assign(key=feature_key(marts.codes["feature_type"], marts.codes["feature"]))
    binned = binned[binned["n_events"] > 0]
    bad_bins = ~binned["bin"].isin([1, 2, 3])
    if bad_bins.any():
        raise UserInputError(
            f"mart_surgery_codes has {int(bad_bins.sum())} row(s) with bin outside 1..3; rebuild the marts"
        )
    pairs = pd.Series(list(zip(binned["bin"].astype(int), binned["key"], strict=True)), index=binned.index)
    codes_binned = pairs.groupby(binned["patient_id"]).agg(lambda s: sorted(set(s)))

    reports = marts.report.drop_duplicates("patient_id").set_index("patient_id")["report_clean"]

    ids = static["patient_id"]
    static[CODE_COLUMN] = [list(v) if isinstance(v, list) else [] for v in ids.map(codes)]
    static[BINNED_CODE_COLUMN] = [list(v) if isinstance(v, list) else [] for v in ids.map(codes_binned)]
    static[REPORT_COLUMN] = ids.map(reports).fillna("").astype(str).to_numpy()
    return static.reset_index(drop=True)
