"""The Synthea adapter: the 27-patient fixture end to end, format variants, missing tables."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.adapters import AdapterResult, read_synthea
from ingest.errors import LumbarError
from ingest.load import load_directory

FIXTURE = Path(__file__).parent / "data" / "synthea" / "dbt-synthea-27"

PATIENTS_2X = "Id,BIRTHDATE,DEATHDATE,SSN,FIRST,LAST,RACE,ETHNICITY,GENDER,STATE,COUNTY,ZIP"
PATIENTS_33 = (
    "Id,BIRTHDATE,DEATHDATE,SSN,FIRST,MIDDLE,LAST,RACE,ETHNICITY,GENDER,STATE,COUNTY,FIPS,ZIP,"
    "HEALTHCARE_EXPENSES,HEALTHCARE_COVERAGE,INCOME"
)


def source_rows(name: str) -> list[dict[str, str]]:
    with (FIXTURE / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def rows_of(result: AdapterResult, table: str) -> list[dict]:
    return [row for s in result.sources if s.table == table for row in s.data.to_pylist()]


def write_export(folder: Path, files: dict[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def fixture_result() -> AdapterResult:
    return read_synthea(FIXTURE)


def test_fixture_keeps_its_licence_note():
    assert "Apache-2.0" in (FIXTURE / "SOURCE.md").read_text()


def test_every_fixture_row_is_loaded_or_rejected(fixture_result: AdapterResult):
    by_file = Counter()
    for source in fixture_result.sources:
        by_file[source.source_file] += source.data.num_rows
    for reject in fixture_result.rejects:
        by_file[reject.source_file] += 1
    assert set(by_file) == set(fixture_result.read_counts)
    for source_file, read in fixture_result.read_counts.items():
        assert by_file[source_file] == read
        assert read == len(source_rows(Path(source_file).name.removesuffix(".csv")))
    assert fixture_result.missing_tables == []
    assert any("payers.csv" in note for note in fixture_result.notes)  # present but not read


def test_fixture_variant_is_detected(fixture_result: AdapterResult):
    variant = next(n for n in fixture_result.notes if n.startswith("Synthea variant"))
    assert "conditions without SYSTEM" in variant
    assert "procedures dated by START/STOP" in variant
    assert "observations with CATEGORY" in variant
    assert "patients without FIPS/INCOME" in variant


def test_chronic_low_back_pain_condition_maps_to_snomed(fixture_result: AdapterResult):
    source = next(r for r in source_rows("conditions") if r["CODE"] == "278860009")
    expected = {"patient_id": source["PATIENT"], "dx_date": source["START"][:10], "code": "278860009"}
    matches = [r for r in rows_of(fixture_result, "diagnoses") if r | expected == r]
    assert [m["code_system"] for m in matches] == ["SNOMED"]


def test_medication_keeps_description_and_rxnorm(fixture_result: AdapterResult):
    source = next(r for r in source_rows("medications") if "Percocet" in r["DESCRIPTION"])
    rx = rows_of(fixture_result, "prescriptions")
    assert {
        "patient_id": source["PATIENT"],
        "rx_date": source["START"][:10],
        "drug_name": source["DESCRIPTION"],
        "rxnorm_code": source["CODE"],
    } in rx


@pytest.mark.parametrize(
    ("loinc", "name", "numeric"),
    [("72514-3", "pain_nrs", True), ("39156-5", "bmi", True), ("72166-2", "smoking", False)],
)
def test_known_loinc_observations_get_lumbar_names(fixture_result: AdapterResult, loinc, name, numeric):
    sources = [r for r in source_rows("observations") if r["CODE"] == loinc]
    mapped = [r for r in rows_of(fixture_result, "observations") if r["name"] == name]
    assert len(mapped) == len(sources) > 0
    first = sources[0]
    row = next(
        r for r in mapped if r["patient_id"] == first["PATIENT"] and r["obs_date"] == first["DATE"][:10]
    )
    if numeric:
        assert row["value_num"] == float(first["VALUE"]) and row["value_text"] is None
    else:  # smoking answers are put into lumbar's categories
        expected = {"Never smoker": "never", "Former smoker": "former"}[first["VALUE"]]
        assert row["value_text"] == expected and row["value_num"] is None


def test_insurance_answers_become_categories_unknown_ones_kept(fixture_result: AdapterResult):
    answers = Counter(
        r["value_text"] for r in rows_of(fixture_result, "observations") if r["name"] == "insurance"
    )
    source = Counter(r["VALUE"] for r in source_rows("observations") if r["CODE"] == "76437-3")
    assert answers["commercial"] == source["Private insurance"] > 0
    assert answers["medicaid"] == source["Medicaid"]
    assert answers["Medicine or Any Health Care"] == source["Medicine or Any Health Care"]  # fits no category


def test_other_observations_keep_their_description(fixture_result: AdapterResult):
    names = {r["name"] for r in rows_of(fixture_result, "observations")}
    assert "Hemoglobin A1c/Hemoglobin.total in Blood" in names


def test_patients_site_pcp_and_language(fixture_result: AdapterResult):
    patients = {r["patient_id"]: r for r in rows_of(fixture_result, "patients")}
    source = {r["Id"]: r for r in source_rows("patients")}
    assert set(patients) == set(source)
    assert all(p["site"] == source[pid]["STATE"] for pid, p in patients.items())
    # PCP: the provider of the patient's most frequent wellness encounters
    wellness = Counter(
        (e["PATIENT"], e["PROVIDER"]) for e in source_rows("encounters") if e["ENCOUNTERCLASS"] == "wellness"
    )
    (pid, provider), _ = wellness.most_common(1)[0]
    assert patients[pid]["pcp_provider_id"] == provider
    spoken = {o["PATIENT"]: o["VALUE"] for o in source_rows("observations") if o["CODE"] == "54899-0"}
    assert spoken and all(patients[pid]["language"] == value for pid, value in spoken.items())


def test_chest_radiograph_is_xr_other(fixture_result: AdapterResult):
    (image,) = rows_of(fixture_result, "imaging")
    assert (image["modality"], image["body_region"], image["report_text"]) == ("XR", "other", None)


def test_site_by_organization_uses_encounter_organisations():
    result = read_synthea(FIXTURE, site_by="organization")
    org_names = {o["NAME"] for o in source_rows("organizations")}
    sites = {r["site"] for r in rows_of(result, "patients")}
    assert sites <= org_names and len(sites) > 1


def old_export(folder: Path) -> Path:
    """Synthea 2.x: procedures dated by DATE, no SYSTEM, no CATEGORY, no FIPS/INCOME."""
    return write_export(
        folder,
        {
            "patients": [PATIENTS_2X, "p1,1970-01-02,,999,A,B,white,hispanic,F,Ohio,X County,44000"],
            "conditions": [
                "START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION",
                "2010-01-01,,p1,e1,279039007,Low back pain",
            ],
            "procedures": [
                "DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,BASE_COST,REASONCODE,REASONDESCRIPTION",
                "2011-02-03T10:00:00Z,p1,e1,183519002,Referral,10,,",
            ],
            "observations": [
                "DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,VALUE,UNITS,TYPE",
                "2011-02-03T10:00:00Z,p1,e1,72514-3,Pain severity,6,{score},numeric",
            ],
        },
    )


def new_export(folder: Path) -> Path:
    """Synthea 3.3+: SYSTEM in conditions and procedures, START/STOP, FIPS/INCOME."""
    return write_export(
        folder,
        {
            "patients": [
                PATIENTS_33,
                "p1,1970-01-02,,999,A,M,B,white,hispanic,M,Ohio,X County,39001,44000,1,2,50000",
            ],
            "conditions": [
                "START,STOP,PATIENT,ENCOUNTER,SYSTEM,CODE,DESCRIPTION",
                "2019-01-01,,p1,e1,SNOMED-CT,278860009,Chronic low back pain",
                "2019-01-02,,p1,e1,http://hl7.org/fhir/sid/icd-10-cm,M54.50,Low back pain",
                "2019-01-03,,p1,e1,LOINC,1234-5,Not a diagnosis",
            ],
            "procedures": [
                "START,STOP,PATIENT,ENCOUNTER,SYSTEM,CODE,DESCRIPTION,BASE_COST,REASONCODE,REASONDESCRIPTION",
                "2019-02-03T10:00:00Z,2019-02-03T11:00:00Z,p1,e1,SNOMED-CT,183519002,Referral,10,,",
                "2019-02-04T10:00:00Z,2019-02-04T11:00:00Z,p1,e1,,428191000124101,Docs,10,,",
            ],
            "observations": [
                "DATE,PATIENT,ENCOUNTER,CATEGORY,CODE,DESCRIPTION,VALUE,UNITS,TYPE",
                "2019-02-03T10:00:00Z,p1,e1,survey,72166-2,Tobacco smoking status,Never smoked tobacco,,text",
            ],
        },
    )


def test_old_variant_dates_procedures_by_date(tmp_path: Path):
    result = read_synthea(old_export(tmp_path))
    assert rows_of(result, "procedures") == [
        {"patient_id": "p1", "px_date": "2011-02-03", "code": "183519002", "code_system": "SNOMED"}
    ]
    assert rows_of(result, "diagnoses")[0]["code_system"] == "SNOMED"
    assert (
        rows_of(result, "observations")[0] | {"name": "pain_nrs", "value_num": 6.0}
        == rows_of(result, "observations")[0]
    )
    variant = next(n for n in result.notes if n.startswith("Synthea variant"))
    assert "procedures dated by DATE" in variant and "observations without CATEGORY" in variant


def test_new_variant_reads_system_and_rejects_unsupported(tmp_path: Path):
    result = read_synthea(new_export(tmp_path))
    dx = [(r["code"], r["code_system"]) for r in rows_of(result, "diagnoses")]
    assert dx == [("278860009", "SNOMED"), ("M54.50", "ICD10CM")]
    (reject,) = result.rejects
    assert (reject.table, reject.row_number) == ("diagnoses", 3)
    assert reject.reason.startswith("SYSTEM:") and "1234-5" not in reject.reason
    assert any("LOINC" in n for n in result.notes)  # the unsupported system is named once, in the notes
    px = rows_of(result, "procedures")
    assert [(r["px_date"], r["code_system"]) for r in px] == [
        ("2019-02-03", "SNOMED"),
        ("2019-02-04", "SNOMED"),
    ]
    assert "patients with FIPS/INCOME" in result.notes[0]
    assert rows_of(result, "observations")[0]["value_text"] == "never"  # from 'Never smoked tobacco'


@pytest.mark.parametrize(
    ("table", "header", "missing"),
    [
        ("procedures", "PATIENT,ENCOUNTER,CODE,DESCRIPTION", "DATE or START"),
        ("patients", "Id,BIRTHDATE,DEATHDATE,RACE,ETHNICITY,SEX,STATE", "GENDER"),
        ("observations", "DATE,PATIENT,CODE,DESCRIPTION,RESULT,TYPE", "VALUE"),
    ],
)
def test_unknown_variant_names_found_and_expected_columns(tmp_path: Path, table, header, missing):
    folder = old_export(tmp_path)
    (folder / f"{table}.csv").write_text(header + "\n", encoding="utf-8")
    with pytest.raises(LumbarError) as info:
        read_synthea(folder)
    message = str(info.value)
    assert f"{table}.csv" in message and "unknown variant" in message
    assert f"found columns: {header.replace(',', ', ')}; expected: " in message
    assert f"missing {missing}" in message and "\n" not in message


def test_procedures_with_both_date_and_start_is_an_unknown_variant(tmp_path: Path):
    folder = old_export(tmp_path)
    (folder / "procedures.csv").write_text("DATE,START,PATIENT,CODE\n", encoding="utf-8")
    with pytest.raises(LumbarError, match="both DATE and START"):
        read_synthea(folder)


def test_absent_tables_are_listed_not_fatal(tmp_path: Path):
    folder = write_export(tmp_path, {"patients": [PATIENTS_2X, "p1,1970-01-02,,999,A,B,white,x,F,Ohio,Y,1"]})
    result = read_synthea(folder)
    assert [s.table for s in result.sources] == ["patients"]
    assert set(result.missing_tables) == {
        "providers",
        "conditions",
        "procedures",
        "medications",
        "observations",
        "imaging_studies",
        "encounters",
    }
    assert any("pain scores, smoking, BMI" in n for n in result.notes)
    assert rows_of(result, "patients")[0]["pcp_provider_id"] is None


def test_no_patients_file_is_a_user_error(tmp_path: Path):
    write_export(tmp_path, {"conditions": ["START,PATIENT,CODE"]})
    with pytest.raises(LumbarError, match="no patients.csv"):
        read_synthea(tmp_path)


def test_imaging_one_row_per_study_and_other_modalities_rejected(tmp_path: Path):
    header = "Id,DATE,PATIENT,ENCOUNTER,BODYSITE_CODE,BODYSITE_DESCRIPTION,MODALITY_CODE,MODALITY_DESCRIPTION"
    folder = old_export(tmp_path)
    write_export(
        folder,
        {
            "imaging_studies": [
                header,
                "s1,2012-01-01T00:00:00Z,p1,e1,122496007,Lumbar spine structure,MR,Magnetic Resonance",
                "s1,2012-01-01T00:00:00Z,p1,e1,122496007,Lumbar spine structure,MR,Magnetic Resonance",
                "s2,2012-02-01T00:00:00Z,p1,e1,51185008,Thoracic structure,US,Ultrasound",
                "s3,2012-03-01T00:00:00Z,p1,e1,122495006,Thoracic spine structure,CR,Computed Radiography",
            ]
        },
    )
    result = read_synthea(folder)
    images = [(r["image_id"], r["modality"], r["body_region"]) for r in rows_of(result, "imaging")]
    assert images == [("s1", "MRI", "lumbar"), ("s3", "XR", "thoracic")]
    rejects = {r.row_number: r.reason for r in result.rejects if r.table == "imaging"}
    assert set(rejects) == {2, 3}
    assert "one row per study" in rejects[2] and "MODALITY_CODE" in rejects[3]


def test_fixture_loads_end_to_end(tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    report = load_directory(FIXTURE, warehouse, "synthea")
    for source in report.sources:
        assert source.rows_read == source.rows_loaded + source.rows_rejected
    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = {
            t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in ("patients", "diagnoses")
        }
        lbp = con.execute("select count(*) from raw.diagnoses where code = '278860009'").fetchone()[0]
    loaded = {s.table: s.rows_loaded for s in report.sources}
    assert counts == {"patients": loaded["patients"], "diagnoses": loaded["diagnoses"]}
    assert counts["patients"] == len(source_rows("patients"))
    assert lbp == sum(r["CODE"] == "278860009" for r in source_rows("conditions"))


def test_ragged_csv_is_a_user_error_that_does_not_echo_the_row(tmp_path: Path):
    folder = old_export(tmp_path)
    with (folder / "conditions.csv").open("a", encoding="utf-8") as handle:
        handle.write("2010-01-01,,p1,e1,279039007,Low back pain,zzsecret\n")
    with pytest.raises(LumbarError) as info:
        read_synthea(folder)
    assert "conditions.csv" in str(info.value) and "expected 6 columns, got 7" in str(info.value)
    assert "zzsecret" not in str(info.value)


def test_absent_optional_column_is_warned_about(tmp_path: Path):
    """encounters.csv without ORGANIZATION: read as empty, and the notes say so (variant columns such as
    SYSTEM are already described by the variant note and are not repeated)."""
    folder = tmp_path / "export"
    folder.mkdir()
    for path in FIXTURE.glob("*.csv"):
        (folder / path.name).write_bytes(path.read_bytes())
    encounters = folder / "encounters.csv"
    header, rest = encounters.read_text(encoding="utf-8").split("\n", 1)
    encounters.write_text(header.replace("ORGANIZATION", "ORG") + "\n" + rest, encoding="utf-8")
    result = read_synthea(folder, site_by="organization")
    (note,) = [n for n in result.notes if "optional column" in n]
    assert "encounters.csv" in note and "ORGANIZATION" in note and "SYSTEM" not in note
    assert not any("optional column" in n for n in read_synthea(FIXTURE).notes)


def test_cr_only_export_is_detected_and_loaded(tmp_path: Path):
    """Auto-detection reads the header of a CR-only ("CSV (Macintosh)") patients.csv instead of crashing."""
    folder = tmp_path / "export"
    folder.mkdir()
    for path in FIXTURE.glob("*.csv"):
        (folder / path.name).write_bytes(path.read_bytes())
    patients = folder / "patients.csv"
    patients.write_bytes(patients.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    report = load_directory(folder, tmp_path / "wh.duckdb")
    assert any(w.startswith("Synthea variant") for w in report.warnings)
    assert report.totals("patients")[1] == len(source_rows("patients"))


@pytest.mark.parametrize("mixed", [False, True])
def test_latin1_export_loads_and_mixed_encoding_is_an_error(tmp_path: Path, mixed: bool):
    """One rule with the contract loader: Latin-1 with a warning, UTF-8 mixed with other bytes an error."""
    folder = tmp_path / "export"
    folder.mkdir()
    for path in FIXTURE.glob("*.csv"):
        (folder / path.name).write_bytes(path.read_bytes())
    patients = folder / "patients.csv"
    rows = source_rows("patients")
    first = rows[0]["Id"].encode()
    text = patients.read_bytes().replace(first + b",", first[:-1] + b"\xe9,", 1)  # one id gets a Latin-1 byte
    if mixed:
        text = text.replace(
            rows[1]["Id"].encode() + b",", rows[1]["Id"][:-1].encode() + "é".encode() + b",", 1
        )
    patients.write_bytes(text)
    if mixed:
        with pytest.raises(LumbarError, match=r"patients.csv: mixes UTF-8 .* line [23]\)"):
            read_synthea(folder)
        return
    result = read_synthea(folder)
    assert f"{patients}: not valid UTF-8; read as Latin-1 (check accented text)" in result.notes
    ids = [r["patient_id"] for r in rows_of(result, "patients")]
    assert rows[0]["Id"][:-1] + "é" in ids and len(ids) == len(rows)


def test_contract_folder_is_not_a_synthea_export(tmp_path: Path):
    folder = tmp_path / "raw"
    folder.mkdir()
    pq_table = {"patient_id": ["P1"], "birth_date": ["1960-01-01"], "sex": ["F"], "site": ["a"]}
    pq.write_table(pa.table(pq_table), folder / "patients.parquet")
    with pytest.raises(LumbarError, match="holds no Synthea CSV export.*without --format synthea"):
        read_synthea(folder)


@pytest.mark.parametrize("fmt", ["synthea", "omop"])
def test_unknown_variant_message_keeps_its_column_lists_on_the_console(tmp_path: Path, fmt: str):
    """The CLI prints errors through rich; lists in [brackets] were swallowed as markup tags."""
    from typer.testing import CliRunner

    from ingest.cli import app

    folder = old_export(tmp_path / "export")
    if fmt == "omop":
        folder = tmp_path / "cdm"
        folder.mkdir()
        (folder / "PERSON.csv").write_text("person_id,gender_concept_id,yob\n1,8507,1970\n", encoding="utf-8")
    else:
        (folder / "patients.csv").write_text(
            "Id,BIRTHDATE,DEATHDATE,RACE,ETHNICITY,SEX,STATE\n", encoding="utf-8"
        )
    result = CliRunner().invoke(
        app, ["load", str(folder), "--format", fmt, "--warehouse", str(tmp_path / "w.db")]
    )
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert ("gender_concept_id, yob" if fmt == "omop" else "ETHNICITY, SEX, STATE") in output
    assert (
        "expected: person_id, gender_concept_id, year_of_birth" if fmt == "omop" else "expected: Id"
    ) in output


def test_adapter_error_is_exactly_one_line_on_stderr(tmp_path: Path):
    """No blank line before `error:` (the progress display used to leave one when stderr is not a terminal)."""
    folder = old_export(tmp_path / "export")
    patients = folder / "patients.csv"
    patients.write_bytes(patients.read_bytes() + "é\n".encode() + b"\xe9\n")  # fails while reading
    done = subprocess.run(
        [sys.executable, "-m", "ingest.cli", "load", str(folder), "--format", "synthea",
         "--warehouse", str(tmp_path / "w.duckdb")],
        cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, repr(done.stderr[:200])


# --- units ------------------------------------------------------------------------------------------

OBS_HEADER = "DATE,PATIENT,ENCOUNTER,CATEGORY,CODE,DESCRIPTION,VALUE,UNITS,TYPE"


def unit_export(folder: Path, rows: list[tuple[str, str, str]]) -> Path:
    """One patient with one numeric observation per (LOINC code, value, UNITS) row."""
    lines = [
        f"2020-01-0{i % 9 + 1},p1,e1,vital-signs,{code},Obs,{value},{unit},numeric"
        for i, (code, value, unit) in enumerate(rows)
    ]
    return write_export(
        folder,
        {
            "patients": [PATIENTS_2X, "p1,1970-01-02,,999,A,B,white,hispanic,F,Ohio,X County,44000"],
            "observations": [OBS_HEADER, *lines],
        },
    )


def test_fixture_units_are_lumbar_units(fixture_result: AdapterResult):
    # the real export writes kg, cm, kg/m2 and {score}: nothing is converted, rejected or warned about
    weights = [r["VALUE"] for r in source_rows("observations") if r["CODE"] == "29463-7"]
    mapped = [r["value_num"] for r in rows_of(fixture_result, "observations") if r["name"] == "weight_kg"]
    assert sorted(mapped) == sorted(float(v) for v in weights)
    assert not [r for r in fixture_result.rejects if r.table == "observations"]
    assert not [n for n in fixture_result.notes if "UNITS" in n]


@pytest.mark.parametrize(
    ("code", "value", "unit", "name", "expected"),
    [
        ("29463-7", "150", "[lb_av]", "weight_kg", 68.0388555),
        ("29463-7", "150", "lbs", "weight_kg", 68.0388555),
        ("29463-7", "3500", "g", "weight_kg", 3.5),
        ("29463-7", "70", "KG", "weight_kg", 70.0),
        ("8302-2", "70", "[in_i]", "height_cm", 177.8),
        ("8302-2", "70", "in", "height_cm", 177.8),
        ("8302-2", "1.75", "m", "height_cm", 175.0),
        ("8302-2", "175", "cm", "height_cm", 175.0),
        ("39156-5", "27.5", "kg/m2", "bmi", 27.5),
        ("72514-3", "6", "{score}", "pain_nrs", 6.0),
    ],
)
def test_units_are_converted_to_the_names_unit(tmp_path: Path, code, value, unit, name, expected):
    result = read_synthea(unit_export(tmp_path, [(code, value, unit)]))
    (row,) = rows_of(result, "observations")
    assert row["name"] == name
    assert row["value_num"] == pytest.approx(expected)


def test_unknown_unit_is_rejected_naming_column_and_unit_not_value(tmp_path: Path):
    rows = [
        ("29463-7", "11.3", "stone"),
        ("8302-2", "5.9", "%"),
        ("72514-3", "63", "mm"),
        ("29463-7", "70", "kg"),
    ]
    result = read_synthea(unit_export(tmp_path, rows))
    assert [r["value_num"] for r in rows_of(result, "observations")] == [70.0]
    reasons = {r.row_number: r.reason for r in result.rejects}
    assert reasons == {
        1: "UNITS: unit 'stone' is not one lumbar converts to kg for weight_kg",
        2: "UNITS: unit '%' is not one lumbar converts to cm for height_cm",
        3: "UNITS: unit 'mm' is not one lumbar converts to {score} for pain_nrs",
    }
    assert result.read_counts[str(tmp_path / "observations.csv")] == 4  # 1 loaded + 3 rejected


def test_missing_unit_is_read_as_lumbars_unit_and_counted(tmp_path: Path, monkeypatch):
    rows = [("29463-7", "70", ""), ("29463-7", "71", ""), ("8302-2", "175", ""), ("72166-2", "x", "")]
    result = read_synthea(unit_export(tmp_path, rows))
    assert [r["value_num"] for r in rows_of(result, "observations")][:3] == [70.0, 71.0, 175.0]
    (note,) = [n for n in result.notes if "no UNITS" in n]
    assert "<11 rows" in note and "70" not in note  # small counts hidden, values never shown
    monkeypatch.setenv("LUMBAR_SUPPRESS_BELOW", "0")
    (note,) = [n for n in read_synthea(tmp_path).notes if "no UNITS" in n]
    assert "3 rows (height_cm 1, weight_kg 2) have no UNITS" in note


def test_pounds_load_as_kilograms_end_to_end(tmp_path: Path):
    folder = unit_export(tmp_path / "export", [("29463-7", "150", "[lb_av]"), ("29463-7", "12", "stone")])
    warehouse = tmp_path / "lumbar.duckdb"
    load_directory(folder, warehouse, "synthea")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select name, round(value_num, 2) from raw.observations").fetchall() == [
            ("weight_kg", 68.04)
        ]
        assert con.execute("select reason from raw.rejects where table_name = 'observations'").fetchall() == [
            ("UNITS: unit 'stone' is not one lumbar converts to kg for weight_kg",)
        ]
