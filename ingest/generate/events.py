"""Diagnosis, procedure and prescription events, built as arrays (no per-patient loops).

Each builder appends chunks of (patient, day, code) rows; `Chunks.build` sorts them
into a fixed order. Codes are vocabulary indices until the writer formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import config as C
from .arrays import choice, day, distinct_days, rank_within, repeat_index, stream, uniform_days, zipf_weights
from .imaging import Images
from .population import Population
from .vocab_dx import dx_vocab
from .vocab_px import px_vocab
from .vocab_rx import rx_vocab

ICD10_DAY = day(C.ICD10_START)
CPT2017_DAY = day(C.CPT_2017)


@dataclass
class Chunks:
    patient: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    code: list[np.ndarray] = field(default_factory=list)

    def add(self, patient: np.ndarray, days: np.ndarray, code: np.ndarray) -> None:
        self.patient.append(np.asarray(patient, np.int64))
        self.day.append(np.asarray(days, np.int32))
        self.code.append(np.asarray(code, np.int64))

    def build(self, pop: Population) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Concatenate, drop rows outside the patient's data window, sort by patient, day, code."""
        p, d, c = (np.concatenate(x) for x in (self.patient, self.day, self.code))
        keep = (d >= pop.start_day[p]) & (d <= pop.end_day[p])
        p, d, c = p[keep], d[keep], c[keep]
        order = np.lexsort((c, d, p))
        return p[order], d[order], c[order]


def _pick(rng: np.random.Generator, group: tuple[np.ndarray, np.ndarray], n: int) -> np.ndarray:
    members, weights = group
    return members[choice(rng, n, weights)] if len(weights) else members[rng.integers(0, len(members), n)]


def _window(pop: Population, who: np.ndarray, lo: int | np.ndarray, hi: int | np.ndarray, ref=None):
    """Day bounds [ref+lo, ref+hi] clipped to the patient's data window."""
    ref = pop.index_day[who] if ref is None else ref
    start = np.maximum(ref + lo, pop.start_day[who])
    stop = np.minimum(ref + hi, pop.end_day[who])
    return start, stop


def _rows_in(rng, pop, who, counts, lo, hi, ref=None):
    """counts[i] uniform days per patient who[i] in [ref+lo, ref+hi]; returns (patient, day)."""
    start, stop = _window(pop, who, lo, hi, ref)
    ok = stop >= start
    who, counts, start, stop = who[ok], counts[ok], start[ok], stop[ok]
    owner = repeat_index(counts)
    return who[owner], uniform_days(rng, start[owner], stop[owner])


@dataclass
class DxRows:
    patient: np.ndarray
    day: np.ndarray
    concept: np.ndarray


def diagnoses(
    pop: Population, flags: dict[str, np.ndarray], frailty: np.ndarray, ref_day: np.ndarray, seed: int
) -> DxRows:
    """All diagnosis rows. ref_day: the day low-back-pain and exclusion codes are placed before
    (the med-study index where there is one, else the index date)."""
    rng = stream(seed, "diagnoses")
    v = dx_vocab()
    g = v.groups
    out = Chunks()
    n = pop.n
    everyone = np.arange(n)

    # background: a few chronic problems per patient seen again and again, plus one-off problems
    members = g["background"][0]
    weights = zipf_weights(len(members), 1.0)
    k = 1 + rng.poisson(2.5, n)
    chronic = members[choice(rng, int(k.sum()), weights)]
    chronic_start = np.cumsum(k) - k
    counts = rng.poisson(11.0 * frailty)
    p, d = _rows_in(rng, pop, everyone, counts, -C.HISTORY_DAYS, C.FOLLOWUP_DAYS)
    pick = chronic[chronic_start[p] + np.floor(rng.random(len(p)) * k[p]).astype(np.int64)]
    acute = members[choice(rng, len(p), zipf_weights(len(members), 1.1))]
    out.add(p, d, np.where(rng.random(len(p)) < 0.65, pick, acute))

    # LDH/LSS: pattern A >= 2 distinct look-back days, B one, C only after index; plus follow-up codes
    ldh = g["ldh_lss"]
    a = np.flatnonzero(pop.ldh_pattern == 0)
    ka = 2 + rng.poisson(1.2, len(a))
    span = rng.integers(40, C.HISTORY_DAYS + 1, len(a))
    owner = repeat_index(ka)
    out.add(
        a[owner],
        distinct_days(rng, ka, pop.index_day[a] - span, pop.index_day[a] - 1),
        _pick(rng, ldh, len(owner)),
    )
    b = np.flatnonzero(pop.ldh_pattern == 1)
    p, d = _rows_in(rng, pop, b, np.ones(len(b), np.int64), *C.LOOKBACK)
    out.add(p, d, _pick(rng, ldh, len(p)))
    c = np.flatnonzero(pop.ldh_pattern >= 0)
    p, d = _rows_in(rng, pop, c, rng.poisson(1.5, len(c)) + (pop.ldh_pattern[c] >= 1), 1, 300)
    out.add(p, d, _pick(rng, ldh, len(p)))
    # near misses outside the group: one stray code in the look-back, or codes after index only
    stray = np.flatnonzero(~pop.ldh & (rng.random(n) < C.LDH_SINGLE_CODE_NOISE))
    p, d = _rows_in(rng, pop, stray, np.ones(len(stray), np.int64), *C.LOOKBACK)
    out.add(p, d, _pick(rng, ldh, len(p)))
    later = np.flatnonzero(~pop.ldh & (rng.random(n) < 0.01))
    p, d = _rows_in(rng, pop, later, 1 + rng.poisson(0.5, len(later)), 1, C.FOLLOWUP_DAYS)
    out.add(p, d, _pick(rng, ldh, len(p)))

    # low back pain: at least one code in the year before the reference day; often on the imaging day
    lbp = np.flatnonzero(pop.lbp)
    p, d = _rows_in(rng, pop, lbp, 1 + rng.poisson(1.0, len(lbp)), -365, -1, ref_day[lbp])
    out.add(p, d, _pick(rng, g["lbp"], len(p)))
    on_index = lbp[rng.random(len(lbp)) < 0.5]
    out.add(on_index, pop.index_day[on_index], _pick(rng, g["lbp"], len(on_index)))
    p, d = _rows_in(rng, pop, lbp, rng.poisson(1.5, len(lbp)), 1, C.FOLLOWUP_DAYS)
    out.add(p, d, _pick(rng, g["lbp"], len(p)))
    stray = np.flatnonzero(~pop.lbp & (rng.random(n) < 0.05))
    p, d = _rows_in(rng, pop, stray, np.ones(len(stray), np.int64), 1, C.FOLLOWUP_DAYS)
    out.add(p, d, _pick(rng, g["lbp"], len(p)))

    # medication-study exclusions before the reference day (and some after it, which do not exclude)
    cats = ("excl_fracture", "excl_cancer", "excl_infection", "excl_trauma", "excl_stroke")
    for when, share in (((-365, -1), 0.10), ((1, C.FOLLOWUP_DAYS), 0.03)):
        who = np.flatnonzero(rng.random(n) < share)
        cat = choice(rng, len(who), (0.25, 0.15, 0.05, 0.40, 0.15))
        for i, name in enumerate(cats):
            w = who[cat == i]
            p, d = _rows_in(rng, pop, w, 1 + rng.poisson(0.5, len(w)), *when, ref_day[w])
            out.add(p, d, _pick(rng, g[name], len(p)))

    # comorbidities (medication-study chart features), in history and follow-up
    f = pop.sex == 0
    comorbid = {
        "osteoarthritis": np.clip(0.03 + 0.006 * (pop.age - 40), 0.02, 0.4),
        "osteoporosis": 0.01 + 0.12 * (f & (pop.age > 60)),
        "fibromyalgia": np.where(f, 0.035, 0.008),
        "anxiety_depression": np.where(pop.psych == 1, 0.6, 0.06),
    }
    for name, prob in comorbid.items():
        who = np.flatnonzero(rng.random(n) < prob)
        p, d = _rows_in(rng, pop, who, 1 + rng.poisson(1.0, len(who)), -C.HISTORY_DAYS, -1)
        out.add(p, d, _pick(rng, g[name], len(p)))
        p, d = _rows_in(rng, pop, who, rng.poisson(1.0, len(who)), 1, C.FOLLOWUP_DAYS)
        out.add(p, d, _pick(rng, g[name], len(p)))

    # planted 90-day signal codes, and the same codes elsewhere in time as noise
    for flag, group, extra in (
        ("radiculopathy_dx_90d", "radiculopathy", 0.8),
        ("neuro_deficit_dx_90d", "neuro_deficit", 0.3),
        ("cauda_equina_dx_90d", "cauda_equina", 0.0),
    ):
        who = np.flatnonzero(flags[flag])
        p, d = _rows_in(rng, pop, who, 1 + rng.poisson(extra, len(who)), *C.FEATURE_WINDOW)
        out.add(p, d, _pick(rng, g[group], len(p)))
    noise = np.flatnonzero((pop.lbp | pop.ldh) & (rng.random(n) < 0.12))
    p, d = _rows_in(rng, pop, noise, 1 + rng.poisson(1.0, len(noise)), -C.HISTORY_DAYS, -91)
    out.add(p, d, _pick(rng, g["radiculopathy"], len(p)))
    p, d = _rows_in(rng, pop, noise, rng.poisson(1.0, len(noise)), 1, C.FOLLOWUP_DAYS)
    out.add(p, d, _pick(rng, g["radiculopathy"], len(p)))

    p, d, c = out.build(pop)
    return DxRows(p, d, c)


def procedures(
    pop: Population,
    images: Images,
    flags: dict[str, np.ndarray],
    surgery_day: np.ndarray,
    frailty: np.ndarray,
    ref_day: np.ndarray,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = stream(seed, "procedures")
    v = px_vocab()
    g = v.groups
    out = Chunks()
    n = pop.n

    noise = g["noise"][0]
    p, d = _rows_in(rng, pop, np.arange(n), rng.poisson(7.0 * frailty), -C.HISTORY_DAYS, C.FOLLOWUP_DAYS)
    out.add(p, d, noise[choice(rng, len(p), zipf_weights(len(noise), 1.1))])

    # one imaging CPT per study, on the study date
    mods, regs = ("xr", "mri", "ct"), ("lumbar", "thoracic", "other")
    for mi, m in enumerate(mods):
        for ri, r in enumerate(regs):
            rows = np.flatnonzero((images.modality == mi) & (images.region == ri))
            out.add(images.patient[rows], images.day[rows], _pick(rng, g[f"img_{m}_{r}"], len(rows)))

    # decompression surgery: primary CPT, sometimes an add-on, an ICD procedure code, a fusion
    def surgery(who: np.ndarray, days: np.ndarray) -> None:
        out.add(who, days, _pick(rng, g["decompression_cpt"], len(who)))
        addon = rng.random(len(who)) < 0.35
        out.add(who[addon], days[addon], _pick(rng, g["decompression_addon"], int(addon.sum())))
        pcs_share = np.array([C.SITE_PROFILES[s].pcs_with_surgery for s in C.SITES])[pop.site[who]]
        pcs = rng.random(len(who)) < pcs_share
        icd9 = pcs & (days < ICD10_DAY)
        icd10 = pcs & (days >= ICD10_DAY)
        out.add(who[icd9], days[icd9], _pick(rng, g["decompression_icd9pcs"], int(icd9.sum())))
        out.add(who[icd10], days[icd10], _pick(rng, g["decompression_icd10pcs"], int(icd10.sum())))
        fusion = rng.random(len(who)) < 0.12
        out.add(who[fusion], days[fusion], _pick(rng, g["fusion"], int(fusion.sum())))

    has = np.flatnonzero(surgery_day >= 0)
    surgery(has, surgery_day[has])
    prior = np.flatnonzero(pop.ldh & (rng.random(n) < C.PRIOR_SURGERY_SHARE))
    surgery(prior, pop.index_day[prior] - rng.integers(100, C.HISTORY_DAYS + 1, len(prior)))

    # planted 90-day procedures
    who = np.flatnonzero(flags["epidural_injection_90d"])
    p, d = _rows_in(rng, pop, who, 1 + (rng.random(len(who)) < 0.3), *C.FEATURE_WINDOW)
    out.add(p, d, _pick(rng, g["tfesi"], len(p)))
    addon = rng.random(len(p)) < 0.4
    out.add(p[addon], d[addon], _pick(rng, g["tfesi_addon"], int(addon.sum())))
    who = np.flatnonzero(flags["emg_90d"])
    p, d = _rows_in(rng, pop, who, np.ones(len(who), np.int64), *C.FEATURE_WINDOW)
    out.add(p, d, _pick(rng, g["emg"], len(p)))
    out.add(p, d, _pick(rng, g["emg"], len(p)))
    _physical_therapy(rng, pop, out, np.flatnonzero(flags["physical_therapy_90d"]), -90, -50)
    # therapy and injections after index for some back-pain patients (no outcome link)
    back = np.flatnonzero((pop.lbp | pop.ldh) & (rng.random(n) < 0.2))
    _physical_therapy(rng, pop, out, back, 1, 600)
    inj = np.flatnonzero((pop.lbp | pop.ldh) & (rng.random(n) < 0.06))
    p, d = _rows_in(rng, pop, inj, np.ones(len(inj), np.int64), 1, C.FOLLOWUP_DAYS)
    out.add(
        p,
        d,
        np.where(
            d < CPT2017_DAY,
            _pick(rng, g["interlaminar_esi_pre2017"], len(p)),
            _pick(rng, g["interlaminar_esi"], len(p)),
        ),
    )

    # medication-study exclusions: prior spinal surgery or paraspinal injection before the reference day
    excl = np.flatnonzero(pop.lbp & (rng.random(n) < 0.05))
    p, d = _rows_in(rng, pop, excl, np.ones(len(excl), np.int64), -365, -1, ref_day[excl])
    # one code of each exclusion kind (cohorts.MED_EXCLUSION_PX_GROUPS): 22612, 63047, 62323, 64483, 64493, 20552
    codes = np.array(
        [
            g[name][0][0]
            for name in (
                "fusion",
                "decompression_cpt",
                "interlaminar_esi",
                "tfesi",
                "facet_injection",
                "trigger_point",
            )
        ]
    )
    pick = rng.integers(0, len(codes), len(p))
    # a decompression code placed before a later med index can land in an LDH/LSS patient's surgery outcome
    # window; those patients get the fusion code instead, so the surgery truth stays the planted outcome
    pick = np.where((pick == 1) & pop.ldh[p], 0, pick)
    out.add(p, d, codes[pick])
    return out.build(pop)


def _physical_therapy(rng, pop: Population, out: Chunks, who: np.ndarray, lo: int, hi: int) -> None:
    """An evaluation then 2-6 weekly sessions starting in [index+lo, index+hi]."""
    g = px_vocab().groups
    p, d0 = _rows_in(rng, pop, who, np.ones(len(who), np.int64), lo, hi)
    eval_code = np.where(
        d0 < CPT2017_DAY, _pick(rng, g["pt_eval_pre2017"], len(p)), _pick(rng, g["pt_eval"], len(p))
    )
    out.add(p, d0, eval_code)
    k = rng.integers(2, 7, len(p))
    owner = repeat_index(k)
    rank = rank_within(k) + 1
    days = d0[owner] + 7 * rank
    # sessions that would fall on or after index stay out of the pre-index window
    keep = ~((lo < 0) & (days >= pop.index_day[p[owner]]))
    out.add(p[owner][keep], days[keep], _pick(rng, g["pt_session"], int(keep.sum())))


def prescriptions(
    pop: Population,
    flags: dict[str, np.ndarray],
    frailty: np.ndarray,
    med_day: np.ndarray,
    med_class: np.ndarray,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of (patient, day, drug index). med_day -1 where the patient has no lumbar MRI;
    med_class (0 none, 1 NSAID, 2 opioid) is realised exactly in [med_day, med_day + 365]."""
    rng = stream(seed, "prescriptions")
    v = rx_vocab()
    g = v.groups
    out = Chunks()
    n = pop.n
    everyone = np.arange(n)

    bg = g["background"]
    k = rng.poisson(2.0 * frailty)
    chronic = bg[choice(rng, int(k.sum()), zipf_weights(len(bg), 0.9))]
    chronic_start = np.cumsum(k) - k
    p, d = _rows_in(rng, pop, everyone, rng.poisson(6.0 * frailty), -C.HISTORY_DAYS, C.FOLLOWUP_DAYS)
    has = k[p] > 0
    acute = bg[choice(rng, len(p), zipf_weights(len(bg), 0.7))]
    slot = chronic_start[p] + np.floor(rng.random(len(p)) * k[p]).astype(np.int64)
    pick = chronic[np.minimum(slot, len(chronic) - 1)] if len(chronic) else acute
    out.add(p, d, np.where(has & (rng.random(len(p)) < 0.85), pick, acute))

    # pain and adjuvant drugs at any time; NSAIDs/opioids are kept out of the medication window
    # below so the outcome class is exactly what the outcome model drew
    groups = ("nsaid", "opioid", "muscle_relaxant", "gabapentinoid", "adjuvant_other")
    rate = np.where(pop.lbp | pop.ldh, 2.0, 0.6)
    p, d = _rows_in(rng, pop, everyone, rng.poisson(rate), -C.HISTORY_DAYS, C.FOLLOWUP_DAYS)
    grp = choice(rng, len(p), (0.45, 0.20, 0.15, 0.08, 0.12))
    drug = np.zeros(len(p), np.int64)
    for i, name in enumerate(groups):
        m = grp == i
        drug[m] = g[name][rng.integers(0, len(g[name]), int(m.sum()))]
    in_window = (med_day[p] >= 0) & (d >= med_day[p] + C.MED_WINDOW[0]) & (d <= med_day[p] + C.MED_WINDOW[1])
    keep = ~(in_window & (grp <= 1))
    out.add(p[keep], d[keep], drug[keep])

    # planted 90-day drugs
    for flag, group, extra in (
        ("gabapentinoid_90d", "gabapentinoid", 1.0),
        ("opioid_90d", "opioid", 0.7),
        ("oral_steroid_90d", "steroid", 0.0),
    ):
        who = np.flatnonzero(flags[flag])
        p, d = _rows_in(rng, pop, who, 1 + rng.poisson(extra, len(who)), *C.FEATURE_WINDOW)
        out.add(p, d, g[group][rng.integers(0, len(g[group]), len(p))])

    # the medication outcome: NSAID patients get NSAIDs only; opioid patients opioids (and often NSAIDs)
    for cls, group in ((1, "nsaid"), (2, "opioid"), (2, "nsaid")):
        who = np.flatnonzero((med_day >= 0) & (med_class == cls))
        if cls == 2 and group == "nsaid":
            who = who[rng.random(len(who)) < 0.5]
            counts = np.ones(len(who), np.int64)
        else:
            counts = 1 + rng.poisson(0.8, len(who))
        p, d = _rows_in(rng, pop, who, counts, 1, C.MED_WINDOW[1], med_day[who])
        out.add(p, d, g[group][rng.integers(0, len(g[group]), len(p))])
    return out.build(pop)
