"""The injection-response study: TFESI for radicular pain, NRS-11 before and ~2 months after, and MRI.

Mirrors Kim et al. 2022 (/work/shared/seeds/002_*.txt): patients with lumbosacral radicular pain due to
a disc herniation or spinal stenosis get a transforaminal epidural steroid injection (CPT 64483, +64484
for a second level); a "good outcome" is a >= 50 % reduction of NRS-11 (leg pain) at 2 months. Each
patient has a T2-weighted sagittal lumbar MRI shortly before the injection, written as a small DICOM
series (three 64 x 64 slices: left parasagittal, midline, right parasagittal) and a report giving the
Miskin central canal and lateral recess grades (0-3) and the Modic type (0-3) at the treated level.

Who: a random INJ_SHARE of the LDH/LSS latent group who already have a lumbar MRI. Everything is placed
after day 430 (past the surgery outcome windows and after the first lumbar MRI), so the surgery and
medication cohorts, features and outcomes are unchanged by these rows.

Planted signal (the truth the card documents): the chance of a good outcome falls with the size of the
compressive lesion (herniation or stenosis) drawn in the pixels; the report grades are noisy readings of
the same size, so chart data carry part of the imaging signal and the pixels carry all of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from .arrays import date_array, day, sigmoid, stream, strings, take
from .imaging import Images
from .population import Population

INJ_SHARE = 0.30
INJ_DAYS = (430, 640)  # injection day after the index date
MRI_BEFORE = (7, 60)  # pre-injection MRI, days before the injection
FOLLOWUP = (50, 70)  # the 2-month NRS, days after the injection
KINDS = ("herniation", "stenosis")
KIND_MIX = (0.6, 0.4)
LEVELS = ("L3-L4", "L4-L5", "L5-S1")
LEVEL_MIX = (0.1, 0.5, 0.4)
MODIC_MIX = (0.55, 0.20, 0.22, 0.03)  # none, type 1, type 2, type 3
SECOND_LEVEL = 0.3  # share with an add-on level (CPT 64484)
EXACT_HALF = 0.2  # of good outcomes with an even baseline: post = exactly half (the 50 % edge)
# logit P(good) = B0 + B_SIZE z + B_MODIC1 [Modic 1] + B_HERNIATION [herniation] + B_NRS (leg - 7) + B_AGE (age-57)/10
B0, B_SIZE, B_MODIC1, B_HERNIATION, B_NRS, B_AGE = 0.0, -1.6, -0.6, 0.4, 0.15, -0.1
SIZE_MEAN, SIZE_SD = 0.5, 0.2236  # lesion size ~ Beta(2, 2): z = (size - mean) / sd
IMAGE_SIZE = 64
SLICES = 3
VERTEBRAE = ("L1", "L2", "L3", "L4", "L5")


@dataclass
class Injections:
    patient: np.ndarray
    day: np.ndarray  # injection day
    mri_day: np.ndarray
    post_day: np.ndarray
    kind: np.ndarray  # index into KINDS
    level: np.ndarray  # index into LEVELS
    side: np.ndarray  # 0 left, 1 right
    size: np.ndarray  # lesion size 0..1
    miskin_central: np.ndarray  # 0..3
    miskin_lateral: np.ndarray  # 0..3
    modic: np.ndarray  # 0..3
    second_level: np.ndarray  # bool
    nrs_leg_pre: np.ndarray
    nrs_leg_post: np.ndarray
    nrs_back_pre: np.ndarray
    nrs_back_post: np.ndarray
    p_good: np.ndarray
    good: np.ndarray  # bool: leg NRS reduction >= 50 %

    @property
    def n(self) -> int:
        return len(self.patient)


def response_probability(size, modic, kind, nrs_leg_pre, age) -> np.ndarray:
    z = (size - SIZE_MEAN) / SIZE_SD
    logit = (
        B0
        + B_SIZE * z
        + B_MODIC1 * (modic == 1)
        + B_HERNIATION * (kind == 0)
        + B_NRS * (nrs_leg_pre - 7)
        + B_AGE * (age - 57) / 10
    )
    return sigmoid(logit)


def draw_injections(pop: Population, images: Images, seed: int) -> Injections:
    rng = stream(seed, "injection")
    n = pop.n
    chosen = pop.ldh & (images.med_index_image >= 0) & (rng.random(n) < INJ_SHARE)
    inj = pop.index_day + rng.integers(INJ_DAYS[0], INJ_DAYS[1] + 1, n)
    # the pre-injection MRI must come after the first lumbar MRI (a later spine study can fall past day 430),
    # or it would become the medication study's index
    first_mri = images.day[np.maximum(images.med_index_image, 0)]
    who = np.flatnonzero(chosen & (inj + FOLLOWUP[1] <= pop.end_day) & (inj - MRI_BEFORE[1] > first_mri))
    m = len(who)
    inj = inj[who].astype(np.int32)
    mri_day = inj - rng.integers(MRI_BEFORE[0], MRI_BEFORE[1] + 1, m)
    post_day = inj + rng.integers(FOLLOWUP[0], FOLLOWUP[1] + 1, m)
    kind = (rng.random(m) > KIND_MIX[0]).astype(np.int64)
    level = np.searchsorted(np.cumsum(LEVEL_MIX), rng.random(m), side="right").clip(0, 2)
    side = rng.integers(0, 2, m)
    size = rng.beta(2, 2, m)
    central = np.where(
        kind == 1,
        np.clip(np.round(0.5 + 2.5 * size + rng.normal(0, 0.5, m)), 1, 3),
        np.clip(np.round(2.0 * size + rng.normal(0, 0.5, m)), 0, 3),
    ).astype(np.int64)
    lateral = np.clip(np.round(2.5 * size + rng.normal(0, 0.6, m)), 0, 3).astype(np.int64)
    modic = np.searchsorted(np.cumsum(MODIC_MIX), rng.random(m), side="right").clip(0, 3)
    leg_pre = np.clip(np.round(7 + rng.normal(0, 1.3, m)), 4, 10)
    back_pre = np.clip(np.round(5 + rng.normal(0, 2.0, m)), 0, 10)
    p_good = response_probability(size, modic, kind, leg_pre, pop.age[who])
    good = rng.random(m) < p_good
    half = np.floor(leg_pre / 2)
    # good: 0..floor(pre/2) (reduction >= 50 %); poor: floor(pre/2)+1 .. min(10, pre+1)
    post_good = np.floor(rng.random(m) * (half + 1))
    post_good = np.where((leg_pre % 2 == 0) & (rng.random(m) < EXACT_HALF), half, post_good)
    span = np.minimum(10, leg_pre + 1) - half
    post_poor = half + 1 + np.floor(rng.random(m) * span)
    leg_post = np.where(good, post_good, post_poor)
    back_factor = np.where(good, rng.uniform(0.2, 0.7, m), rng.uniform(0.6, 1.1, m))
    back_post = np.clip(np.round(back_pre * back_factor), 0, 10)
    return Injections(
        who,
        inj,
        mri_day.astype(np.int32),
        post_day.astype(np.int32),
        kind,
        level,
        side,
        size,
        central,
        lateral,
        modic,
        rng.random(m) < SECOND_LEVEL,
        leg_pre,
        leg_post,
        back_pre,
        back_post,
        p_good,
        good,
    )


# -- pixels ---------------------------------------------------------------------------------------------


def render_series(size: float, level: int, kind: int, side: int, rng: np.random.Generator) -> np.ndarray:
    """Three T2-like sagittal slices (left, midline, right) as uint16, shape (3, 64, 64).

    Anterior is on the left. Vertebral bodies (grey) alternate with discs (bright nucleus); behind
    them runs the bright CSF of the canal (midline) or the foramina (parasagittal). The lesion at
    `level` is a dark intrusion into the canal whose depth and height grow with `size` (0..1): a
    rounded disc herniation, or a band-like stenosis; the slice on the affected side shows it too.
    """
    s = IMAGE_SIZE
    yy, xx = np.mgrid[0:s, 0:s].astype(float)
    dx, dy = rng.integers(-3, 4), rng.integers(-3, 4)
    top = 4 + dy
    body = (14 + dx, 33 + dx)
    canal = (35 + dx, 42 + dx)
    out = np.empty((SLICES, s, s))
    disc_bright = rng.uniform(600, 850)
    for k in range(SLICES):
        img = np.full((s, s), 60.0)
        img[:, body[1] + 10 : body[1] + 24] = 330.0  # posterior elements
        canal_value = 1000.0 if k == 1 else 700.0  # CSF midline, foraminal fat/CSF laterally
        img[:, canal[0] : canal[1]] = canal_value
        for v in range(6):  # L1..L5 and the top of S1
            y0 = top + v * 11
            img[max(y0, 0) : max(y0 + 8, 0), body[0] : body[1]] = 450.0
            if v < 5:
                img[max(y0 + 8, 0) : max(y0 + 11, 0), body[0] + 2 : body[1] - 1] = disc_bright
        lesion_disc = 2 + level  # L3-L4 is the third disc (index 2)
        cy = top + lesion_disc * 11 + 9.5
        on_side = k == 1 or (k == 0 and side == 0) or (k == 2 and side == 1)
        if on_side:
            scale = 1.0 if k == 1 else 0.7
            depth = (1.0 + 6.0 * size) * scale
            height = (1.5 + 3.0 * size) * scale
            if kind == 0:  # herniation: rounded intrusion from the back of the disc
                mask = ((xx - canal[0]) / max(depth, 0.5)) ** 2 + ((yy - cy) / height) ** 2 <= 1.0
                img[mask & (xx >= body[1] - 1)] = 380.0
            else:  # stenosis: band narrowing the canal from both sides at the disc level
                band = np.abs(yy - cy) <= height
                front = (xx >= canal[0]) & (xx < canal[0] + depth / 2)
                back = (xx < canal[1]) & (xx >= canal[1] - depth / 2)
                img[band & (front | back)] = 300.0
        out[k] = img
    out *= rng.uniform(0.85, 1.15)
    out += rng.normal(0, 40.0, out.shape)
    return np.clip(out, 0, 4095).astype(np.uint16)


def write_dicom_series(
    folder: Path, pixels: np.ndarray, *, patient_id: str, image_id: str, study_date: str, seed: int
) -> list[str]:
    """Write one sagittal series as SLICES DICOM files; return their names. Deterministic bytes."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

    folder.mkdir(parents=True, exist_ok=True)
    study_uid = generate_uid(entropy_srcs=[str(seed), image_id, "study"])
    series_uid = generate_uid(entropy_srcs=[str(seed), image_id, "series"])
    names = []
    for k in range(pixels.shape[0]):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MRImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[str(seed), image_id, str(k)])
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = generate_uid(entropy_srcs=["lumbar synthetic"])
        name = f"{k + 1:02d}.dcm"
        ds = FileDataset(str(folder / name), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = MRImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.Modality = "MR"
        ds.PatientID = patient_id
        ds.PatientName = "SYNTHETIC^LUMBAR"
        ds.StudyDate = study_date.replace("-", "")
        ds.AccessionNumber = image_id
        ds.SeriesDescription = "T2 SAG"
        ds.BodyPartExamined = "LSPINE"
        ds.ScanningSequence = "SE"
        ds.SeriesNumber = 1
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [float(-4 * (k - 1)), -128.0, 128.0]
        ds.ImageOrientationPatient = [0.0, 1.0, 0.0, 0.0, 0.0, -1.0]
        ds.PixelSpacing = [4.0, 4.0]
        ds.SliceThickness = 4.0
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows, ds.Columns = pixels.shape[1], pixels.shape[2]
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
        ds.PixelRepresentation = 0
        ds.PixelData = pixels[k].tobytes()
        ds.save_as(folder / name, enforce_file_format=True)
        names.append(name)
    return names


# -- report text ----------------------------------------------------------------------------------------

_GRADE_WORD = ("no", "mild", "moderate", "severe")
_MODIC = (
    "No Modic endplate changes.",
    "Modic type 1 endplate changes (oedema).",
    "Modic type 2 endplate changes (fatty marrow).",
    "Modic type 3 endplate changes (sclerosis).",
)


def report_text(inj: Injections, i: int, rng: np.random.Generator) -> str:
    level, side = LEVELS[inj.level[i]], ("left", "right")[inj.side[i]]
    central, lateral = int(inj.miskin_central[i]), int(inj.miskin_lateral[i])
    lesion = (
        f"{side} paracentral disc {'extrusion' if inj.size[i] > 0.6 else 'protrusion'}"
        if inj.kind[i] == 0
        else "disc bulge with facet and ligamentum flavum hypertrophy"
    )
    central_text = (
        "No central canal stenosis (Miskin grade 0)."
        if central == 0
        else f"{_GRADE_WORD[central].capitalize()} central canal stenosis, Miskin grade {central}."
    )
    lateral_text = (
        f"No {side} lateral recess stenosis (Miskin grade 0)."
        if lateral == 0
        else f"{_GRADE_WORD[lateral].capitalize()} {side} lateral recess stenosis, Miskin grade {lateral}, "
        f"contacting the traversing nerve root."
    )
    history = ("left", "right")[inj.side[i]] + " leg radicular pain, planned transforaminal injection"
    other = "Conus terminates normally. Remaining lumbar levels without significant stenosis."
    if rng.random() < 0.5:
        body = f"{level}: {lesion}. {central_text} {lateral_text} {_MODIC[inj.modic[i]]}"
    else:
        body = f"At {level} there is a {lesion}. {central_text} {lateral_text} {_MODIC[inj.modic[i]]}"
    return (
        f"HISTORY: {history}.\nTECHNIQUE: Sagittal T1 and T2, axial T2 lumbar spine.\n"
        f"FINDINGS: {body} {other}\nIMPRESSION: {level} {lesion}; Miskin central grade {central}, "
        f"lateral recess grade {lateral}."
    )


# -- tables ---------------------------------------------------------------------------------------------


def contract_rows(
    inj: Injections, pop: Population, patient_ids: pa.Array, first_image_number: int, seed: int, out: Path
) -> dict[str, pa.Table]:
    """Rows to append to imaging, diagnoses, procedures, observations; image_files; DICOM under out/dicom."""
    import shutil

    from .tables import ids

    rng = stream(seed, "injection-render")
    m = inj.n
    # dicom/ is the generator's own folder: series from an earlier run would not match image_files
    shutil.rmtree(out / "dicom", ignore_errors=True)
    image_ids = ids("IMG", first_image_number + m - 1, 9).slice(first_image_number - 1)
    pid = patient_ids.take(pa.array(inj.patient))
    texts, files_image, files_path = [], [], []
    mri_dates = date_array(inj.mri_day).to_pylist()
    for i in range(m):
        texts.append(report_text(inj, i, rng))
        pixels = render_series(inj.size[i], int(inj.level[i]), int(inj.kind[i]), int(inj.side[i]), rng)
        image_id = image_ids[i].as_py()
        names = write_dicom_series(
            out / "dicom" / image_id,
            pixels,
            patient_id=pid[i].as_py(),
            image_id=image_id,
            study_date=mri_dates[i].isoformat(),
            seed=seed,
        )
        files_image += [image_id] * len(names)
        files_path += [f"dicom/{image_id}/{name}" for name in names]
    imaging = pa.table(
        {
            "image_id": image_ids,
            "patient_id": pid,
            "image_date": date_array(inj.mri_day),
            "modality": strings(["MRI"] * m),
            "body_region": strings(["lumbar"] * m),
            "report_text": strings(texts),
        }
    )
    image_files = pa.table(
        {
            "image_id": strings(files_image),
            "path": strings(files_path),
            "format": strings(["DICOM"] * len(files_path)),
        }
    )

    # diagnosis on the injection day: the indication (ICD-9 before 2015-10-01, ICD-10 after)
    icd10 = inj.day >= day("2015-10-01")
    fy2017 = inj.day >= day("2016-10-01")
    lumbosacral = inj.level == 2
    ldh9, ldh10 = "722.10", np.where(lumbosacral, "M51.17", "M51.16")
    lss10 = np.where(fy2017, "M48.062", "M48.06")
    code = np.where(inj.kind == 0, np.where(icd10, ldh10, ldh9), np.where(icd10, lss10, "724.02"))
    radic = np.where(icd10, "M54.16", "724.4")
    dx_p = np.concatenate([inj.patient, inj.patient])
    diagnoses = pa.table(
        {
            "patient_id": patient_ids.take(pa.array(dx_p)),
            "dx_date": date_array(np.concatenate([inj.day, inj.day])),
            "code": strings(np.concatenate([code, radic])),
            "code_system": strings(np.where(np.concatenate([icd10, icd10]), "ICD10CM", "ICD9CM")),
        }
    )
    second = np.flatnonzero(inj.second_level)
    procedures = pa.table(
        {
            "patient_id": patient_ids.take(pa.array(np.concatenate([inj.patient, inj.patient[second]]))),
            "px_date": date_array(np.concatenate([inj.day, inj.day[second]])),
            "code": strings(["64483"] * m + ["64484"] * len(second)),
            "code_system": strings(["CPT"] * (m + len(second))),
        }
    )
    who = np.concatenate([inj.patient] * 4)
    days = np.concatenate([inj.day, inj.post_day, inj.day, inj.post_day])
    names = ["pain_nrs_leg"] * (2 * m) + ["pain_nrs_back"] * (2 * m)
    values = np.concatenate([inj.nrs_leg_pre, inj.nrs_leg_post, inj.nrs_back_pre, inj.nrs_back_post])
    observations = pa.table(
        {
            "patient_id": patient_ids.take(pa.array(who)),
            "obs_date": date_array(days),
            "name": strings(names),
            "value_num": pa.array(values.astype(float)),
            "value_text": pa.nulls(len(who), pa.string()),
        }
    )
    return {
        "imaging": imaging,
        "image_files": image_files,
        "diagnoses": diagnoses,
        "procedures": procedures,
        "observations": observations,
        "image_ids": image_ids,
    }


def truth_rows(inj: Injections, patient_ids: pa.Array, image_ids: pa.Array) -> pa.Table:
    return pa.table(
        {
            "patient_id": patient_ids.take(pa.array(inj.patient)),
            "image_id": image_ids,
            "injection_date": date_array(inj.day),
            "lesion": take(strings(KINDS), inj.kind),
            "level": take(strings(LEVELS), inj.level),
            "side": take(strings(["left", "right"]), inj.side),
            "lesion_size": pa.array(np.round(inj.size, 6)),
            "miskin_central": pa.array(inj.miskin_central.astype(np.int8)),
            "miskin_lateral_recess": pa.array(inj.miskin_lateral.astype(np.int8)),
            "modic_type": pa.array(inj.modic.astype(np.int8)),
            "nrs_leg_pre": pa.array(inj.nrs_leg_pre.astype(np.int8)),
            "nrs_leg_post": pa.array(inj.nrs_leg_post.astype(np.int8)),
            "p_good_outcome": pa.array(np.round(inj.p_good, 8)),
            "good_outcome": pa.array(inj.good),
        }
    )


def card_section(inj: Injections, pop: Population) -> dict:
    from .arrays import auc

    z = (inj.size - SIZE_MEAN) / SIZE_SD
    return {
        "definition": (
            "TFESI (CPT 64483, +64484 for a second level) for radicular pain due to disc herniation or "
            "stenosis; LDH/LSS and radiculopathy codes on the injection day; leg and back NRS-11 on the "
            f"injection day and {FOLLOWUP[0]}-{FOLLOWUP[1]} days after; lumbar MRI {MRI_BEFORE[0]}-{MRI_BEFORE[1]} "
            f"days before; injection {INJ_DAYS[0]}-{INJ_DAYS[1]} days after the index date"
        ),
        "n": int(inj.n),
        "good_outcome_share": round(float(inj.good.mean()), 4) if inj.n else None,
        "good_outcome_rule": "leg NRS at follow-up <= floor(pre / 2), i.e. reduction >= 50 % (exactly 50 % is good)",
        "exactly_50_percent_cases": int(((inj.nrs_leg_post * 2) == inj.nrs_leg_pre).sum()),
        "lesion_mix": {
            k: round(float((inj.kind == i).mean()), 4) if inj.n else None for i, k in enumerate(KINDS)
        },
        "response_model": {
            "logit": "B0 + B_size z + B_modic1 [Modic type 1] + B_herniation [herniation] + B_nrs (leg NRS pre - 7) + B_age (age - 57) / 10",
            "z": f"(lesion size - {SIZE_MEAN}) / {SIZE_SD}; lesion size ~ Beta(2, 2)",
            "coefficients": {
                "B0": B0,
                "B_size": B_SIZE,
                "B_modic1": B_MODIC1,
                "B_herniation": B_HERNIATION,
                "B_nrs": B_NRS,
                "B_age": B_AGE,
            },
            "direction": "a larger compressive lesion (deeper dark intrusion into the bright canal) lowers the chance of >= 50 % relief",
        },
        "images": {
            "format": f"DICOM, {SLICES} sagittal T2-like slices of {IMAGE_SIZE}x{IMAGE_SIZE} (left, midline, right), dicom/<image_id>/NN.dcm",
            "lesion_pixels": "intrusion depth 1 + 6 size px and half-height 1.5 + 3 size px at the treated disc (70 % on the affected side slice)",
        },
        "report_grades": {
            "miskin_central": "stenosis: round(0.5 + 2.5 size + N(0, 0.5)) in 1..3; herniation: round(2 size + N(0, 0.5)) in 0..3",
            "miskin_lateral_recess": "round(2.5 size + N(0, 0.6)) in 0..3",
            "modic_type": dict(zip(("none", "type 1", "type 2", "type 3"), MODIC_MIX, strict=True)),
            "text": "'Miskin grade N' for central canal and lateral recess, 'Modic type N endplate changes' or 'No Modic endplate changes'",
        },
        "oracle_auc": round(float(auc(inj.p_good, inj.good)), 4) if 0 < inj.good.sum() < inj.n else None,
        "oracle_auc_lesion_size_only": round(float(auc(-z, inj.good)), 4)
        if 0 < inj.good.sum() < inj.n
        else None,
        "oracle_auc_report_grades_only": round(
            float(auc(-(inj.miskin_central + inj.miskin_lateral).astype(float), inj.good)), 4
        )
        if 0 < inj.good.sum() < inj.n
        else None,
    }
