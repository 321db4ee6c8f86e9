"""The imaging plan: index study, later spine studies, other-region studies, and the med-study index.

Only body_region 'other' studies are placed before the index date, so the index
image is unambiguous: each patient's first lumbar or thoracic study.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config as C
from .arrays import choice, repeat_index, stream, uniform_days
from .population import Population

XR, MRI, CT = 0, 1, 2  # order of contract.MODALITIES
LUMBAR, THORACIC, OTHER = 0, 1, 2  # order of contract.BODY_REGIONS


@dataclass
class Images:
    patient: np.ndarray
    day: np.ndarray
    modality: np.ndarray
    region: np.ndarray
    is_index: np.ndarray
    med_index_image: np.ndarray  # per patient: row of the first lumbar MRI, -1 if none
    index_image: np.ndarray  # per patient: row of the index image

    @property
    def n(self) -> int:
        return len(self.patient)


def plan_images(pop: Population, seed: int) -> Images:
    rng = stream(seed, "imaging")
    n = pop.n
    mri = np.array([C.SITE_PROFILES[s].mri_share for s in C.SITES])[pop.site]
    ct = np.array([C.SITE_PROFILES[s].ct_share for s in C.SITES])[pop.site]
    u = rng.random(n)
    # modality does not depend on the LDH/LSS group, so the cohort keeps the paper's 69 / 30 / 0.7 mix
    modality = np.where(u < mri, MRI, np.where(u < mri + ct, CT, XR))
    thoracic = np.array([C.SITE_PROFILES[s].thoracic_share for s in C.SITES])[pop.site]
    region = np.where(rng.random(n) < np.where(pop.ldh, 0.02, thoracic), THORACIC, LUMBAR)
    parts = [(np.arange(n), pop.index_day, modality, region, np.ones(n, bool))]

    # a lumbar MRI after a non-MRI (or thoracic) index study: becomes the med-study index
    not_lumbar_mri = ~((modality == MRI) & (region == LUMBAR))
    p_follow = np.where(pop.lbp | pop.ldh, 0.45, 0.2)
    follow = np.flatnonzero(not_lumbar_mri & (rng.random(n) < p_follow))
    d = pop.index_day[follow] + rng.integers(14, 301, len(follow))
    parts.append(
        (follow, d, np.full(len(follow), MRI), np.full(len(follow), LUMBAR), np.zeros(len(follow), bool))
    )

    # later spine studies of any kind (repeat imaging)
    later = np.flatnonzero(rng.random(n) < 0.12)
    d = pop.index_day[later] + rng.integers(30, C.FOLLOWUP_DAYS + 1, len(later))
    m = choice(rng, len(later), (0.55, 0.40, 0.05))
    r = np.where(rng.random(len(later)) < 0.1, THORACIC, LUMBAR)
    parts.append((later, d, m, r, np.zeros(len(later), bool)))

    # other body regions, before or after the index date
    k = rng.poisson(0.5, n)
    owner = repeat_index(k)
    d = uniform_days(rng, pop.start_day[owner], pop.index_day[owner] + C.FOLLOWUP_DAYS)
    d = np.where(d == pop.index_day[owner], d + 1, d)
    m = choice(rng, len(owner), (0.6, 0.2, 0.2))
    parts.append((owner, d, m, np.full(len(owner), OTHER), np.zeros(len(owner), bool)))

    patient, days, mod, reg, is_index = (np.concatenate(x) for x in zip(*parts, strict=True))
    keep = days <= pop.end_day[patient]
    patient, days, mod, reg, is_index = patient[keep], days[keep], mod[keep], reg[keep], is_index[keep]
    order = np.lexsort((reg, mod, ~is_index, days, patient))
    patient, days, mod, reg, is_index = patient[order], days[order], mod[order], reg[order], is_index[order]

    rows = np.arange(len(patient))
    index_image = np.full(n, -1, np.int64)
    index_image[patient[is_index]] = rows[is_index]
    lumbar_mri = (mod == MRI) & (reg == LUMBAR)
    med_index = np.full(n, -1, np.int64)
    # rows are sorted by day within patient, so the first lumbar MRI wins: assign in reverse
    sel = rows[lumbar_mri][::-1]
    med_index[patient[sel]] = sel
    return Images(patient, days.astype(np.int32), mod, reg, is_index, med_index, index_image)
