"""The loader against a corpus of hostile inputs (tests/data/bad, expectations in cases.yaml)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from rich.console import Console

from ingest.errors import LumbarError
from ingest.load import LoadReport, load_directory

CORPUS = Path(__file__).parent / "data" / "bad"
CASES: dict[str, dict] = yaml.safe_load((CORPUS / "cases.yaml").read_text())
SECRET = "zzsecret"  # planted in hostile values; must never be echoed


def rendered(report: LoadReport) -> str:
    console = Console(record=True, width=200, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(report.to_rich_table())
    return console.export_text()


def test_corpus_is_complete():
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert folders == set(CASES), "every folder needs an entry in cases.yaml and vice versa"
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name: str, tmp_path: Path):
    case = CASES[name]
    warehouse = tmp_path / "wh" / "lumbar.duckdb"
    if "error" in case:
        with pytest.raises(LumbarError) as info:
            load_directory(CORPUS / name, warehouse)
        message = str(info.value)
        assert case["error"] in message
        assert "\n" not in message and SECRET not in message
        assert not warehouse.exists(), "a failed first load must not leave a warehouse behind"
        return

    report = load_directory(CORPUS / name, warehouse)
    for s in report.sources:
        assert s.rows_read == s.rows_loaded + s.rows_rejected
    for table, n in case["loaded"].items():
        assert report.totals(table)[1] == n, f"{table} loaded"
    expected_rejects = case.get("rejected", {})
    for table in case["loaded"]:
        assert report.totals(table)[2] == expected_rejects.get(table, 0), f"{table} rejected"

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        stored = [r[0] for r in con.execute("select reason from raw.rejects").fetchall()]
        for table, n in case["loaded"].items():
            assert con.execute(f"select count(*) from raw.{table}").fetchone()[0] == n
    finally:
        con.close()
    assert len(stored) == sum(expected_rejects.values())
    for reason in case.get("reasons", []):
        assert any(reason in r for r in stored), f"no reject reason contains {reason!r}"
    for text in case.get("warnings", []):
        assert any(text in w for w in report.warnings), f"no warning contains {text!r}"
    for text in case.get("not_in_warnings", []):
        assert not any(text in w for w in report.warnings)
    assert SECRET not in rendered(report)
    assert not any(SECRET in r for r in stored)


def test_huge_report_loads(tmp_path: Path):
    """A 5 MB radiology report (beyond DuckDB's default 2 MB line limit) loads intact."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "patients.csv").write_text("patient_id,birth_date,sex,site\nP1,1960-01-05,F,north\n")
    body = ("FINDINGS: " + "disc desiccation at L4-5, " * 200_000)[:5_000_000]
    (src / "imaging.csv").write_text(
        "image_id,patient_id,image_date,modality,body_region,report_text\n"
        f'I1,P1,2020-01-01,MRI,lumbar,"{body}"\nI2,P1,2020-02-01,XR,lumbar,short\n'
    )
    warehouse = tmp_path / "lumbar.duckdb"
    report = load_directory(src, warehouse)
    assert report.totals("imaging") == (2, 2, 0)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        got = con.execute("select report_text from raw.imaging where image_id = 'I1'").fetchone()[0]
    finally:
        con.close()
    assert got == body.strip()


def test_embedded_newlines_and_quotes_survive(tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    load_directory(CORPUS / "embedded_newlines_quotes", warehouse)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        text = con.execute("select report_text from raw.imaging where image_id = 'I1'").fetchone()[0]
    finally:
        con.close()
    assert text == 'FINDINGS:\nL4-5 "mild" bulge, no stenosis.\r\n\nIMPRESSION: ok'


def test_codes_kept_as_given_and_enums_canonical(tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    load_directory(CORPUS / "malformed_icd_codes", warehouse)
    load_directory(CORPUS / "lowercase_enums", tmp_path / "enums.duckdb")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        codes = sorted(r[0] for r in con.execute("select code from raw.diagnoses").fetchall())
    assert codes == sorted(["7242.", "m54,5", "ICD10:M545", "M54.5"])
    with duckdb.connect(str(tmp_path / "enums.duckdb"), read_only=True) as con:
        assert con.execute("select modality, body_region from raw.imaging").fetchone() == ("MRI", "lumbar")
        assert con.execute("select code_system from raw.diagnoses").fetchone() == ("ICD10CM",)


def test_latin1_text_is_decoded(tmp_path: Path):
    warehouse = tmp_path / "lumbar.duckdb"
    load_directory(CORPUS / "latin1", warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("select ethnicity, site from raw.patients where patient_id = 'P1'").fetchone()
    assert row == ("Hispánico", "Bogotá")


def test_reject_row_numbers_point_at_data_rows(tmp_path: Path):
    """Row 1 is the first row after the header; the corpus file has its bad rows at 1..5."""
    warehouse = tmp_path / "lumbar.duckdb"
    load_directory(CORPUS / "unparseable_dates", warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = [r[0] for r in con.execute("select row_number from raw.rejects order by 1").fetchall()]
    assert rows == [1, 2, 3, 4, 5]


def _write_parquet(folder: Path, columns: list[str], rows: list[list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    arrays = [pa.array([r[i] for r in rows]) for i in range(len(columns))]
    pq.write_table(pa.Table.from_arrays(arrays, names=columns), folder / "patients.parquet")


def test_parquet_column_named_file_row_number_loads(tmp_path: Path):
    """DuckDB's own row-number column has that name; a file that has one too is not 'damaged'."""
    src = tmp_path / "src"
    columns = ["patient_id", "birth_date", "sex", "site", "file_row_number"]
    _write_parquet(src, columns, [["P1", "1960-01-05", "F", "a", "7"], ["P2", "1960-02-30", "F", "a", "8"]])
    warehouse = tmp_path / "lumbar.duckdb"
    report = load_directory(src, warehouse)
    assert report.totals("patients") == (2, 1, 1)
    assert any("ignored columns not in the contract: file_row_number" in w for w in report.warnings)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select row_number from raw.rejects").fetchall() == [(2,)]  # the data row, not 8


def test_parquet_duplicate_column_is_an_error_as_in_csv(tmp_path: Path):
    src = tmp_path / "src"
    _write_parquet(
        src, ["patient_id", "birth_date", "sex", "site", "patient_id"], [["P1", "1960-01-05", "F", "a", "X"]]
    )
    with pytest.raises(LumbarError, match="column patient_id appears twice"):
        load_directory(src, tmp_path / "lumbar.duckdb")
