"""Observations: pain scores, smoking, BMI, insurance, marital status, social support, psych state.

Each value records the patient's latent state exactly (pain at the index visits)
or with visit noise (later pain scores, BMI); every kind is missing for some
patients on purpose, at the rates in MISSING.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .arrays import date_array, repeat_index, stream, strings, take, uniform_days
from .population import INSURANCE, MARITAL, SMOKING, SUPPORT, Population

NAMES = (
    "pain_nrs_back",
    "pain_nrs_leg",
    "smoking",
    "bmi",
    "insurance",
    "marital_status",
    "social_support",
    "negative_psych_state",
)
TEXTS = SMOKING + INSURANCE + MARITAL + SUPPORT
# share of patients with the observation recorded at all
RECORDED = {
    "smoking": 0.85,
    "bmi": 0.75,
    "insurance": 0.95,
    "marital_status": 0.80,
    "social_support": 0.45,
    "negative_psych_state": 0.55,
    "pain_nrs_back_index": 0.70,
    "pain_nrs_leg_index": 0.50,
}


def observations(pop: Population, med_day: np.ndarray, patient_ids: pa.Array, seed: int) -> pa.Table:
    rng = stream(seed, "observations")
    n = pop.n
    cols: dict[str, list[np.ndarray]] = {"p": [], "d": [], "name": [], "num": [], "text": []}

    def add(who, days, name, num=None, text=None):
        cols["p"].append(who)
        cols["d"].append(days.astype(np.int32))
        cols["name"].append(np.full(len(who), NAMES.index(name)))
        cols["num"].append(np.full(len(who), np.nan) if num is None else num.astype(np.float64))
        cols["text"].append(np.full(len(who), -1) if text is None else text)

    def recorded(key):
        return np.flatnonzero(rng.random(n) < RECORDED[key])

    def near_index(who, lo=0, hi=30):
        return pop.index_day[who] - rng.integers(lo, hi + 1, len(who))

    w = recorded("insurance")
    add(w, near_index(w), "insurance", text=len(SMOKING) + pop.insurance[w])
    w = recorded("smoking")
    add(w, near_index(w, 0, 60), "smoking", text=pop.smoking[w])
    again = w[rng.random(len(w)) < 0.4]
    add(
        again,
        uniform_days(rng, pop.index_day[again] + 1, pop.end_day[again]),
        "smoking",
        text=pop.smoking[again],
    )
    w = recorded("bmi")
    k = 1 + rng.poisson(1.0, len(w))
    owner = w[repeat_index(k)]
    bmi = np.round(pop.bmi[owner] + rng.normal(0, 0.8, len(owner)), 1)
    add(owner, uniform_days(rng, pop.start_day[owner], pop.end_day[owner]), "bmi", num=bmi)
    w = recorded("marital_status")
    add(w, near_index(w, 0, 365), "marital_status", text=len(SMOKING) + len(INSURANCE) + pop.marital[w])
    w = recorded("social_support")
    add(
        w, near_index(w), "social_support", text=len(SMOKING) + len(INSURANCE) + len(MARITAL) + pop.support[w]
    )
    w = recorded("negative_psych_state")
    add(w, near_index(w), "negative_psych_state", num=pop.psych[w])

    # pain: exact latent value at the index visit and at the med-study index visit; noisy elsewhere
    for name, latent, rate in (("pain_nrs_back", pop.pain_back, 1.5), ("pain_nrs_leg", pop.pain_leg, 0.8)):
        w = recorded(f"{name}_index")
        add(w, pop.index_day[w], name, num=latent[w])
        later = np.flatnonzero((med_day > pop.index_day) & (rng.random(n) < RECORDED[f"{name}_index"]))
        add(later, med_day[later], name, num=latent[later])
        k = rng.poisson(rate, n)
        owner = repeat_index(k)
        value = np.clip(np.round(latent[owner] + rng.normal(0, 1.5, len(owner))), 0, 10)
        add(owner, uniform_days(rng, pop.start_day[owner], pop.end_day[owner]), name, num=value)

    p, d, name, num, text = (np.concatenate(cols[c]) for c in ("p", "d", "name", "num", "text"))
    keep = (d >= pop.start_day[p]) & (d <= pop.end_day[p])
    p, d, name, num, text = p[keep], d[keep], name[keep], num[keep], text[keep]
    order = np.lexsort((num, text, name, d, p))
    p, d, name, num, text = p[order], d[order], name[order], num[order], text[order]
    return pa.table(
        {
            "patient_id": patient_ids.take(pa.array(p)),
            "obs_date": date_array(d),
            "name": take(strings(NAMES), name),
            "value_num": pa.array(num, type=pa.float64(), mask=np.isnan(num)),
            "value_text": take(strings(TEXTS), np.maximum(text, 0), mask_null=text < 0),
        }
    )
