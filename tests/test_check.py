"""`lumbar check`: each plausibility check counts exactly the records planted to break it.

The raw tables are written straight into DuckDB (not through `lumbar load`), so the warehouse can hold
what the loader would reject: events before birth, orphans, future dates. One check run is shared by the
module (about 20 s: dbt parses the project and seeds what the checks read).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

from ingest.check import CheckReport, run_checks
from ingest.cli import app
from ingest.loading.warehouse import create_raw_schema

D = dt.date
FUTURE = dt.date.today() + dt.timedelta(days=400)
OK_REPORT = "FINDINGS: disc bulge at L4-L5.\nIMPRESSION: mild stenosis."

PATIENTS = [
    # patient_id, birth_date, death_date
    ("P1", D(1960, 5, 1), None),
    ("P2", D(1970, 1, 1), None),
    ("P3", D(1950, 3, 1), D(2015, 1, 1)),  # died; one procedure 9 days later
    ("P4", D(1900, 1, 1), None),  # 115 at a 2015 visit
    ("P5", D(1980, 7, 1), None),
]

DIAGNOSES = [
    ("P1", D(2014, 5, 1), "72210", "ICD9CM"),  # clean
    ("P1", D(2014, 5, 1), "72210", "ICD9CM"),  # duplicate of the row above
    ("P1", D(2014, 5, 1), "72210", "ICD9CM"),  # a third copy: two surplus copies in all
    ("P1", D(2014, 6, 1), "7242.", "ICD9CM"),  # repaired shape, valid
    ("P1", D(2014, 6, 2), "m54,5", "ICD10CM"),  # repaired shape; ICD-10 before 2015-10-01
    ("P2", D(2016, 1, 1), "ICD10:M545", "ICD9CM"),  # repaired; ICD-10 code labelled ICD-9; ICD-9 after switch
    ("P2", D(2016, 1, 2), "72", "ICD9CM"),  # too short; ICD-9 after switch
    ("P2", D(1969, 12, 31), "72210", "ICD9CM"),  # the day before birth
    ("P4", D(2015, 2, 1), "72210", "ICD9CM"),  # age 115
    ("P99", D(2015, 2, 1), "72210", "ICD9CM"),  # orphan
    ("P5", FUTURE, "M545", "ICD10CM"),  # in the future
]
PROCEDURES = [
    ("P3", D(2015, 1, 10), "63030", "CPT"),  # after death
    ("P1", D(2014, 5, 1), "CPT 63047", "CPT"),  # repaired prefix, valid
]
PRESCRIPTIONS = [
    ("P1", D(2014, 5, 1), "IBUPROFEN 800 MG TAB"),
    ("P1", D(2014, 5, 2), "10 MG TAB"),  # nothing but dose text
]
IMAGING = [
    ("I1", "P1", D(2014, 7, 1), OK_REPORT),
    ("I2", "P2", D(2016, 2, 1), None),  # no report
    ("I3", "P5", D(2016, 2, 1), " --- \n"),  # no letter or digit
]

# check -> failing rows planted above
EXPECTED = {
    "dq_events_before_birth": 1,
    "dq_events_after_death": 1,
    "dq_events_without_patient": 1,
    "dq_dates_in_future": 1,
    "dq_age_over_110": 1,
    "dq_codes_invalid_for_system": 2,  # ICD10:M545 as ICD9CM, "72"
    "dq_codes_outside_valid_period": 3,  # m54,5 in 2014; the two ICD-9 rows in 2016
    "dq_codes_repaired_by_staging": 4,  # 7242., m54,5, ICD10:M545, CPT 63047
    "dq_duplicate_events": 2,  # three copies of one diagnosis
    "dq_prescriptions_unmapped_drug_names": 1,
    "dq_imaging_empty_reports": 2,
}
ERROR_CHECKS = {"dq_events_before_birth", "dq_events_without_patient", "dq_dates_in_future"}


def write_raw_warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        create_raw_schema(con)
        for pid, birth, death in PATIENTS:
            con.execute(
                "insert into raw.patients (patient_id, birth_date, sex, site, death_date) values (?, ?, 'F', 'A', ?)",
                [pid, birth, death],
            )
        con.executemany("insert into raw.diagnoses values (?, ?, ?, ?)", DIAGNOSES)
        con.executemany("insert into raw.procedures values (?, ?, ?, ?)", PROCEDURES)
        con.executemany("insert into raw.prescriptions values (?, ?, ?, null)", PRESCRIPTIONS)
        con.executemany("insert into raw.imaging values (?, ?, ?, 'MRI', 'lumbar', ?)", IMAGING)
    finally:
        con.close()
    return path


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Path, CheckReport]:
    warehouse = write_raw_warehouse(tmp_path_factory.mktemp("check") / "lumbar.duckdb")
    return warehouse, run_checks(warehouse, progress=False)


def test_every_check_counts_exactly_the_planted_rows(planted):
    _, report = planted
    counts = {c.check: c.failing_rows for c in report.checks}
    for check, expected in EXPECTED.items():
        assert counts.get(check) == expected, check


def test_severity_decides_status(planted):
    _, report = planted
    by_name = {c.check: c for c in report.checks}
    for check in EXPECTED:
        result = by_name[check]
        assert result.severity == ("error" if check in ERROR_CHECKS else "warn")
        assert result.status == ("fail" if check in ERROR_CHECKS else "warn")
    assert report.n_failed == len(ERROR_CHECKS)
    # a check with nothing to find passes with 0 rows (no GEM-unmapped ICD-10 code was planted)
    rare = by_name["dq_unmapped_icd10_is_rare"]
    assert (rare.status, rare.failing_rows) == ("pass", 0)
    assert [c.check for c in report.checks if not c.description] == []  # every row says what it looks for


def test_table_suppresses_small_counts_and_shows_no_rows(planted):
    _, report = planted
    console = Console(record=True, width=200)
    console.print(report.to_rich_table())
    text = console.export_text()
    assert "<11" in text
    for check in EXPECTED:
        assert check in text
    for pid, *_ in PATIENTS:
        assert pid not in text


def test_cli_exits_1_when_an_error_check_fails(planted):
    warehouse, _ = planted
    result = CliRunner().invoke(app, ["check", "--warehouse", str(warehouse)])
    assert result.exit_code == 1, result.output
    assert "dq_events_before_birth" in result.output
    assert "Traceback" not in result.output


def test_missing_warehouse_is_one_line_error(tmp_path):
    result = CliRunner().invoke(app, ["check", "--warehouse", str(tmp_path / "nope.duckdb")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_busy_warehouse_is_one_line_error(tmp_path):
    warehouse = write_raw_warehouse(tmp_path / "busy.duckdb")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        start = time.monotonic()
        result = CliRunner().invoke(app, ["check", "--warehouse", str(warehouse)])
        assert time.monotonic() - start < 30
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 2
    assert "is busy" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_threshold_var_changes_what_a_check_counts(planted):
    warehouse, report = planted
    assert {c.check: c.failing_rows for c in report.checks}["dq_age_over_110"] == 1  # the patient aged 115
    result = CliRunner().invoke(
        app, ["check", "--warehouse", str(warehouse), "--vars", "{dq_max_age_years: 120}"]
    )
    assert "dq_age_over_110" in result.output and "Traceback" not in result.output
    relaxed = run_checks(warehouse, vars={"dq_max_age_years": 120}, progress=False)
    assert {c.check: c.failing_rows for c in relaxed.checks}["dq_age_over_110"] == 0
    typo = CliRunner().invoke(
        app, ["check", "--warehouse", str(warehouse), "--vars", "{dq_max_age_year: 120}"]
    )
    assert typo.exit_code == 2 and "did you mean dq_max_age_years" in typo.output


def test_a_var_the_checks_never_read_is_refused(planted):
    warehouse, _ = planted
    result = CliRunner().invoke(
        app, ["check", "--warehouse", str(warehouse), "--vars", "{surgery_early_window_days: 90}"]
    )
    assert result.exit_code == 2
    assert "the checks never read surgery_early_window_days" in result.output


def test_check_vars_are_the_vars_the_check_selection_reads(planted):
    """CHECK_VARS must follow the SQL: every node the checks ran, and the macros it calls, read no other var."""
    import json
    import re

    from ingest.check import CHECK_VARS
    from ingest.dbt_runner import dbt_dir, run_results_path

    warehouse, _ = planted
    results = json.loads(run_results_path(warehouse).read_text())["results"]
    # the on-run-start hooks only validate every var (macros/assert_vars_valid.sql); they decide nothing
    ran = {r["unique_id"] for r in results if not r["unique_id"].startswith("operation.")}
    manifest = json.loads((dbt_dir(warehouse) / "target" / "manifest.json").read_text())
    code = []
    for uid in ran:
        node = manifest["nodes"][uid]
        code.append(node["raw_code"])
        code += [
            manifest["macros"][m]["macro_sql"]
            for m in node["depends_on"]["macros"]
            if m in manifest["macros"]
        ]
    read = set(re.findall(r"""var\(\s*['"]([a-z_0-9]+)['"]""", "\n".join(code))) - {"raw_dir"}
    assert read == set(CHECK_VARS)
