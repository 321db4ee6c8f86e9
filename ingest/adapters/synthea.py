"""Synthea CSV export -> raw contract.

Synthea's CSV layout changed across releases (SYSTEM in conditions/procedures from 3.3, procedures
dated by START/STOP instead of DATE from 3.0, FIPS and INCOME in patients, CATEGORY in observations).
Each file's header is checked against the columns lumbar needs; the variant found is reported in the
notes and a header that fits no release is a one-line error naming the columns found and expected.
The mapping itself is documented table by table in README.md (Loading Synthea and OMOP data).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb

from ingest.adapters import mappings as m
from ingest.adapters import units
from ingest.adapters.common import (
    REJECT,
    ROW,
    AdapterResult,
    Spec,
    absent_optional_note,
    check_columns,
    counts_by_group,
    find_tables,
    iso_date_sql,
    progress,
    read_as_text,
    read_header,
    split_mapped,
    sql_str,
    with_optional,
)
from ingest.errors import LumbarError
from ingest.fingerprint import sha256_of

SiteBy = Literal["state", "organization"]


SPECS: dict[str, Spec] = {
    "patients": Spec(
        ("Id", "BIRTHDATE", "DEATHDATE", "RACE", "ETHNICITY", "GENDER", "STATE"), optional=("FIPS", "INCOME")
    ),
    "encounters": Spec(("Id", "START", "PATIENT", "PROVIDER", "ENCOUNTERCLASS"), optional=("ORGANIZATION",)),
    "organizations": Spec(("Id", "NAME")),
    "providers": Spec(("Id", "GENDER", "SPECIALITY")),
    "conditions": Spec(("START", "PATIENT", "CODE"), optional=("SYSTEM",)),
    "procedures": Spec(
        ("PATIENT", "CODE"), one_of=(("DATE", "START"),), optional=("SYSTEM", "DATE", "START")
    ),
    "medications": Spec(("START", "PATIENT", "CODE", "DESCRIPTION")),
    "observations": Spec(
        ("DATE", "PATIENT", "CODE", "DESCRIPTION", "VALUE", "TYPE"), optional=("CATEGORY", "UNITS")
    ),
    "imaging_studies": Spec(
        (
            "Id",
            "DATE",
            "PATIENT",
            "BODYSITE_CODE",
            "BODYSITE_DESCRIPTION",
            "MODALITY_CODE",
            "MODALITY_DESCRIPTION",
        )
    ),
}
# Release-dependent columns the "Synthea variant" note already reports as present or absent.
VARIANT_COLUMNS = ("FIPS", "INCOME", "SYSTEM", "CATEGORY")
# Files mapped into a raw table (their rows are counted and each is loaded or rejected).
MAPPED = (
    "patients",
    "providers",
    "conditions",
    "procedures",
    "medications",
    "observations",
    "imaging_studies",
)
# Files only looked up (primary care provider; site with site_by="organization"); their rows do not
# become raw rows.
LOOKUPS = ("encounters", "organizations")
# Synthea files lumbar does not read: reported once in the notes, never as rejects.
OUT_OF_SCOPE = (
    "allergies",
    "careplans",
    "claims",
    "claims_transactions",
    "devices",
    "immunizations",
    "payer_transitions",
    "payers",
    "supplies",
)


def read_synthea(path: Path, *, site_by: SiteBy = "state") -> AdapterResult:
    """Map a Synthea CSV export folder into raw-contract tables, rejects and read counts.

    `site_by` picks what becomes patients.site: the patient's STATE (default: one export simulates one
    region, which is what lumbar means by a site) or "organization", the organisation where the patient
    had most encounters (clinic-level; on small exports nearly every patient gets a site of their own).
    """
    if site_by not in ("state", "organization"):
        raise LumbarError(f"site_by must be 'state' or 'organization', not {site_by!r}.")
    folder = Path(path)
    if not folder.is_dir():
        raise LumbarError(
            f"{folder}: not a folder; pass the folder holding Synthea's CSV files (patients.csv, ...)."
        )
    files = find_tables(folder, [*SPECS, *OUT_OF_SCOPE])
    if "patients" not in files:
        raise LumbarError(
            f"{folder}: no patients.csv; a Synthea CSV export always has one. Is this the export's csv folder?"
        )
    notes: list[str] = []
    # organizations.csv only matters for site_by="organization"; otherwise it is left unread
    wanted = [n for n in SPECS if n != "organizations" or site_by == "organization"]
    headers = {name: read_header(files[name]) for name in wanted if name in files}
    if "patient_id" in {c.strip().lower() for c in headers["patients"]}:
        # lumbar's own contract files (e.g. `lumbar generate` output) share the file name patients.*
        raise LumbarError(
            f"{folder}: holds no Synthea CSV export ({files['patients'].name} has lumbar's own patient_id "
            "column); load it without --format synthea"
        )
    for name, header in headers.items():
        spec = SPECS[name]
        check_columns(files[name], header, spec.required, spec.one_of)
    notes.append("Synthea variant: " + describe_variant(headers))
    for name, header in headers.items():
        note = absent_optional_note(str(files[name]), header, SPECS[name], skip=VARIANT_COLUMNS)
        if note is not None:
            notes.append(note)
    if {"DATE", "START"} <= {c.upper() for c in headers.get("procedures", [])}:
        raise LumbarError(
            f"{files['procedures']}: unknown variant of procedures; it has both DATE and START, "
            "expected one of them. Check the export."
        )

    lookups = LOOKUPS if site_by == "organization" else ("encounters",)
    missing = [name for name in (*MAPPED, *lookups) if name not in files]
    not_read = sorted(name for name in OUT_OF_SCOPE if name in files)
    if not_read:
        notes.append("not read (outside lumbar's raw contract): " + ", ".join(f"{n}.csv" for n in not_read))
    notes.extend(_missing_consequences(missing, site_by))

    con = duckdb.connect()
    hashes: dict[str, str] = {}
    read_counts: dict[str, int] = {}
    with progress() as bar:
        task = bar.add_task("reading Synthea export", total=len(headers))
        for name in headers:
            table = with_optional(read_as_text(files[name], notes), SPECS[name].optional)
            con.register(f"src_{name}", table)
            hashes[name] = sha256_of(files[name])
            if name in MAPPED:
                read_counts[str(files[name])] = table.num_rows
            bar.advance(task)

    sources, rejects = [], []
    builders = {
        "patients": ("patients", _patients_sql(set(headers), site_by)),
        "providers": ("providers", _providers_sql()),
        "conditions": ("diagnoses", _conditions_sql()),
        "procedures": ("procedures", _procedures_sql(headers.get("procedures", []))),
        "medications": ("prescriptions", _medications_sql()),
        "observations": ("observations", _observations_sql()),
        "imaging_studies": ("imaging", _imaging_sql()),
    }
    for name, (table, sql) in builders.items():
        if name not in headers:
            continue
        source, bad = split_mapped(con, sql, table, str(files[name]), hashes[name])
        sources.append(source)
        rejects.extend(bad)
    notes.extend(_unmapped_value_notes(con, set(headers)))
    if (
        "observations" in headers
        and (note := _missing_unit_note(con, str(files["observations"]))) is not None
    ):
        notes.append(note)
    con.close()
    return AdapterResult(sources, rejects, read_counts, missing, notes)


def describe_variant(headers: dict[str, list[str]]) -> str:
    """One line naming the release-dependent columns found, e.g. for the load report."""
    cols = {name: {c.upper() for c in header} for name, header in headers.items()}
    parts = []
    if "patients" in cols:
        extra = [c for c in ("FIPS", "INCOME") if c in cols["patients"]]
        parts.append("patients " + ("with " + "/".join(extra) if extra else "without FIPS/INCOME"))
    for name in ("conditions", "procedures"):
        if name in cols:
            parts.append(f"{name} {'with' if 'SYSTEM' in cols[name] else 'without'} SYSTEM")
    if "procedures" in cols:
        parts.append("procedures dated by " + ("DATE" if "DATE" in cols["procedures"] else "START/STOP"))
    if "observations" in cols:
        parts.append(f"observations {'with' if 'CATEGORY' in cols['observations'] else 'without'} CATEGORY")
    return "; ".join(parts)


def _missing_consequences(missing: list[str], site_by: SiteBy) -> list[str]:
    # the loader lists missing tables itself; these notes say what their absence costs
    notes = []
    if site_by == "organization" and ("encounters" in missing or "organizations" in missing):
        notes.append("patients.site is the patient's STATE (organisation of their encounters unavailable)")
    if "encounters" in missing:
        notes.append("patients.pcp_provider_id is empty (it comes from encounters.csv)")
    if "observations" in missing:
        notes.append("no observations: pain scores, smoking, BMI and patients.language are unavailable")
    return notes


def _patients_sql(present: set[str], site_by: SiteBy) -> str:
    """Site = STATE, or with site_by="organization" the name of the organisation where the patient had
    most encounters (ties: earliest first visit, then id), falling back to STATE. PCP = provider of most wellness visits, else of most ambulatory
    or outpatient visits. Language = latest answer to LOINC 54899-0."""
    has_enc = "encounters" in present
    has_org = site_by == "organization" and has_enc and "organizations" in present
    home_org = (
        f"""home_org as (
            select e.PATIENT as pid, o.NAME as org_name,
                   row_number() over (partition by e.PATIENT
                                      order by count(*) desc, min({iso_date_sql("e.START")}), e.ORGANIZATION) as k
            from src_encounters e join src_organizations o on o.Id = e.ORGANIZATION
            group by e.PATIENT, e.ORGANIZATION, o.NAME)"""
        if has_org
        else "home_org as (select null::varchar as pid, null::varchar as org_name, 1 as k where false)"
    )
    pcp = (
        f"""pcp as (
            select PATIENT as pid, PROVIDER as provider_id,
                   row_number() over (partition by PATIENT
                                      order by count(*) filter (where lower(ENCOUNTERCLASS) = 'wellness') desc,
                                               count(*) desc, min({iso_date_sql("START")}), PROVIDER) as k
            from src_encounters
            where PROVIDER is not null and lower(ENCOUNTERCLASS) in ('wellness', 'ambulatory', 'outpatient')
            group by PATIENT, PROVIDER)"""
        if has_enc
        else "pcp as (select null::varchar as pid, null::varchar as provider_id, 1 as k where false)"
    )
    language = (
        f"""lang as (
            select PATIENT as pid, VALUE as language,
                   row_number() over (partition by PATIENT order by {iso_date_sql("DATE")} desc, {ROW} desc) as k
            from src_observations where trim(CODE) = {sql_str(m.LANGUAGE_LOINC)} and VALUE is not null)"""
        if "observations" in present
        else "lang as (select null::varchar as pid, null::varchar as language, 1 as k where false)"
    )
    return f"""
        with {home_org}, {pcp}, {language}
        select p.{ROW}, p.Id as patient_id, {iso_date_sql("p.BIRTHDATE")} as birth_date,
               case upper(trim(p.GENDER)) when 'M' then 'M' when 'F' then 'F' else 'U' end as sex,
               p.RACE as race, p.ETHNICITY as ethnicity,
               coalesce(h.org_name, p.STATE, 'synthea') as site,
               {iso_date_sql("p.DEATHDATE")} as death_date,
               c.provider_id as pcp_provider_id, l.language as language,
               null::varchar as {REJECT}
        from src_patients p
        left join home_org h on h.pid = p.Id and h.k = 1
        left join pcp c on c.pid = p.Id and c.k = 1
        left join lang l on l.pid = p.Id and l.k = 1
        order by p.{ROW}"""


def _providers_sql() -> str:
    return f"""
        select {ROW}, Id as provider_id, GENDER as gender,
               {m.case_patterns("SPECIALITY", m.CLINICIAN_TYPE_PATTERNS)} as clinician_type,
               SPECIALITY as specialty, null::varchar as {REJECT}
        from src_providers order by {ROW}"""


def _coded_sql(
    source: str, date_col: str, systems: dict[str, str], date_name: str, kind: str, allowed: str
) -> str:
    """Conditions and procedures share one shape: code + optional SYSTEM (absent or empty = SNOMED CT)."""
    system = "nullif(upper(trim(SYSTEM)), '')"
    return f"""
        select {ROW}, PATIENT as patient_id, {iso_date_sql(date_col)} as {date_name}, trim(CODE) as code,
               coalesce({m.case_map(system, systems)}, case when {system} is null then 'SNOMED' end) as code_system,
               case when {system} is not null and {m.case_map(system, systems)} is null
                    then 'SYSTEM: code system not supported for {kind} ({allowed})' end as {REJECT}
        from {source} order by {ROW}"""


def _conditions_sql() -> str:
    return _coded_sql(
        "src_conditions",
        "START",
        dict(m.SYNTHEA_DX_SYSTEMS),
        "dx_date",
        "diagnoses",
        "ICD-9-CM, ICD-10-CM, SNOMED CT",
    )


def _procedures_sql(header: list[str]) -> str:
    date_col = "DATE" if "DATE" in {c.upper() for c in header} else "START"
    return _coded_sql(
        "src_procedures",
        date_col,
        dict(m.SYNTHEA_PX_SYSTEMS),
        "px_date",
        "procedures",
        "CPT, HCPCS, ICD-9/ICD-10 procedure codes, SNOMED CT",
    )


def _medications_sql() -> str:
    return f"""
        select {ROW}, PATIENT as patient_id, {iso_date_sql("START")} as rx_date,
               DESCRIPTION as drug_name, trim(CODE) as rxnorm_code, null::varchar as {REJECT}
        from src_medications order by {ROW}"""


def _observations_cte() -> str:
    """Known LOINC codes get lumbar names; the rest keep Synthea's description as their name. A named
    observation with a unit (ingest/adapters/units.py) has its number converted from UNITS."""
    number = "case when lower(TYPE) = 'numeric' then try_cast(trim(VALUE) as double) end"
    return f"""
        with o as (
            select {ROW}, PATIENT as patient_id, {iso_date_sql("DATE")} as obs_date,
                   coalesce({m.case_map("trim(CODE)", m.LOINC_NAMES)}, nullif(trim(DESCRIPTION), ''),
                            'LOINC ' || trim(CODE)) as name,
                   {number} as number, VALUE as value, UNITS as unit
            from src_observations),
        u as (
            select *, {units.has_unit_sql("name")} and number is not null as unit_checked,
                   {units.unit_text_sql("unit")} is null as unit_missing, {units.factor_sql("name", "unit")} as factor
            from o)"""


def _observations_sql() -> str:
    return f"""{_observations_cte()}
        select {ROW}, patient_id, obs_date, name,
               case when unit_checked then number * coalesce(factor, 1) else number end as value_num,
               {m.answer_sql("name", "case when number is null then value end")} as value_text,
               case when unit_checked and not unit_missing and factor is null
                    then {units.unknown_unit_reason_sql("name", "unit", "UNITS")} end as {REJECT}
        from u order by {ROW}"""


def _missing_unit_note(con: duckdb.DuckDBPyConnection, label: str) -> str | None:
    """Values of named observations with an empty UNITS are read in lumbar's unit, and counted here."""
    counts = counts_by_group(
        con,
        f"{_observations_cte()} select name, count(*) from u where unit_checked and unit_missing "
        "group by name order by name",
    )
    if counts is None:
        return None
    return f"{label}: {counts} have no UNITS; read as lumbar's unit (kg, cm, kg/m2, score)"


def _imaging_sql() -> str:
    """One imaging row per study Id (Synthea writes one row per series instance); the study's first
    row gives its modality and body site. Synthea has no report text."""
    modality = (
        f"coalesce({m.case_map('upper(trim(MODALITY_CODE))', m.DICOM_MODALITIES)}, "
        f"{m.case_patterns('MODALITY_DESCRIPTION', m.MODALITY_PATTERNS)})"
    )
    region = (
        f"coalesce({m.case_map('trim(BODYSITE_CODE)', m.BODY_SITE_CODES)}, "
        f"{m.case_patterns('BODYSITE_DESCRIPTION', m.BODY_REGION_PATTERNS)}, 'other')"
    )
    return f"""
        with s as (select *, row_number() over (partition by Id order by {ROW}) as k from src_imaging_studies)
        select {ROW}, Id as image_id, PATIENT as patient_id, {iso_date_sql("DATE")} as image_date,
               {modality} as modality, {region} as body_region, null::varchar as report_text,
               case when k > 1 and Id is not null
                    then 'Id: further series or instance of a study loaded from its first row (one row per study)'
                    when {modality} is null then 'MODALITY_CODE: not an X-ray, MRI or CT modality' end as {REJECT}
        from s order by {ROW}"""


def _unmapped_value_notes(con: duckdb.DuckDBPyConnection, present: set[str]) -> list[str]:
    """Name the code systems and modalities that were rejected (codes, never patient values)."""
    notes = []
    for name, systems in (("conditions", m.SYNTHEA_DX_SYSTEMS), ("procedures", m.SYNTHEA_PX_SYSTEMS)):
        if name not in present:
            continue
        rows = con.sql(
            f"select distinct upper(trim(SYSTEM)) from src_{name} "
            f"where nullif(trim(SYSTEM), '') is not null and {m.case_map('upper(trim(SYSTEM))', systems)} is null "
            "order by 1 limit 20"
        ).fetchall()
        if rows:
            notes.append(f"{name}.csv: unsupported SYSTEM values rejected: " + ", ".join(r[0] for r in rows))
    if "imaging_studies" in present:
        rows = con.sql(
            "select distinct upper(trim(MODALITY_CODE)) from src_imaging_studies "
            f"where {m.case_map('upper(trim(MODALITY_CODE))', m.DICOM_MODALITIES)} is null "
            f"and {m.case_patterns('MODALITY_DESCRIPTION', m.MODALITY_PATTERNS)} is null order by 1 limit 20"
        ).fetchall()
        if rows:
            notes.append(
                "imaging_studies.csv: modalities rejected (not XR/MRI/CT): "
                + ", ".join(str(r[0]) for r in rows)
            )
    return notes
