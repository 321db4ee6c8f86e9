"""Medication-study predictor sets and the integer coding of the patient profile
(004_8aea355467337d34.txt, Fig. 1(e): six predictor datatypes; "categorical patient profile values were
mapped to an integer ID for downstream modeling").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

DEMOGRAPHICS = ("age_at_first_imaging", "year_at_first_imaging", "sex", "preferred_language", "obesity")
# 004, Results: "psychosocial determinants (race/ethnicity, smoking status, social support, primary insurance,
# history of anxiety or depression)". negative_psych_state is that history: the mart ORs coded anxiety or
# depression with a positive observation (mart_medication_profile.sql), so it is read here, not rebuilt.
# social_support is the paper's (partnered / single / separated); social_support_level (a screening level) is
# a lumbar addition the paper does not list.
PSYCHOSOCIAL = (
    "race_ethnicity",
    "smoking_status",
    "social_support",
    "social_support_level",
    "primary_insurance",
    "negative_psych_state",
)
# the paper's chart diagnoses; no anxiety or depression among them (they are psychosocial, above)
CHART_DIAGNOSES = (
    "disc_pathology",
    "spinal_stenosis",
    "radiculopathy",
    "sciatica",
    "numbness_tingling",
    "facet_joint_arthropathy",
    "sacroiliac_joint",
    "osteoarthritis",
    "osteopenia_osteoporosis",
    "fibromyalgia",
    "lbp_duration",
    "lbp_laterality",
)
MRI_DIAGNOSES = (
    "mri_disc_pathology",
    "mri_spinal_canal_stenosis",
    "mri_lateral_recess_stenosis",
    "mri_foraminal_stenosis",
    "mri_facet_joint",
    "mri_endplate_change",
    "mri_curvature",
)
DATATYPES: dict[str, tuple[str, ...]] = {
    "tabular_text": DEMOGRAPHICS + PSYCHOSOCIAL + CHART_DIAGNOSES + MRI_DIAGNOSES,
    "tabular": DEMOGRAPHICS + PSYCHOSOCIAL + CHART_DIAGNOSES,
    "text": DEMOGRAPHICS + PSYCHOSOCIAL + MRI_DIAGNOSES,
    "tabular_psychosocial": DEMOGRAPHICS + PSYCHOSOCIAL,
    "tabular_diagnoses": DEMOGRAPHICS + CHART_DIAGNOSES,
    "text_diagnoses": DEMOGRAPHICS + MRI_DIAGNOSES,
}
CATEGORICAL = (
    "sex",
    "preferred_language",
    "race_ethnicity",
    "smoking_status",
    "social_support",
    "social_support_level",
    "primary_insurance",
    "lbp_duration",
    "lbp_laterality",
)
PROFILE_COLUMNS = tuple(dict.fromkeys(DATATYPES["tabular_text"]))
UNKNOWN = "unknown"


class ProfileEncoder(TransformerMixin, BaseEstimator):
    """Categorical columns to integer IDs (sorted training levels; unseen or missing -> -1), numbers as floats.

    negative_psych_state is 'not documented' (0) when never charted, as the paper does not impute it.
    """

    def __init__(self, columns: Sequence[str] = PROFILE_COLUMNS) -> None:
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: object = None) -> ProfileEncoder:
        self.codes_ = {
            col: {v: i for i, v in enumerate(sorted(X[col].dropna().astype(str).unique()))}
            for col in self.columns
            if col in CATEGORICAL
        }
        self.feature_names_ = list(self.columns)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "codes_")
        out = {}
        for col in self.columns:
            if col in self.codes_:
                out[col] = (
                    X[col].astype("string").map(self.codes_[col]).fillna(-1).astype(np.float32).to_numpy()
                )
            else:
                out[col] = pd.to_numeric(X[col], errors="coerce").fillna(0).astype(np.float32).to_numpy()
        return pd.DataFrame(out, index=X.index)
