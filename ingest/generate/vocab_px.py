"""Procedure vocabulary: planted groups (decompression, injections, PT, EMG, imaging) and CPT/HCPCS noise."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from .arrays import strings

SYSTEMS = ("CPT", "HCPCS", "ICD9PCS", "ICD10PCS")

# group -> [(code, system, weight)]
PLANTED: dict[str, list[tuple[str, str, float]]] = {
    # lumbar decompression, the codes of seed ref_decompression_px_codes (the planted outcome): a lumbar primary
    # code; add-ons that also cover other regions (63048, 63035) only ever come with a primary
    "decompression_cpt": [
        ("63047", "CPT", 0.50),
        ("63030", "CPT", 0.26),
        ("63042", "CPT", 0.04),
        ("63005", "CPT", 0.06),
        ("63012", "CPT", 0.03),
        ("63017", "CPT", 0.02),
        ("63056", "CPT", 0.06),
        ("63044", "CPT", 0.03),
    ],
    "decompression_addon": [("63048", "CPT", 0.7), ("63035", "CPT", 0.2), ("63044", "CPT", 0.1)],
    "decompression_icd9pcs": [
        ("80.51", "ICD9PCS", 0.6),
        ("03.09", "ICD9PCS", 0.35),
        ("80.50", "ICD9PCS", 0.05),
    ],
    "decompression_icd10pcs": [
        ("0SB20ZZ", "ICD10PCS", 0.45),
        ("0SB40ZZ", "ICD10PCS", 0.2),
        ("01NB0ZZ", "ICD10PCS", 0.25),
        ("00NY0ZZ", "ICD10PCS", 0.1),
    ],
    "fusion": [("22612", "CPT", 1.0)],
    "tfesi": [("64483", "CPT", 1.0)],
    "tfesi_addon": [("64484", "CPT", 1.0)],
    "interlaminar_esi_pre2017": [("62311", "CPT", 1.0)],
    "interlaminar_esi": [("62323", "CPT", 1.0)],
    "facet_injection": [("64493", "CPT", 1.0)],
    "trigger_point": [("20552", "CPT", 1.0)],
    "pt_eval_pre2017": [("97001", "CPT", 1.0)],
    "pt_eval": [("97161", "CPT", 0.5), ("97162", "CPT", 0.4), ("97163", "CPT", 0.1)],
    "pt_session": [("97110", "CPT", 0.5), ("97140", "CPT", 0.3), ("97530", "CPT", 0.2)],
    "emg": [("95886", "CPT", 0.5), ("95910", "CPT", 0.5)],
    # imaging codes by (modality, region); order matters: see IMAGING_GROUP below
    "img_mri_lumbar": [("72148", "CPT", 0.85), ("72158", "CPT", 0.15)],
    "img_xr_lumbar": [("72100", "CPT", 0.6), ("72110", "CPT", 0.4)],
    "img_ct_lumbar": [("72131", "CPT", 1.0)],
    "img_mri_thoracic": [("72146", "CPT", 1.0)],
    "img_xr_thoracic": [("72070", "CPT", 0.7), ("72072", "CPT", 0.3)],
    "img_ct_thoracic": [("72128", "CPT", 1.0)],
    "img_mri_other": [("73721", "CPT", 0.5), ("70551", "CPT", 0.3), ("73221", "CPT", 0.2)],
    "img_xr_other": [("71046", "CPT", 0.5), ("73560", "CPT", 0.25), ("73030", "CPT", 0.25)],
    "img_ct_other": [("70450", "CPT", 0.4), ("74177", "CPT", 0.4), ("71250", "CPT", 0.2)],
}

# Everyday CPT / HCPCS codes, most frequent first: office visits, labs, vaccines, imaging
# elsewhere, supplies. They carry no planted signal.
NOISE: list[tuple[str, str]] = [
    (c, "CPT")
    for c in [
        "99213",
        "99214",
        "36415",
        "85025",
        "80053",
        "99212",
        "80061",
        "83036",
        "84443",
        "99215",
        "81001",
        "93000",
        "99203",
        "99204",
        "82306",
        "80048",
        "84153",
        "87086",
        "90686",
        "90471",
        "99396",
        "99397",
        "82947",
        "85610",
        "83540",
        "82728",
        "84436",
        "87804",
        "87880",
        "99283",
        "99284",
        "99285",
        "99282",
        "99211",
        "99202",
        "99205",
        "99395",
        "99385",
        "99386",
        "99387",
        "90715",
        "90732",
        "90670",
        "90750",
        "71045",
        "71046",
        "71047",
        "73030",
        "73560",
        "73562",
        "73610",
        "73630",
        "73110",
        "73130",
        "73502",
        "74018",
        "74176",
        "74177",
        "76700",
        "76705",
        "76830",
        "77067",
        "77080",
        "93306",
        "93880",
        "93970",
        "94010",
        "94060",
        "95810",
        "96372",
        "96374",
        "97035",
        "97112",
        "97116",
        "97750",
        "98940",
        "98941",
        "99221",
        "99222",
        "99223",
        "99231",
        "99232",
        "99238",
        "99239",
        "99241",
        "99242",
        "99243",
        "99244",
        "99406",
        "99497",
        "11042",
        "17000",
        "17110",
        "20610",
        "29125",
        "45378",
        "45380",
        "43239",
        "66984",
        "69210",
        "10060",
        "12001",
        "12002",
        "51798",
        "58300",
        "86580",
        "86803",
        "87491",
        "87591",
        "88142",
        "88305",
        "92004",
        "92014",
        "92134",
        "92250",
    ]
] + [
    (c, "HCPCS")
    for c in [
        "G0008",
        "G0009",
        "G0402",
        "G0438",
        "G0439",
        "G0444",
        "G0442",
        "G0443",
        "J1100",
        "J1030",
        "J1040",
        "J3301",
        "J7030",
        "J0696",
        "J1885",
        "A4253",
        "A4259",
        "E0114",
        "E0143",
        "L0631",
        "L0648",
        "Q0091",
        "G0121",
        "G0105",
        "G0202",
        "J3420",
        "J0897",
    ]
]

DOTTED_SYSTEMS = {"ICD9PCS"}


@dataclass(frozen=True)
class PxVocab:
    codes: list[tuple[str, str]]  # (dotted code, system)
    groups: dict[str, tuple[np.ndarray, np.ndarray]]
    formatted: pa.Array  # [dotted..., undotted...]
    system: np.ndarray  # index into SYSTEMS per code

    @property
    def n(self) -> int:
        return len(self.codes)


@lru_cache(maxsize=1)
def px_vocab() -> PxVocab:
    codes: list[tuple[str, str]] = []
    groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, members in PLANTED.items():
        start = len(codes)
        codes += [(c, s) for c, s, _ in members]
        w = np.array([m[2] for m in members])
        groups[name] = (np.arange(start, len(codes)), w / w.sum())
    start = len(codes)
    codes += NOISE
    groups["noise"] = (np.arange(start, len(codes)), np.array([]))
    formatted = [c for c, _ in codes] + [c.replace(".", "") for c, _ in codes]
    system = np.array([SYSTEMS.index(s) for _, s in codes])
    return PxVocab(codes, groups, strings(formatted), system)
