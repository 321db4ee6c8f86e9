"""Cohort rules evaluated on the generated event arrays, as the warehouse should evaluate them.

The generator calibrates its outcome models on these cohorts and the card reports
them, so the expected sizes are what a correct dbt build finds.
"""

from __future__ import annotations

import numpy as np

from . import config as C
from .events import DxRows
from .population import completed_years
from .vocab_dx import dx_vocab
from .vocab_px import px_vocab

MED_EXCLUSION_DX = ("excl_fracture", "excl_cancer", "excl_infection", "excl_trauma", "excl_stroke")
# planted procedure groups that are prior spinal surgery or paraspinal injection to the warehouse
# (med_exclusion_codes + ref_decompression_px_codes): every decompression, fusion and spinal injection code
MED_EXCLUSION_PX_GROUPS = (
    "decompression_cpt",
    "decompression_addon",
    "decompression_icd9pcs",
    "decompression_icd10pcs",
    "fusion",
    "tfesi",
    "tfesi_addon",
    "interlaminar_esi_pre2017",
    "interlaminar_esi",
    "facet_injection",
    "trigger_point",
)


def _in_group(concept: np.ndarray, group: str) -> np.ndarray:
    return np.isin(concept, dx_vocab().groups[group][0])


def ldh_lookback_days(dx: DxRows, index_day: np.ndarray) -> np.ndarray:
    """Distinct days with an LDH/LSS code in the look-back (days -365..-1) per patient."""
    rel = dx.day - index_day[dx.patient]
    sel = _in_group(dx.concept, "ldh_lss") & (rel >= C.LOOKBACK[0]) & (rel <= C.LOOKBACK[1])
    p, d = dx.patient[sel], dx.day[sel]
    first = np.ones(len(p), bool)
    first[1:] = (p[1:] != p[:-1]) | (d[1:] != d[:-1])  # rows are sorted by patient, day
    return np.bincount(p[first], minlength=len(index_day))


def any_before(
    dx: DxRows, group: str, ref_day: np.ndarray, lo: int | None = None, hi: int = -1
) -> np.ndarray:
    """Per patient: any code of `group` in [ref+lo, ref+hi] (lo None = any time before)."""
    rel = dx.day - ref_day[dx.patient]
    sel = _in_group(dx.concept, group) & (rel <= hi) & (ref_day[dx.patient] >= 0)
    if lo is not None:
        sel &= rel >= lo
    return np.bincount(dx.patient[sel], minlength=len(ref_day)) > 0


def med_cohort(
    dx: DxRows, px: tuple[np.ndarray, np.ndarray, np.ndarray], med_day: np.ndarray, birth_day: np.ndarray
) -> np.ndarray:
    """First lumbar MRI, an adult then, a low-back-pain code in days -365..0, and no exclusion before it."""
    # completed years as cohort_medication_candidates computes them (var medication_minimum_age)
    adult = completed_years(birth_day, np.maximum(med_day, 0)) >= C.MED_MINIMUM_AGE
    has_lbp = any_before(dx, "lbp", med_day, -365, 0)
    excluded = np.zeros(len(med_day), bool)
    for group in MED_EXCLUSION_DX:
        excluded |= any_before(dx, group, med_day)
    p, d, code = px
    groups = px_vocab().groups
    excl_idx = np.concatenate([groups[g][0] for g in MED_EXCLUSION_PX_GROUPS])
    sel = np.isin(code, excl_idx) & (med_day[p] >= 0) & (d < med_day[p])
    excluded |= np.bincount(p[sel], minlength=len(med_day)) > 0
    return (med_day >= 0) & adult & has_lbp & ~excluded
