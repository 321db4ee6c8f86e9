"""The planted outcome models: surgery (early / late) and most potent pain-drug class.

Each outcome is a multinomial logit over features a model can see (the index
report, events in the 90 days before index, demographics). Intercepts are solved
on the generated cohort so the prevalences hit the paper's numbers at any N.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config as C
from .arrays import sigmoid
from .population import Population

# latent flag -> (intercept, slope on severity) inside the LDH/LSS group, and intercept for
# other low-back-pain patients (noise: the same events without the outcome link)
FLAG_MODEL = {
    "radiculopathy_dx_90d": (-0.4, 0.7, -2.5),
    "neuro_deficit_dx_90d": (-1.6, 0.6, -3.5),
    "cauda_equina_dx_90d": (-4.2, 0.9, -8.0),
    "gabapentinoid_90d": (-1.0, 0.6, -2.5),
    "opioid_90d": (-1.0, 0.5, -2.0),
    "oral_steroid_90d": (-1.8, 0.5, -3.0),
    "epidural_injection_90d": (-2.0, 0.6, -3.5),
    "physical_therapy_90d": (-0.8, 0.3, -2.0),
    "emg_90d": (-2.3, 0.5, -4.0),
}


def draw_flags(pop: Population, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Which patients get each planted 90-day event (codes, drugs, procedures)."""
    flags = {}
    for name, (b0, b1, other) in FLAG_MODEL.items():
        logit = np.where(pop.ldh, b0 + b1 * pop.severity, np.where(pop.lbp, other, other - 1.5))
        flags[name] = rng.random(pop.n) < sigmoid(logit)
    return flags


def surgery_features(
    pop: Population,
    flags: dict[str, np.ndarray],
    report: dict[str, np.ndarray],
    index_mri: np.ndarray,
    pcp_np_pa: np.ndarray,
) -> dict[str, np.ndarray]:
    age = pop.age
    x = {
        "severe_canal_stenosis": report["max_canal"] == 3,
        "moderate_canal_stenosis": report["max_canal"] == 2,
        "disc_extrusion": report["extrusion"],
        "nerve_root_compression": report["nerve"],
        "lateral_recess_stenosis": report["recess_modsev"],
        "severe_foraminal_stenosis": report["max_foramen"] == 3,
        "endplate_change": report["modic"],
        **flags,
        "age_40_64": (age >= 40) & (age < 65),
        "age_75_plus": age >= 75,
        "male": pop.sex == 1,
        "white": pop.race == 0,
        "pcp_np_pa": pcp_np_pa,
        "index_mri": index_mri,
    }
    return {k: v.astype(np.float64) for k, v in x.items()}


@dataclass
class Multinomial:
    """Two logits against a reference class; intercepts solved on a target population."""

    effects: list[C.Effect]
    shift: np.ndarray  # (n, 2) per-patient offsets (site practice style)
    intercept: tuple[float, float] = (0.0, 0.0)

    def linear(self, x: dict[str, np.ndarray], which: int, names: set[str] | None = None) -> np.ndarray:
        out = np.zeros(len(self.shift))
        for e in self.effects:
            if names is None or e.name in names:
                out += (e.a if which == 0 else e.b) * x[e.name]
        return out

    def eta(self, x: dict[str, np.ndarray]) -> np.ndarray:
        """(n, 2) linear predictors without the intercepts."""
        return np.stack([self.linear(x, 0), self.linear(x, 1)], axis=1) + self.shift

    def probs(self, x: dict[str, np.ndarray]) -> np.ndarray:
        """(n, 3) probabilities; columns: reference, class a, class b."""
        return _softmax(self.eta(x) + np.array(self.intercept))

    def calibrate(self, x: dict[str, np.ndarray], mask: np.ndarray, target: tuple[float, float]) -> None:
        """Fixed-point on the two intercepts so the mean probabilities in `mask` hit the targets."""
        if not mask.any():
            return
        eta = self.eta(x)[mask]
        goal = np.array(target)
        a = np.log(goal / (1 - goal.sum()))
        for _ in range(100):
            mean = _softmax(eta + a)[:, 1:].mean(axis=0)
            if np.abs(mean - goal).max() < 1e-7:
                break
            a = a + np.log(goal / mean)
        self.intercept = (float(a[0]), float(a[1]))


def _softmax(eta: np.ndarray) -> np.ndarray:
    ex = np.exp(np.concatenate([np.zeros((len(eta), 1)), eta], axis=1))
    return ex / ex.sum(axis=1, keepdims=True)


def surgery_model(pop: Population) -> Multinomial:
    shift = np.array([C.SITE_PROFILES[s].surgery_shift for s in C.SITES])[pop.site]
    return Multinomial(C.SURGERY_EFFECTS, np.stack([shift, shift], axis=1))


def draw_surgery(
    pop: Population, probs: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Outcome (0 none, 1 early, 2 late, 3 after day 425) and surgery day (-1 none) per patient."""
    n = pop.n
    u = rng.random(n)
    outcome = np.where(u < probs[:, 1], 1, np.where(u < probs[:, 1] + probs[:, 2], 2, 0))
    outcome = np.where(pop.ldh, outcome, 0)
    # a few surgeries outside the group (other spine disease) and after the late window
    other = ~pop.ldh & (rng.random(n) < 0.003)
    outcome = np.where(other, 1 + (rng.random(n) < 0.7), outcome)
    outcome = np.where((outcome == 0) & pop.ldh & (rng.random(n) < 0.03), 3, outcome)
    offset = np.select(
        [outcome == 1, outcome == 2, outcome == 3],
        [
            rng.integers(C.EARLY_DAYS[0], C.EARLY_DAYS[1] + 1, n),
            C.LATE_WINDOW[0]
            + np.floor(rng.beta(*C.LATE_SHAPE, n) * (C.LATE_WINDOW[1] - C.LATE_WINDOW[0] + 1)),
            rng.integers(C.LATE_WINDOW[1] + 1, C.FOLLOWUP_DAYS + 1, n),
        ],
        default=-1,
    ).astype(np.int64)
    surgery_day = np.where(outcome > 0, pop.index_day + offset, -1).astype(np.int32)
    # nobody dies before their own surgery: move such deaths after it (or out of follow-up)
    late_death = (pop.death_day >= 0) & (surgery_day >= 0) & (pop.death_day <= surgery_day + 30)
    moved = surgery_day + 30 + rng.integers(0, 60, n)
    pop.death_day = np.where(
        late_death, np.where(moved <= pop.index_day + C.FOLLOWUP_DAYS, moved, -1), pop.death_day
    ).astype(np.int32)
    return outcome, surgery_day


def med_model(pop: Population) -> Multinomial:
    shift = np.array([C.SITE_PROFILES[s].opioid_shift for s in C.SITES])[pop.site]
    return Multinomial(C.MED_EFFECTS, np.stack([np.zeros(pop.n), shift], axis=1))


def med_features(
    pop: Population, med_day: np.ndarray, report: dict[str, np.ndarray], dx_before: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    year = (med_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970).astype(
        np.float64
    )
    x = {
        "year_since_2015": year - 2015,
        "female": pop.sex == 0,
        "age_per_10y_over_50": (pop.age + (med_day - pop.index_day) / 365.25 - 50) / 10,
        "black": pop.race == 1,
        "hispanic": pop.ethnicity == 0,
        "smoking_current": pop.smoking == 2,
        "smoking_former": pop.smoking == 1,
        "partnered": np.isin(pop.marital, (0, 4)),
        "social_support_high": pop.support == 2,
        "social_support_low": pop.support == 0,
        "negative_psych_state": pop.psych == 1,
        "insurance_medicaid": pop.insurance == 2,
        "insurance_medicare": pop.insurance == 1,
        "obese": pop.bmi >= 30,
        "pain_back_per_point_over_5": pop.pain_back.astype(np.float64) - 5,
        "dx_stenosis_or_ldh": dx_before["ldh_lss"],
        "dx_radiculopathy": dx_before["radiculopathy"],
        "dx_osteoarthritis": dx_before["osteoarthritis"],
        "dx_fibromyalgia": dx_before["fibromyalgia"],
        "mri_disc_pathology": report["disc_pathology"],
        "mri_canal_stenosis": report["max_canal"] >= 2,
        "mri_lateral_recess_stenosis": report["recess_any"],
        "mri_foraminal_stenosis": report["max_foramen"] >= 2,
        "mri_facet_arthropathy": report["facet"],
        "mri_endplate_change": report["modic"],
        "mri_curvature": report["curvature"],
    }
    return {k: np.asarray(v, dtype=np.float64) for k, v in x.items()}


def draw_class(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """0 none, 1 NSAID, 2 opioid."""
    u = rng.random(len(probs))
    return np.where(u < probs[:, 0], 0, np.where(u < probs[:, 0] + probs[:, 1], 1, 2))
