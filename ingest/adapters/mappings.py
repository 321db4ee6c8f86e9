"""The clinical and format decisions the adapters make, kept as data so they can be read and changed
in one place. README.md (Loading Synthea and OMOP data) explains each choice.

Everything here is turned into SQL `case` expressions by the helpers at the bottom; the regular
expressions use RE2 syntax (DuckDB's engine) and are matched against lower-cased text.
"""

from __future__ import annotations

from collections.abc import Mapping

# --- observations -----------------------------------------------------------------------------------
# LOINC codes lumbar gives a short, study-facing name. Every other observation keeps its LOINC
# description (Synthea) or concept name (OMOP) as its name, so nothing is dropped and dbt can pick
# more later. 72514-3 is a general 0-10 pain score, not a back-specific one, so it is `pain_nrs`,
# not `pain_nrs_back`: studies wanting back pain must not mistake a sore-throat score for it.
LOINC_NAMES: Mapping[str, str] = {
    "72514-3": "pain_nrs",  # Pain severity - 0-10 verbal numeric rating [Score] - Reported
    "72166-2": "smoking",  # Tobacco smoking status (text answer, e.g. 'Never smoker')
    "39156-5": "bmi",  # Body mass index (BMI) [Ratio]
    "29463-7": "weight_kg",  # Body weight
    "8302-2": "height_cm",  # Body height
    "76437-3": "insurance",  # Primary insurance (PRAPARE: 'What is your main insurance?')
    "54899-0": "language",  # Preferred language (PRAPARE)
    "55758-7": "phq2",  # PHQ-2 total score
    "44261-6": "phq9",  # PHQ-9 total score
    "70274-6": "gad7",  # GAD-7 total score
}
# Answers to the two observations lumbar's studies use as categories are put into the generator's
# categories (ingest/generate/population.py); an answer that fits none is kept as written.
ANSWER_PATTERNS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "smoking": (
        ("never", r"\bnever\b"),
        ("former", r"former|\bex-?smoker"),
        ("current", r"every day|some day|current|heavy|light|\bsmoker\b|\bsmokes\b"),
    ),
    "insurance": (
        ("medicare", r"medicare"),
        ("medicaid", r"medicaid|\bchip\b"),
        ("commercial", r"private|commercial|employer"),
        ("self-pay", r"\bnone\b|uninsured|no insurance|self.?pay"),
    ),
}
# The observation whose latest answer fills patients.language.
LANGUAGE_LOINC = "54899-0"

# --- code systems -----------------------------------------------------------------------------------
# Synthea's SYSTEM column (3.3+) as written, upper-cased, to the contract's code systems. Releases
# without the column emit SNOMED CT only, and an empty SYSTEM is read the same way.
SYNTHEA_DX_SYSTEMS: Mapping[str, str] = {
    "SNOMED-CT": "SNOMED",
    "SNOMED": "SNOMED",
    "SNOMEDCT": "SNOMED",
    "SCT": "SNOMED",
    "HTTP://SNOMED.INFO/SCT": "SNOMED",
    "ICD-10-CM": "ICD10CM",
    "ICD10CM": "ICD10CM",
    "ICD10": "ICD10CM",
    "HTTP://HL7.ORG/FHIR/SID/ICD-10-CM": "ICD10CM",
    "ICD-9-CM": "ICD9CM",
    "ICD9CM": "ICD9CM",
    "ICD9": "ICD9CM",
    "HTTP://HL7.ORG/FHIR/SID/ICD-9-CM": "ICD9CM",
}
SYNTHEA_PX_SYSTEMS: Mapping[str, str] = {
    "SNOMED-CT": "SNOMED",
    "SNOMED": "SNOMED",
    "SNOMEDCT": "SNOMED",
    "SCT": "SNOMED",
    "HTTP://SNOMED.INFO/SCT": "SNOMED",
    "CPT": "CPT",
    "CPT4": "CPT",
    "CPT-4": "CPT",
    "HTTP://WWW.AMA-ASSN.ORG/GO/CPT": "CPT",
    "HCPCS": "HCPCS",
    "ICD-10-PCS": "ICD10PCS",
    "ICD10PCS": "ICD10PCS",
    "HTTP://WWW.CMS.GOV/MEDICARE/CODING/ICD10": "ICD10PCS",
    "ICD-9-PCS": "ICD9PCS",
    "ICD9PCS": "ICD9PCS",
}
# OMOP vocabulary_id to the contract's code systems.
OMOP_DX_VOCABS: Mapping[str, str] = {"ICD9CM": "ICD9CM", "ICD10CM": "ICD10CM", "SNOMED": "SNOMED"}
OMOP_PX_VOCABS: Mapping[str, str] = {
    "CPT4": "CPT",
    "HCPCS": "HCPCS",
    "ICD9Proc": "ICD9PCS",
    "ICD10PCS": "ICD10PCS",
    "SNOMED": "SNOMED",
}
# ICD-10-CM replaced ICD-9-CM in US claims on this date; it settles codes that fit both patterns.
ICD10_START = "2015-10-01"

# --- imaging ----------------------------------------------------------------------------------------
# DICOM modality codes (Synthea imaging_studies.MODALITY_CODE) to the contract's modalities.
DICOM_MODALITIES: Mapping[str, str] = {
    "DX": "XR",
    "CR": "XR",
    "RG": "XR",
    "XR": "XR",
    "MR": "MRI",
    "CT": "CT",
}
# SNOMED body structures (Synthea imaging_studies.BODYSITE_CODE) to body regions. Note that
# 51185008 'Thoracic structure' is the chest, not the thoracic spine: it is 'other'.
BODY_SITE_CODES: Mapping[str, str] = {
    "122496007": "lumbar",  # Lumbar spine structure
    "304045001": "lumbar",  # Lumbosacral spine structure
    "122495006": "thoracic",  # Thoracic spine structure
    "51185008": "other",  # Thoracic structure (chest)
}
# Free-text rules, tried in order (first match wins), for titles, descriptions and report headings.
MODALITY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("MRI", r"\bmri\b|\bmr\b|magnetic resonance"),
    ("CT", r"\bct\b|\bcat scan\b|computed tomograph"),
    ("XR", r"x-?ray|\bxr\b|radiograph|\bdx\b|\bcr\b|plain film"),
)
# Imaging a report may name that the contract cannot hold; such notes are rejected, not guessed.
OTHER_MODALITY_PATTERN = r"ultrasound|sonogra|\bus\b|\bpet\b|nuclear|scintigra|fluoro|mammogra|\bdexa\b"
BODY_REGION_PATTERNS: tuple[tuple[str, str], ...] = (
    ("lumbar", r"lumbar|lumbo|l-spine|\bl ?spine\b|\bls spine\b|\bl[1-5]\b"),
    ("thoracic", r"thoracic spine|thoracic vertebra|t-spine|\bt ?spine\b|\bt[0-9]{1,2}-t[0-9]{1,2}\b"),
)
# A note counts as a radiology report when its title, source value or class/type concept says so
# (or names a modality); anything else in NOTE is rejected as not a radiology report.
RADIOLOGY_NOTE_PATTERN = r"radiolog|imaging|radiograph|x-?ray|\bmri\b|\bct\b|\bxr\b|\bmr\b"
# How much of the report text to search for the exam line when the title names no modality.
REPORT_HEAD_CHARS = 300

# --- providers --------------------------------------------------------------------------------------
# Clinician type from the specialty text; MD and DO cannot be told apart in either format, so other
# specialties leave clinician_type null rather than guess.
CLINICIAN_TYPE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("NP", r"nurse practitioner"),
    ("PA", r"physician assistant"),
)

# --- OMOP concepts ----------------------------------------------------------------------------------
OMOP_GENDER = {"8507": "M", "8532": "F"}


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def case_map(expr: str, mapping: Mapping[str, str], default: str = "null") -> str:
    """SQL `case` that looks `expr` up in a Python mapping."""
    whens = " ".join(f"when {_quote(k)} then {_quote(v)}" for k, v in mapping.items())
    return f"(case {expr} {whens} else {default} end)"


def case_patterns(expr: str, patterns: tuple[tuple[str, str], ...], default: str = "null") -> str:
    """SQL `case` returning the label of the first pattern that `lower(expr)` matches."""
    whens = " ".join(
        f"when regexp_matches(lower({expr}), {_quote(pattern)}) then {_quote(label)}"
        for label, pattern in patterns
    )
    return f"(case {whens} else {default} end)"


def answer_sql(name: str, text: str) -> str:
    """SQL putting smoking and insurance answers into lumbar's categories (others unchanged)."""
    whens = " ".join(
        f"when {name} = {_quote(obs)} then coalesce({case_patterns(text, patterns)}, {text})"
        for obs, patterns in ANSWER_PATTERNS.items()
    )
    return f"(case {whens} else {text} end)"


def dx_system_from_value_sql(code: str, date: str) -> str:
    """SQL guessing a diagnosis code's system from its shape (used when no concept resolves it).

    SNOMED ids are 6-18 digits with no leading zero; ICD-9-CM is 3 digits, V+2 or E+3 with an
    optional decimal part; ICD-10-CM is a letter, a digit and a digit or letter, then up to 4 more.
    V and E codes can fit both ICD patterns; the event date decides (before ICD10_START: ICD-9-CM).
    """
    c = f"upper(trim({code}))"
    is9 = f"regexp_full_match({c}, '([0-9]{{3}}|V[0-9]{{2}}|E[0-9]{{3}})(\\.?[0-9]{{1,2}})?')"
    is10 = f"regexp_full_match({c}, '[A-TV-Z][0-9][0-9A-Z](\\.?[0-9A-Z]{{1,4}})?')"
    snomed = f"regexp_full_match({c}, '[1-9][0-9]{{5,17}}')"
    return (
        f"(case when {snomed} then 'SNOMED' "
        f"when {is9} and {is10} then (case when {date} < '{ICD10_START}' then 'ICD9CM' else 'ICD10CM' end) "
        f"when {is9} then 'ICD9CM' when {is10} then 'ICD10CM' else null end)"
    )


def px_system_from_value_sql(code: str) -> str:
    """SQL guessing a procedure code's system from its shape.

    CPT: 4 digits then a digit, F, T or U; HCPCS level II: a letter A-V and 4 digits; ICD-9 procedure:
    2 digits, optional dot, 1-2 digits; ICD-10-PCS: 7 characters from its alphabet (no I or O), not a
    SNOMED id; SNOMED: 6-18 digits, no leading zero.
    """
    c = f"upper(trim({code}))"
    return (
        f"(case when regexp_full_match({c}, '[0-9]{{4}}[0-9FTU]') then 'CPT' "
        f"when regexp_full_match({c}, '[A-V][0-9]{{4}}') then 'HCPCS' "
        f"when regexp_full_match({c}, '[0-9]{{2}}\\.?[0-9]{{1,2}}') then 'ICD9PCS' "
        f"when regexp_full_match({c}, '[1-9][0-9]{{5,17}}') then 'SNOMED' "
        f"when regexp_full_match({c}, '[0-9A-HJ-NP-Z]{{7}}') then 'ICD10PCS' else null end)"
    )
