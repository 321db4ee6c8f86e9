"""Structured findings behind every spine report (the truth the report text is written from).

Lumbar levels are columns of (n_reports, 5) matrices so every draw is one array
operation. Severity codes: 0 none, 1 mild, 2 moderate, 3 severe.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .arrays import sigmoid, strings, take
from .imaging import CT, MRI, OTHER, THORACIC, XR, Images
from .population import Population

LUMBAR_LEVELS = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")
THORACIC_LEVELS = tuple(f"T{i}-T{i + 1}" for i in range(1, 12)) + ("T12-L1",)
ROOTS = ("L2", "L3", "L4", "L5", "S1")  # traversing root at each lumbar level
SEVERITY = (None, "mild", "moderate", "severe")
LEVEL_WEIGHT = np.array([0.25, 0.4, 0.6, 1.0, 0.85])
NONE, BULGE, PROTRUSION, EXTRUSION = 0, 1, 2, 3


@dataclass
class Findings:
    """Findings per report row (same order as the reports' image rows)."""

    kind: np.ndarray  # 0 lumbar cross-sectional (MRI/CT), 1 lumbar XR, 2 thoracic, 3 other region
    disc: np.ndarray  # (n, 5) NONE..EXTRUSION; XR: disc space narrowing severity
    canal: np.ndarray  # (n, 5) severity
    foramen: np.ndarray  # (n, 5) severity
    foramen_side: np.ndarray  # (n, 5) 0 left, 1 right, 2 bilateral
    recess: np.ndarray  # (n, 5) lateral recess severity
    facet: np.ndarray  # (n, 5) severity
    nerve: np.ndarray  # (n, 5) bool: nerve root compression
    modic_level: np.ndarray  # -1 or 0..4
    modic_type: np.ndarray  # 1 or 2
    scoliosis: np.ndarray  # 0 none, 1 mild, 2 moderate
    scoliosis_left: np.ndarray  # bool: levoscoliosis
    lordosis: np.ndarray  # 0 normal, 1 straightening, 2 loss of lordosis
    listhesis_level: np.ndarray  # -1 or 3/4 (grade 1 anterolisthesis)
    thoracic_level: np.ndarray  # thoracic: -1 or 0..11 (small protrusion)
    spondylosis: np.ndarray  # thoracic / XR: 0..2

    @property
    def n(self) -> int:
        return len(self.kind)

    def summary(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Report-level flags used by the outcome models (rows index this object)."""
        cross = self.kind[rows] == 0
        disc = np.where(cross[:, None], self.disc[rows], 0)
        return {
            "max_canal": self.canal[rows].max(axis=1),
            "extrusion": (disc == EXTRUSION).any(axis=1),
            "disc_pathology": (disc > 0).any(axis=1),
            "nerve": self.nerve[rows].any(axis=1),
            "recess_modsev": (self.recess[rows] >= 2).any(axis=1),
            "recess_any": (self.recess[rows] >= 1).any(axis=1),
            "max_foramen": self.foramen[rows].max(axis=1),
            "modic": self.modic_level[rows] >= 0,
            "facet": (self.facet[rows] >= 1).any(axis=1),
            "curvature": (self.scoliosis[rows] > 0) | (self.lordosis[rows] > 0),
        }


def draw_findings(images: Images, pop: Population, rng: np.random.Generator) -> Findings:
    n = images.n
    p = images.patient
    kind = np.select(
        [images.region == OTHER, images.region == THORACIC, images.modality == XR], [3, 2, 1], default=0
    )
    age, ldh, sev = pop.age[p], pop.ldh[p], pop.severity[p]
    # degeneration burden: older patients and the LDH/LSS group (more so when severe) have more findings
    deg = sigmoid(-1.0 + 0.045 * (age - 50) + 0.9 * ldh + 0.5 * ldh * sev)
    w = LEVEL_WEIGHT[None, :]
    shape = (n, 5)
    lumbar = (kind <= 1)[:, None]
    cross = (kind == 0)[:, None]

    # disc: bulge / protrusion / extrusion; the LDH/LSS group herniates at L4-S1 when severe
    has_disc = rng.random(shape) < np.clip(w * (0.15 + 0.75 * deg[:, None]), 0, 0.95)
    low = np.array([0, 0, 0.3, 1.0, 1.0])[None, :]
    p_ext = sigmoid(-3.2 + 1.6 * ldh + 0.9 * ldh * sev)[:, None] * low
    p_pro = (0.28 + 0.2 * ldh)[:, None] * np.ones(shape)
    u = rng.random(shape)
    disc_type = np.where(u < p_ext, EXTRUSION, np.where(u < p_ext + p_pro, PROTRUSION, BULGE))
    ct = (images.modality == CT)[:, None]
    disc_type = np.where(ct & (disc_type == EXTRUSION) & (rng.random(shape) < 0.5), PROTRUSION, disc_type)
    disc = np.where(has_disc & cross, disc_type, NONE)

    facet_score = 2.0 * deg[:, None] + 0.6 * w + rng.normal(0, 0.6, shape)
    facet = np.digitize(facet_score, [1.3, 2.0, 2.6]) * lumbar
    drive = (0.9 * ldh * np.maximum(sev, -0.5))[:, None] * w
    canal_score = 0.55 * disc + 0.35 * facet + 1.2 * deg[:, None] * w + drive + rng.normal(0, 0.55, shape)
    canal = np.digitize(canal_score, [1.5, 2.2, 2.9]) * cross
    foramen_score = (
        0.4 * disc + 0.4 * facet + 1.0 * deg[:, None] * w + 0.6 * drive + rng.normal(0, 0.6, shape)
    )
    foramen = np.digitize(foramen_score, [1.4, 2.2, 3.0]) * cross
    foramen_side = rng.integers(0, 3, shape)
    recess_p = np.where((disc >= PROTRUSION) | (canal >= 2), 0.45, 0.03)
    recess = np.where(
        rng.random(shape) < recess_p, np.maximum(1, np.minimum(canal, rng.integers(1, 4, shape))), 0
    )
    recess = recess * cross
    nerve_p = np.where(disc == EXTRUSION, 0.7, np.where(disc == PROTRUSION, 0.2, 0.0)) * (
        1 + 0.3 * ldh[:, None]
    )
    nerve = (rng.random(shape) < nerve_p) & cross

    # XR sees disc space narrowing instead of disc contour
    dsn_score = 2.2 * deg[:, None] * w + rng.normal(0, 0.5, shape)
    disc = np.where((kind == 1)[:, None], np.digitize(dsn_score, [0.9, 1.5, 2.1]), disc)

    modic = (rng.random(n) < 0.06 + 0.25 * deg) & (kind == 0) & (images.modality == MRI)
    level_pick = (rng.random(n)[:, None] > np.cumsum(LEVEL_WEIGHT / LEVEL_WEIGHT.sum())).sum(axis=1)
    scol = np.where(rng.random(n) < 0.05 + 0.08 * (age > 60), np.where(rng.random(n) < 0.75, 1, 2), 0)
    spine = kind <= 2
    listhesis = (rng.random(n) < 0.03 + 0.07 * deg) & (kind <= 1)
    thoracic = kind == 2
    return Findings(
        kind=kind,
        disc=disc.astype(np.int8),
        canal=canal.astype(np.int8),
        foramen=foramen.astype(np.int8),
        foramen_side=foramen_side.astype(np.int8),
        recess=recess.astype(np.int8),
        facet=facet.astype(np.int8),
        nerve=nerve,
        modic_level=np.where(modic, level_pick, -1),
        modic_type=np.where(rng.random(n) < 0.4, 1, 2),
        scoliosis=np.where(spine, scol, 0),
        scoliosis_left=rng.random(n) < 0.5,
        lordosis=np.where((kind <= 1) & (rng.random(n) < 0.14), np.where(rng.random(n) < 0.6, 1, 2), 0),
        listhesis_level=np.where(listhesis, np.where(rng.random(n) < 0.7, 3, 4), -1),
        thoracic_level=np.where(thoracic & (rng.random(n) < 0.25), rng.integers(3, 12, n), -1),
        spondylosis=np.where(
            (kind == 1) | thoracic, np.digitize(deg + rng.normal(0, 0.2, n), [0.35, 0.65]), 0
        ).astype(np.int8),
    )


def truth_table(f: Findings, image_ids: pa.Array) -> pa.Table:
    """One row per positive finding: image_id, finding, level, severity (null where not graded)."""
    parts: list[tuple[np.ndarray, str, np.ndarray, np.ndarray]] = []  # rows, finding, level idx, severity
    cross = f.kind == 0
    r, lv = np.nonzero(f.disc > 0)
    for code, name in ((BULGE, "disc_bulge"), (PROTRUSION, "disc_protrusion"), (EXTRUSION, "disc_extrusion")):
        m = cross[r] & (f.disc[r, lv] == code)
        parts.append((r[m], name, lv[m], np.zeros(m.sum(), np.int8)))
    m = f.kind[r] == 1
    parts.append((r[m], "disc_space_narrowing", lv[m], f.disc[r[m], lv[m]]))
    for arr, name in (
        (f.canal, "spinal_canal_stenosis"),
        (f.recess, "lateral_recess_stenosis"),
        (f.foramen, "foraminal_stenosis"),
        (f.facet, "facet_arthropathy"),
    ):
        r2, l2 = np.nonzero(arr > 0)
        parts.append((r2, name, l2, arr[r2, l2]))
    r2, l2 = np.nonzero(f.nerve)
    parts.append((r2, "nerve_root_compression", l2, np.zeros(len(r2), np.int8)))
    r2 = np.flatnonzero(f.modic_level >= 0)
    parts.append((r2, "endplate_change", f.modic_level[r2], np.zeros(len(r2), np.int8)))
    r2 = np.flatnonzero(f.listhesis_level >= 0)
    parts.append((r2, "spondylolisthesis", f.listhesis_level[r2], np.zeros(len(r2), np.int8)))
    r2 = np.flatnonzero(f.scoliosis > 0)
    parts.append((r2, "scoliosis", np.full(len(r2), -1), f.scoliosis[r2]))
    r2 = np.flatnonzero(f.lordosis > 0)
    parts.append((r2, "lordosis", np.full(len(r2), -1), np.zeros(len(r2), np.int8)))
    r2 = np.flatnonzero(f.spondylosis > 0)
    parts.append((r2, "spondylosis", np.full(len(r2), -1), f.spondylosis[r2]))
    r2 = np.flatnonzero(f.thoracic_level >= 0)
    parts.append((r2, "disc_protrusion", 5 + f.thoracic_level[r2], np.zeros(len(r2), np.int8)))

    rows = np.concatenate([p[0] for p in parts])
    finding = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(parts)])
    names = strings([p[1] for p in parts])
    level = np.concatenate([p[2] for p in parts])
    sev = np.concatenate([p[3] for p in parts]).astype(np.int64)
    order = np.lexsort((level, finding, rows))
    rows, finding, level, sev = rows[order], finding[order], level[order], sev[order]
    level_names = strings(list(LUMBAR_LEVELS) + list(THORACIC_LEVELS) + [""])
    return pa.table(
        {
            "image_id": image_ids.take(pa.array(rows)),
            "finding": take(names, finding),
            "level": take(level_names, np.where(level < 0, 17, level), mask_null=level < 0),
            "severity": take(strings(["", "mild", "moderate", "severe"]), sev, mask_null=sev == 0),
        }
    )
