"""The contract is the one definition: the README must say exactly what ingest/contract.py says."""

from pathlib import Path

import pyarrow as pa

from ingest.contract import TABLES, markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_contract_section_equals_contract_module():
    text = README.read_text()
    start = text.index("<!-- contract:start -->") + len("<!-- contract:start -->\n")
    end = text.index("<!-- contract:end -->")
    assert text[start:end] == markdown(), "README contract section is stale: paste ingest.contract.markdown()"


def test_issue_required_columns_are_in_the_contract():
    required = {
        "patients": [
            "patient_id",
            "birth_date",
            "sex",
            "race",
            "ethnicity",
            "site",
            "death_date",
            "pcp_provider_id",
        ],
        "providers": ["provider_id", "gender", "clinician_type", "specialty"],
        "imaging": ["image_id", "patient_id", "image_date", "modality", "body_region", "report_text"],
        "diagnoses": ["patient_id", "dx_date", "code", "code_system"],
        "procedures": ["patient_id", "px_date", "code", "code_system"],
        "prescriptions": ["patient_id", "rx_date", "drug_name"],
        "observations": ["patient_id", "obs_date", "name", "value_num", "value_text"],
    }
    for table, columns in required.items():
        assert TABLES[table].column_names[: len(columns)] == columns


def test_schema_nullability_follows_required_flag():
    for table in TABLES.values():
        schema = table.schema
        for column in table.columns:
            assert schema.field(column.name).nullable is (not column.required)
        assert isinstance(schema, pa.Schema)
