"""Patients, providers and the latent clinical state each patient carries.

The latent state (LDH/LSS group, severity, low back pain, psychosocial values) is
drawn here once; events, reports and outcomes are all functions of it, which is
what makes the planted signal exact and documentable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config as C
from .arrays import choice, day, sigmoid, stream

PCP_SPECIALTIES = ("Family Medicine", "Internal Medicine", "General Practice", "Geriatric Medicine")
PCP_SPECIALTY_MIX = (0.5, 0.4, 0.05, 0.05)
OTHER_SPECIALTIES = (
    "Orthopaedic Surgery",
    "Neurological Surgery",
    "Physical Medicine & Rehabilitation",
    "Radiology",
    "Emergency Medicine",
    "Pain Medicine",
    "Rheumatology",
    "Neurology",
    "Physical Therapy",
)
CLINICIAN_TYPES = ("MD", "DO", "NP", "PA")
CLINICIAN_MIX = (0.70, 0.10, 0.12, 0.08)

SMOKING = ("never", "former", "current")
INSURANCE = ("commercial", "medicare", "medicaid", "self-pay")
MARITAL = ("married", "single", "divorced", "widowed", "partnered")
SUPPORT = ("low", "medium", "high")


@dataclass
class Providers:
    site: np.ndarray  # int site index
    gender: np.ndarray  # 0 F, 1 M
    clinician_type: np.ndarray
    specialty: np.ndarray  # index into PCP_SPECIALTIES + OTHER_SPECIALTIES
    is_pcp: np.ndarray

    @property
    def n(self) -> int:
        return len(self.site)


@dataclass
class Population:
    n: int
    site: np.ndarray
    sex: np.ndarray
    age: np.ndarray  # float years at index
    index_day: np.ndarray
    birth_day: np.ndarray
    race: np.ndarray
    ethnicity: np.ndarray  # -1 unknown, else index into ETHNICITIES
    language: np.ndarray
    pcp: np.ndarray  # provider index or -1
    death_day: np.ndarray  # -1 alive
    # latent clinical state
    ldh: np.ndarray  # bool: in the LDH/LSS group
    ldh_pattern: np.ndarray  # -1 none, 0 A (>= 2 look-back codes), 1 B (one), 2 C (after index only)
    severity: np.ndarray  # standard normal; drives findings and the surgery flags
    lbp: np.ndarray  # bool: low back pain coded
    smoking: np.ndarray
    bmi: np.ndarray
    insurance: np.ndarray
    marital: np.ndarray
    support: np.ndarray
    psych: np.ndarray  # negative psychological state 0/1
    pain_back: np.ndarray  # 0..10 at index
    pain_leg: np.ndarray

    @property
    def start_day(self) -> np.ndarray:
        return self.index_day - C.HISTORY_DAYS

    @property
    def end_day(self) -> np.ndarray:
        """Last day with data: end of follow-up or death."""
        end = self.index_day + C.FOLLOWUP_DAYS
        return np.where(self.death_day >= 0, np.minimum(end, self.death_day), end)


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calendar year, month (1-12) and day of month of day numbers."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month_start = d.astype("datetime64[M]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (month_start - d.astype("datetime64[Y]").astype("datetime64[M]")).astype(np.int64) + 1
    return year, month, (d - month_start.astype("datetime64[D]")).astype(np.int64) + 1


def completed_years(birth_day: np.ndarray, on_day: np.ndarray) -> np.ndarray:
    """Age in completed years on on_day, exactly as the warehouse computes it.

    The medication cohort's adult rule (cohort_medication_candidates.age_at_index, var
    medication_minimum_age) takes the calendar-year difference and subtracts one while the birthday
    (month, day) has not come yet that year; a 29 February birthday comes on 1 March in common years.
    """
    by, bm, bd = _ymd(birth_day)
    oy, om, od = _ymd(on_day)
    before_birthday = (om < bm) | ((om == bm) & (od < bd))
    return oy - by - before_birthday.astype(np.int64)


def birth_day_for_age(index_day: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Birth day whose completed-years age at index_day is floor(age), the rest of the year spread by `age`.

    Counting back whole calendar years first (29 February -> 28 February) and then at most 364 days keeps
    the warehouse's age (completed_years) equal to the drawn age's whole years, so the generator's adults
    (age >= AGE_MIN) are adults in the cohort SQL too, birthdays and leap days included.
    """
    whole = np.floor(age).astype(np.int64)
    year, month, dom = _ymd(index_day)
    month_start = ((year - whole - 1970) * 12 + month - 1).astype("datetime64[M]")
    month_days = ((month_start + 1).astype("datetime64[D]") - month_start.astype("datetime64[D]")).astype(
        np.int64
    )
    same_date = month_start.astype("datetime64[D]") + (np.minimum(dom, month_days) - 1)
    extra = np.minimum(np.floor((age - whole) * 365.25), 364).astype(np.int64)
    return (same_date.astype(np.int64) - extra).astype(np.int32)


def make_providers(n_patients: int, seed: int) -> Providers:
    rng = stream(seed, "providers")
    n = max(60, n_patients // 50)
    # every site gets at least a handful of PCPs even at tiny N
    site = np.concatenate([np.arange(len(C.SITES)).repeat(5), choice(rng, n - 5 * len(C.SITES), C.SITE_MIX)])
    is_pcp = rng.random(n) < 0.6
    is_pcp[: 5 * len(C.SITES)] = True
    specialty = np.where(
        is_pcp,
        choice(rng, n, PCP_SPECIALTY_MIX),
        len(PCP_SPECIALTIES) + choice(rng, n, np.ones(len(OTHER_SPECIALTIES))),
    )
    return Providers(
        site=site,
        gender=(rng.random(n) < 0.48).astype(np.int8),
        clinician_type=choice(rng, n, CLINICIAN_MIX),
        specialty=specialty,
        is_pcp=is_pcp,
    )


def _pick_pcp(rng: np.random.Generator, site: np.ndarray, providers: Providers) -> np.ndarray:
    """A random PCP from the patient's own site, by array arithmetic on a site-sorted pool."""
    pool = np.flatnonzero(providers.is_pcp)
    pool = pool[np.argsort(providers.site[pool], kind="stable")]
    counts = np.bincount(providers.site[pool], minlength=len(C.SITES))
    starts = np.cumsum(counts) - counts
    pick = starts[site] + np.floor(rng.random(len(site)) * counts[site]).astype(np.int64)
    pcp = pool[pick]
    return np.where(rng.random(len(site)) < 0.04, -1, pcp)  # some patients have no PCP on file


def make_population(
    n: int, seed: int, providers: Providers, ldh_prevalence: float = C.LDH_PREVALENCE
) -> Population:
    rng = stream(seed, "population")
    site = choice(rng, n, C.SITE_MIX)
    sex = choice(rng, n, C.SEX_MIX)
    age = np.clip(rng.normal(C.AGE_MEAN, C.AGE_SD, n), C.AGE_MIN, C.AGE_MAX)
    index_day = rng.integers(day(C.INDEX_START), day(C.INDEX_END) + 1, n).astype(np.int32)
    birth_day = birth_day_for_age(index_day, age)
    race = choice(rng, n, C.RACE_MIX)
    recorded = rng.random(n) < np.array([C.SITE_PROFILES[s].ethnicity_recorded for s in C.SITES])[site]
    # 0 Hispanic, 1 Not Hispanic, -1 not recorded (paper: 14.4 / 14.7 / 70.9 %)
    ethnicity = np.where(recorded, (rng.random(n) >= 0.495).astype(np.int64), -1)
    language = choice(rng, n, C.LANGUAGE_MIX)
    language = np.where(ethnicity == 0, np.where(rng.random(n) < 0.35, 1, language), language)  # Spanish

    dies = rng.random(n) < sigmoid(C.DEATH_BASE_LOGIT + C.DEATH_AGE_SLOPE * (age - 57))
    death_day = np.where(dies, index_day + rng.integers(1, C.FOLLOWUP_DAYS + 1, n), -1).astype(np.int32)

    ldh = rng.random(n) < ldh_prevalence
    ldh_pattern = np.where(ldh, choice(rng, n, C.LDH_PATTERN_MIX), -1)
    severity = rng.normal(0, 1, n)
    lbp = rng.random(n) < np.where(ldh, 0.85, C.LBP_PREVALENCE)

    smoking = choice(rng, n, (0.55, 0.30, 0.15))
    smoking = np.where((age < 35) & (smoking == 1), 0, smoking)
    bmi = np.round(np.clip(rng.normal(29.0, 6.0, n), 16, 60), 1)
    older = age >= 65
    insurance = np.where(
        older, choice(rng, n, (0.12, 0.83, 0.04, 0.01)), choice(rng, n, (0.72, 0.05, 0.18, 0.05))
    )
    marital = choice(rng, n, (0.52, 0.25, 0.12, 0.06, 0.05))
    marital = np.where((age >= 75) & (rng.random(n) < 0.3), 3, marital)
    psych = (rng.random(n) < 0.22 + 0.06 * (sex == 0)).astype(np.int8)
    support = np.where(psych == 1, choice(rng, n, (0.40, 0.40, 0.20)), choice(rng, n, (0.15, 0.45, 0.40)))
    pain_back = np.clip(np.round(rng.normal(5.2 + 0.6 * ldh + 0.3 * psych, 2.0)), 0, 10).astype(np.int8)
    pain_leg = np.clip(np.round(rng.normal(2.5 + 2.5 * ldh + 0.8 * np.maximum(severity, 0), 2.2)), 0, 10)
    return Population(
        n=n,
        site=site,
        sex=sex,
        age=age,
        index_day=index_day,
        birth_day=birth_day,
        race=race,
        ethnicity=ethnicity,
        language=language,
        pcp=_pick_pcp(rng, site, providers),
        death_day=death_day,
        ldh=ldh,
        ldh_pattern=ldh_pattern,
        severity=severity,
        lbp=lbp,
        smoking=smoking,
        bmi=bmi,
        insurance=insurance,
        marital=marital,
        support=support,
        psych=psych,
        pain_back=pain_back,
        pain_leg=pain_leg.astype(np.int8),
    )
