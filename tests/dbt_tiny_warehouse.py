"""A tiny hand-made raw warehouse for dbt tests: a few patients, each exercising one cohort rule.

Dates are offsets from each patient's index image so the clinical intent of every row is readable.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.contract import TABLES

REPORT_WITH_SECTIONS = (
    "EXAM: MRI lumbar spine\nHISTORY: back pain\nFINDINGS:\nL4-L5: Broad-based disc bulge, moderate "
    "canal stenosis.\nIMPRESSION: Moderate L4-L5 stenosis."
)
REPORT_DASH_HEADERS = "Findings - Mild facet arthropathy at L5-S1.\nImpression\nNo acute fracture."
REPORT_NO_HEADERS = "Normal alignment. No evidence of stenosis, at any level!"

# patient_id: (site, index date, modality, report, ldh/lss code offsets, decompression day, death day)
# Offsets are days relative to the index date (negative = before).
PATIENTS: dict[str, dict] = {
    # early positive: two LDH codes, decompression on day 60 (last day of the early window)
    "P01": dict(site="A", index="2015-03-10", ldh=[("72210", "ICD9CM", -200), ("722.10", "ICD9CM", -20)], surgery=60),
    # late positive: decompression on day 61 (first day after the 2-month gap)
    "P02": dict(site="A", index="2016-02-01", ldh=[("M51.16", "ICD10CM", -40), ("m5116", "ICD10CM", -10)], surgery=61),
    # negative: LDH/LSS, no surgery; one code exactly 365 days before index
    "P03": dict(site="B", index="2014-06-01", ldh=[("722.10", "ICD9CM", -365), ("724.02", "ICD9CM", -5)]),
    # not LDH/LSS: second code 366 days before index (outside the look-back)
    "P04": dict(site="B", index="2014-06-01", ldh=[("722.10", "ICD9CM", -366), ("724.02", "ICD9CM", -5)]),
    # already operated: decompression before index
    "P05": dict(site="A", index="2015-01-15", ldh=[("72210", "ICD9CM", -90), ("72402", "ICD9CM", -60)], surgery=-30),
    # died on day 100 without surgery: unknown outcome
    "P06": dict(site="B", index="2016-05-01", ldh=[("ICD10:M48.061", "ICD-10-CM", -90), ("M48.062", "ICD10CM", -60)],
                death=100),
    # decompression after the late window (day 500): a negative in both tasks
    "P07": dict(site="A", index="2014-02-01", ldh=[("72273", "ICD9CM", -90), ("72142", "ICD9CM", -60)], surgery=500),
    # early positive with surgery on day 1
    "P08": dict(site="B", index="2016-03-01", ldh=[("M51.27", "ICD10CM", -90), ("M48.07", "ICD10CM", -60)], surgery=1),
    # codes only on the index day: not LDH/LSS under the strictly-before rule
    "P09": dict(site="A", index="2015-06-01", ldh=[("72210", "ICD9CM", 0), ("72402", "ICD9CM", 0)]),
}
# plain negatives so that both labels have training and test rows
for i in range(10, 22):
    PATIENTS[f"P{i:02d}"] = dict(
        site="AB"[i % 2], index=f"2015-{(i % 9) + 1:02d}-15", ldh=[("72210", "ICD9CM", -100), ("72402", "ICD9CM", -50)]
    )
# extra positives (early then late) so each label has a test row
for i, day in zip(range(22, 28), (10, 20, 30, 100, 200, 300), strict=True):
    PATIENTS[f"P{i:02d}"] = dict(
        site="AB"[i % 2], index="2016-01-20", ldh=[("M5126", "ICD10CM", -80), ("M4806", "ICD10CM", -40)], surgery=day
    )


def _d(index: str, offset: int) -> dt.date:
    return dt.date.fromisoformat(index) + dt.timedelta(days=offset)


def raw_tables() -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {name: [] for name in TABLES}
    rows["providers"] = [
        dict(provider_id="D1", gender="F", clinician_type="MD", specialty="Family Medicine"),
        dict(provider_id="D2", gender="M", clinician_type="np", specialty="Internal Medicine"),
    ]
    reports = [REPORT_WITH_SECTIONS, REPORT_DASH_HEADERS, REPORT_NO_HEADERS]
    for n, (pid, p) in enumerate(sorted(PATIENTS.items())):
        death = _d(p["index"], p["death"]) if "death" in p else None
        rows["patients"].append(
            dict(patient_id=pid, birth_date=dt.date(1950 + n, 1 + n % 12, 1 + n % 28), sex="FM"[n % 2],
                 race=["White", None, "Asian"][n % 3], ethnicity=None if n % 4 else "Hispanic", site=p["site"],
                 death_date=death, pcp_provider_id=["D1", "D2", None][n % 3], language="English")
        )
        rows["imaging"].append(
            dict(image_id=f"{pid}-I0", patient_id=pid, image_date=_d(p["index"], 0), modality=["MRI", "XR", "CT"][n % 3],
                 body_region="lumbar", report_text=reports[n % 3])
        )
        # an earlier non-spine image and a follow-up lumbar image (corpus, not index)
        rows["imaging"].append(
            dict(image_id=f"{pid}-I1", patient_id=pid, image_date=_d(p["index"], -30), modality="XR",
                 body_region="other", report_text="FINDINGS: chest clear.")
        )
        rows["imaging"].append(
            dict(image_id=f"{pid}-I2", patient_id=pid, image_date=_d(p["index"], 120), modality="MRI",
                 body_region="lumbar", report_text=REPORT_WITH_SECTIONS)
        )
        for code, system, offset in p["ldh"]:
            rows["diagnoses"].append(dict(patient_id=pid, dx_date=_d(p["index"], offset), code=code, code_system=system))
        # background codes in the feature window: low back pain (ICD-9 or ICD-10 by era), an E-code,
        # a post-FY2018 ICD-10 code and one that is unknown to the GEM
        icd10 = _d(p["index"], -45) >= dt.date(2015, 10, 1)
        rows["diagnoses"] += [
            dict(patient_id=pid, dx_date=_d(p["index"], -45), code="M54.5" if icd10 else "724.2",
                 code_system="ICD10CM" if icd10 else "ICD9CM"),
            dict(patient_id=pid, dx_date=_d(p["index"], -70), code="E849.0", code_system="ICD9CM"),
            dict(patient_id=pid, dx_date=_d(p["index"], -10), code="M54.50", code_system="ICD10CM"),
            dict(patient_id=pid, dx_date=_d(p["index"], -12), code="ZZZ99", code_system="icd10"),
            dict(patient_id=pid, dx_date=_d(p["index"], 0), code="M54.16", code_system="ICD10CM"),
        ]
        rows["procedures"] += [
            dict(patient_id=pid, px_date=_d(p["index"], -20), code="72148", code_system="CPT"),
            dict(patient_id=pid, px_date=_d(p["index"], -75), code="J1885", code_system="HCPCS"),
        ]
        if "surgery" in p:
            rows["procedures"].append(
                dict(patient_id=pid, px_date=_d(p["index"], p["surgery"]), code="63030", code_system="CPT")
            )
        rows["prescriptions"] += [
            dict(patient_id=pid, rx_date=_d(p["index"], -10), drug_name="IBUPROFEN 800 MG TAB", rxnorm_code=None),
            dict(patient_id=pid, rx_date=_d(p["index"], -40), drug_name="norco 10/325", rxnorm_code=None),
            dict(patient_id=pid, rx_date=_d(p["index"], -85), drug_name="Hydrocodone-Acetaminophen 5-325 MG Oral Tablet",
                 rxnorm_code=None),
            dict(patient_id=pid, rx_date=_d(p["index"], -95), drug_name="Gabapentin 300 mg capsule", rxnorm_code=None),
        ]
        rows["observations"].append(
            dict(patient_id=pid, obs_date=_d(p["index"], -5), name="pain_nrs_back", value_num=6.0, value_text=None)
        )
    # a patient whose only spine image is after the index window: never indexed
    rows["patients"].append(
        dict(patient_id="P99", birth_date=dt.date(1960, 1, 1), sex="U", race=None, ethnicity=None, site="A",
             death_date=None, pcp_provider_id=None, language=None)
    )
    rows["imaging"].append(
        dict(image_id="P99-I0", patient_id="P99", image_date=dt.date(2017, 1, 1), modality="MRI",
             body_region="lumbar", report_text=REPORT_NO_HEADERS)
    )
    return rows


def build_tiny_warehouse(path: Path) -> Path:
    """Write the raw.* tables of the tiny fixture into a new DuckDB file at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists raw")
        for name, table in TABLES.items():
            data = pa.Table.from_pylist(raw_tables()[name], schema=table.schema)  # noqa: F841 (used by duckdb)
            con.execute(f"create or replace table raw.{name} as select * from data")
    finally:
        con.close()
    return path
