"""The OMOP adapter: a real CDM 5.4 sample, a hand-made CDM row by row, vocabulary presence,
Parquet and DuckDB inputs, unknown variants and missing tables."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from ingest.adapters import AdapterResult, read_omop
from ingest.errors import LumbarError
from ingest.load import load_directory

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "omop"
SYNTHEA27 = DATA / "synthea27nj"
HANDMADE = DATA / "handmade"


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def rows_of(result: AdapterResult, table: str) -> list[dict]:
    return [row for s in result.sources if s.table == table for row in s.data.to_pylist()]


def mapped_row(result: AdapterResult, table: str, source: str, row_number: int) -> dict:
    """The contract row made from 1-based source row `row_number` of the `source` table."""
    for s in result.sources:
        if s.table == table and Path(s.source_file).stem == source:
            numbers = s.row_numbers.to_pylist()
            if row_number in numbers:
                return s.data.slice(numbers.index(row_number), 1).to_pylist()[0]
    raise AssertionError(f"{source} row {row_number} was not loaded")


def reject_reason(result: AdapterResult, source: str, row_number: int) -> str:
    (reason,) = [
        r.reason for r in result.rejects if Path(r.source_file).stem == source and r.row_number == row_number
    ]
    return reason


def assert_accounted(result: AdapterResult) -> None:
    seen = Counter()
    for s in result.sources:
        seen[s.source_file] += s.data.num_rows
    for r in result.rejects:
        seen[r.source_file] += 1
    assert set(seen) <= set(result.read_counts)
    assert all(seen[k] == read for k, read in result.read_counts.items())


@pytest.fixture(scope="module")
def handmade() -> AdapterResult:
    return read_omop(HANDMADE)


def copy_without(tmp_path: Path, *tables: str) -> Path:
    folder = tmp_path / "cdm"
    shutil.copytree(HANDMADE, folder)
    for table in tables:
        (folder / f"{table}.csv").unlink()
    return folder


# --- the real CDM sample ----------------------------------------------------------------------------


def test_synthea27_sample_every_row_accounted():
    result = read_omop(SYNTHEA27)
    assert_accounted(result)
    for source_file, read in result.read_counts.items():
        assert read == len(csv_rows(Path(source_file)))
    assert result.missing_tables == []
    assert "SOURCE.md" in {p.name for p in SYNTHEA27.iterdir()}


def test_synthea27_sample_maps_standard_snomed_and_rxnorm():
    result = read_omop(SYNTHEA27)
    concepts = {r["concept_id"]: r for r in csv_rows(SYNTHEA27 / "CONCEPT.csv")}
    source = csv_rows(SYNTHEA27 / "CONDITION_OCCURRENCE.csv")
    lbp_persons = {
        r["person_id"] for r in source if concepts[r["condition_concept_id"]]["concept_code"] == "278860009"
    }
    dx = rows_of(result, "diagnoses")
    assert {
        r["patient_id"] for r in dx if (r["code"], r["code_system"]) == ("278860009", "SNOMED")
    } == lbp_persons
    assert len(lbp_persons) == 5  # as the fixture's SOURCE.md says
    drug = csv_rows(SYNTHEA27 / "DRUG_EXPOSURE.csv")[0]
    row = mapped_row(result, "prescriptions", "DRUG_EXPOSURE", 1)
    assert row["rxnorm_code"] == concepts[drug["drug_concept_id"]]["concept_code"]
    assert row["drug_name"] == concepts[drug["drug_concept_id"]]["concept_name"]


def test_synthea27_sample_loads_end_to_end(tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    report = load_directory(SYNTHEA27, warehouse, "omop")
    assert all(s.rows_read == s.rows_loaded + s.rows_rejected for s in report.sources)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        n = con.execute("select count(*) from raw.observations").fetchone()[0]
    assert n == sum(s.rows_loaded for s in report.sources if s.table == "observations") > 0


# --- the hand-made CDM, row by row ------------------------------------------------------------------


def test_handmade_every_row_accounted(handmade: AdapterResult):
    assert_accounted(handmade)
    assert handmade.missing_tables == []
    assert not any("CONCEPT" in n for n in handmade.notes)  # vocabulary present: nothing unavailable


@pytest.mark.parametrize(
    ("row", "code", "system", "why"),
    [
        (1, "M51.16", "ICD10CM", "source concept (ICD10CM) wins over the standard SNOMED concept"),
        (2, "722.10", "ICD9CM", "ICD-9 source value, source concept 0"),
        (3, "278860009", "SNOMED", "unrecognised source value: standard concept"),
        (4, "279039007", "SNOMED", "non-standard Read concept followed 'Maps to'"),
        (5, "M54.50", "ICD10CM", "ICD-10 shape, no concept"),
        (6, "V45.4", "ICD9CM", "V code fits both ICD shapes; dated before 2015-10-01"),
        (7, "E11.9", "ICD10CM", "E code with two digits is ICD-10 whatever the date"),
    ],
)
def test_handmade_diagnosis_codes(handmade: AdapterResult, row, code, system, why):
    mapped = mapped_row(handmade, "diagnoses", "condition_occurrence", row)
    assert (mapped["code"], mapped["code_system"]) == (code, system), why


def test_handmade_diagnosis_dates_and_rejects(handmade: AdapterResult):
    assert mapped_row(handmade, "diagnoses", "condition_occurrence", 7)["dx_date"] == "2012-09-30"  # YYYYMMDD
    assert "no ICD-9-CM, ICD-10-CM or SNOMED code" in reject_reason(handmade, "condition_occurrence", 8)


@pytest.mark.parametrize(
    ("row", "code", "system"),
    [
        (1, "63047", "CPT"),
        (2, "64483", "CPT"),
        (3, "J1040", "HCPCS"),
        (4, "0SB20ZZ", "ICD10PCS"),
        (5, "80.51", "ICD9PCS"),
    ]
    + [(6, "387713003", "SNOMED")],
)
def test_handmade_procedure_codes(handmade: AdapterResult, row, code, system):
    mapped = mapped_row(handmade, "procedures", "procedure_occurrence", row)
    assert (mapped["code"], mapped["code_system"]) == (code, system)


def test_handmade_unmappable_procedure_is_rejected(handmade: AdapterResult):
    assert "procedure_source_value" in reject_reason(handmade, "procedure_occurrence", 7)


def test_handmade_drugs(handmade: AdapterResult):
    name = mapped_row(handmade, "prescriptions", "drug_exposure", 1)
    assert (name["drug_name"], name["rxnorm_code"]) == ("IBUPROFEN 800 MG TAB", "197807")  # order text kept
    coded = mapped_row(handmade, "prescriptions", "drug_exposure", 2)
    assert (
        coded["drug_name"].startswith("Acetaminophen 325 MG / HYDROcodone")
        and coded["rxnorm_code"] == "857005"
    )
    free = mapped_row(handmade, "prescriptions", "drug_exposure", 3)
    assert (free["drug_name"], free["rxnorm_code"]) == ("norco 10/325", None)
    assert "no drug name" in reject_reason(handmade, "drug_exposure", 4)


def test_handmade_observations_and_measurements(handmade: AdapterResult):
    smoking = mapped_row(handmade, "observations", "observation", 1)
    assert (smoking["name"], smoking["value_text"]) == ("smoking", "never")  # value concept 'Never smoker'
    assert mapped_row(handmade, "observations", "observation", 4)["name"] == "Patient-reported fatigue"
    assert "no name" in reject_reason(handmade, "observation", 5)
    pain = mapped_row(handmade, "observations", "measurement", 1)
    assert (pain["name"], pain["value_num"], pain["value_text"]) == ("pain_nrs", 7.0, None)
    bmi = mapped_row(handmade, "observations", "measurement", 2)  # no source value: the LOINC concept
    assert (bmi["name"], bmi["value_num"]) == ("bmi", 31.2)
    other = mapped_row(handmade, "observations", "measurement", 3)
    assert (other["name"], other["value_num"], other["value_text"]) == ("718-7", None, "not done")


def test_handmade_patients_and_providers(handmade: AdapterResult):
    p1, p2, p3, p4 = (mapped_row(handmade, "patients", "person", i) for i in (1, 2, 3, 4))
    assert (p1["sex"], p1["race"], p1["site"], p1["pcp_provider_id"]) == (
        "F",
        "White",
        "Lumbar General Spine Center",
        "10",
    )
    assert (p2["birth_date"], p2["site"], p2["language"]) == ("1975-07-01", "OR", "English")  # latest answer
    assert (p3["sex"], p3["death_date"]) == ("F", "2021-11-30")  # sex from gender_source_value
    assert (p4["sex"], p4["site"]) == ("U", "HANDMADE")  # CDM_SOURCE abbreviation
    types = [mapped_row(handmade, "providers", "provider", i)["clinician_type"] for i in (1, 2, 3)]
    assert types == [None, "NP", "PA"]
    assert mapped_row(handmade, "providers", "provider", 1)["specialty"] == "General Practice"


@pytest.mark.parametrize(
    ("row", "modality", "region"),
    [(1, "MRI", "lumbar"), (2, "XR", "thoracic"), (3, "CT", "other"), (6, "MRI", "lumbar")],
)
def test_handmade_radiology_notes(handmade: AdapterResult, row, modality, region):
    image = mapped_row(handmade, "imaging", "note", row)
    assert (image["modality"], image["body_region"]) == (modality, region)
    assert image["report_text"] == csv_rows(HANDMADE / "note.csv")[row - 1]["note_text"]


@pytest.mark.parametrize(
    ("row", "reason"),
    [(4, "other than X-ray, MRI or CT"), (5, "not a radiology report"), (7, "naming no X-ray, MRI or CT")],
)
def test_handmade_notes_rejected(handmade: AdapterResult, row, reason):
    assert reason in reject_reason(handmade, "note", row)


# --- vocabulary present or not ----------------------------------------------------------------------


def test_without_vocabulary_source_values_still_map(tmp_path: Path):
    result = read_omop(copy_without(tmp_path, "concept", "concept_relationship"))
    assert_accounted(result)
    assert {"concept", "concept_relationship"} <= set(result.missing_tables)
    assert any(n.startswith("no CONCEPT table") for n in result.notes)
    first = mapped_row(result, "diagnoses", "condition_occurrence", 1)
    assert (first["code"], first["code_system"]) == ("M51.16", "ICD10CM")  # from the source value now
    assert "no CONCEPT table" in reject_reason(result, "condition_occurrence", 3)
    coded = mapped_row(result, "prescriptions", "drug_exposure", 2)
    assert (coded["drug_name"], coded["rxnorm_code"]) == ("857005", "857005")
    assert mapped_row(result, "patients", "person", 1)["race"] == "white"  # source value


def test_without_concept_relationship_non_standard_concepts_are_not_followed(tmp_path: Path):
    result = read_omop(copy_without(tmp_path, "concept_relationship"))
    assert any("CONCEPT_RELATIONSHIP" in n for n in result.notes)
    assert "condition_concept_id" in reject_reason(result, "condition_occurrence", 4)


def test_tab_separated_athena_concept_file(tmp_path: Path):
    folder = copy_without(tmp_path, "concept")
    with (HANDMADE / "concept.csv").open(newline="", encoding="utf-8") as src:
        rows = list(csv.reader(src))
    rows[7][1] = 'Pain "chronic" low back'  # Athena files are unquoted; quotes are plain text
    (folder / "CONCEPT.csv").write_text("\n".join("\t".join(r) for r in rows) + "\n", encoding="utf-8")
    result = read_omop(folder)
    assert mapped_row(result, "diagnoses", "condition_occurrence", 3)["code"] == "278860009"


# --- other inputs -----------------------------------------------------------------------------------


def comparable(result: AdapterResult) -> dict[str, list]:
    """Mapped rows per (table, source table name), whatever file or database they came from."""
    return {
        (s.table, Path(s.source_file.replace(":main.", "/")).stem): sorted(map(repr, s.data.to_pylist()))
        for s in result.sources
    }


def test_parquet_files_map_like_csv(tmp_path: Path, handmade: AdapterResult):
    folder = tmp_path / "parquet"
    folder.mkdir()
    for path in HANDMADE.glob("*.csv"):
        pq.write_table(pacsv.read_csv(path), folder / f"{path.stem}.parquet")  # typed columns
    result = read_omop(folder)
    assert_accounted(result)
    assert comparable(result) == comparable(handmade)


def test_duckdb_database_maps_like_csv(tmp_path: Path, handmade: AdapterResult):
    database = tmp_path / "cdm.duckdb"
    with duckdb.connect(str(database)) as con:
        for path in HANDMADE.glob("*.csv"):
            con.execute(f"create table {path.stem} as select * from read_csv('{path}', header = true)")
    result = read_omop(database)
    assert_accounted(result)
    assert all(f"{database}:main." in k for k in result.read_counts)
    assert comparable(result) == comparable(handmade)


def test_unknown_variant_names_found_and_expected_columns(tmp_path: Path):
    folder = copy_without(tmp_path)
    (folder / "person.csv").write_text(
        "person_id,gender_concept_id,birth_year\n1,8507,1970\n", encoding="utf-8"
    )
    with pytest.raises(LumbarError) as info:
        read_omop(folder)
    message = str(info.value)
    assert "person.csv" in message and "found columns: person_id, gender_concept_id, birth_year;" in message
    assert "missing year_of_birth" in message


def test_missing_tables_are_listed(tmp_path: Path):
    folder = tmp_path / "only_person"
    folder.mkdir()
    shutil.copy(HANDMADE / "person.csv", folder / "PERSON.csv")
    result = read_omop(folder)
    assert [s.table for s in result.sources] == ["patients"]
    assert {"condition_occurrence", "note", "concept", "death"} <= set(result.missing_tables)
    assert mapped_row(result, "patients", "PERSON", 1)["site"] == "omop"


@pytest.mark.parametrize("kind", ["no person", "not a cdm"])
def test_bad_inputs_are_user_errors(tmp_path: Path, kind: str):
    if kind == "no person":
        path = copy_without(tmp_path, "person")
        match = "no person table"
    else:
        path = tmp_path / "notes.txt"
        path.write_text("x", encoding="utf-8")
        match = "not an OMOP CDM"
    with pytest.raises(LumbarError, match=match):
        read_omop(path)


def test_handmade_loads_end_to_end(tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    report = load_directory(HANDMADE, warehouse, "omop")
    for s in report.sources:
        assert s.rows_read == s.rows_loaded + s.rows_rejected
        assert s.rows_read == len(csv_rows(Path(s.source_file)))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        images = con.execute(
            "select image_id, modality, body_region from raw.imaging order by image_id"
        ).fetchall()
        orphan = con.execute(
            "select reason from raw.rejects where table_name = 'diagnoses' and row_number = 9"
        ).fetchall()
    assert images == [
        ("501", "MRI", "lumbar"),
        ("502", "XR", "thoracic"),
        ("503", "CT", "other"),
        ("506", "MRI", "lumbar"),
    ]
    assert orphan and "patient" in orphan[0][0]  # person 99 does not exist: the loader rejects it


def test_duckdb_cdm_and_vocabulary_schemas_and_views(tmp_path: Path, handmade: AdapterResult):
    database = tmp_path / "omop.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema cdm; create schema vocab")
        for path in HANDMADE.glob("*.csv"):
            schema = "vocab" if path.stem.startswith("concept") else "cdm"
            kind = "view" if path.stem == "person" else "table"  # views have no rowid
            con.execute(
                f"create {kind} {schema}.{path.stem} as select * from read_csv('{path}', header = true)"
            )
    result = read_omop(database)
    assert_accounted(result)
    assert not any("CONCEPT" in n for n in result.notes)  # vocabulary found in its own schema
    ids = [r["code"] for r in rows_of(result, "diagnoses")]
    assert ids == [r["code"] for r in rows_of(handmade, "diagnoses")]


def test_duckdb_cdm_loads_in_a_fresh_process(tmp_path: Path):
    """A CDM in a DuckDB file loads from the command line. A fresh interpreter matters: the mapping once
    used `pa.compute` without importing it and only worked when another reader had imported it first."""
    database = tmp_path / "cdm.duckdb"
    with duckdb.connect(str(database)) as con:
        for path in SYNTHEA27.glob("*.csv"):
            con.execute(
                f"create table {path.stem.lower()} as select * from read_csv('{path}', header = true)"
            )
    warehouse = tmp_path / "wh.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "ingest.cli", "load", str(database), "--warehouse", str(warehouse)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    expected = read_omop(SYNTHEA27)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        n = con.execute("select count(*) from raw.patients").fetchone()[0]
    assert n == sum(s.data.num_rows for s in expected.sources if s.table == "patients") > 0


@pytest.mark.parametrize("where", ["folder", "duckdb"])
def test_renamed_optional_column_is_warned_about(tmp_path: Path, where: str):
    """A renamed optional column is read as empty; the load report must say so, naming table and column."""
    folder = tmp_path / "cdm"
    shutil.copytree(SYNTHEA27, folder)
    measurement = folder / "MEASUREMENT.csv"
    header, rest = measurement.read_text(encoding="utf-8").split("\n", 1)
    measurement.write_text(header.replace("value_as_number", "val_num") + "\n" + rest, encoding="utf-8")
    source = folder
    if where == "duckdb":
        source = tmp_path / "cdm.duckdb"
        with duckdb.connect(str(source)) as con:
            for path in folder.glob("*.csv"):
                con.execute(
                    f"create table {path.stem.lower()} as select * from read_csv('{path}', header = true)"
                )
    report = load_directory(source, tmp_path / "wh.duckdb", "omop")
    (warning,) = [w for w in report.warnings if "optional column" in w]
    assert "value_as_number" in warning and "measurement" in warning.lower()
    assert "absent" in warning


def test_complete_cdm_has_no_absent_column_warning():
    assert not any("optional column" in n for n in read_omop(SYNTHEA27).notes)


@pytest.mark.parametrize("table", ["person", "concept"])
def test_latin1_file_is_read_as_latin1_with_a_warning(tmp_path: Path, table: str, handmade: AdapterResult):
    """PERSON is read whole (pyarrow), CONCEPT is scanned by DuckDB: both fall back to Latin-1 the same way."""
    folder = copy_without(tmp_path)
    path = folder / f"{table}.csv"
    text = path.read_bytes()
    path.write_bytes(
        text.replace(b",white,", b",blanc \xe9tudi\xe9,")
        if table == "person"
        else text.replace(b"FEMALE", b"F\xc9MALE")
    )
    result = read_omop(folder)
    assert any(n == f"{path}: not valid UTF-8; read as Latin-1 (check accented text)" for n in result.notes)
    assert_accounted(result)
    person = mapped_row(result, "patients", "person", 1)
    if table == "person":
        assert person["race"] in ("White", "blanc étudié")  # the concept name wins where there is one
    assert comparable(result).keys() == comparable(handmade).keys()


@pytest.mark.parametrize("table", ["person", "concept"])
def test_mixed_encodings_are_a_one_line_error(tmp_path: Path, table: str):
    folder = copy_without(tmp_path)
    path = folder / f"{table}.csv"
    text = path.read_bytes()
    if table == "concept":
        text = text.replace(b"FEMALE", b"F\xc9MALE").replace(b",MALE,", ",MÄLE,".encode())
    else:
        text = text.replace(b",white,", ",whité,".encode()).replace(b",Asian,", b",Asi\xe1n,")
    path.write_bytes(text)
    with pytest.raises(LumbarError) as info:
        read_omop(folder)
    assert str(path) in str(info.value) and "mixes UTF-8" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("damage", ["truncated", "ragged"])
def test_damaged_vocabulary_file_is_a_one_line_error(tmp_path: Path, damage: str):
    """CONCEPT.csv is scanned by DuckDB (too big to hold as text); its CSV errors are one line, naming it."""
    folder = tmp_path / "cdm"
    shutil.copytree(SYNTHEA27, folder)
    concept = folder / "CONCEPT.csv"
    text = concept.read_bytes()
    if damage == "truncated":
        concept.write_bytes(text[:20_000])  # cut inside a row
    else:
        lines = text.split(b"\n")
        lines[len(lines) // 2] += b",extra,fields"
        concept.write_bytes(b"\n".join(lines))
    with pytest.raises(LumbarError) as info:
        read_omop(folder)
    message = str(info.value)
    assert message.startswith(str(concept)) and "\n" not in message


# --- units and values of observations ---------------------------------------------------------------

MEASUREMENT_HEADER = (HANDMADE / "measurement.csv").read_text(encoding="utf-8").splitlines()[0]
# local unit concepts (the 2-billion range is OMOP's for site concepts) standing for UCUM pound and metre
UNIT_CONCEPTS = [
    "2000000901,pound (US and British),Unit,UCUM,Unit,S,[lb_av],1970-01-01,2099-12-31,",
    "2000000902,meter,Unit,UCUM,Unit,S,m,1970-01-01,2099-12-31,",
]


def unit_cdm(tmp_path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """The hand-made CDM with measurement.csv holding (source LOINC, value, unit_concept_id,
    unit_source_value) rows for person 1, and two UCUM unit concepts added to CONCEPT."""
    folder = copy_without(tmp_path)
    lines = [
        f"{i},1,0,2016-05-03,,,32817,0,{value},0,{unit_id},,,10,,,{loinc},0,{unit},,{value},,"
        for i, (loinc, value, unit_id, unit) in enumerate(rows, start=1)
    ]
    (folder / "measurement.csv").write_text("\n".join([MEASUREMENT_HEADER, *lines]) + "\n", encoding="utf-8")
    with (folder / "concept.csv").open("a", encoding="utf-8") as concept:
        concept.write("\n".join(UNIT_CONCEPTS) + "\n")
    return folder


UNIT_ROWS = [
    ("29463-7", "150", "0", "lb"),  # 1: source value, common spelling
    ("29463-7", "150", "2000000901", ""),  # 2: UCUM concept [lb_av]
    ("8302-2", "1.75", "2000000902", "m"),  # 3: UCUM concept m
    ("8302-2", "70", "0", "[in_i]"),  # 4: UCUM code as source value
    ("29463-7", "70", "9529", "kg"),  # 5: kilogram concept (not in this CONCEPT: the source value)
    ("29463-7", "11", "0", "stone"),  # 6: unknown: rejected
    ("29463-7", "70", "0", ""),  # 7: no unit: read as kg, counted
]


def test_measurement_units_are_converted_or_rejected(tmp_path: Path):
    result = read_omop(unit_cdm(tmp_path, UNIT_ROWS))
    assert_accounted(result)
    expected = {1: ("weight_kg", 68.0388555), 2: ("weight_kg", 68.0388555), 3: ("height_cm", 175.0)}
    expected |= {4: ("height_cm", 177.8), 5: ("weight_kg", 70.0), 7: ("weight_kg", 70.0)}
    for row, (name, value) in expected.items():
        mapped = mapped_row(result, "observations", "measurement", row)
        assert (mapped["name"], mapped["value_num"]) == (name, pytest.approx(value))
    assert reject_reason(result, "measurement", 6) == (
        "unit_concept_id, unit_source_value: unit 'stone' is not one lumbar converts to kg for weight_kg"
    )
    (note,) = [n for n in result.notes if "no unit" in n]
    assert "(weight_kg *) have no unit (unit_concept_id and unit_source_value empty)" in note


def test_measurement_units_without_vocabulary(tmp_path: Path):
    # without CONCEPT a unit concept resolves only through unit_source_value or lumbar's own units
    rows = [
        ("29463-7", "70", "9529", ""),
        ("29463-7", "150", "2000000901", ""),
        ("29463-7", "150", "2000000901", "lb"),
    ]
    folder = unit_cdm(tmp_path, rows)
    (folder / "concept.csv").unlink()
    result = read_omop(folder)
    assert mapped_row(result, "observations", "measurement", 1)["value_num"] == 70.0
    assert "unit 'concept 2000000901' is not one lumbar converts to kg" in reject_reason(
        result, "measurement", 2
    )
    assert mapped_row(result, "observations", "measurement", 3)["value_num"] == pytest.approx(68.0388555)


def test_synthea27_sample_units_are_lumbars_units():
    result = read_omop(SYNTHEA27)
    source = csv_rows(SYNTHEA27 / "MEASUREMENT.csv")
    weights = sorted(
        float(r["value_as_number"]) for r in source if r["measurement_source_value"] == "29463-7"
    )
    assert (
        sorted(r["value_num"] for r in rows_of(result, "observations") if r["name"] == "weight_kg") == weights
    )
    assert not [r for r in result.rejects if r.table == "observations"]
    assert not [n for n in result.notes if "no unit" in n]


def test_synthea27_sample_rows_without_a_value_are_counted_per_name():
    # the sample's ETL wrote no answer at all into OBSERVATION: every row, smoking included, is a bare name
    result = read_omop(SYNTHEA27)
    source = csv_rows(SYNTHEA27 / "OBSERVATION.csv")
    smoking = sum(r["observation_source_value"] == "72166-2" for r in source)
    (note,) = [n for n in result.notes if n.startswith(str(SYNTHEA27 / "OBSERVATION.csv"))]
    assert f"{len(source):,} rows (smoking {smoking}, " in note
    assert "other names" in note and "have no value" in note and "loaded as names only" in note
    assert not any(r["person_id"] in note.split() for r in source[:50])  # counts, never patients
    assert {r["value_text"] for r in rows_of(result, "observations") if r["name"] == "smoking"} == {None}


def test_rows_without_a_value_small_counts_hidden(handmade: AdapterResult):
    # observation row 4 is the only bare name; row 1 (smoking with a value concept) is not counted
    (note,) = [n for n in handmade.notes if "have no value" in n]
    assert note.startswith(str(HANDMADE / "observation.csv") + ": <11 rows (other names *) have no value")
