"""The raw EHR table contract: the one definition of what `raw.*` holds.

Every other part of lumbar reads this module instead of restating it: the
loaders validate against it, the generator writes it, the README table and the
dbt source YAML are checked against it in tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

CODE_SYSTEMS_DX = ("ICD9CM", "ICD10CM", "SNOMED")
CODE_SYSTEMS_PX = ("CPT", "HCPCS", "ICD9PCS", "ICD10PCS", "SNOMED")
MODALITIES = ("XR", "MRI", "CT")
BODY_REGIONS = ("lumbar", "thoracic", "other")
SEXES = ("F", "M", "U")
SPINE_LEVELS = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")
IMAGE_FORMATS = ("DICOM", "NIFTI", "PNG")


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    required: bool
    doc: str
    allowed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    # columns that identify a row; duplicates on these are rejected at load
    key: tuple[str, ...] = ()
    # table whose patient_id this one must reference (orphans are rejected)
    patient_scoped: bool = True
    # image_id must name an imaging study (loaded now or earlier); orphans are rejected
    image_scoped: bool = False

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=not c.required) for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def _c(name, type_, required, doc, allowed=None) -> Column:
    return Column(name, type_, required, doc, allowed)


S, D, F = pa.string(), pa.date32(), pa.float64()
_TYPE_NAMES = {S: "string", D: "date", F: "double"}

TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "patients",
            "One row per patient.",
            (
                _c("patient_id", S, True, "Stable patient identifier, unique."),
                _c("birth_date", D, True, "Date of birth."),
                _c("sex", S, True, "Administrative sex: F, M or U.", SEXES),
                _c("race", S, False, "Race as recorded (free text; null = unknown)."),
                _c("ethnicity", S, False, "Ethnicity as recorded (free text; null = unknown)."),
                _c("site", S, True, "Health system or site the patient's data come from."),
                _c("death_date", D, False, "Date of death, null when alive or unknown."),
                _c("pcp_provider_id", S, False, "Primary care provider (providers.provider_id)."),
                _c("language", S, False, "Preferred language."),
            ),
            key=("patient_id",),
            patient_scoped=False,
        ),
        Table(
            "providers",
            "One row per provider.",
            (
                _c("provider_id", S, True, "Provider identifier, unique."),
                _c("gender", S, False, "Provider gender."),
                _c("clinician_type", S, False, "MD, DO, NP, PA, ..."),
                _c("specialty", S, False, "Provider specialty."),
            ),
            key=("provider_id",),
            patient_scoped=False,
        ),
        Table(
            "imaging",
            "One row per imaging study, with the radiologist's report.",
            (
                _c("image_id", S, True, "Imaging study identifier, unique."),
                _c("patient_id", S, True, "patients.patient_id"),
                _c("image_date", D, True, "Date of the study."),
                _c("modality", S, True, "XR, MRI or CT.", MODALITIES),
                _c("body_region", S, True, "lumbar, thoracic or other.", BODY_REGIONS),
                _c("report_text", S, False, "Report text as the radiologist wrote it."),
            ),
            key=("image_id",),
        ),
        Table(
            "diagnoses",
            "One row per diagnosis code on a date.",
            (
                _c("patient_id", S, True, "patients.patient_id"),
                _c("dx_date", D, True, "Date the diagnosis was recorded."),
                _c("code", S, True, "Code as it comes from the source (dots, case vary)."),
                _c("code_system", S, True, "ICD9CM, ICD10CM or SNOMED.", CODE_SYSTEMS_DX),
            ),
        ),
        Table(
            "procedures",
            "One row per procedure code on a date.",
            (
                _c("patient_id", S, True, "patients.patient_id"),
                _c("px_date", D, True, "Date of the procedure."),
                _c("code", S, True, "Code as it comes from the source."),
                _c("code_system", S, True, "CPT, HCPCS, ICD9PCS, ICD10PCS or SNOMED.", CODE_SYSTEMS_PX),
            ),
        ),
        Table(
            "prescriptions",
            "One row per prescription order.",
            (
                _c("patient_id", S, True, "patients.patient_id"),
                _c("rx_date", D, True, "Order date."),
                _c("drug_name", S, True, "Free-text drug name as in the order system."),
                _c("rxnorm_code", S, False, "RxNorm code when the source has one."),
            ),
        ),
        Table(
            "observations",
            "Patient-reported outcomes and social history: pain scores, smoking, insurance, BMI, questionnaires.",
            (
                _c("patient_id", S, True, "patients.patient_id"),
                _c("obs_date", D, True, "Date observed."),
                _c("name", S, True, "Observation name (e.g. pain_nrs_back, smoking, bmi, insurance)."),
                _c("value_num", F, False, "Numeric value."),
                _c("value_text", S, False, "Text value."),
            ),
        ),
        Table(
            "imaging_measurements",
            "Measurements derived from an imaging study (e.g. by a deep-learning reader), one per level and measure.",
            (
                _c("image_id", S, True, "imaging.image_id"),
                _c("level", S, True, "Lumbar disc level: L1-L2, L2-L3, L3-L4, L4-L5 or L5-S1.", SPINE_LEVELS),
                _c("measure", S, True, "What was measured (e.g. pfirrmann_grade 1-5, facet_tropism_deg)."),
                _c("value", F, True, "The measured value, in the unit the measure name states."),
            ),
            key=("image_id", "level", "measure"),
            patient_scoped=False,
            image_scoped=True,
        ),
        Table(
            "image_files",
            "Pixel-data files of an imaging study, one row per file (e.g. one DICOM file per slice).",
            (
                _c("image_id", S, True, "imaging.image_id"),
                _c(
                    "path",
                    S,
                    True,
                    "File path; relative paths are relative to the folder the tables came from.",
                ),
                _c("format", S, True, "DICOM, NIFTI or PNG.", IMAGE_FORMATS),
            ),
            key=("image_id", "path"),
            patient_scoped=False,
            image_scoped=True,
        ),
    ]
}

# Tables a load must contain; the others may be absent from an export.
REQUIRED_TABLES = ("patients",)


def markdown() -> str:
    """The contract as Markdown tables; the README embeds this text and a test keeps them equal."""
    lines: list[str] = []
    for t in TABLES.values():
        key = f" Key: `{', '.join(t.key)}`." if t.key else ""
        lines += [f"#### `raw.{t.name}`", "", f"{t.doc}{key}", ""]
        lines += ["| column | type | required | meaning |", "|---|---|---|---|"]
        for c in t.columns:
            allowed = f" One of: {', '.join(c.allowed)}." if c.allowed and c.allowed[0] not in c.doc else ""
            lines.append(
                f"| `{c.name}` | {_TYPE_NAMES.get(c.type, str(c.type))} | {'yes' if c.required else 'no'} | {c.doc}{allowed} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
