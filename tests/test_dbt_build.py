"""A real `dbt build` through ingest.build on a tiny hand-made raw warehouse.

Every patient in the fixture exercises one cohort rule; dates are offsets from the index image so the
intent of each row is readable. One build is shared by the module (about 30 s); tests that need a broken
warehouse copy it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from rich.console import Console
from typer.testing import CliRunner

from ingest.build import BuildError, BuildResult, build
from ingest.cli import app
from ingest.contract import TABLES
from ingest.dbt_runner import run_results_path
from ingest.errors import LumbarError
from ingest.privacy import MASK

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
    "P01": dict(
        site="A", index="2015-03-10", ldh=[("72210", "ICD9CM", -200), ("722.10", "ICD9CM", -20)], surgery=60
    ),
    # late positive: decompression on day 61 (first day after the 2-month gap)
    "P02": dict(
        site="A", index="2016-02-01", ldh=[("M51.16", "ICD10CM", -40), ("m5116", "ICD10CM", -10)], surgery=61
    ),
    # negative: LDH/LSS, no surgery; one code exactly 365 days before index
    "P03": dict(site="B", index="2014-06-01", ldh=[("722.10", "ICD9CM", -365), ("724.02", "ICD9CM", -5)]),
    # not LDH/LSS: second code 366 days before index (outside the look-back)
    "P04": dict(site="B", index="2014-06-01", ldh=[("722.10", "ICD9CM", -366), ("724.02", "ICD9CM", -5)]),
    # already operated: decompression before index
    "P05": dict(
        site="A", index="2015-01-15", ldh=[("72210", "ICD9CM", -90), ("72402", "ICD9CM", -60)], surgery=-30
    ),
    # died on day 100 without surgery: unknown outcome
    "P06": dict(
        site="B",
        index="2016-05-01",
        ldh=[("ICD10:M48.061", "ICD-10-CM", -90), ("M48.062", "ICD10CM", -60)],
        death=100,
    ),
    # decompression after the late window (day 500): a negative in both tasks
    "P07": dict(
        site="A", index="2014-02-01", ldh=[("72273", "ICD9CM", -90), ("72142", "ICD9CM", -60)], surgery=500
    ),
    # early positive with surgery on day 1
    "P08": dict(
        site="B", index="2016-03-01", ldh=[("M51.27", "ICD10CM", -90), ("M48.07", "ICD10CM", -60)], surgery=1
    ),
    # codes only on the index day: not LDH/LSS under the strictly-before rule
    "P09": dict(site="A", index="2015-06-01", ldh=[("72210", "ICD9CM", 0), ("72402", "ICD9CM", 0)]),
}
# plain negatives so that both labels have training and test rows
for i in range(10, 22):
    PATIENTS[f"P{i:02d}"] = dict(
        site="AB"[i % 2],
        index=f"2015-{(i % 9) + 1:02d}-15",
        ldh=[("72210", "ICD9CM", -100), ("72402", "ICD9CM", -50)],
    )
# extra positives (early then late) so each label has a test row
for i, day in zip(range(22, 28), (10, 20, 30, 100, 200, 300), strict=True):
    PATIENTS[f"P{i:02d}"] = dict(
        site="AB"[i % 2],
        index="2016-01-20",
        ldh=[("M5126", "ICD10CM", -80), ("M4806", "ICD10CM", -40)],
        surgery=day,
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
            dict(
                patient_id=pid,
                birth_date=dt.date(1950 + n, 1 + n % 12, 1 + n % 28),
                sex="FM"[n % 2],
                race=["White", None, "Asian"][n % 3],
                ethnicity=None if n % 4 else "Hispanic",
                site=p["site"],
                death_date=death,
                pcp_provider_id=["D1", "D2", None][n % 3],
                language="English",
            )
        )
        rows["imaging"].append(
            dict(
                image_id=f"{pid}-I0",
                patient_id=pid,
                image_date=_d(p["index"], 0),
                modality=["MRI", "XR", "CT"][n % 3],
                body_region="lumbar",
                report_text=reports[n % 3],
            )
        )
        # an earlier non-spine image and a follow-up lumbar image (corpus, not index)
        rows["imaging"].append(
            dict(
                image_id=f"{pid}-I1",
                patient_id=pid,
                image_date=_d(p["index"], -30),
                modality="XR",
                body_region="other",
                report_text="FINDINGS: chest clear.",
            )
        )
        rows["imaging"].append(
            dict(
                image_id=f"{pid}-I2",
                patient_id=pid,
                image_date=_d(p["index"], 120),
                modality="MRI",
                body_region="lumbar",
                report_text=REPORT_WITH_SECTIONS,
            )
        )
        for code, system, offset in p["ldh"]:
            rows["diagnoses"].append(
                dict(patient_id=pid, dx_date=_d(p["index"], offset), code=code, code_system=system)
            )
        # background codes in the feature window: low back pain (ICD-9 or ICD-10 by era), an E-code,
        # a post-FY2018 ICD-10 code and one that is unknown to the GEM
        icd10 = _d(p["index"], -45) >= dt.date(2015, 10, 1)
        rows["diagnoses"] += [
            dict(
                patient_id=pid,
                dx_date=_d(p["index"], -45),
                code="M54.5" if icd10 else "724.2",
                code_system="ICD10CM" if icd10 else "ICD9CM",
            ),
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
            dict(
                patient_id=pid,
                rx_date=_d(p["index"], -10),
                drug_name="IBUPROFEN 800 MG TAB",
                rxnorm_code=None,
            ),
            dict(patient_id=pid, rx_date=_d(p["index"], -40), drug_name="norco 10/325", rxnorm_code=None),
            dict(
                patient_id=pid,
                rx_date=_d(p["index"], -85),
                drug_name="Hydrocodone-Acetaminophen 5-325 MG Oral Tablet",
                rxnorm_code=None,
            ),
            dict(
                patient_id=pid,
                rx_date=_d(p["index"], -95),
                drug_name="Gabapentin 300 mg capsule",
                rxnorm_code=None,
            ),
        ]
        rows["observations"].append(
            dict(
                patient_id=pid,
                obs_date=_d(p["index"], -5),
                name="pain_nrs_back",
                value_num=6.0,
                value_text=None,
            )
        )
    # a patient whose only spine image is after the index window: never indexed
    rows["patients"].append(
        dict(
            patient_id="P99",
            birth_date=dt.date(1960, 1, 1),
            sex="U",
            race=None,
            ethnicity=None,
            site="A",
            death_date=None,
            pcp_provider_id=None,
            language=None,
        )
    )
    rows["imaging"].append(
        dict(
            image_id="P99-I0",
            patient_id="P99",
            image_date=dt.date(2017, 1, 1),
            modality="MRI",
            body_region="lumbar",
            report_text=REPORT_NO_HEADERS,
        )
    )
    return rows


def build_tiny_warehouse(path: Path) -> Path:
    """Write the raw.* tables of the tiny fixture into a new DuckDB file at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tables = raw_tables()
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists raw")
        for name, table in TABLES.items():
            data = pa.Table.from_pylist(tables[name], schema=table.schema)  # noqa: F841 (read by duckdb)
            con.execute(f"create or replace table raw.{name} as select * from data")
    finally:
        con.close()
    return path


# ---------------------------------------------------------------------------------------------------------
# tests

MART_COLUMNS = {  # docs/architecture.md: the columns trainers code against
    "mart_surgery_static": {
        "task", "patient_id", "index_date", "label", "split", "site", "age_at_index", "sex", "race", "ethnicity",
        "pcp_gender", "pcp_clinician_type", "pcp_specialty", "index_modality",
    },
    "mart_surgery_codes": {"task", "patient_id", "feature_type", "feature", "bin", "n_events"},
    "mart_surgery_codes_patient": {"task", "patient_id", "feature_type", "feature", "n_events"},
    "mart_surgery_feature_dictionary": {
        "task", "feature_type", "feature", "n_train_patients", "train_prevalence", "kept_classical", "kept_temporal",
    },
    "mart_surgery_report": {"task", "patient_id", "image_id", "report_clean", "sections_found"},
    "mart_report_corpus": {"image_id", "patient_id", "image_date", "report_clean"},
}  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    warehouse = build_tiny_warehouse(tmp_path_factory.mktemp("wh") / "lumbar.duckdb")
    return build(warehouse, unit_tests=True, progress=False)


def _query(result: BuildResult, sql: str) -> list[tuple]:
    con = duckdb.connect(str(result.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _mart(result: BuildResult, name: str, where: str = "true") -> list[dict]:
    con = duckdb.connect()
    try:
        cur = con.execute(f"select * from read_parquet('{result.marts[name]}') where {where}")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def test_marts_are_exported_as_parquet_beside_the_warehouse(built: BuildResult) -> None:
    assert built.marts_dir == built.warehouse.parent / "marts"
    assert set(MART_COLUMNS) <= set(built.marts)
    for name, columns in MART_COLUMNS.items():
        rows = _mart(built, name)
        assert rows, f"{name} is empty"
        assert columns <= set(rows[0]), f"{name} lacks {columns - set(rows[0])}"


def test_marts_and_dbt_files_are_owner_only(built: BuildResult) -> None:
    import os
    import stat

    def mode(path: Path) -> int:
        return stat.S_IMODE(os.stat(path).st_mode)

    assert mode(built.marts_dir) == 0o700
    files = [*built.marts.values(), built.marts_dir / "_lumbar_build.json"]
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    dbt_files = built.warehouse.parent / f".{built.warehouse.stem}.dbt"
    assert mode(dbt_files) == 0o700
    assert mode(dbt_files / "target" / "run_results.json") == 0o600


def test_the_build_records_what_built_each_mart(built: BuildResult) -> None:
    from ingest.build_record import read_build_record
    from ingest.fingerprint import sha256_of

    record = read_build_record(built.marts_dir)
    assert set(record) == set(built.marts)
    for name, path in built.marts.items():
        assert record[name]["sha256"] == sha256_of(path), name  # hashed after empty marts are rewritten
        assert record[name]["overrides"] == {}
        assert record[name]["vars"]["ldh_lss_lookback_days"] == 365


def test_a_selective_build_does_not_claim_the_vars_of_tables_it_did_not_rebuild(
    built: BuildResult, tmp_path: Path
) -> None:
    from ingest.build_record import read_build_record

    copy = tmp_path / "lumbar.duckdb"
    shutil.copy(built.warehouse, copy)
    result = build(copy, select="mart_surgery_static", vars={"surgery_early_window_days": 90}, progress=False)
    entry = read_build_record(result.marts_dir)["mart_surgery_static"]
    # the cohort it reads was built with 60 days, not 90: neither may be claimed
    assert entry["vars"] is None and entry["overrides"] == {"surgery_early_window_days": 90}


def test_cohort_rules_on_hand_made_patients(built: BuildResult) -> None:
    labels = {(r["task"], r["patient_id"]): r["label"] for r in _mart(built, "mart_surgery_static")}
    assert labels[("early", "P01")] == 1 and ("late", "P01") not in labels  # surgery on day 60
    assert labels[("late", "P02")] == 1 and ("early", "P02") not in labels  # surgery on day 61
    assert labels[("early", "P03")] == labels[("late", "P03")] == 0  # code exactly 365 days before
    assert labels[("early", "P07")] == labels[("late", "P07")] == 0  # surgery after day 425
    assert labels[("early", "P08")] == 1  # surgery on day 1
    # code 366 days before; operated before index; died unoperated; codes on the index day only; no index image
    for excluded in ("P04", "P05", "P06", "P09", "P99"):
        assert ("early", excluded) not in labels and ("late", excluded) not in labels


def test_no_feature_from_on_or_after_the_index_date(built: BuildResult) -> None:
    # P01 is operated (CPT 63030) on day 60 and has M54.16 on the index day: neither may be a feature
    codes = _mart(built, "mart_surgery_codes", "patient_id = 'P01'")
    assert codes and not any(r["feature"] == "63030" for r in codes)
    late = _query(
        built,
        "select count(*) from intermediate.int_events_binned_monthly where feature is not null "
        "and (bin_end_date >= index_date or bin not between 1 and 3)",
    )
    assert late == [(0,)]


def test_every_cohort_patient_has_three_bins(built: BuildResult) -> None:
    rows = _query(
        built,
        "select s.patient_id, count(distinct b.bin) from marts.mart_surgery_static s "
        "left join intermediate.int_events_binned_monthly b using (patient_id) group by 1",
    )
    assert rows and {n for _, n in rows} == {3}


def test_drug_names_and_icd10_codes_become_features(built: BuildResult) -> None:
    features = {(r["feature_type"], r["feature"]) for r in _mart(built, "mart_surgery_codes")}
    # norco and Hydrocodone-Acetaminophen 5-325 MG are one generic; IBUPROFEN 800 MG TAB is ibuprofen
    assert {("rx", "hydrocodone/acetaminophen"), ("rx", "ibuprofen")} <= features
    # M54.50 (FY2022, not in the GEM) maps through its parent M54.5 to 724.2 -> level 3 "724"; E849.0 keeps 4
    assert {("dx", "724"), ("dx", "E849"), ("px", "72148"), ("px", "J1885")} <= features
    assert _query(built, "select icd10cm_code from intermediate.dq_unmapped_icd10") == [("ZZZ99",)]


def test_feature_dictionary_uses_training_rows_only(built: BuildResult) -> None:
    static = {(r["task"], r["patient_id"]): r["split"] for r in _mart(built, "mart_surgery_static")}
    per_patient = _mart(built, "mart_surgery_codes_patient")
    for entry in _mart(built, "mart_surgery_feature_dictionary"):
        key = (entry["task"], entry["feature_type"], entry["feature"])
        train = {
            r["patient_id"]
            for r in per_patient
            if (r["task"], r["feature_type"], r["feature"]) == key
            and static[(r["task"], r["patient_id"])] == "train"
        }
        n_train = sum(1 for (task, _), split in static.items() if task == entry["task"] and split == "train")
        assert entry["n_train_patients"] == len(train)
        assert entry["train_prevalence"] == pytest.approx(len(train) / n_train)
        assert entry["kept_classical"] == (0.001 < len(train) / n_train < 0.99)


def _yaml_columns(kind: str) -> dict[str, list[str]]:
    """Columns each model or seed documents in the dbt project's YAML, in YAML order."""
    import yaml

    from ingest.paths import DBT_PROJECT_DIR

    documented: dict[str, list[str]] = {}
    for path in DBT_PROJECT_DIR.rglob("*.yml"):
        if "target" in path.parts or path.name in ("dbt_project.yml", "profiles.yml"):
            continue
        for entry in (yaml.safe_load(path.read_text()) or {}).get(kind, []) or []:
            documented[entry["name"]] = [c["name"] for c in entry.get("columns", []) or []]
    return documented


def test_every_built_model_and_seed_documents_exactly_its_columns(built: BuildResult) -> None:
    # the static check (tests/test_dbt_project.py) sees only the YAML: a column a model outputs but the YAML
    # never names (a mart's predictor, a cohort's date) is caught only against what dbt actually built
    from ingest.paths import DBT_PROJECT_DIR

    built_columns: dict[str, list[str]] = {}
    for table, column in _query(
        built,
        "select table_name, column_name from information_schema.columns "
        "where table_schema <> 'raw' order by table_name, ordinal_position",
    ):
        built_columns.setdefault(table, []).append(column)
    for kind, folder, suffix in (("models", "models", "*.sql"), ("seeds", "seeds", "*.csv")):
        documented = _yaml_columns(kind)
        for name in sorted(p.stem for p in (DBT_PROJECT_DIR / folder).rglob(suffix)):
            assert name in built_columns, f"{name} was not built"
            undocumented = [c for c in built_columns[name] if c not in documented.get(name, [])]
            not_built = [c for c in documented.get(name, []) if c not in built_columns[name]]
            assert not undocumented and not not_built, (
                f"{name}: columns without YAML docs {undocumented}, YAML columns it does not output {not_built}"
            )


def test_split_is_stratified_by_label(built: BuildResult) -> None:
    rows = _mart(built, "mart_surgery_static")
    for task in ("early", "late"):
        for label in (0, 1):
            stratum = [r for r in rows if r["task"] == task and r["label"] == label]
            n_test = sum(r["split"] == "test" for r in stratum)
            assert n_test == round(len(stratum) * 0.2)


def test_index_report_sections_are_cleaned(built: BuildResult) -> None:
    reports = {r["image_id"]: r for r in _mart(built, "mart_surgery_report", "task = 'early'")}
    with_sections = reports["P01-I0"]
    assert with_sections["sections_found"]
    assert with_sections["report_clean"].startswith("l4 l5 broad based disc bulge")
    assert "history" not in with_sections["report_clean"]
    no_headers = reports["P03-I0"]
    assert not no_headers["sections_found"]
    assert no_headers["report_clean"] == "normal alignment no evidence of stenosis at any level"


def test_report_corpus_starts_at_enrolment(built: BuildResult) -> None:
    ids = {r["image_id"] for r in _mart(built, "mart_report_corpus")}
    assert {"P01-I0", "P01-I2"} <= ids  # index and follow-up images
    assert "P01-I1" not in ids  # the image 30 days before index
    assert not any(i.startswith("P99") for i in ids)  # never indexed


def test_attrition_is_monotone_and_printed_with_small_counts_masked(built: BuildResult) -> None:
    # the relations ingest/build.py masks against: steps 1-5 only shrink, 6 + 7 = 5, steps 1-4 are shared
    count = {(r.cohort, r.step_number, r.site): r.n_patients for r in built.attrition}
    for site in {r.site for r in built.attrition}:
        for cohort in ("early", "late"):
            steps = [count.get((cohort, n, site), 0) for n in range(1, 8)]
            assert steps[:5] == sorted(steps[:5], reverse=True)
            assert steps[5] + steps[6] == steps[4]
        assert all(count.get(("early", n, site)) == count.get(("late", n, site)) for n in range(1, 5))
    assert sorted({r.step_number for r in built.attrition}) == list(range(1, 8))
    console = Console(width=200, record=True)
    console.print(built.to_rich())
    text = console.export_text()
    assert MASK in text
    assert 0 < built.cohort_size("early")["positive"] <= 10
    for line in text.split("Surgery features")[0].splitlines():  # the attrition tables
        if line.startswith("│"):
            cells = [c.strip().replace(",", "") for c in line.split("│")[3:] if c.strip()]
            assert not any(c.isdigit() and 1 <= int(c) <= 10 for c in cells), line


def test_medication_attrition_is_printed_with_small_counts_masked(built: BuildResult) -> None:
    # the relation ingest/attrition.py masks against: steps 1-6 only shrink, step 6 is the final cohort
    rows = built.medication_attrition
    assert sorted({r.step_number for r in rows}) == list(range(1, 7))
    count = {(r.step_number, r.site): r.n_patients for r in rows}
    for site in {r.site for r in rows}:
        steps = [count[n, site] for n in range(1, 7)]
        assert steps == sorted(steps, reverse=True), site
    assert count[6, "all"] == len(_mart(built, "mart_medication_profile")) > 10
    console = Console(width=200, record=True)
    console.print(built.to_rich())
    table = console.export_text().split("Medication cohort attrition")[1].split("Surgery features")[0]
    assert "first lumbar spine MRI on record" in table and MASK in table
    # the overlapping exclusion groups and the outcome classes stay in the warehouse table
    assert "prior fracture" not in table and "outcome none" not in table
    shown = []
    for line in table.splitlines():
        if line.startswith("│"):
            cells = [c.strip().replace(",", "") for c in line.split("│")[3:] if c.strip()]
            assert not any(c.isdigit() and 1 <= int(c) <= 10 for c in cells), line
            shown.append(cells[0])
    totals = [int(c) for c in shown if c.isdigit()]
    assert all(not 0 < a - b <= 10 for a, b in zip(totals, totals[1:], strict=False))


def test_windows_are_vars(built: BuildResult, tmp_path: Path) -> None:
    copy = tmp_path / "lumbar.duckdb"
    shutil.copy(built.warehouse, copy)
    # through the CLI, as a researcher would: the YAML string is checked and reaches dbt
    result = CliRunner().invoke(
        app,
        [
            "build",
            "-w",
            str(copy),
            "-s",
            "cohort_surgery_candidates",
            "--vars",
            "{surgery_early_window_days: 61}",
        ],
    )
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(copy), read_only=True)
    timing = con.execute(
        "select surgery_timing from cohorts.cohort_surgery_candidates where patient_id = 'P02'"
    )
    assert timing.fetchall() == [("early",)]
    con.close()


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"surgery_early_window_days": -30}, "surgery_early_window_days must be a whole number of days"),
        ({"surgery_late_window_days": 10**23}, "surgery_late_window_days must be a whole number of days"),
        ({"split_test_fraction": 1.5}, "split_test_fraction must be a fraction between 0 and 1"),
        (
            {"feature_rare_threshold": 0.5, "feature_common_threshold": 0.4},
            "feature_common_threshold must be",
        ),
        ({"index_window_start": "2016-02-30"}, "index_window_start must be a date"),
        ({"medication_index_end": "2011-12-31"}, "medication_index_end (2011-12-31) is before"),
        (
            {"injection_followup_min_days": 70},
            "injection_followup_min_days <= injection_followup_target_days",
        ),
        (
            {"injection_min_symptom_days": 400},
            "injection_min_symptom_days (400) is longer than injection_indication_lookback_days (365)",
        ),
        ({"index_modalities": []}, "index_modalities must be a non-empty list"),
        ({"injection_image_body_regions": []}, "injection_image_body_regions must be a non-empty list"),
        # staging upper-cases modalities: 'mri' would select no image and build an empty cohort
        (
            {"medication_index_modalities": ["mri"]},
            "medication_index_modalities may hold only XR, MRI, CT (got mri)",
        ),
        (
            {"stratification_image_body_regions": ["lumbar", "Lumbar"]},
            "stratification_image_body_regions may hold only lumbar, thoracic, other (got Lumbar)",
        ),
        ({"dq_max_age_years": 0}, "dq_max_age_years must be a whole number from 1"),
    ],
)
def test_vars_no_study_can_mean_stop_the_build_before_any_model(
    built: BuildResult, tmp_path: Path, given: dict, named: str
) -> None:
    copy = tmp_path / "lumbar.duckdb"
    shutil.copy(built.warehouse, copy)
    with pytest.raises(BuildError, match=re.escape(named)) as info:
        build(copy, marts_dir=tmp_path / "marts", vars=given, progress=False)
    assert str(info.value).startswith("dbt vars: ") and "\n" not in str(info.value)
    assert not list((tmp_path / "marts").glob("mart_*"))


def test_vars_at_the_edges_of_their_ranges_build(built: BuildResult, tmp_path: Path) -> None:
    copy = tmp_path / "lumbar.duckdb"
    shutil.copy(built.warehouse, copy)
    edges = {
        "surgery_late_gap_days": 0,
        "surgery_early_window_days": 1,
        "injection_followup_min_days": 60,
        "injection_followup_max_days": 60,
        "feature_rare_threshold": 0,
        "feature_common_threshold": 1,
        "index_window_start": "2016-02-29",
    }
    build(copy, select="cohort_surgery_candidates", vars=edges, progress=False)


def _unit_test_results(warehouse: Path) -> dict[str, str]:
    results = json.loads(run_results_path(warehouse).read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}


def test_unit_tests_run_only_when_asked(built: BuildResult, tmp_path: Path) -> None:
    ran = _unit_test_results(built.warehouse)
    assert len(ran) >= 20 and set(ran.values()) == {"pass"}
    assert any(".ph_ldh_lss." in unique_id for unique_id in ran)
    copy = tmp_path / "lumbar.duckdb"
    shutil.copy(built.warehouse, copy)
    build(copy, select="ph_ldh_lss", progress=False)
    assert _unit_test_results(copy) == {}


def test_failing_data_test_is_one_error_naming_the_test(built: BuildResult, tmp_path: Path) -> None:
    copy = tmp_path / "lumbar.duckdb"
    shutil.copy(built.warehouse, copy)
    con = duckdb.connect(str(copy))
    con.execute("update raw.imaging set modality = 'PET' where image_id = 'P01-I1'")
    con.close()
    with pytest.raises(BuildError, match="accepted_values_stg_ehr__imaging_modality") as info:
        build(copy, select="stg_ehr__imaging", progress=False)
    assert "\n" not in str(info.value) and "Traceback" not in str(info.value)
    # one failing row: dbt's own "Got 1 result" would print a count from 1 to 10
    assert "fail: <11 rows" in str(info.value) and "Got 1 result" not in str(info.value)


def test_a_failed_build_leaves_the_marts_folder_as_it_was(built: BuildResult, tmp_path: Path) -> None:
    copy = tmp_path / "lumbar.duckdb"
    shutil.copy(built.warehouse, copy)
    marts = shutil.copytree(built.marts_dir, tmp_path / "marts")
    # mart_report_corpus does not read prescriptions: dbt rebuilds it before the failing test stops the build
    (marts / "mart_report_corpus.parquet").write_bytes(b"the last complete build's file")
    before = {p.name: p.read_bytes() for p in marts.iterdir()}
    with duckdb.connect(str(copy)) as con:
        con.execute("update raw.prescriptions set rx_date = null")
    selection = "stg_ehr__prescriptions mart_report_corpus"
    with pytest.raises(BuildError, match="not_null_stg_ehr__prescriptions_rx_date") as info:
        build(copy, select=selection, progress=False)
    assert "left as the last complete build wrote them" in str(info.value)
    assert {p.name: p.read_bytes() for p in marts.iterdir()} == before

    new_folder = tmp_path / "new_marts"
    with pytest.raises(BuildError):
        build(copy, marts_dir=new_folder, select=selection, progress=False)
    assert list(new_folder.iterdir()) == []


def test_missing_or_empty_warehouse_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(LumbarError, match="does not exist"):
        build(tmp_path / "nope.duckdb", progress=False)
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    with pytest.raises(LumbarError, match="no raw.patients"):
        build(tmp_path / "empty.duckdb", progress=False)


def test_a_marts_folder_that_cannot_be_made_is_a_user_error(built: BuildResult, tmp_path: Path) -> None:
    a_file = tmp_path / "marts.txt"
    a_file.write_text("")
    with pytest.raises(LumbarError, match="is a file, not a folder"):
        build(built.warehouse, marts_dir=a_file, progress=False)
    with pytest.raises(LumbarError, match="cannot create the marts folder"):
        build(built.warehouse, marts_dir=a_file / "marts", progress=False)
