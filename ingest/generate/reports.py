"""Radiology report text written from the structured findings, fully vectorised.

Every sentence slot is a string array over all reports (null where the slot is
empty); slots are joined with pyarrow's element-wise join. Phrasing, level labels,
section headers (or none) and line breaks vary by report and by site.
"""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import config as C
from .arrays import strings
from .findings import EXTRUSION, LUMBAR_LEVELS, PROTRUSION, ROOTS, THORACIC_LEVELS, Findings
from .imaging import CT, MRI, XR, Images
from .population import Population

SEV = ["", "mild", "moderate", "severe"]
SIDES = ["left", "right", "bilateral"]
# header families: (findings headers, impression headers); site weights in config.Site.header_style
HEADERS = [
    (["FINDINGS:"], ["IMPRESSION:"]),
    (["Findings:", "Findings"], ["Impression:", "Impression"]),
    (["Findings -", "FINDINGS -"], ["CONCLUSION:", "Conclusion:"]),
    (["FINDING:", "FINDINGS"], ["IMPRESSION", "IMPRESSION -"]),
]
LEVEL_STYLES = [
    lambda a, b: f"{a}-{b}:",
    lambda a, b: f"{a}-{b[1:] if b[0] == a[0] else b}:",
    lambda a, b: f"{a}/{b}:",
    lambda a, b: f"{a}-{b} level:",
]
EPIDEMIOLOGY = (
    "The following findings are so common in normal, pain-free volunteers that, while we report their "
    "presence, they must be interpreted with caution and in the context of the clinical situation: disc "
    "degeneration (about 90 percent of people), disc bulge (about 60 percent), disc protrusion (about 35 "
    "percent) and annular fissure (about 40 percent)."
)
OTHER_REPORTS = {  # modality -> [(exam, findings, impression)]
    XR: [
        (
            "XR CHEST 2 VIEWS",
            "The lungs are clear. Heart size is normal. No pleural effusion.",
            "No acute cardiopulmonary process.",
        ),
        (
            "XR KNEE 3 VIEWS",
            "Mild medial joint space narrowing. No fracture or dislocation.",
            "Mild degenerative change of the knee.",
        ),
        (
            "XR SHOULDER",
            "No fracture or dislocation. The acromioclavicular joint is intact.",
            "Negative shoulder radiographs.",
        ),
    ],
    MRI: [
        (
            "MRI BRAIN WITHOUT CONTRAST",
            "No acute infarct, hemorrhage or mass. Mild periventricular white matter change.",
            "No acute intracranial abnormality.",
        ),
        (
            "MRI KNEE",
            "Degenerative fraying of the medial meniscus. Small joint effusion.",
            "Medial meniscal degeneration without discrete tear.",
        ),
    ],
    CT: [
        (
            "CT HEAD WITHOUT CONTRAST",
            "No acute hemorrhage, mass effect or midline shift.",
            "No acute intracranial abnormality.",
        ),
        (
            "CT ABDOMEN AND PELVIS WITH CONTRAST",
            "The liver, spleen and pancreas are unremarkable. No bowel obstruction.",
            "No acute abdominal or pelvic process.",
        ),
    ],
}


class Phrases:
    """All renderings of a set of templates over named dimensions, looked up by index arithmetic."""

    def __init__(self, templates: list[str], **dims: list[str]):
        self.sizes = [len(v) for v in dims.values()]
        self.n_variants = len(templates)
        items = []
        for t in templates:
            for combo in itertools.product(*dims.values()):
                text = " ".join(t.format(**dict(zip(dims, combo, strict=True))).split())
                items.append(text[:1].upper() + text[1:])
        self.table = strings(items)
        self.block = int(np.prod(self.sizes)) if self.sizes else 1

    def render(self, mask: np.ndarray, variant: np.ndarray, *codes: np.ndarray) -> pa.Array:
        idx = variant % self.n_variants * self.block
        if codes:
            idx = idx + np.ravel_multi_index(tuple(np.asarray(c) for c in codes), self.sizes)
        return _null_unless(self.table.take(pa.array(np.where(mask, idx, 0).astype(np.int64))), mask)


def _null_unless(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(mask), arr, pa.scalar(None, pa.string()))


def _join(parts: list[pa.Array | str], sep: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep, null_handling="skip")


def _const(text: str, mask: np.ndarray) -> pa.Array:
    return _null_unless(pa.array(np.full(len(mask), text, dtype=object), type=pa.string()), mask)


# 3 phrasings x (bulge, protrusion, extrusion), so template = phrasing * 3 + (disc - 1)
DISC_SIDE = Phrases(
    [
        "mild disc bulge.",
        "{side} disc protrusion.",
        "{side} disc extrusion.",
        "diffuse disc bulge.",
        "small {side} disc protrusion.",
        "large {side} disc extrusion with caudal migration.",
        "broad-based disc bulge.",
        "there is a {side} disc protrusion.",
        "{side} extruded disc fragment.",
    ],
    side=["left paracentral", "right paracentral", "central"],
)
CANAL = Phrases(
    [
        "{sev} spinal canal stenosis.",
        "{sev} central canal stenosis.",
        "there is {sev} narrowing of the spinal canal.",
    ],
    sev=SEV,
)
CANAL_NEG = Phrases(
    ["no spinal canal stenosis.", "no evidence of stenosis.", "the spinal canal is patent without stenosis."]
)
RECESS = Phrases(
    ["{sev} {side} lateral recess stenosis.", "{sev} narrowing of the {side} lateral recess."],
    sev=SEV,
    side=SIDES,
)
FORAMEN = Phrases(
    [
        "{sev} {side} neural foraminal narrowing.",
        "{sev} {side} foraminal stenosis.",
        "{side} foraminal narrowing, {sev}.",
    ],
    sev=SEV,
    side=SIDES,
)
FACET = Phrases(
    ["{sev} facet arthropathy.", "{sev} facet hypertrophy.", "{sev} bilateral facet degenerative changes."],
    sev=SEV,
)
NERVE = Phrases(
    [
        "this compresses the traversing {root} nerve root.",
        "there is impingement of the {root} nerve root.",
        "mass effect on the descending {root} nerve root.",
    ],
    root=list(ROOTS),
)
NORMAL_LEVEL = Phrases(
    [
        "no disc herniation, spinal canal stenosis, or foraminal narrowing.",
        "normal.",
        "unremarkable.",
        "no significant disc bulge or stenosis.",
        "normal disc height without disc herniation.",
    ]
)
SCOLIOSIS = Phrases(
    ["{sev} {dir}convex scoliosis.", "{sev} {dir}scoliosis of the spine."],
    sev=SEV[:3],
    dir=["dextro", "levo"],
)
LORDOSIS = Phrases(["{kind} of the normal lumbar lordosis."], kind=["", "straightening", "loss"])
MODIC = Phrases(
    [
        "modic type {t} endplate changes at {level}.",
        "type {t} degenerative endplate signal change at {level}.",
    ],
    t=["1", "2"],
    level=list(LUMBAR_LEVELS),
)
DSN = Phrases(
    ["{sev} disc space narrowing at {level}.", "{sev} loss of disc height at {level}."],
    sev=SEV,
    level=list(LUMBAR_LEVELS),
)
XR_FACET = Phrases(["{sev} facet arthropathy at {level}."], sev=SEV, level=list(LUMBAR_LEVELS))
SPONDYLOSIS = Phrases(["{sev} multilevel spondylosis.", "{sev} degenerative spondylosis."], sev=SEV[:3])
T_DISC = Phrases(
    ["small disc protrusion at {level} without spinal canal stenosis."], level=list(THORACIC_LEVELS)
)
IMP_CANAL = Phrases(
    ["{sev} spinal canal stenosis at {level}{due}.", "{sev} central canal stenosis at {level}{due}."],
    sev=SEV,
    level=list(LUMBAR_LEVELS),
    due=["", " due to a disc extrusion"],
)
IMP_DISC = Phrases(
    ["{kind} at {level}{nerve}."],
    kind=["", "", "disc protrusion", "disc extrusion"],
    level=list(LUMBAR_LEVELS),
    nerve=["", " with compression of the traversing nerve root"],
)
IMP_FORAMEN = Phrases(["severe {side} foraminal stenosis at {level}."], side=SIDES, level=list(LUMBAR_LEVELS))
# the second phrasing names a disc finding ("degenerative disc disease"): reports without one get the first
IMP_MILD = Phrases(
    [
        "mild multilevel degenerative changes without significant spinal canal stenosis.",
        "mild degenerative disc disease. No evidence of high-grade stenosis.",
    ]
)
IMP_NORMAL = Phrases(
    ["no significant abnormality.", "normal examination of the lumbar spine.", "no acute findings."]
)
IMP_DSN = Phrases(["{sev} degenerative disc disease at {level}."], sev=SEV, level=list(LUMBAR_LEVELS))
EXAM = Phrases(
    ["EXAM: {mod} {region} SPINE {tail}"],
    mod=["XR", "MRI", "CT"],
    region=["LUMBAR", "THORACIC"],
    tail=["", "WITHOUT CONTRAST"],
)
HISTORY = Phrases(
    ["CLINICAL HISTORY: {h}", "HISTORY: {h}", "INDICATION: {h}"],
    h=[
        "Low back pain.",
        "Low back pain radiating to the leg.",
        "Chronic back pain.",
        "Back pain, evaluate for stenosis.",
        "Lumbago with sciatica.",
    ],
)


def render_reports(
    f: Findings, images: Images, pop: Population, rng: np.random.Generator
) -> tuple[pa.Array, dict]:
    """Report text per image row, and counts of the header spellings used (for the card)."""
    n = f.n
    site = pop.site[images.patient]
    prof = [C.SITE_PROFILES[s] for s in C.SITES]
    kind = f.kind
    lum_x, lum_r, thor, other = kind == 0, kind == 1, kind == 2, kind == 3
    spine = ~other

    def v() -> np.ndarray:  # a phrasing choice per report
        return rng.integers(0, 1_000_000, n)

    no_header = rng.random(n) < np.array([p.no_header for p in prof])[site]
    family = (rng.random(n)[:, None] > np.cumsum(np.array([p.header_style for p in prof]), axis=1)[site]).sum(
        axis=1
    )
    family = np.minimum(family, len(HEADERS) - 1)
    newline = rng.random(n) < 0.6
    sep = pa.array(np.where(newline, "\n", " "), type=pa.string())
    level_style = rng.integers(0, len(LEVEL_STYLES), n)
    labels = [
        strings([LEVEL_STYLES[s](*lv.split("-")) for s in range(len(LEVEL_STYLES))]) for lv in LUMBAR_LEVELS
    ]

    # ----- findings sentences -----
    body: list[pa.Array] = []
    scol = f.scoliosis > 0
    body.append(SCOLIOSIS.render(scol, v(), np.minimum(f.scoliosis, 2), f.scoliosis_left.astype(int)))
    lst = f.listhesis_level >= 0
    body.append(
        _null_unless(
            pc.if_else(
                pa.array(f.listhesis_level == 3),
                pa.scalar("Grade 1 anterolisthesis of L4 on L5."),
                pa.scalar("Grade 1 anterolisthesis of L5 on S1."),
            ),
            lst,
        )
    )
    body.append(LORDOSIS.render(f.lordosis > 0, v(), f.lordosis))
    aligned = spine & ~scol & ~lst & (f.lordosis == 0)
    body.append(
        _null_unless(
            _choose(["Alignment is normal.", "Normal alignment.", "Vertebral alignment is maintained."], v()),
            aligned,
        )
    )
    body.append(
        _null_unless(_choose(["Vertebral body heights are maintained.", "No acute fracture."], v()), spine)
    )
    body.append(MODIC.render(f.modic_level >= 0, v(), f.modic_type - 1, np.maximum(f.modic_level, 0)))
    conus = lum_x & (images.modality == MRI) & (rng.random(n) < 0.7)
    body.append(
        _null_unless(
            _choose(["The conus medullaris terminates normally.", "The conus is unremarkable."], v()), conus
        )
    )

    side = f.foramen_side
    for lv in range(5):
        d, c, fo, r, fa, nv = (x[:, lv] for x in (f.disc, f.canal, f.foramen, f.recess, f.facet, f.nerve))
        label = labels[lv].take(pa.array(level_style))
        disc_side = np.where(side[:, lv] == 2, 2, side[:, lv])  # bilateral reads as central for a disc
        dv = v() % 3 * 3 + np.maximum(d - 1, 0)
        disc = _null_unless(
            DISC_SIDE.table.take(pa.array(np.where(lum_x & (d > 0), dv * 3 + disc_side, 0))), lum_x & (d > 0)
        )
        any_level = (d > 0) | (c > 0) | (fo > 0) | (r > 0) | (fa > 0) | nv
        clauses = [
            label,
            disc,
            CANAL.render(lum_x & (c > 0), v(), c),
            CANAL_NEG.render(lum_x & (d > 0) & (c == 0) & (rng.random(n) < 0.6), v()),
            RECESS.render(lum_x & (r > 0), v(), r, side[:, lv]),
            FORAMEN.render(lum_x & (fo > 0), v(), fo, side[:, lv]),
            FACET.render(lum_x & (fa > 0), v(), fa),
            NERVE.render(lum_x & nv, v(), np.full(n, lv)),
            NORMAL_LEVEL.render(lum_x & ~any_level, v()),
        ]
        body.append(_null_unless(_join(clauses, " "), lum_x))
        # XR: disc space narrowing and facets per level
        body.append(DSN.render(lum_r & (d > 0), v(), d, np.full(n, lv)))
        body.append(XR_FACET.render(lum_r & (fa > 0), v(), fa, np.full(n, lv)))
    body.append(SPONDYLOSIS.render((lum_r | thor) & (f.spondylosis > 0), v(), f.spondylosis))
    body.append(T_DISC.render(f.thoracic_level >= 0, v(), np.maximum(f.thoracic_level, 0)))

    other_pick = rng.integers(0, 6, n)
    other_exam, other_find, other_imp = _other(images.modality, other_pick)
    body.append(_null_unless(other_find, other))
    findings_text = _join(body, sep)

    # ----- impression -----
    score = f.canal.astype(np.int64) * 10 + f.disc * 2 + f.foramen
    worst = score.argmax(axis=1)
    rows = np.arange(n)
    w_canal, w_disc, w_nerve = f.canal[rows, worst], f.disc[rows, worst], f.nerve[rows, worst]
    max_canal = f.canal.max(axis=1)
    any_disc = (f.disc > 0).any(axis=1)
    any_finding = any_disc | (f.facet > 0).any(axis=1) | (f.foramen > 0).any(axis=1)
    imp1_canal = lum_x & (w_canal >= 2)
    imp1_disc = lum_x & ~imp1_canal & (w_disc >= PROTRUSION)
    imp1_mild = lum_x & ~imp1_canal & ~imp1_disc & any_finding
    severe_f = f.foramen == 3
    has_sf = severe_f.any(axis=1) & lum_x
    sf_level = severe_f.argmax(axis=1)
    dsn_worst = f.disc.argmax(axis=1)
    dsn_max = f.disc.max(axis=1)
    imp = [
        IMP_CANAL.render(imp1_canal, v(), max_canal, worst, (w_disc == EXTRUSION).astype(int)),
        IMP_DISC.render(imp1_disc, v(), w_disc, worst, w_nerve.astype(int)),
        IMP_MILD.render(imp1_mild, np.where(any_disc, v(), 0)),
        IMP_NORMAL.render(spine & ~lum_r & ~thor & ~imp1_canal & ~imp1_disc & ~imp1_mild, v()),
        IMP_FORAMEN.render(has_sf, v(), side[rows, sf_level], sf_level),
        IMP_DSN.render(lum_r & (dsn_max > 0), v(), dsn_max, dsn_worst),
        _null_unless(_choose(["No acute osseous abnormality.", "No acute fracture."], v()), lum_r | thor),
        _null_unless(
            pc.if_else(
                pa.array(f.scoliosis == 2), pa.scalar("Moderate scoliosis."), pa.scalar("Mild scoliosis.")
            ),
            scol & ~lum_x,
        ),
        _null_unless(other_imp, other),
    ]
    numbered = rng.random(n) < 0.5
    imp = _number(imp, numbered)
    impression_text = _join(imp, sep)

    # ----- assemble -----
    fam_find, find_idx = _choose_family(family, 0, v())
    fam_imp, imp_idx = _choose_family(family, 1, v())
    modality = np.minimum(images.modality, 2)
    exam_spine = EXAM.render(
        spine, v(), modality, np.minimum(images.region, 1), (images.modality != XR).astype(int)
    )
    exam = pc.coalesce(exam_spine, _null_unless(other_exam, other))
    history = HISTORY.render(spine & ~no_header, v(), rng.integers(0, 5, n))
    technique = _null_unless(
        _choose(
            [
                "TECHNIQUE: Sagittal and axial T1 and T2 weighted images.",
                "TECHNIQUE: Multiplanar multisequence imaging.",
            ],
            v(),
        ),
        spine & (images.modality == MRI) & ~no_header,
    )
    comparison = _null_unless(_choose(["COMPARISON: None.", "COMPARISON: None available."], v()), ~no_header)
    lire = (lum_x | lum_r) & np.isin(site, (0, 1)) & (rng.random(n) < 0.15)
    parts = [
        exam,
        history,
        technique,
        comparison,
        _null_unless(fam_find, ~no_header),
        findings_text,
        _null_unless(fam_imp, ~no_header),
        impression_text,
        _const("EPIDEMIOLOGY:", lire & ~no_header),
        _const(EPIDEMIOLOGY, lire & ~no_header),
    ]
    text = _join(parts, "\n")
    missing = other & (rng.random(n) < 0.01)  # a few studies arrive without a report
    headed = spine & ~no_header
    stats = {
        "n_reports": n,
        "n_spine_reports": int(spine.sum()),
        "null_report_text": int(missing.sum()),
        "spine_reports_without_headers": int((spine & no_header).sum()),
        "findings_headers": _counts(find_idx[headed], 0),
        "impression_headers": _counts(imp_idx[headed], 1),
        "epidemiology_note": int((lire & ~no_header).sum()),
    }
    return _null_unless(text, ~missing), stats


def _counts(idx: np.ndarray, which: int) -> dict[str, int]:
    flat = [h for fam in HEADERS for h in fam[which]]
    c = np.bincount(idx, minlength=len(flat))
    return {h: int(c[i]) for i, h in enumerate(flat)}


def _choose(options: list[str], variant: np.ndarray) -> pa.Array:
    return strings(options).take(pa.array(variant % len(options)))


def _choose_family(family: np.ndarray, which: int, variant: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    flat = [h for fam in HEADERS for h in fam[which]]
    offsets = np.cumsum([0] + [len(fam[which]) for fam in HEADERS])
    sizes = np.diff(offsets)
    idx = offsets[family] + variant % sizes[family]
    return strings(flat).take(pa.array(idx)), idx


def _other(modality: np.ndarray, pick: np.ndarray) -> tuple[pa.Array, pa.Array, pa.Array]:
    flat = [r for m in (XR, MRI, CT) for r in OTHER_REPORTS[m]]
    offsets = np.cumsum([0] + [len(OTHER_REPORTS[m]) for m in (XR, MRI, CT)])
    sizes = np.diff(offsets)
    idx = pa.array(offsets[modality] + pick % sizes[modality])
    return tuple(strings([r[i] for r in flat]).take(idx) for i in range(3))  # type: ignore[return-value]


def _number(lines: list[pa.Array], numbered: np.ndarray) -> list[pa.Array]:
    """Prefix '1. ', '2. ' to the non-null impression lines of numbered reports."""
    count = np.zeros(len(numbered), np.int64)
    out = []
    for line in lines:
        present = line.is_valid().to_numpy(zero_copy_only=False)
        count = count + present
        prefix = pa.array(np.char.add(count.astype(str), ". "), type=pa.string())
        numbered_line = pc.binary_join_element_wise(prefix, line, "")
        out.append(pc.if_else(pa.array(numbered & present), numbered_line, line))
    return out
