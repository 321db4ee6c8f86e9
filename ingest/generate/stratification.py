"""The stratification survey: a population-based sample with three latent low-back-pain subgroups.

Mirrors the multimodal stratification study (/work/shared/seeds/001_*.txt): per participant, an MRI
read by a (simulated) deep-learning reader -- Pfirrmann disc degeneration grade 1-5 and facet tropism
in degrees at L1-L2 .. L5-S1 -- plus the Örebro short form (10 items), the STarT Back Tool (9 items),
low-back-pain frequency and bothersomeness, all recorded on the day of that MRI. Smoking, sex and BMI
are the patients' existing latent values (recorded as ordinary observations elsewhere).

Who takes part: a random STRAT_SHARE of patients who have a lumbar MRI, regardless of back pain
(population-based); the study MRI is their first lumbar MRI. Nothing here changes the rows the rest of
the generator writes: the survey adds new observation names and `imaging_measurements` rows only.

Latent structure (the truth a clustering should recover): each participant belongs to one subgroup,
drawn with probabilities that depend weakly on smoking, BMI, sex and age. The subgroup sets the means of
two latent factors -- degeneration `d` and psychosocial load `s` -- and every measurement is a noisy
function of one or both factors, so subgroups differ in imaging (d) and questionnaires (s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ingest.contract import SPINE_LEVELS

from .arrays import date_array, sigmoid, stream, strings, take
from .imaging import Images
from .population import Population

SUBGROUPS = ("psychosocial", "degenerative", "mixed")
STRAT_SHARE = 0.04  # of patients with a lumbar MRI; ~1,700 participants at 60,000 patients
# subgroup means of the latent factors (degeneration d, psychosocial s); within-subgroup SD below
FACTOR_MEANS = {"psychosocial": (-0.9, 0.9), "degenerative": (0.9, -0.9), "mixed": (0.7, 0.7)}
FACTOR_SD = 0.35
# Pfirrmann grade before the degeneration factor: lower levels degenerate more (population pattern)
PFIRRMANN_BASE = (1.8, 2.0, 2.3, 2.9, 3.0)
PFIRRMANN_PER_D, PFIRRMANN_NOISE = 1.0, 0.45
TROPISM_SCALE_DEG, TROPISM_PER_D = 4.0, 2.0  # half-normal scale in degrees, + per unit of d
ITEM_MISSING = 0.01  # each questionnaire item is left blank with this probability
MEASURE_MISSING = 0.01  # share of study MRIs where the reader failed at one level
OREBRO_REVERSED = (3, 4, 8)  # items whose raw response is "good" (scored 10 - response)
# STarT Back items 1-8 agree with P = sigmoid(-0.3 + SBT_PER_S s (+ 0.5 d for items 1-4) + offset). 0/1 items carry
# less of s than the 0-10 Örebro items; at 1.8 an SBT-based k = 3 was not bootstrap-stable (mean ARI ~0.7 on
# ~500 participants) and the clustering kept k = 2, where 001 finds three subgroups with either questionnaire.
SBT_PER_S = 2.8
LBP_FREQUENCY = ("not at all", "1-7 days", "8-30 days", ">30 days, not daily", "daily")
# persistent bothersome LBP (the decision-curve outcome): frequency >= '>30 days' and bothersomeness >= 6
OUTCOME_MIN_FREQUENCY, OUTCOME_MIN_BOTHER = 3, 6


@dataclass
class Survey:
    patient: np.ndarray  # patient index
    image_row: np.ndarray  # imaging row of the study MRI
    day: np.ndarray  # visit day (= study MRI day)
    subgroup: np.ndarray  # index into SUBGROUPS
    p_subgroup: np.ndarray  # (m, 3) true membership probabilities given smoking, BMI, sex, age
    d: np.ndarray  # latent degeneration
    s: np.ndarray  # latent psychosocial load
    pfirrmann: np.ndarray  # (m, 5) grade 1..5
    tropism: np.ndarray  # (m, 5) degrees
    measure_missing: np.ndarray  # (m, 5) bool: reader failed at this level (both measures)
    orebro: np.ndarray  # (m, 10) raw responses (item 1 1..10, others 0..10), NaN = blank
    sbt: np.ndarray  # (m, 9) items 1-8 0/1, item 9 0..4, NaN = blank
    lbp_frequency: np.ndarray  # 0..4 (LBP_FREQUENCY)
    bothersomeness: np.ndarray  # 0..10
    outcome: np.ndarray  # bool: persistent bothersome LBP

    @property
    def n(self) -> int:
        return len(self.patient)


def subgroup_probabilities(pop: Population, who: np.ndarray) -> np.ndarray:
    """Membership probabilities: degeneration is likelier in smokers, heavier, male and older people."""
    current = (pop.smoking[who] == 2).astype(float)
    bmi = pop.bmi[who] - 27.0
    male = (pop.sex[who] == 1).astype(float)
    age = (pop.age[who] - 57.0) / 10.0
    logits = np.column_stack(
        [
            np.zeros(len(who)),
            0.5 * current + 0.05 * bmi + 0.3 * male + 0.3 * age,
            -0.15 + 0.3 * current + 0.03 * bmi + 0.15 * age,
        ]
    )
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def draw_survey(pop: Population, images: Images, seed: int) -> Survey:
    rng = stream(seed, "stratification")
    first_mri = images.med_index_image
    who = np.flatnonzero((first_mri >= 0) & (rng.random(pop.n) < STRAT_SHARE))
    rows = first_mri[who]
    p = subgroup_probabilities(pop, who)
    group = (rng.random(len(who))[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, 2)
    return _measure(rng, who, rows, images.day[rows], group, p, pop.age[who])


def _measure(rng, who, rows, days, group, p, age) -> Survey:
    m = len(who)
    means = np.array([FACTOR_MEANS[g] for g in SUBGROUPS])[group]
    d = means[:, 0] + rng.normal(0, FACTOR_SD, m)
    s = means[:, 1] + rng.normal(0, FACTOR_SD, m)

    base = np.array(PFIRRMANN_BASE)[None, :] + 0.02 * (age[:, None] - 57.0)
    grade = base + PFIRRMANN_PER_D * d[:, None] + rng.normal(0, PFIRRMANN_NOISE, (m, 5))
    pfirrmann = np.clip(np.round(grade), 1, 5)
    scale = np.clip(TROPISM_SCALE_DEG + TROPISM_PER_D * d, 1.0, None)[:, None]
    tropism = np.round(np.abs(rng.normal(0, 1, (m, 5))) * scale, 1)
    measure_missing = np.zeros((m, 5), bool)
    failed = np.flatnonzero(rng.random(m) < MEASURE_MISSING)
    measure_missing[failed, rng.integers(0, 5, len(failed))] = True

    # Örebro short form: latent item score 0..10 rises with s; reversed items are recorded as 10 - score
    score = np.clip(np.round(5.0 + 2.2 * s[:, None] + rng.normal(0, 1.6, (m, 10))), 0, 10)
    score[:, 0] = np.clip(score[:, 0], 1, 10)  # item 1 (pain duration) is scored 1..10
    orebro = score.copy()
    for item in OREBRO_REVERSED:
        orebro[:, item - 1] = 10 - score[:, item - 1]
    # STarT Back: items 1-4 physical (load on d too), 5-8 psychosocial, 9 bothersomeness (0..4 Likert)
    offsets = np.array([0.3, -0.2, 0.0, -0.4, 0.1, -0.3, 0.0, -0.2])
    load_d = np.array([0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0])
    p_agree = sigmoid(-0.3 + SBT_PER_S * s[:, None] + load_d * d[:, None] + offsets)
    sbt = np.empty((m, 9))
    sbt[:, :8] = rng.random((m, 8)) < p_agree
    sbt[:, 8] = np.clip(np.round(2.0 + 1.2 * s + rng.normal(0, 0.8, m)), 0, 4)
    orebro[rng.random((m, 10)) < ITEM_MISSING] = np.nan
    sbt[rng.random((m, 9)) < ITEM_MISSING] = np.nan

    pain = 0.2 + 0.6 * s + 0.4 * d + rng.normal(0, 0.8, m)
    frequency = np.digitize(pain, (-1.0, -0.3, 0.3, 0.9))
    bother = np.clip(np.round(4.0 + 2.0 * pain + rng.normal(0, 1.2, m)), 0, 10)
    bother = np.where(frequency == 0, 0, bother)  # no pain, nothing to be bothered by
    outcome = (frequency >= OUTCOME_MIN_FREQUENCY) & (bother >= OUTCOME_MIN_BOTHER)
    return Survey(
        who,
        rows,
        days.astype(np.int32),
        group,
        p,
        d,
        s,
        pfirrmann,
        tropism,
        measure_missing,
        orebro,
        sbt,
        frequency,
        bother,
        outcome,
    )


def observation_rows(sv: Survey, patient_ids: pa.Array) -> pa.Table:
    """orebro_q1..q10, sbt_q1..q9 (blank items are absent rows), lbp_frequency, lbp_bothersomeness."""
    parts = []
    for prefix, items in (("orebro_q", sv.orebro), ("sbt_q", sv.sbt)):
        for j in range(items.shape[1]):
            keep = ~np.isnan(items[:, j])
            parts.append((np.flatnonzero(keep), f"{prefix}{j + 1}", items[keep, j], None))
    every = np.arange(sv.n)
    parts.append((every, "lbp_frequency", sv.lbp_frequency.astype(float), sv.lbp_frequency))
    parts.append((every, "lbp_bothersomeness", sv.bothersomeness, None))
    rows, names, nums, texts = [], [], [], []
    for idx, name, num, text in parts:
        rows.append(idx)
        names += [name] * len(idx)
        nums.append(num)
        texts.append(np.full(len(idx), -1) if text is None else text)
    row = np.concatenate(rows)
    text = np.concatenate(texts)
    order = np.argsort(sv.patient[row], kind="stable")
    row, text = row[order], text[order]
    return pa.table(
        {
            "patient_id": patient_ids.take(pa.array(sv.patient[row])),
            "obs_date": date_array(sv.day[row]),
            "name": strings(np.array(names)[order]),
            "value_num": pa.array(np.concatenate(nums)[order], type=pa.float64()),
            "value_text": take(strings(LBP_FREQUENCY), np.maximum(text, 0), mask_null=text < 0),
        }
    )


def measurement_rows(sv: Survey, image_ids: pa.Array) -> pa.Table:
    """imaging_measurements: pfirrmann_grade and facet_tropism_deg per level of each study MRI."""
    cols: dict[str, list] = {"row": [], "level": [], "measure": [], "value": []}
    for j in range(5):
        keep = ~sv.measure_missing[:, j]
        for measure, values in (("pfirrmann_grade", sv.pfirrmann), ("facet_tropism_deg", sv.tropism)):
            cols["row"].append(np.flatnonzero(keep))
            cols["level"] += [j] * int(keep.sum())
            cols["measure"] += [measure] * int(keep.sum())
            cols["value"].append(values[keep, j])
    row = np.concatenate(cols["row"])
    order = np.lexsort((np.array(cols["measure"]), np.array(cols["level"]), sv.image_row[row]))
    return pa.table(
        {
            "image_id": image_ids.take(pa.array(sv.image_row[row][order])),
            "level": take(strings(SPINE_LEVELS), np.array(cols["level"])[order]),
            "measure": strings(np.array(cols["measure"])[order]),
            "value": pa.array(np.concatenate(cols["value"])[order], type=pa.float64()),
        }
    )


def truth_rows(sv: Survey, patient_ids: pa.Array, image_ids: pa.Array) -> pa.Table:
    cols = {
        "patient_id": patient_ids.take(pa.array(sv.patient)),
        "image_id": image_ids.take(pa.array(sv.image_row)),
        "subgroup": take(strings(SUBGROUPS), sv.subgroup),
        "degeneration_factor": pa.array(np.round(sv.d, 6)),
        "psychosocial_factor": pa.array(np.round(sv.s, 6)),
        "persistent_bothersome_lbp": pa.array(sv.outcome),
    }
    for k, g in enumerate(SUBGROUPS):
        cols[f"p_{g}"] = pa.array(np.round(sv.p_subgroup[:, k], 6))
    return pa.table(cols)


def card_section(sv: Survey) -> dict:
    def by_group(values: np.ndarray) -> dict[str, float | None]:
        return {
            g: (round(float(values[sv.subgroup == k].mean()), 3) if (sv.subgroup == k).any() else None)
            for k, g in enumerate(SUBGROUPS)
        }

    orebro_true = np.nansum(
        np.where(np.isin(np.arange(10), np.array(OREBRO_REVERSED) - 1), 10 - sv.orebro, sv.orebro), axis=1
    )
    return {
        "definition": (
            f"population-based survey: a random {STRAT_SHARE:.0%} of patients with a lumbar MRI; study MRI = "
            "their first lumbar MRI; questionnaires, LBP frequency and bothersomeness recorded that day"
        ),
        "n": int(sv.n),
        "subgroups": list(SUBGROUPS),
        "subgroup_mix": {
            g: round(float((sv.subgroup == k).mean()), 4) if sv.n else None for k, g in enumerate(SUBGROUPS)
        },
        "factor_means": {g: {"degeneration": m[0], "psychosocial": m[1]} for g, m in FACTOR_MEANS.items()},
        "factor_sd": FACTOR_SD,
        "membership": (
            "softmax over (psychosocial 0; degenerative 0.5 current smoker + 0.05 (BMI-27) + 0.3 male + "
            "0.3 (age-57)/10; mixed -0.15 + 0.3 current smoker + 0.03 (BMI-27) + 0.15 (age-57)/10)"
        ),
        "measurements": {
            "pfirrmann_grade": f"round(base {list(PFIRRMANN_BASE)} by level + 0.02 (age-57) + {PFIRRMANN_PER_D} d + N(0, {PFIRRMANN_NOISE})), clipped 1..5",
            "facet_tropism_deg": f"|N(0,1)| x max(1, {TROPISM_SCALE_DEG} + {TROPISM_PER_D} d) degrees (weak)",
            "orebro": "item score round(5 + 2.2 s + N(0, 1.6)) in 0..10 (item 1 in 1..10); items 3, 4, 8 are recorded reversed (10 - score)",
            "sbt": f"items 1-8 agree with P = sigmoid(-0.3 + {SBT_PER_S} s (+0.5 d for items 1-4) + offset); item 9 round(2 + 1.2 s + N(0, 0.8)) in 0..4",
            "lbp_frequency": f"digitize(0.2 + 0.6 s + 0.4 d + N(0, 0.8), (-1, -0.3, 0.3, 0.9)) -> {list(LBP_FREQUENCY)}",
            "lbp_bothersomeness": "round(4 + 2 pain + N(0, 1.2)) in 0..10; 0 when frequency is 'not at all'",
            "item_missing": ITEM_MISSING,
            "reader_failed_one_level": MEASURE_MISSING,
        },
        "outcome": (
            f"persistent bothersome LBP: frequency >= '{LBP_FREQUENCY[OUTCOME_MIN_FREQUENCY]}' and "
            f"bothersomeness >= {OUTCOME_MIN_BOTHER}"
        ),
        "outcome_prevalence": round(float(sv.outcome.mean()), 4) if sv.n else None,
        "by_subgroup": {
            "mean_pfirrmann": by_group(sv.pfirrmann.mean(axis=1)),
            "mean_orebro_total_complete_items": by_group(orebro_true),
            "outcome_prevalence": by_group(sv.outcome.astype(float)),
        },
        "expected_recovery": (
            "k-means on robust-scaled imaging + questionnaire + smoking/sex/BMI features (blank BMI/smoking "
            "imputed, ~25 % have no BMI record) with k by the gap statistic should find k = 3 and recover the "
            "subgroups with adjusted Rand index well above 0.7; forcing k = 2 merges mixed into degenerative "
            "or psychosocial (ARI ~0.6)"
        ),
    }
