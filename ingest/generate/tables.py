"""Turn generator arrays into contract tables and write them as deterministic Parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.contract import TABLES

from . import config as C
from .arrays import date_array, day, stream, strings, take
from .events import ICD10_DAY, DxRows
from .imaging import Images
from .population import CLINICIAN_TYPES, OTHER_SPECIALTIES, PCP_SPECIALTIES, Population, Providers
from .vocab_dx import N_STYLES, dx_vocab
from .vocab_px import SYSTEMS as PX_SYSTEMS
from .vocab_px import px_vocab
from .vocab_rx import rx_vocab

DX_SYSTEMS = ("ICD9CM", "ICD10CM", "SNOMED")


def ids(prefix: str, n: int, width: int) -> pa.Array:
    return strings(np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)))


def patients_table(pop: Population, patient_ids: pa.Array, provider_ids: pa.Array) -> pa.Table:
    races = strings([r or "" for r in C.RACES])
    langs = strings([x or "" for x in C.LANGUAGES])
    return pa.table(
        {
            "patient_id": patient_ids,
            "birth_date": date_array(pop.birth_day),
            "sex": take(strings(C.SEXES), pop.sex),
            "race": take(
                races,
                pop.race,
                mask_null=np.array([C.RACES[i] is None for i in range(len(C.RACES))])[pop.race],
            ),
            "ethnicity": take(
                strings(C.ETHNICITIES), np.maximum(pop.ethnicity, 0), mask_null=pop.ethnicity < 0
            ),
            "site": take(strings(C.SITES), pop.site),
            "death_date": date_array(np.maximum(pop.death_day, 0), mask_null=pop.death_day < 0),
            "pcp_provider_id": take(provider_ids, np.maximum(pop.pcp, 0), mask_null=pop.pcp < 0),
            "language": take(
                langs, pop.language, mask_null=np.array([x is None for x in C.LANGUAGES])[pop.language]
            ),
        }
    )


def providers_table(prov: Providers, provider_ids: pa.Array) -> pa.Table:
    return pa.table(
        {
            "provider_id": provider_ids,
            "gender": take(strings(["F", "M"]), prov.gender),
            "clinician_type": take(strings(CLINICIAN_TYPES), prov.clinician_type),
            "specialty": take(strings(PCP_SPECIALTIES + OTHER_SPECIALTIES), prov.specialty),
        }
    )


def imaging_table(images: Images, image_ids: pa.Array, patient_ids: pa.Array, text: pa.Array) -> pa.Table:
    return pa.table(
        {
            "image_id": image_ids,
            "patient_id": patient_ids.take(pa.array(images.patient)),
            "image_date": date_array(images.day),
            "modality": take(strings(["XR", "MRI", "CT"]), images.modality),
            "body_region": take(strings(["lumbar", "thoracic", "other"]), images.region),
            "report_text": text,
        }
    )


def diagnoses_table(pop: Population, dx: DxRows, patient_ids: pa.Array, seed: int) -> pa.Table:
    """Code strings depend on the date (ICD-9 before 2015-10-01) and on the site's habits."""
    rng = stream(seed, "dx-format")
    v = dx_vocab()
    site = pop.site[dx.patient]
    style_p = np.array([C.SITE_PROFILES[s].dx_style for s in C.SITES])
    style = (rng.random(len(site))[:, None] > np.cumsum(style_p, axis=1)[site]).sum(axis=1)
    style = np.minimum(style, N_STYLES - 1)
    variant = np.where(dx.day < ICD10_DAY, 0, np.where(dx.day < day(C.ICD10_FY2017), 1, 2))
    snomed_p = np.array([C.SITE_PROFILES[s].snomed_lbp for s in C.SITES])[site]
    snomed = v.has_snomed()[dx.concept] & (rng.random(len(site)) < snomed_p)
    variant = np.where(snomed, 3, variant)
    system = np.where(snomed, 2, np.where(variant == 0, 0, 1))
    return pa.table(
        {
            "patient_id": patient_ids.take(pa.array(dx.patient)),
            "dx_date": date_array(dx.day),
            "code": v.formatted.take(pa.array(v.code_index(variant, style, dx.concept))),
            "code_system": take(strings(DX_SYSTEMS), system),
        }
    )


def procedures_table(pop: Population, px, patient_ids: pa.Array) -> pa.Table:
    p, d, code = px
    v = px_vocab()
    undotted = np.isin(pop.site[p], (1,))  # hs2 strips dots from ICD-9 procedure codes too
    return pa.table(
        {
            "patient_id": patient_ids.take(pa.array(p)),
            "px_date": date_array(d),
            "code": v.formatted.take(pa.array(code + undotted * v.n)),
            "code_system": take(strings(PX_SYSTEMS), v.system[code]),
        }
    )


def prescriptions_table(pop: Population, rx, patient_ids: pa.Array, seed: int) -> pa.Table:
    p, d, drug = rx
    rng = stream(seed, "rx-format")
    v = rx_vocab()
    style_p = np.array([C.SITE_PROFILES[s].rx_style for s in C.SITES])
    site = pop.site[p]
    style = np.minimum((rng.random(len(p))[:, None] > np.cumsum(style_p, axis=1)[site]).sum(axis=1), 2)
    name = v.name_index(rng, drug, style)
    return pa.table(
        {
            "patient_id": patient_ids.take(pa.array(p)),
            "rx_date": date_array(d),
            "drug_name": v.names.take(pa.array(name)),
            # no site in this synthetic world exports RxNorm codes; the column stays null
            "rxnorm_code": pa.nulls(len(p), pa.string()),
        }
    )


def write(table: pa.Table, path: Path, schema: pa.Schema | None = None) -> None:
    """Deterministic Parquet: fixed row order from the caller, no timestamps, fixed writer settings."""
    if schema is not None:
        table = table.select(schema.names).cast(schema)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=1 << 20, write_statistics=True)
    tmp.replace(path)


def write_contract(name: str, table: pa.Table, out: Path) -> int:
    write(table, out / f"{name}.parquet", TABLES[name].schema)
    return table.num_rows
