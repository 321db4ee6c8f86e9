"""The generator card: what was planted, how strongly, and what a correct pipeline should find."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from . import config as C
from .arrays import auc
from .outcomes import Multinomial


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(float(x), digits)


def _share(mask: np.ndarray) -> float:
    return _r(mask.mean() if len(mask) else 0.0)


def _mix(values: np.ndarray, labels: tuple) -> dict[str, float]:
    counts = np.bincount(values, minlength=len(labels))
    return {
        str(lab if lab is not None else "unknown"): _r(c / max(len(values), 1))
        for lab, c in zip(labels, counts, strict=True)
    }


def modality_auc(
    model: Multinomial, x: dict[str, np.ndarray], which: int, mask: np.ndarray, label: np.ndarray
):
    """AUC of the planted linear predictor restricted to one modality's effects (how much each carries)."""
    out = {}
    for modality in sorted({e.modality for e in model.effects}):
        names = {e.name for e in model.effects if e.modality == modality}
        score = model.linear(x, which, names)
        out[modality] = _r(auc(score[mask], label[mask]))
    return out


def signals(
    effects: list[C.Effect], x: dict[str, np.ndarray], mask: np.ndarray, a: str, b: str
) -> list[dict]:
    return [
        {
            "feature": e.name,
            "modality": e.modality,
            "visible_as": e.visible_as,
            f"log_odds_{a}": e.a,
            f"log_odds_{b}": e.b,
            "prevalence_in_cohort": _r(x[e.name][mask].mean()) if mask.any() else None,
        }
        for e in effects
    ]


def build_card(**k: Any) -> dict:
    pop, n, seed = k["pop"], k["pop"].n, k["seed"]
    images, cohort, outcome, surgery_day = k["images"], k["cohort"], k["outcome"], k["surgery_day"]
    ps, xs, sm = k["p_surgery"], k["x_surgery"], k["surgery_model"]
    pm, xm, mm, med_cohort, med_class = (
        k["p_med"],
        k["x_med"],
        k["med_model"],
        k["med_cohort"],
        k["med_class"],
    )
    lookback = k["lookback_days"]
    idx = images.index_image

    early, late = outcome == 1, outcome == 2
    early_task = cohort & ~late  # the paper's tasks: each excludes the other task's positives
    late_task = cohort & ~early
    score_early = ps[:, 1] / (ps[:, 1] + ps[:, 0])
    score_late = ps[:, 2] / (ps[:, 2] + ps[:, 0])
    days_after = (surgery_day - pop.index_day).astype(float)
    scale = 250_000 / n

    med_oracle = {
        f"{name}_vs_rest": _r(auc(pm[med_cohort, i], med_class[med_cohort] == i))
        for i, name in enumerate(("none", "nsaid", "opioid"))
    }
    valid = [v for v in med_oracle.values() if v is not None]
    med_oracle["macro"] = _r(np.mean(valid)) if valid else None

    expected = {
        "ldh_lss_cohort": int(cohort.sum()),
        "ldh_lss_cohort_per_250k": int(round(cohort.sum() * scale)),
        "early_positive": int((cohort & early).sum()),
        "late_positive": int((cohort & late).sum()),
        "early_prevalence_in_cohort": _r((early & cohort).sum() / max(cohort.sum(), 1)),
        "late_prevalence_in_cohort": _r((late & cohort).sum() / max(cohort.sum(), 1)),
        "early_task_n": int(early_task.sum()),
        "late_task_n": int(late_task.sum()),
        "oracle_auc_early": _r(auc(score_early[early_task], early[early_task])),
        "oracle_auc_late": _r(auc(score_late[late_task], late[late_task])),
        "medication_cohort": int(med_cohort.sum()),
        "medication_none_share": _r((med_class[med_cohort] == 0).mean()) if med_cohort.any() else None,
        "medication_nsaid_share": _r((med_class[med_cohort] == 1).mean()) if med_cohort.any() else None,
        "medication_opioid_share": _r((med_class[med_cohort] == 2).mean()) if med_cohort.any() else None,
        "oracle_auc_medication_macro": med_oracle["macro"],
    }

    return {
        "generator": "lumbar synthetic EHR",
        "version": C.GENERATOR_VERSION,
        "seed": seed,
        "n_patients": n,
        "ldh_enrichment": k.get("ldh_enrichment", 1.0),
        "expected": expected,
        "windows": {
            "index_dates": [C.INDEX_START, C.INDEX_END],
            "history_days": C.HISTORY_DAYS,
            "followup_days": C.FOLLOWUP_DAYS,
            "icd10_from": C.ICD10_START,
            "m48_06_split_from": C.ICD10_FY2017,
            "cpt_2017_codes_from": C.CPT_2017,
            "ldh_lookback_days": list(C.LOOKBACK),
            "feature_window_days": list(C.FEATURE_WINDOW),
            "early_surgery_days": list(C.EARLY_WINDOW),
            "late_surgery_days": list(C.LATE_WINDOW),
            "medication_window_days": list(C.MED_WINDOW),
            "notes": (
                "Day 0 is the index date. Index image = each patient's first lumbar or thoracic study (no "
                "spine study precedes it). No LDH/LSS code, planted 90-day event or surgery falls on day 0, so "
                "cohorts and features do not depend on whether a window includes the index day."
            ),
        },
        "tables": k["row_counts"],
        "sites": {
            s: {
                "target_share": C.SITE_MIX[i],
                "observed_share": _share(pop.site == i),
                **{key: val for key, val in asdict(C.SITE_PROFILES[s]).items()},
                "early_surgery_in_cohort": _r(early[cohort & (pop.site == i)].mean())
                if (cohort & (pop.site == i)).any()
                else None,
            }
            for i, s in enumerate(C.SITES)
        },
        "site_differences": (
            "hs1 dotted upper-case ICD codes, upper-case drug orders, mostly 'FINDINGS:'/'IMPRESSION:'; hs2 undotted "
            "codes (ICD-9 procedure codes too), RxNorm-style drug names, fewer MRIs, more surgery (+0.30 log-odds) "
            "and opioids (+0.30); hs3 mixed-case codes, shorthand drug names, 30 % of reports without headers, less "
            "surgery (-0.25); hs4 SNOMED problem-list codes for 40 % of low-back-pain diagnoses, most MRIs, "
            "'Impression'-style headers, most surgery (+0.40), fewer opioids (-0.20). hs1 and hs2 append the LIRE "
            "epidemiology note (own 'EPIDEMIOLOGY:' section) to 15 % of lumbar reports."
        ),
        "demographics": {
            "female_share": _share(pop.sex == 0),
            "mean_age_at_index": _r(pop.age.mean(), 2),
            "race": _mix(pop.race, C.RACES),
            "ethnicity_recorded_share": _share(pop.ethnicity >= 0),
            "hispanic_share": _share(pop.ethnicity == 0),
            "index_modality": _mix(images.modality[idx], ("XR", "MRI", "CT")),
            "index_body_region": _mix(images.region[idx], ("lumbar", "thoracic", "other")),
            "cohort_index_modality": _mix(images.modality[idx[cohort]], ("XR", "MRI", "CT")),
            "deaths_in_followup": int((pop.death_day >= 0).sum()),
        },
        "cohorts": {
            "ldh_lss": {
                "definition": ">= 2 LDH/LSS diagnosis codes (shared vocabulary) on distinct days in days -365..-1",
                "n": int(cohort.sum()),
                "latent_group": int(pop.ldh.sum()),
                "near_miss_one_lookback_code": int((lookback == 1).sum()),
                "near_miss_codes_after_index_only": int((pop.ldh_pattern == 2).sum()),
                "expected_per_250k": int(
                    round(250_000 * C.LDH_PREVALENCE * k.get("ldh_enrichment", 1.0) * C.LDH_PATTERN_MIX[0])
                ),
            },
            "surgery_early": {
                "definition": "first decompression code (CPT / ICD-9-PCS / ICD-10-PCS) in days 1..60",
                "n_positive_in_cohort": int((cohort & early).sum()),
                "prevalence_in_cohort": expected["early_prevalence_in_cohort"],
                "task_n (cohort minus late positives)": expected["early_task_n"],
                "mean_days_to_surgery": _r(days_after[cohort & early].mean(), 1)
                if (cohort & early).any()
                else None,
                "intercept": _r(sm.intercept[0]),
                "oracle_auc": expected["oracle_auc_early"],
                "oracle_auc_by_modality": modality_auc(sm, xs, 0, early_task, early),
            },
            "surgery_late": {
                "definition": "first decompression code in days 61..425 (and none in 1..60)",
                "n_positive_in_cohort": int((cohort & late).sum()),
                "prevalence_in_cohort": expected["late_prevalence_in_cohort"],
                "task_n (cohort minus early positives)": expected["late_task_n"],
                "mean_days_to_surgery": _r(days_after[cohort & late].mean(), 1)
                if (cohort & late).any()
                else None,
                "intercept": _r(sm.intercept[1]),
                "oracle_auc": expected["oracle_auc_late"],
                "oracle_auc_by_modality": modality_auc(sm, xs, 1, late_task, late),
            },
            "medication": {
                "definition": (
                    "index = first lumbar MRI; a low-back-pain code in days -365..0; no exclusion diagnosis "
                    "(fracture, cancer, spinal infection, trauma, stroke) or procedure (decompression, fusion, "
                    "epidural, facet or trigger point injection) before index; outcome = most potent class "
                    "ordered in days 0..365"
                ),
                "n": int(med_cohort.sum()),
                "class_mix": expected["medication_none_share"]
                and {
                    "none": expected["medication_none_share"],
                    "nsaid": expected["medication_nsaid_share"],
                    "opioid": expected["medication_opioid_share"],
                },
                "target_mix": dict(zip(("none", "nsaid", "opioid"), C.TARGET_MED, strict=True)),
                "intercepts": {"nsaid": _r(mm.intercept[0]), "opioid": _r(mm.intercept[1])},
                "oracle_auc": med_oracle,
            },
        },
        "signals": {
            "surgery": signals(C.SURGERY_EFFECTS, xs, cohort, "early", "late"),
            "surgery_note": (
                "Multinomial logit (none / early / late) over these features plus the site shift; the 90-day "
                "flags are drawn from a latent severity that also drives the report findings, so modalities "
                "correlate. Text effects use the index report only and carry the most signal on both tasks, as in the "
                "paper (text-only models beat codes-only ones); demographic effects are weak on purpose."
            ),
            "medication": signals(C.MED_EFFECTS, xm, med_cohort, "nsaid_vs_none", "opioid_vs_none"),
            "medication_note": (
                "Multinomial logit (none / NSAID / opioid) plus the site opioid shift. Observation effects use "
                "the latent value; the recorded observation is missing for some patients on purpose."
            ),
        },
        "reports": k["report_stats"],
        "vocabulary": k["vocab_stats"],
        "truth_files": {
            "truth/patients.parquet": "latent state, cohort flags, true outcome probabilities and draws per patient",
            "truth/report_findings.parquet": "image_id, finding, level, severity: every positive finding per report",
            "truth/drug_vocab.parquet": "drug_name -> ingredient, drug_class for every order string",
        },
    }
