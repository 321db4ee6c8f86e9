"""Every number the generator uses, in one place, so the card can quote them.

Demographic and site targets come from the surgery paper's Table 1
(/work/shared/seeds/000_*.txt); the medication mix from the medication study (004).
"""

from __future__ import annotations

from dataclasses import dataclass

GENERATOR_VERSION = "1.0"

# LIRE enrolment: first spine image between these dates, one year of history, two of follow-up
INDEX_START = "2013-10-01"
INDEX_END = "2016-09-30"
HISTORY_DAYS = 365
FOLLOWUP_DAYS = 730
ICD10_START = "2015-10-01"  # ICD-10-CM / ICD-10-PCS from this date on
ICD10_FY2017 = "2016-10-01"  # M48.06 split into M48.061 / M48.062
CPT_2017 = "2017-01-01"  # 62311 -> 62323, 97001 -> 97161..97163

# cohort windows (days relative to index; day 0 is the index date)
LOOKBACK = (-365, -1)  # LDH/LSS codes counted here, >= 2 on distinct dates
FEATURE_WINDOW = (-90, -1)  # where the planted code/drug/procedure signal lives
EARLY_WINDOW = (1, 60)
LATE_WINDOW = (61, 425)
MED_WINDOW = (0, 365)  # most potent class prescribed in [med index, med index + 365]
MED_MINIMUM_AGE = 18  # completed years at the med index (dbt var medication_minimum_age)

SITES = ("hs1", "hs2", "hs3", "hs4")
SITE_MIX = (0.843, 0.078, 0.058, 0.021)

SEXES = ("F", "M", "U")
SEX_MIX = (0.560, 0.4395, 0.0005)
AGE_MEAN, AGE_SD, AGE_MIN, AGE_MAX = 57.3, 15.0, 18.0, 95.0

# race as recorded; None = unknown (paper: White 63.4, Black 11.8, Unknown 11.8, Asian 11.1, ...)
RACES = ("White", "Black", None, "Asian", "Pacific Islander", "Other", "Multiracial")
RACE_MIX = (0.634, 0.118, 0.118, 0.111, 0.006, 0.003, 0.002)
ETHNICITIES = ("Hispanic", "Not Hispanic")
LANGUAGES = ("English", "Spanish", "Chinese", "Vietnamese", "Tagalog", "Russian", "Other", None)
LANGUAGE_MIX = (0.885, 0.06, 0.018, 0.008, 0.007, 0.005, 0.007, 0.01)


@dataclass(frozen=True)
class Site:
    """How one health system differs. Mirrors one of the paper's systems by size."""

    mirrors: str
    mri_share: float  # of index images
    ct_share: float
    thoracic_share: float  # of index images outside the LDH/LSS group
    ethnicity_recorded: float  # share of patients with ethnicity recorded
    dx_style: tuple[float, float, float, float]  # dotted upper, undotted upper, dotted lower, undotted lower
    rx_style: tuple[
        float, float, float
    ]  # "IBUPROFEN 800 MG TAB", "Ibuprofen 800 MG Oral Tablet", "motrin 800"
    snomed_lbp: float  # share of low-back-pain diagnoses recorded as SNOMED problem-list codes
    pcs_with_surgery: float  # share of surgeries that also carry an ICD procedure code
    no_header: float  # share of reports written without section headers
    header_style: tuple[float, float, float, float]  # weights of the four header families (reports.py)
    surgery_shift: float  # log-odds added to early and late surgery (practice style)
    opioid_shift: float  # log-odds added to opioid prescribing


SITE_PROFILES = {
    "hs1": Site(
        "Kaiser Permanente NC",
        0.700,
        0.006,
        0.08,
        0.25,
        (0.9, 0.05, 0.05, 0.0),
        (0.75, 0.15, 0.10),
        0.02,
        0.3,
        0.04,
        (0.7, 0.2, 0.05, 0.05),
        0.0,
        0.0,
    ),
    "hs2": Site(
        "Henry Ford",
        0.620,
        0.010,
        0.07,
        0.60,
        (0.05, 0.9, 0.0, 0.05),
        (0.10, 0.80, 0.10),
        0.10,
        0.6,
        0.05,
        (0.1, 0.6, 0.2, 0.1),
        0.30,
        0.30,
    ),
    "hs3": Site(
        "Group Health",
        0.660,
        0.012,
        0.06,
        0.40,
        (0.45, 0.2, 0.25, 0.1),
        (0.30, 0.30, 0.40),
        0.05,
        0.2,
        0.30,
        (0.2, 0.1, 0.6, 0.1),
        -0.25,
        0.15,
    ),
    "hs4": Site(
        "Mayo Clinic",
        0.780,
        0.005,
        0.05,
        0.90,
        (0.7, 0.3, 0.0, 0.0),
        (0.20, 0.50, 0.30),
        0.40,
        0.9,
        0.02,
        (0.1, 0.1, 0.1, 0.7),
        0.40,
        -0.20,
    ),
}

# LDH/LSS group: latent prevalence and how its codes fall around the index date.
# pattern A: >= 2 codes in the look-back (the cohort); B: exactly one (near miss);
# C: codes only after index (near miss). At 250,000 patients A is about 8,550.
LDH_PREVALENCE = 0.0428
LDH_PATTERN_MIX = (0.80, 0.12, 0.08)
LDH_SINGLE_CODE_NOISE = 0.012  # others with one stray LDH/LSS code in the look-back
PRIOR_SURGERY_SHARE = 0.03  # LDH/LSS patients with a decompression before index
TARGET_EARLY, TARGET_LATE = 0.024, 0.050  # in the cohort (share of the whole group)
EARLY_DAYS = (8, 60)  # uniform: mean 34
LATE_SHAPE = (1.2, 2.9)  # beta over 61..425: mean ~168
LBP_PREVALENCE = 0.45  # outside the LDH/LSS group (inside: 0.85)
DEATH_BASE_LOGIT, DEATH_AGE_SLOPE = -5.3, 0.075  # two-year death probability ~1 % overall

# Medication outcome target in the medication cohort
TARGET_MED = (0.52, 0.37, 0.11)  # none, NSAID, opioid


@dataclass(frozen=True)
class Effect:
    """One planted predictor: where a model sees it and its log-odds on each outcome."""

    name: str
    modality: str  # text, codes, drugs, procedures, demographics, observations
    visible_as: str
    a: float  # early surgery / NSAID vs none
    b: float  # late surgery / opioid vs none


SURGERY_EFFECTS = [
    Effect(
        "severe_canal_stenosis",
        "text",
        "'severe (spinal|central) canal stenosis' at a lumbar level in the index report",
        0.9,
        0.65,
    ),
    Effect(
        "moderate_canal_stenosis", "text", "'moderate ... canal stenosis' (max severity moderate)", 0.3, 0.4
    ),
    Effect("disc_extrusion", "text", "'extrusion' / 'extruded disc' in the index report", 0.7, 0.4),
    Effect(
        "nerve_root_compression", "text", "'compresses/impinges the traversing L5 nerve root' etc.", 0.6, 0.5
    ),
    Effect("lateral_recess_stenosis", "text", "moderate or severe 'lateral recess stenosis'", 0.3, 0.3),
    Effect("severe_foraminal_stenosis", "text", "'severe ... foraminal stenosis/narrowing'", 0.2, 0.4),
    Effect("endplate_change", "text", "'Modic type 1/2 endplate changes'", 0.0, 0.3),
    Effect(
        "radiculopathy_dx_90d", "codes", "724.4 / M54.16 / M54.17 / 729.2 / M79.2 in days -90..-1", 0.4, 0.3
    ),
    Effect(
        "neuro_deficit_dx_90d", "codes", "728.87/M62.81, 781.2/R26.9, 782.0/R20.2 in days -90..-1", 0.3, 0.15
    ),
    Effect("cauda_equina_dx_90d", "codes", "344.60 / G83.4 in days -90..-1", 0.95, 0.15),
    Effect(
        "gabapentinoid_90d", "drugs", "gabapentin / pregabalin (Neurontin, Lyrica) in days -90..-1", 0.3, 0.3
    ),
    Effect("opioid_90d", "drugs", "any opioid order in days -90..-1", 0.25, 0.35),
    Effect("oral_steroid_90d", "drugs", "methylprednisolone (Medrol Dosepak) in days -90..-1", 0.25, 0.15),
    Effect("epidural_injection_90d", "procedures", "CPT 64483 (+64484) in days -90..-1", 0.3, 0.5),
    Effect(
        "physical_therapy_90d",
        "procedures",
        "PT evaluation 97001/97161-97163 and 97110/97140/97530",
        0.1,
        0.3,
    ),
    Effect("emg_90d", "procedures", "CPT 95886 / 95910 in days -90..-1", 0.3, 0.2),
    Effect("age_40_64", "demographics", "age at index 40..64", 0.25, 0.25),
    Effect("age_75_plus", "demographics", "age at index >= 75", -0.4, -0.3),
    Effect("male", "demographics", "sex M", 0.15, 0.1),
    Effect("white", "demographics", "race White", 0.2, 0.25),
    Effect("pcp_np_pa", "demographics", "PCP clinician_type NP or PA", -0.1, -0.1),
    Effect("index_mri", "demographics", "index modality MRI", 0.2, 0.2),
]

MED_EFFECTS = [
    Effect("year_since_2015", "demographics", "calendar year of the med index minus 2015", -0.05, -0.40),
    Effect("female", "demographics", "sex F", 0.15, 0.15),
    Effect("age_per_10y_over_50", "demographics", "(age - 50) / 10", -0.05, 0.0),
    Effect("black", "demographics", "race Black", 0.0, -0.35),
    Effect("hispanic", "demographics", "ethnicity Hispanic", 0.1, -0.2),
    Effect("smoking_current", "observations", "smoking = current", 0.0, 0.45),
    Effect("smoking_former", "observations", "smoking = former", 0.0, 0.2),
    Effect("partnered", "observations", "marital_status married or partnered", 0.2, 0.15),
    Effect("social_support_high", "observations", "social_support = high", 0.15, 0.1),
    Effect("social_support_low", "observations", "social_support = low", -0.1, 0.25),
    Effect(
        "negative_psych_state",
        "observations",
        "negative_psych_state = 1 (and anxiety/depression codes)",
        0.3,
        0.75,
    ),
    Effect("insurance_medicaid", "observations", "insurance = medicaid", 0.0, 0.35),
    Effect("insurance_medicare", "observations", "insurance = medicare", -0.15, 0.1),
    Effect("obese", "observations", "bmi >= 30", 0.1, 0.1),
    Effect("pain_back_per_point_over_5", "observations", "pain_nrs_back at the med index", 0.15, 0.28),
    Effect("dx_stenosis_or_ldh", "codes", "LDH/LSS codes before the med index", 0.45, 0.7),
    Effect("dx_radiculopathy", "codes", "radiculopathy codes before the med index", 0.4, 0.6),
    Effect("dx_osteoarthritis", "codes", "715.9x / M19.90 / M17.9", 0.3, 0.2),
    Effect("dx_fibromyalgia", "codes", "729.1 / M79.7", 0.1, 0.4),
    Effect(
        "mri_disc_pathology", "text", "disc bulge/protrusion/extrusion in the med-index MRI report", 0.35, 0.4
    ),
    Effect("mri_canal_stenosis", "text", "moderate/severe spinal canal stenosis in the report", 0.25, 0.45),
    Effect("mri_lateral_recess_stenosis", "text", "lateral recess stenosis in the report", 0.2, 0.3),
    Effect("mri_foraminal_stenosis", "text", "moderate/severe foraminal stenosis in the report", 0.1, 0.2),
    Effect("mri_facet_arthropathy", "text", "facet arthropathy in the report", 0.25, -0.25),
    Effect("mri_endplate_change", "text", "Modic endplate change in the report", 0.1, 0.2),
    Effect("mri_curvature", "text", "scoliosis or abnormal lordosis in the report", 0.1, 0.1),
]
