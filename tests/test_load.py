"""Loader behaviour: counts, idempotence, appends, atomicity, busy warehouse, permissions, adapters."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from rich.console import Console

import ingest.load as load_module
from ingest.errors import LumbarError
from ingest.load import LoadReport, Reject, SourceTable, load_directory, load_sources

PATIENTS = (
    "patient_id,birth_date,sex,race,ethnicity,site,death_date,pcp_provider_id,language\n"
    "P1,1960-01-05,F,White,,north,,,en\n"
    "P2,1975-07-20,M,,,north,,,\n"
    "P3,1982-03-11,F,,,south,2021-06-30,,\n"
    "P4,1982-02-30,F,,,south,,,\n"  # not a calendar date -> rejected
)
DIAGNOSES = (
    "patient_id,dx_date,code,code_system\n"
    "P1,2020-01-01,M54.5,ICD10CM\n"
    "P1,2020-01-02,724.2,ICD9CM\n"
    "P2,2020-01-03,M51.16,ICD10CM\n"
    "P4,2020-01-04,M54.5,ICD10CM\n"  # patient rejected
    "P9,2020-01-05,M54.5,ICD10CM\n"  # orphan
)


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text)
    return folder


def counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()]
        return {n: con.execute(f"select count(*) from raw.{n}").fetchone()[0] for n in names}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write(tmp_path / "src", patients=PATIENTS, diagnoses=DIAGNOSES)


def test_read_equals_loaded_plus_rejected(source: Path, tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    report = load_directory(source, warehouse)
    assert report.totals("patients") == (4, 3, 1)
    assert report.totals("diagnoses") == (5, 3, 2)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        logged = con.execute(
            "select table_name, rows_read, rows_loaded, rows_rejected from raw.loads order by 1"
        ).fetchall()
        for table, read, loaded, rejected in logged:
            assert read == loaded + rejected
            assert con.execute(f"select count(*) from raw.{table}").fetchone()[0] == loaded
            stored = con.execute("select count(*) from raw.rejects where table_name = ?", [table]).fetchone()[
                0
            ]
            assert stored == rejected
    assert {t for t, *_ in logged} == {"patients", "diagnoses"}


def test_reload_is_idempotent(source: Path, tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    first = load_directory(source, warehouse)
    before = counts(warehouse)
    again = load_directory(source, warehouse)
    assert first.load_id == 1 and again.load_id is None
    assert [s.skipped for s in again.sources] == [True, True]
    assert counts(warehouse) == before


def test_new_version_appends_and_rejects_known_patients(source: Path, tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    load_directory(source, warehouse)
    v2 = write(
        tmp_path / "v2",
        patients=PATIENTS.splitlines()[0]
        + "\nP1,1960-01-05,F,White,,north,,,en\nP5,1990-01-01,M,,,north,,,\n",
        diagnoses=DIAGNOSES,  # same bytes: skipped
    )
    report = load_directory(v2, warehouse)
    assert report.load_id == 2
    assert report.totals("patients") == (2, 1, 1)
    assert report.reject_reasons == {("patients", "patient_id: already loaded by an earlier load"): 1}
    assert [s.table for s in report.skipped] == ["diagnoses"]
    assert counts(warehouse)["patients"] == 4


def test_a_known_patient_whose_row_changed_is_named_as_not_updated(source: Path, tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    load_directory(source, warehouse)
    # a newer cumulative extract: P1 unchanged, P2 died since and changed site
    header = PATIENTS.splitlines()[0]
    v2 = write(
        tmp_path / "v2",
        patients=header + "\nP1,1960-01-05,F,White,,north,,,en\nP2,1975-07-20,M,,,south,2023-01-02,,\n",
    )
    report = load_directory(v2, warehouse)
    assert report.totals("patients") == (2, 0, 2)
    changed = (
        "patient_id: already loaded by an earlier load with other site, death_date (not updated: a load only adds "
        "rows; load a corrected extract into a fresh warehouse)"
    )
    assert report.reject_reasons == {
        ("patients", "patient_id: already loaded by an earlier load"): 1,
        ("patients", changed): 1,
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select death_date from raw.patients where patient_id = 'P2'").fetchall() == [
            (None,)
        ]


def test_an_overlapping_extract_adds_only_its_new_event_rows(source: Path, tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    load_directory(source, warehouse)
    # a cumulative extract: everything of the first one (in another order), an in-file repeat and one new row
    rows = DIAGNOSES.splitlines()
    cumulative = "\n".join([rows[0], rows[2], rows[1], rows[3], "P2,2020-02-01,M48.06,ICD10CM"]) + "\n"
    cumulative += "P2,2020-02-01,M48.06,ICD10CM\n"  # the same code twice in one file stays: two encounters
    report = load_directory(write(tmp_path / "v2", patients=PATIENTS, diagnoses=cumulative), warehouse)
    assert report.totals("diagnoses") == (5, 2, 3)
    reason = "identical to a row loaded by an earlier load (overlapping extract?)"
    assert report.reject_reasons[("diagnoses", reason)] == 3
    with duckdb.connect(str(warehouse), read_only=True) as con:
        dx = con.execute(
            "select patient_id, dx_date::varchar, code from raw.diagnoses order by all"
        ).fetchall()
    assert dx == [
        ("P1", "2020-01-01", "M54.5"),
        ("P1", "2020-01-02", "724.2"),
        ("P2", "2020-01-03", "M51.16"),
        ("P2", "2020-02-01", "M48.06"),
        ("P2", "2020-02-01", "M48.06"),
    ]


def test_events_may_reference_patients_from_an_earlier_load(source: Path, tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    load_directory(source, warehouse)
    extra = (
        "patient_id,dx_date,code,code_system\nP3,2021-01-01,M48.06,ICD10CM\nP3,2022-01-01,M48.06,ICD10CM\n"
    )
    report = load_directory(write(tmp_path / "more", patients=PATIENTS, diagnoses=extra), warehouse)
    # P3 died 2021-06-30: the 2022 event is too late; the 2021 one finds P3 from load 1
    assert report.totals("diagnoses") == (2, 1, 1)


def test_failure_in_second_table_loads_nothing(tmp_path: Path):
    bad_dx = "patient_id,dx_date,code,code_system\nP1,2020-01-01,M54.5,ICD10CM,extra\n"
    src = write(tmp_path / "src", patients=PATIENTS, diagnoses=bad_dx)
    fresh = tmp_path / "new" / "lumbar.duckdb"
    with pytest.raises(LumbarError, match="diagnoses.csv near line 2"):
        load_directory(src, fresh)
    assert not fresh.exists() and not fresh.parent.exists()

    existing = tmp_path / "lumbar.duckdb"
    load_directory(write(tmp_path / "ok", patients=PATIENTS), existing)
    before = counts(existing)
    with pytest.raises(LumbarError):
        load_directory(src, existing)
    assert counts(existing) == before


def test_damaged_parquet_page_is_one_line_and_loads_nothing(tmp_path: Path):
    """Parquet is read through a view, so a damaged data page (footer intact) is met during validation."""
    import random

    import pyarrow.parquet as pq

    rng = random.Random(1)
    n = 50_000
    diagnoses = pa.table({
        "patient_id": [f"P{rng.getrandbits(60):x}" for _ in range(n)], "dx_date": ["2020-01-01"] * n,
        "code": ["M54.5"] * n, "code_system": ["ICD10CM"] * n,
    })  # fmt: skip
    src = write(tmp_path / "src", patients=PATIENTS)
    path = src / "diagnoses.parquet"
    pq.write_table(diagnoses, path, compression="snappy", use_dictionary=False, data_page_size=16 * 1024)
    data = bytearray(path.read_bytes())
    data[len(data) // 8 : len(data) // 4] = bytes(len(data) // 4 - len(data) // 8)  # zero some pages
    path.write_bytes(bytes(data))
    warehouse = tmp_path / "lumbar.duckdb"
    with pytest.raises(LumbarError, match="diagnoses.parquet: reading failed during validation") as info:
        load_directory(src, warehouse)
    assert "\n" not in str(info.value)
    assert not warehouse.exists()


def test_error_while_writing_rolls_back(source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    warehouse = tmp_path / "lumbar.duckdb"
    load_directory(write(tmp_path / "first", patients=PATIENTS.replace("P1,", "P0,")), warehouse)
    before = counts(warehouse)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")  # after raw.patients / raw.diagnoses got their rows

    monkeypatch.setattr(load_module, "_write_extra_rejects", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        load_directory(source, warehouse)
    assert counts(warehouse) == before


def test_busy_warehouse_is_one_line(tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    duckdb.connect(str(warehouse)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(LumbarError) as info:
            load_directory(write(tmp_path / "src", patients=PATIENTS), warehouse)
    finally:
        holder.kill()
        holder.wait()
    assert str(info.value) == (
        f"warehouse {warehouse} is busy: another lumbar process is writing to it; retry when it finishes"
    )


def test_warehouse_created_owner_only(source: Path, tmp_path: Path):
    tmp_path.chmod(0o755)
    warehouse = tmp_path / "a" / "b" / "lumbar.duckdb"
    load_directory(source, warehouse)
    assert stat.S_IMODE(os.stat(warehouse).st_mode) == 0o600
    for folder in (warehouse.parent, warehouse.parent.parent):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path).st_mode) == 0o755  # an existing folder is left alone


def test_not_a_duckdb_file(source: Path, tmp_path: Path):
    warehouse = tmp_path / "notes.txt"
    warehouse.write_text("hello")
    with pytest.raises(LumbarError, match="not a DuckDB file"):
        load_directory(source, warehouse)
    assert warehouse.read_text() == "hello"


def test_format_csv_ignores_parquet_with_warning(source: Path, tmp_path: Path):
    (source / "procedures.parquet").write_bytes(b"PAR1")
    report = load_directory(source, tmp_path / "lumbar.duckdb", fmt="csv")
    assert any("procedures.parquet" in w for w in report.warnings)
    with pytest.raises(LumbarError, match="not one of"):
        load_directory(source, tmp_path / "lumbar.duckdb", fmt="xlsx")


def test_small_counts_are_suppressed_in_the_printed_report(tmp_path: Path):
    report = LoadReport(tmp_path / "w.duckdb", 1)
    report.sources.append(load_module.SourceLoad("diagnoses", "d.csv", "h", 12, 7, 5))
    report.reject_reasons[("diagnoses", "dx_date: in the future")] = 5
    console = Console(record=True, width=200, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(report.to_rich_table())
    text = console.export_text()
    assert "12" in text and "<11" in text
    assert " 7 " not in text and " 5 " not in text


def test_a_few_rejects_cannot_be_found_by_subtraction(tmp_path: Path):
    report = LoadReport(tmp_path / "w.duckdb", 1)
    report.sources.append(load_module.SourceLoad("diagnoses", "d.csv", "h", 500, 495, 5))
    report.reject_reasons[("diagnoses", "dx_date: in the future")] = 3
    report.reject_reasons[("diagnoses", "code: blank")] = 2
    report.sources.append(load_module.SourceLoad("procedures", "p.csv", "h", 900, 600, 300))
    report.reject_reasons[("procedures", "proc_date: in the future")] = 296
    report.reject_reasons[("procedures", "code: blank")] = 4
    console = Console(record=True, width=200, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(report.to_rich_table())
    text = console.export_text()
    assert "all but <11" in text and "495" not in text  # 500 read - 495 loaded = 5 rejected
    assert "296" not in text  # 300 rejected - 296 = 4 blank codes
    assert "cannot be worked out" in " ".join(text.split())  # the caption wraps
    assert "600" in text and "300" in text


def _printed(report: LoadReport) -> str:
    console = Console(record=True, width=200, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(report.to_rich_table())
    return console.export_text()


def test_a_few_loaded_rows_cannot_be_found_by_subtraction(tmp_path: Path):
    # a newer cumulative extract: nearly every row was loaded before, one is new
    report = LoadReport(tmp_path / "w.duckdb", 2)
    report.sources.append(load_module.SourceLoad("diagnoses", "d.csv", "h", 435, 1, 434))
    report.reject_reasons[("diagnoses", "identical to a row loaded by an earlier load")] = 434
    text = _printed(report)
    assert "435" in text and "434" not in text  # 435 read - 434 rejected = 1 loaded
    assert "all but <11" in text


def test_rejects_of_a_table_fed_by_two_files_do_not_give_a_small_load_away(tmp_path: Path):
    # OMOP observation + measurement both feed observations; the reasons add up over both files
    report = LoadReport(tmp_path / "w.duckdb", 2)
    report.sources.append(load_module.SourceLoad("observations", "OBSERVATION.csv", "h", 100, 2, 98))
    report.sources.append(load_module.SourceLoad("observations", "MEASUREMENT.csv", "h", 500, 400, 100))
    report.reject_reasons[("observations", "identical to a row loaded by an earlier load")] = 150
    report.reject_reasons[("observations", "obs_date: in the future")] = 48
    text = _printed(report)
    # shown: read 100 and 500, loaded 400, rejected 100; 198 - 100 = 98 would give 100 - 98 = 2 away
    assert "98" not in text and "198" not in text
    assert not ("150" in text and "48" in text)


def _arrow_patients() -> pa.Table:
    return pa.table(
        {
            "patient_id": ["S1", "S2", "S3"],
            "birth_date": pa.array([3000, 4000, 5000], pa.int32()).cast(pa.date32()),
            "sex": ["F", "M", "Q"],
            "site": ["nj", "nj", "nj"],
        }
    )


def test_load_sources_from_an_adapter(tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    patients = SourceTable("patients", _arrow_patients(), "synthea/patients.csv", "h1", pa.array([2, 5, 9]))
    dx = SourceTable(
        "diagnoses",
        pa.table(
            {
                "patient_id": ["S1"],
                "dx_date": ["2020-01-01T00:00:00Z"],
                "code": ["M54.5"],
                "code_system": ["ICD10CM"],
            }
        ),
        "synthea/conditions.csv",
        "h2",
    )
    unmapped = [Reject("diagnoses", "synthea/conditions.csv", 7, "code: no ICD-10-CM mapping")]
    report = load_sources(
        [patients, dx],
        warehouse,
        extra_rejects=unmapped,
        read_counts={"synthea/patients.csv": 3, "synthea/conditions.csv": 2},
    )
    assert report.totals("patients") == (3, 2, 1)
    assert report.totals("diagnoses") == (2, 1, 1)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rejects = con.execute(
            "select table_name, row_number, reason from raw.rejects order by 1, 2"
        ).fetchall()
    assert rejects == [
        ("diagnoses", 7, "code: no ICD-10-CM mapping"),
        ("patients", 9, "sex: not one of F, M, U"),  # the adapter's row number, not the Arrow position
    ]
    again = load_sources([patients, dx], warehouse, extra_rejects=unmapped)
    assert again.load_id is None and counts(warehouse)["rejects"] == 2


def test_load_sources_catches_rows_an_adapter_dropped(tmp_path: Path):
    patients = SourceTable("patients", _arrow_patients(), "p.csv", "h1")
    with pytest.raises(RuntimeError, match="read 4 rows"):
        load_sources([patients], tmp_path / "lumbar.duckdb", read_counts={"p.csv": 4})
    assert not (tmp_path / "lumbar.duckdb").exists()


def test_auto_format_recognises_a_synthea_export(tmp_path: Path):
    synthea = write(tmp_path / "synthea", patients="Id,BIRTHDATE,DEATHDATE,GENDER\nabc,1960-01-05,,F\n")
    contract = write(tmp_path / "contract", patients=PATIENTS)
    omop = write(tmp_path / "omop", person="person_id\n1\n")
    assert load_module.detect_format(synthea) == "synthea"
    assert load_module.detect_format(contract) == "files"
    assert load_module.detect_format(omop) == "omop"


def test_a_memory_limit_duckdb_cannot_parse_is_a_one_line_error(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ingest.cli import app

    raw = write(tmp_path / "raw", patients=PATIENTS, diagnoses=DIAGNOSES)
    warehouse = tmp_path / "wh" / "lumbar.duckdb"
    monkeypatch.setenv("LUMBAR_DUCKDB_MEMORY_LIMIT", "lots")
    runner = CliRunner()
    for argv in (["load", str(raw), "--warehouse", str(warehouse)], ["build", "--warehouse", str(warehouse)]):
        result = runner.invoke(app, argv)
        assert result.exit_code == 2, result.output
        assert "LUMBAR_DUCKDB_MEMORY_LIMIT='lots'" in result.output
        assert "Traceback" not in result.output
        assert not warehouse.exists()


@pytest.mark.parametrize("kind", ["parent is a file", "cannot create parent", "name too long"])
def test_warehouse_path_that_cannot_be_created_is_one_line(source: Path, tmp_path: Path, kind: str):
    (tmp_path / "notes.txt").write_text("hello")
    warehouse = {
        "parent is a file": tmp_path / "notes.txt" / "sub" / "lumbar.duckdb",
        "cannot create parent": Path("/proc/lumbar-test/lumbar.duckdb"),
        "name too long": tmp_path / ("a" * 300) / "lumbar.duckdb",
    }[kind]
    with pytest.raises(LumbarError) as info:
        load_directory(source, warehouse)
    assert str(info.value).startswith(f"cannot create warehouse {warehouse}") and "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "src"]


@pytest.mark.parametrize("table", ["patients", "diagnoses"])
def test_dangling_link_is_one_line(source: Path, tmp_path: Path, table: str):
    """Files are hashed before anything else reads them: a broken link must not be a traceback there."""
    (source / f"{table}.csv").unlink()
    (source / f"{table}.csv").symlink_to(tmp_path / "nowhere.csv")
    warehouse = tmp_path / "lumbar.duckdb"
    with pytest.raises(LumbarError) as info:
        load_directory(source, warehouse)
    assert str(info.value).startswith(f"{source / table}.csv: cannot read the file") and "\n" not in str(
        info.value
    )
    assert not warehouse.exists()


def test_dangling_link_in_an_adapter_export_is_one_line(tmp_path: Path):
    omop = tmp_path / "cdm"
    omop.mkdir()
    (omop / "PERSON.csv").write_text("person_id,gender_concept_id,year_of_birth\n1,8507,1970\n")
    (omop / "CONDITION_OCCURRENCE.csv").symlink_to(tmp_path / "nowhere.csv")
    with pytest.raises(LumbarError, match="CONDITION_OCCURRENCE.csv: a link to a file that does not exist"):
        load_directory(omop, tmp_path / "lumbar.duckdb", "omop")


def test_out_of_memory_is_one_line_naming_the_setting(source: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LUMBAR_DUCKDB_MEMORY_LIMIT", "1KB")
    warehouse = tmp_path / "lumbar.duckdb"
    with pytest.raises(LumbarError) as info:
        load_directory(source, warehouse)
    assert "ran out of memory" in str(info.value) and "LUMBAR_DUCKDB_MEMORY_LIMIT" in str(info.value)
    assert not warehouse.exists()


@pytest.mark.parametrize("table", ["loads", "rejects"])
def test_foreign_bookkeeping_table_is_not_a_lumbar_warehouse(source: Path, tmp_path: Path, table: str):
    warehouse = tmp_path / "other.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create schema raw; create table raw.{table} (a integer)")
    with pytest.raises(
        LumbarError, match=f"raw.{table} does not have lumbar's columns.*not a lumbar warehouse"
    ):
        load_directory(source, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from information_schema.tables").fetchone()[0] == 1


def test_sqlite_file_as_warehouse_is_named_as_such(source: Path, tmp_path: Path, monkeypatch):
    import sqlite3

    warehouse = tmp_path / "old.db"
    with sqlite3.connect(warehouse) as con:
        con.execute("create table t (a)")
    before = warehouse.read_bytes()

    def no_connect(*args, **kwargs):  # DuckDB would fetch its sqlite extension from the network
        raise AssertionError("DuckDB must not be asked to open a SQLite file")

    monkeypatch.setattr(duckdb, "connect", no_connect)
    with pytest.raises(LumbarError, match="is a SQLite database, not a DuckDB file"):
        load_directory(source, warehouse)
    assert warehouse.read_bytes() == before


def test_measurements_and_image_files_need_their_imaging_study(tmp_path: Path):
    """Like orphan patient_ids: an image_id not in imaging (now or earlier) is rejected with a reason."""
    imaging = (
        "image_id,patient_id,image_date,modality,body_region\n"
        "I1,P1,2020-01-01,MRI,lumbar\n"
        "I2,P1,2020-01-01,PET,lumbar\n"  # rejected: modality
    )
    measurements = (
        "image_id,level,measure,value\n"
        "I1,L4-L5,pfirrmann_grade,3\n"
        "I2,L4-L5,pfirrmann_grade,4\n"  # its study was rejected
        "NOPE,L4-L5,pfirrmann_grade,2\n"  # orphan
    )
    files = "image_id,path,format\nI1,a.dcm,DICOM\nNOPE,b.dcm,DICOM\n"
    src = write(tmp_path / "src", patients=PATIENTS, imaging=imaging, imaging_measurements=measurements)
    warehouse = tmp_path / "lumbar.duckdb"
    report = load_directory(src, warehouse)
    assert report.totals("imaging_measurements") == (3, 1, 2)
    assert report.reject_reasons[("imaging_measurements", "image_id: not in imaging")] == 1
    assert (
        report.reject_reasons[
            ("imaging_measurements", "image_id: the study's imaging row was rejected in this load")
        ]
        == 1
    )
    # a later load may reference studies loaded earlier
    later = write(tmp_path / "later", patients=PATIENTS, image_files=files)
    report = load_directory(later, warehouse)
    assert report.totals("image_files") == (2, 1, 1)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select image_id from raw.image_files").fetchall() == [("I1",)]
        rows = con.execute("select row_number from raw.rejects where table_name = 'image_files'").fetchall()
    assert rows == [(2,)]
