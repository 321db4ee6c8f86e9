"""The medication cohort built by dbt equals the generator's truth, patient for patient.

generate (4,000 patients) -> load -> dbt build of cohort_medication and what it needs. The generator decides
in_medication_cohort, the index MRI and the outcome class from its latent state and its own code groups; the
warehouse decides them from the raw rows, the seeds and the cohort SQL. Every disagreement is a bug on one
side (code lists, the adult rule, index selection, outcome window), so there is no tolerance. About 40 s.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from rich.console import Console

from ingest.build import build
from ingest.generate import generate
from ingest.load import load_directory

pytestmark = pytest.mark.slow

N_PATIENTS, SEED = 4_000, 5


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame, Path]:
    folder = tmp_path_factory.mktemp("medication_truth")
    generate(N_PATIENTS, SEED, folder / "raw", progress=False)
    warehouse = folder / "lumbar.duckdb"
    load_directory(folder / "raw", warehouse, console=Console(quiet=True))
    build(
        warehouse,
        marts_dir=folder / "marts",
        select="+cohort_medication +int_medication_mri_findings",
        progress=False,
    )
    truth = pd.read_parquet(folder / "raw" / "truth" / "patients.parquet")
    truth = truth[truth["in_medication_cohort"]].set_index("patient_id").sort_index()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        built = con.sql("select * from cohorts.cohort_medication").df().set_index("patient_id").sort_index()
    return truth, built, folder


def test_mri_extractor_agrees_with_the_generated_reports_truth(cohorts) -> None:
    # dbt_project/README.md states F1 1.000 on generated reports: the rules must cover every template
    from bench.extractor_agreement import agreement_from_warehouse

    *_, folder = cohorts
    table = agreement_from_warehouse(
        folder / "lumbar.duckdb", folder / "raw" / "truth" / "report_findings.parquet"
    )
    scored = table[table["n_true"] > 0]
    assert len(scored) >= 5, table
    assert (scored["f1"] == 1.0).all(), table
    assert (scored["severity_exact"] == 1.0).all(), table


def test_cohort_has_exactly_the_truth_patients(cohorts) -> None:
    truth, built, _ = cohorts
    assert len(truth) > 500  # the dataset is big enough to exercise the rules
    extra = sorted(set(built.index) - set(truth.index))
    missing = sorted(set(truth.index) - set(built.index))
    assert (len(extra), len(missing)) == (0, 0), f"{len(extra)} extra, {len(missing)} missing"


def test_index_mri_and_outcome_match_truth(cohorts) -> None:
    truth, built, _ = cohorts
    assert built["index_image_id"].tolist() == truth["med_index_image_id"].tolist()
    assert pd.to_datetime(built["index_date"]).tolist() == pd.to_datetime(truth["med_index_date"]).tolist()
    assert built["outcome"].tolist() == truth["med_class"].tolist()
