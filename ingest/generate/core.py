"""`generate`: the whole synthetic EHR, step by step, with a progress bar."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.errors import LumbarError

from . import config as C
from . import injection as INJ
from . import outcomes as O
from . import stratification as STRAT
from .arrays import stream
from .card import build_card
from .cohorts import any_before, ldh_lookback_days, med_cohort
from .events import diagnoses, prescriptions, procedures
from .findings import draw_findings, truth_table
from .imaging import MRI, plan_images
from .observations import observations
from .population import INSURANCE, MARITAL, SMOKING, SUPPORT, make_population, make_providers
from .reports import render_reports
from .tables import (
    diagnoses_table,
    ids,
    imaging_table,
    patients_table,
    prescriptions_table,
    procedures_table,
    providers_table,
    write,
    write_contract,
)
from .vocab_rx import rx_vocab

STEPS = (
    "patients",
    "imaging",
    "diagnoses",
    "surgery",
    "procedures",
    "medication",
    "prescriptions",
    "observations",
    "reports",
    "studies",
    "write",
    "card",
)
MAX_PATIENTS = 5_000_000


class _Steps:
    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.task = progress.add_task("generate", total=len(STEPS)) if progress else None

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.progress is not None:
            self.progress.update(self.task, description=f"generate: {name}")
        yield
        if self.progress is not None:
            self.progress.advance(self.task)


def _check(n_patients: int, seed: int, out: Path) -> Path:
    if isinstance(n_patients, bool) or not isinstance(n_patients, int | np.integer) or n_patients < 1:
        raise LumbarError(f"--patients must be a whole number >= 1, got {n_patients!r}")
    if n_patients > MAX_PATIENTS:
        raise LumbarError(
            f"--patients {n_patients:,} is above the supported {MAX_PATIENTS:,}; generate in parts"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise LumbarError(f"--seed must be a whole number >= 0, got {seed!r}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise LumbarError(f"--out {out} is a file; give a folder to write the Parquet files into")
    try:
        (out / "truth").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LumbarError(
            f"cannot create output folder {out}: {exc.strerror}; choose a writable --out"
        ) from None
    return out


def generate(
    n_patients: int, seed: int, out: Path, *, progress: bool = True, ldh_enrichment: float = 1.0
) -> dict:
    """Write the raw contract tables, truth tables and generator_card.json under `out`; return the card.

    ldh_enrichment multiplies the LDH/LSS group's share of the population (1.0 = the LIRE calibration);
    demos use it to get enough surgery cases from few patients. The card records it.
    """
    max_enrichment = 1 / C.LDH_PREVALENCE
    if not 1.0 <= ldh_enrichment <= max_enrichment:
        raise LumbarError(
            f"--ldh-enrichment must be between 1 and {max_enrichment:.1f}, got {ldh_enrichment}"
        )
    out = _check(n_patients, seed, out)  # last: it creates the output folders
    bar = (
        Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), transient=True)
        if progress
        else None
    )
    if bar is not None:
        bar.start()
    try:
        return _generate(int(n_patients), int(seed), out, _Steps(bar), float(ldh_enrichment))
    finally:
        if bar is not None:
            bar.stop()


def _generate(n: int, seed: int, out: Path, steps: _Steps, ldh_enrichment: float = 1.0) -> dict:
    with steps.step("patients"):
        providers = make_providers(n, seed)
        pop = make_population(n, seed, providers, C.LDH_PREVALENCE * ldh_enrichment)
        patient_ids = ids("P", n, 8)
        provider_ids = ids("PR", providers.n, 6)
        rng = stream(seed, "latent")
        frailty = rng.gamma(2.0, 0.5, n) * np.clip(1 + 0.01 * (pop.age - 57), 0.6, 1.5)
        flags = O.draw_flags(pop, rng)

    with steps.step("imaging"):
        images = plan_images(pop, seed)
        findings = draw_findings(images, pop, stream(seed, "findings"))
        med_row = images.med_index_image
        med_day = np.where(med_row >= 0, images.day[np.maximum(med_row, 0)], -1).astype(np.int32)
        ref_day = np.where(med_day >= 0, med_day, pop.index_day).astype(np.int32)

    with steps.step("diagnoses"):
        dx = diagnoses(pop, flags, frailty, ref_day, seed)

    with steps.step("surgery"):
        lookback = ldh_lookback_days(dx, pop.index_day)
        cohort = lookback >= 2
        index_report = findings.summary(images.index_image)
        pcp_type = np.where(pop.pcp >= 0, providers.clinician_type[np.maximum(pop.pcp, 0)], 0)
        x_surgery = O.surgery_features(
            pop, flags, index_report, images.modality[images.index_image] == MRI, pcp_type >= 2
        )
        surgery_model = O.surgery_model(pop)
        surgery_model.calibrate(x_surgery, cohort, (C.TARGET_EARLY, C.TARGET_LATE))
        p_surgery = surgery_model.probs(x_surgery)
        outcome, surgery_day = O.draw_surgery(pop, p_surgery, stream(seed, "surgery"))

    with steps.step("procedures"):
        px = procedures(pop, images, flags, surgery_day, frailty, ref_day, seed)

    with steps.step("medication"):
        in_med = med_cohort(dx, px, med_day, pop.birth_day)
        dx_before = {
            g: any_before(dx, g, med_day)
            for g in ("ldh_lss", "radiculopathy", "osteoarthritis", "fibromyalgia")
        }
        med_report = findings.summary(np.maximum(med_row, 0))
        x_med = O.med_features(pop, med_day, med_report, dx_before)
        med_model = O.med_model(pop)
        med_model.calibrate(x_med, in_med, C.TARGET_MED[1:])
        p_med = med_model.probs(x_med)
        med_class = np.where(med_day >= 0, O.draw_class(p_med, stream(seed, "medication")), -1)

    with steps.step("prescriptions"):
        rx = prescriptions(pop, flags, frailty, med_day, med_class, seed)

    with steps.step("observations"):
        obs = observations(pop, med_day, patient_ids, seed)

    with steps.step("reports"):
        text, report_stats = render_reports(findings, images, pop, stream(seed, "reports"))
        image_ids = ids("IMG", images.n, 9)

    with steps.step("studies"):
        # stratification survey and injection study: new rows appended after the existing ones
        survey = STRAT.draw_survey(pop, images, seed)
        injections = INJ.draw_injections(pop, images, seed)
        inj_rows = INJ.contract_rows(injections, pop, patient_ids, images.n + 1, seed, out)

    with steps.step("write"):
        counts = {}
        counts["patients"] = write_contract("patients", patients_table(pop, patient_ids, provider_ids), out)
        counts["providers"] = write_contract("providers", providers_table(providers, provider_ids), out)
        counts["imaging"] = write_contract(
            "imaging", _append("imaging", imaging_table(images, image_ids, patient_ids, text), inj_rows), out
        )
        counts["diagnoses"] = write_contract(
            "diagnoses", _append("diagnoses", diagnoses_table(pop, dx, patient_ids, seed), inj_rows), out
        )
        counts["procedures"] = write_contract(
            "procedures", _append("procedures", procedures_table(pop, px, patient_ids), inj_rows), out
        )
        counts["prescriptions"] = write_contract(
            "prescriptions", prescriptions_table(pop, rx, patient_ids, seed), out
        )
        obs = _append("observations", obs, {"observations": STRAT.observation_rows(survey, patient_ids)})
        counts["observations"] = write_contract("observations", _append("observations", obs, inj_rows), out)
        counts["imaging_measurements"] = write_contract(
            "imaging_measurements", STRAT.measurement_rows(survey, image_ids), out
        )
        counts["image_files"] = write_contract("image_files", inj_rows["image_files"], out)
        write(STRAT.truth_rows(survey, patient_ids, image_ids), out / "truth" / "stratification.parquet")
        write(
            INJ.truth_rows(injections, patient_ids, inj_rows["image_ids"]),
            out / "truth" / "injection.parquet",
        )
        truth_findings = truth_table(findings, image_ids)
        write(truth_findings, out / "truth" / "report_findings.parquet")
        write(_drug_truth(), out / "truth" / "drug_vocab.parquet")
        write(
            _patient_truth(
                pop,
                patient_ids,
                image_ids,
                images,
                med_row,
                med_day,
                cohort,
                lookback,
                outcome,
                surgery_day,
                p_surgery,
                in_med,
                p_med,
                med_class,
                flags,
            ),
            out / "truth" / "patients.parquet",
        )
        dx_codes = len(set(_distinct(out / "diagnoses.parquet", "code")))

    with steps.step("card"):
        card = build_card(
            pop=pop,
            seed=seed,
            ldh_enrichment=ldh_enrichment,
            images=images,
            cohort=cohort,
            outcome=outcome,
            surgery_day=surgery_day,
            p_surgery=p_surgery,
            x_surgery=x_surgery,
            surgery_model=surgery_model,
            p_med=p_med,
            x_med=x_med,
            med_model=med_model,
            med_cohort=in_med,
            med_class=med_class,
            lookback_days=lookback,
            row_counts=counts,
            report_stats={**report_stats, **_truth_stats(truth_findings)},
            vocab_stats={
                "distinct_diagnosis_codes": dx_codes,
                "distinct_drug_names": len(set(_distinct(out / "prescriptions.parquet", "drug_name"))),
                "distinct_procedure_codes": len(set(_distinct(out / "procedures.parquet", "code"))),
            },
        )
        card["cohorts"]["stratification"] = STRAT.card_section(survey)
        card["cohorts"]["injection"] = INJ.card_section(injections, pop)
        card["truth_files"]["truth/stratification.parquet"] = (
            "per survey participant: planted subgroup, latent factors, membership probabilities, outcome"
        )
        card["truth_files"]["truth/injection.parquet"] = (
            "per injection: lesion type, level, side, size, Miskin grades, Modic type, NRS, P(good), outcome"
        )
        text_card = json.dumps(card, indent=2) + "\n"
        (out / "generator_card.json").write_text(text_card)
    return json.loads(text_card)  # exactly what is on disk (tuples become lists)


def _append(name: str, base: pa.Table, extra: dict[str, pa.Table]) -> pa.Table:
    """`base` followed by extra[name], both cast to the contract schema (existing rows keep their order)."""
    from ingest.contract import TABLES

    schema = TABLES[name].schema
    return pa.concat_tables([t.select(schema.names).cast(schema) for t in (base, extra[name])])


def _distinct(path: Path, column: str) -> list[str]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    return pc.unique(pq.read_table(path, columns=[column])[column]).to_pylist()


def _truth_stats(truth: pa.Table) -> dict:
    return {
        "truth_finding_rows": truth.num_rows,
        "finding_names": sorted(set(truth["finding"].to_pylist())),
        "severities": ["mild", "moderate", "severe"],
        "levels": "L1-L2 .. L5-S1 written as 'L4-L5:', 'L4-5:', 'L4/L5:' or 'L4-L5 level:'; thoracic T1-T2 .. T12-L1",
        "negations": [
            "no spinal canal stenosis",
            "no evidence of stenosis",
            "the spinal canal is patent without stenosis",
            "no disc herniation, spinal canal stenosis, or foraminal narrowing",
            "normal disc height without disc herniation",
            "mild multilevel degenerative changes without significant spinal canal stenosis",
        ],
    }


def _drug_truth() -> pa.Table:
    v = rx_vocab()
    names = v.names.to_pylist()
    first = {}
    for i, name in enumerate(names):
        first.setdefault(name, i)
    keep = sorted(first.values(), key=lambda i: names[i])
    return pa.table(
        {
            "drug_name": [names[i] for i in keep],
            "ingredient": [v.ingredient[i] for i in keep],
            "drug_class": [v.drug_class[i] for i in keep],
        }
    )


def _patient_truth(
    pop,
    patient_ids,
    image_ids,
    images,
    med_row,
    med_day,
    cohort,
    lookback,
    outcome,
    surgery_day,
    p_surgery,
    in_med,
    p_med,
    med_class,
    flags,
) -> pa.Table:
    from .arrays import date_array, strings, take

    has_med = med_row >= 0
    cols = {
        "patient_id": patient_ids,
        "ldh_lss_group": pa.array(pop.ldh),
        "ldh_code_pattern": take(
            strings(["A", "B", "C"]), np.maximum(pop.ldh_pattern, 0), mask_null=pop.ldh_pattern < 0
        ),
        "ldh_lookback_code_days": pa.array(lookback.astype(np.int32)),
        "in_ldh_lss_cohort": pa.array(cohort),
        "severity": pa.array(np.round(pop.severity, 6)),
        "low_back_pain": pa.array(pop.lbp),
        "index_image_id": image_ids.take(pa.array(images.index_image)),
        "p_surgery_none": pa.array(np.round(p_surgery[:, 0], 8)),
        "p_surgery_early": pa.array(np.round(p_surgery[:, 1], 8)),
        "p_surgery_late": pa.array(np.round(p_surgery[:, 2], 8)),
        "surgery_outcome": take(strings(["none", "early", "late", "after_day_425"]), outcome),
        "surgery_date": date_array(np.maximum(surgery_day, 0), mask_null=surgery_day < 0),
        "med_index_image_id": take(image_ids, np.maximum(med_row, 0), mask_null=~has_med),
        "med_index_date": date_array(np.maximum(med_day, 0), mask_null=~has_med),
        "in_medication_cohort": pa.array(in_med),
        "p_med_none": pa.array(np.where(has_med, np.round(p_med[:, 0], 8), np.nan), mask=~has_med),
        "p_med_nsaid": pa.array(np.where(has_med, np.round(p_med[:, 1], 8), np.nan), mask=~has_med),
        "p_med_opioid": pa.array(np.where(has_med, np.round(p_med[:, 2], 8), np.nan), mask=~has_med),
        "med_class": take(
            strings(["none", "nsaid", "opioid"]), np.maximum(med_class, 0), mask_null=med_class < 0
        ),
        "smoking": take(strings(SMOKING), pop.smoking),
        "bmi": pa.array(pop.bmi),
        "insurance": take(strings(INSURANCE), pop.insurance),
        "marital_status": take(strings(MARITAL), pop.marital),
        "social_support": take(strings(SUPPORT), pop.support),
        "negative_psych_state": pa.array(pop.psych.astype(np.int8)),
        "pain_nrs_back": pa.array(pop.pain_back.astype(np.int8)),
        "pain_nrs_leg": pa.array(pop.pain_leg.astype(np.int8)),
    }
    cols.update({f"flag_{k}": pa.array(v) for k, v in flags.items()})
    return pa.table(cols)
