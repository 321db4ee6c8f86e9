"""Diagnosis vocabulary: planted concept groups (the shared clinical vocabulary) and background noise.

A concept carries its ICD-9-CM code, its ICD-10-CM code before and after the FY2017
update (2016-10-01; M48.06 was split then) and, for low back pain, a SNOMED code.
Which string a row gets depends on its date (ICD-10-CM from 2015-10-01) and on the
site's formatting habit (dots, case).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from .arrays import strings
from .background_codes import PAIRS_TSV

# (icd9, icd10 before 2016-10-01, icd10 from 2016-10-01, snomed or "", weight within group)
Concept = tuple[str, str, str, str, float]

PLANTED: dict[str, list[Concept]] = {
    # LDH/LSS (Martin et al. 2005 / Deyo herniated-disc and stenosis groups; lumbar only, so no cervical
    # 722.0): seed ref_ldh_lss_dx_codes. The ICD-10-CM variant is the code's GEM counterpart where the
    # seed has one (724.00 -> M48.00, 724.09 -> M48.08, 721.42 -> M47.16)
    "ldh_lss": [
        ("722.10", "M51.26", "M51.26", "", 0.24),
        ("722.10", "M51.27", "M51.27", "", 0.04),
        ("722.10", "M51.16", "M51.16", "", 0.10),
        ("722.10", "M51.17", "M51.17", "", 0.04),
        ("722.2", "M51.26", "M51.26", "", 0.04),
        ("722.73", "M51.06", "M51.06", "", 0.03),
        ("724.02", "M48.06", "M48.061", "", 0.30),
        ("724.00", "M48.00", "M48.00", "", 0.04),
        ("724.03", "M48.06", "M48.062", "", 0.10),
        ("724.09", "M48.08", "M48.08", "", 0.03),
        ("724.02", "M48.07", "M48.07", "", 0.02),
        ("721.42", "M47.16", "M47.16", "", 0.02),
    ],
    "lbp": [
        ("724.2", "M54.5", "M54.5", "279039007", 0.45),
        ("724.2", "M54.5", "M54.5", "278860009", 0.15),
        ("724.5", "M54.5", "M54.5", "279039007", 0.12),
        ("724.3", "M54.41", "M54.41", "", 0.09),
        ("724.3", "M54.42", "M54.42", "", 0.09),
        ("724.2", "M54.40", "M54.40", "", 0.10),
    ],
    "radiculopathy": [
        ("724.4", "M54.16", "M54.16", "", 0.45),
        ("724.4", "M54.17", "M54.17", "", 0.25),
        ("729.2", "M79.2", "M79.2", "", 0.30),
    ],
    "neuro_deficit": [
        ("728.87", "M62.81", "M62.81", "", 0.40),
        ("781.2", "R26.9", "R26.9", "", 0.25),
        ("782.0", "R20.2", "R20.2", "", 0.35),
    ],
    "cauda_equina": [("344.60", "G83.4", "G83.4", "", 1.0)],
    "excl_fracture": [("805.4", "S32.009A", "S32.009A", "", 0.7), ("806.4", "S32.019A", "S32.019A", "", 0.3)],
    "excl_cancer": [("198.5", "C79.51", "C79.51", "", 1.0)],
    "excl_infection": [("730.08", "M46.26", "M46.26", "", 0.5), ("324.1", "G06.1", "G06.1", "", 0.5)],
    "excl_trauma": [("959.19", "S39.92XA", "S39.92XA", "", 1.0)],
    "excl_stroke": [("434.91", "I63.9", "I63.9", "", 1.0)],
    "osteoarthritis": [("715.90", "M19.90", "M19.90", "", 0.6), ("715.96", "M17.9", "M17.9", "", 0.4)],
    "osteoporosis": [("733.00", "M81.0", "M81.0", "", 1.0)],
    "fibromyalgia": [("729.1", "M79.7", "M79.7", "", 1.0)],
    "anxiety_depression": [("300.00", "F41.9", "F41.9", "", 0.5), ("311", "F32.9", "F32.9", "", 0.5)],
}

# Common outpatient problems placed at the head of the background list, so the most
# frequent background features look like a real clinic's (hypertension, lipids, ...).
COMMON_BACKGROUND: list[tuple[str, str]] = [
    ("401.9", "I10"),
    ("272.4", "E78.5"),
    ("250.00", "E11.9"),
    ("278.00", "E66.9"),
    ("244.9", "E03.9"),
    ("530.81", "K21.9"),
    ("477.9", "J30.9"),
    ("493.90", "J45.909"),
    ("780.79", "R53.83"),
    ("786.50", "R07.9"),
    ("789.00", "R10.9"),
    ("784.0", "R51"),
    ("719.46", "M25.561"),
    ("719.41", "M25.519"),
    ("427.31", "I48.91"),
    ("428.0", "I50.9"),
    ("414.01", "I25.10"),
    ("585.3", "N18.3"),
    ("599.0", "N39.0"),
    ("465.9", "J06.9"),
    ("466.0", "J20.9"),
    ("486", "J18.9"),
    ("496", "J44.9"),
    ("780.4", "R42"),
    ("327.23", "G47.33"),
    ("346.90", "G43.909"),
    ("268.9", "E55.9"),
    ("285.9", "D64.9"),
    ("V70.0", "Z00.00"),
    ("V04.81", "Z23"),
    ("V76.12", "Z12.31"),
    ("V76.51", "Z12.11"),
    ("786.2", "R05"),
    ("564.00", "K59.00"),
    ("562.10", "K57.30"),
    ("692.9", "L30.9"),
    ("473.9", "J32.9"),
    ("462", "J02.9"),
    ("079.99", "B34.9"),
    ("787.01", "R11.2"),
    ("787.91", "R19.7"),
    ("780.60", "R50.9"),
    ("403.90", "I12.9"),
    ("274.9", "M10.9"),
    ("305.1", "F17.210"),
    ("V58.69", "Z79.899"),
    ("V15.82", "Z87.891"),
    ("719.45", "M25.559"),
    ("780.52", "G47.00"),
    ("272.0", "E78.0"),
]

N_STYLES = 4  # 0 dotted upper, 1 undotted upper, 2 dotted lower, 3 undotted lower
VARIANTS = ("icd9", "icd10_pre", "icd10_post", "snomed")


def _dot(code: str) -> str:
    """Insert the dot after the category (3 characters) as the CMS files omit it."""
    return code if len(code) <= 3 or "." in code else f"{code[:3]}.{code[3:]}"


@dataclass(frozen=True)
class DxVocab:
    concepts: list[tuple[str, str, str, str]]  # dotted canonical codes per variant
    groups: dict[str, tuple[np.ndarray, np.ndarray]]  # group -> (concept indices, weights)
    formatted: pa.Array  # flat table indexed by (variant, style, concept)

    @property
    def n(self) -> int:
        return len(self.concepts)

    def code_index(self, variant: np.ndarray, style: np.ndarray, concept: np.ndarray) -> np.ndarray:
        return (variant * N_STYLES + style) * self.n + concept

    def has_snomed(self) -> np.ndarray:
        return np.array([bool(c[3]) for c in self.concepts])


@lru_cache(maxsize=1)
def dx_vocab() -> DxVocab:
    concepts: list[tuple[str, str, str, str]] = []
    groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, members in PLANTED.items():
        start = len(concepts)
        concepts += [(a, b, c, d) for a, b, c, d, _ in members]
        weights = np.array([m[4] for m in members])
        groups[name] = (np.arange(start, len(concepts)), weights / weights.sum())
    start = len(concepts)
    common = {a for a, _ in COMMON_BACKGROUND}
    background = list(COMMON_BACKGROUND) + [
        (_dot(a), _dot(b))
        for a, b in (line.split("\t") for line in PAIRS_TSV.strip().splitlines())
        if _dot(a) not in common
    ]
    concepts += [(a, b, b, "") for a, b in background]
    groups["background"] = (np.arange(start, len(concepts)), np.array([]))

    table: list[str] = []
    for v in range(len(VARIANTS)):
        for style in range(N_STYLES):
            for concept in concepts:
                code = concept[v] or concept[1]
                if style in (1, 3):
                    code = code.replace(".", "")
                if style in (2, 3):
                    code = code.lower()
                table.append(code)
    return DxVocab(concepts, groups, strings(table))
