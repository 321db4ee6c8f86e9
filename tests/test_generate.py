"""The synthetic EHR generator: determinism, contract schemas, calibration and the card.

One 20,000-patient world is generated per module; the checks recompute cohorts
and outcomes from the written tables with the shared code lists, independently
of the generator's own bookkeeping, and compare with the card.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from ingest.contract import TABLES
from ingest.errors import LumbarError
from ingest.generate import generate

N = 20_000
SCALE = 250_000 / N
SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "reference"


def seed_codes(name: str, system: str | None = None) -> set[str]:
    """Codes of a dbt code-list seed: the checks recompute cohorts with the warehouse's own definitions."""
    seed = pd.read_csv(SEEDS / f"{name}.csv", dtype=str)
    return set(seed.code if system is None else seed.code[seed.code_system == system])


LDH_ICD9 = seed_codes("ref_ldh_lss_dx_codes", "ICD9CM")
LDH_ICD10 = seed_codes("ref_ldh_lss_dx_codes", "ICD10CM")
DECOMPRESSION = seed_codes("ref_decompression_px_codes")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("world")
    card = generate(N, 11, out, progress=False)
    return out, card


def read(out: Path, name: str) -> pd.DataFrame:
    return pq.read_table(out / f"{name}.parquet").to_pandas()


@pytest.fixture(scope="module")
def index(world) -> pd.DataFrame:
    """Index image per patient: first lumbar/thoracic study."""
    out, _ = world
    img = read(out, "imaging")
    spine = img[img.body_region.isin(["lumbar", "thoracic"])].sort_values(
        ["patient_id", "image_date", "image_id"]
    )
    first = spine.groupby("patient_id").head(1).set_index("patient_id")
    first["index_date"] = pd.to_datetime(first.image_date)
    return first


def norm(codes: pd.Series) -> pd.Series:
    return codes.str.upper().str.replace(".", "", regex=False)


@pytest.fixture(scope="module")
def ldh_cohort(world, index) -> pd.Index:
    out, _ = world
    dx = read(out, "diagnoses")
    code = norm(dx.code)
    ldh = dx[
        ((dx.code_system == "ICD9CM") & code.isin(LDH_ICD9))
        | ((dx.code_system == "ICD10CM") & code.isin(LDH_ICD10))
    ]
    rel = (pd.to_datetime(ldh.dx_date) - index.index_date.reindex(ldh.patient_id).to_numpy()).dt.days
    look = ldh[(rel >= -365) & (rel <= -1)]
    days = look.groupby("patient_id").dx_date.nunique()
    return days[days >= 2].index


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(1500, 3, a, progress=False)
    generate(1500, 3, b, progress=False)
    generate(1500, 4, c, progress=False)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    # tables, card, five truth files; the injection study's DICOM series are compared byte for byte too
    assert len([f for f in files if f.parts[0] != "dicom"]) == len(TABLES) + 6
    assert any(f.parts[0] == "dicom" for f in files)
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (a / "patients.parquet").read_bytes() != (c / "patients.parquet").read_bytes()
    assert (a / "imaging.parquet").read_bytes() != (c / "imaging.parquet").read_bytes()


def test_tables_match_the_contract(world):
    out, card = world
    for name, table in TABLES.items():
        schema = pq.read_schema(out / f"{name}.parquet").remove_metadata()
        assert schema.equals(table.schema), name
        assert card["tables"][name] == pq.ParquetFile(out / f"{name}.parquet").metadata.num_rows


def test_demographics_and_sites_follow_the_paper(world, index):
    out, _ = world
    pat = read(out, "patients").set_index("patient_id")
    site = pat.site.value_counts(normalize=True)
    for s, target in zip(("hs1", "hs2", "hs3", "hs4"), (0.843, 0.078, 0.058, 0.021), strict=True):
        assert site[s] == pytest.approx(target, abs=0.01)
    assert (pat.sex == "F").mean() == pytest.approx(0.56, abs=0.015)
    age = (index.index_date - pd.to_datetime(pat.birth_date.reindex(index.index))).dt.days / 365.25
    assert age.mean() == pytest.approx(57, abs=1.0)
    assert (pat.race == "White").mean() == pytest.approx(0.634, abs=0.02)
    assert pat.race.isna().mean() == pytest.approx(0.118, abs=0.015)
    modality = index.modality.value_counts(normalize=True)
    assert modality["MRI"] == pytest.approx(0.69, abs=0.02)
    assert modality["XR"] == pytest.approx(0.30, abs=0.02)
    assert 0 < modality["CT"] < 0.02
    assert index.index_date.min() >= pd.Timestamp("2013-10-01")
    assert index.index_date.max() <= pd.Timestamp("2016-09-30")
    assert 0 < pat.death_date.notna().mean() < 0.05
    assert pat.pcp_provider_id.dropna().isin(read(out, "providers").provider_id).all()


def test_icd9_before_switch_icd10_after_with_mixed_formats(world):
    out, card = world
    dx = read(out, "diagnoses")
    d = pd.to_datetime(dx.dx_date)
    switch = pd.Timestamp("2015-10-01")
    assert (dx.code_system[d < switch] != "ICD10CM").all()
    assert (dx.code_system[d >= switch] != "ICD9CM").all()
    assert dx.code.str.contains(".", regex=False).any() and (~dx.code.str.contains(".", regex=False)).any()
    assert dx.code.str.contains("[a-z]", regex=True).any()
    assert dx.code.nunique() > 2000
    assert card["vocabulary"]["distinct_drug_names"] > 200


def test_ldh_lss_cohort_size_and_surgery_outcomes(world, index, ldh_cohort):
    out, card = world
    n = len(ldh_cohort)
    assert card["expected"]["ldh_lss_cohort"] == n
    assert 7_900 <= n * SCALE <= 9_250
    # first decompression after index, recomputed from the procedures table
    px = read(out, "procedures")
    surg = px[norm(px.code).isin(DECOMPRESSION) & px.patient_id.isin(ldh_cohort)]
    rel = (pd.to_datetime(surg.px_date) - index.index_date.reindex(surg.patient_id).to_numpy()).dt.days
    first = rel[rel >= 1].groupby(surg.patient_id[rel >= 1]).min()
    early, late = (first <= 60).sum(), ((first >= 61) & (first <= 425)).sum()
    assert card["expected"]["early_positive"] == early
    assert card["expected"]["late_positive"] == late
    assert early / n == pytest.approx(0.024, abs=0.012)
    assert late / n == pytest.approx(0.050, abs=0.015)
    assert (rel <= -1).any()  # a few surgeries before index


def test_near_misses_make_the_two_code_rule_matter(world):
    _, card = world
    ldh = card["cohorts"]["ldh_lss"]
    assert ldh["near_miss_one_lookback_code"] > 0.2 * ldh["n"]
    assert ldh["near_miss_codes_after_index_only"] > 0


def test_medication_outcome_is_realised_in_prescriptions(world):
    out, card = world
    truth = pq.read_table(out / "truth" / "patients.parquet").to_pandas()
    cohort = truth[truth.in_medication_cohort]
    vocab = pq.read_table(out / "truth" / "drug_vocab.parquet").to_pandas().set_index("drug_name").drug_class
    rx = read(out, "prescriptions")
    rx = rx[rx.patient_id.isin(cohort.patient_id)]
    med_date = pd.to_datetime(cohort.set_index("patient_id").med_index_date)
    rel = (pd.to_datetime(rx.rx_date) - med_date.reindex(rx.patient_id).to_numpy()).dt.days
    potency = vocab.reindex(rx.drug_name).map({"none": 0, "nsaid": 1, "opioid": 2}).to_numpy()
    window = rx.assign(p=potency)[(rel >= 0) & (rel <= 365)]
    realised = window.groupby("patient_id").p.max().reindex(cohort.patient_id).fillna(0).astype(int)
    drawn = cohort.med_class.map({"none": 0, "nsaid": 1, "opioid": 2}).to_numpy()
    assert (realised.to_numpy() == drawn).mean() > 0.995
    mix = np.bincount(realised, minlength=3) / len(realised)
    assert mix == pytest.approx([0.52, 0.37, 0.11], abs=0.03)
    assert card["cohorts"]["medication"]["n"] == len(cohort)


def test_observations_have_expected_names_and_gaps(world):
    out, _ = world
    obs = read(out, "observations")
    names = set(obs.name)
    assert {
        "pain_nrs_back",
        "pain_nrs_leg",
        "smoking",
        "bmi",
        "insurance",
        "marital_status",
        "social_support",
        "negative_psych_state",
    } <= names
    pain = obs[obs.name.str.startswith("pain_nrs")].value_num
    assert pain.between(0, 10).all()
    assert set(obs[obs.name == "smoking"].value_text) == {"never", "former", "current"}
    assert set(obs[obs.name == "insurance"].value_text) <= {"commercial", "medicare", "medicaid", "self-pay"}
    support = obs[obs.name == "social_support"].patient_id.nunique() / N
    assert 0.3 < support < 0.6  # missing for many on purpose


def test_reports_vary_headers_and_agree_with_truth(world):
    out, _ = world
    img = read(out, "imaging")
    spine = img[img.body_region != "other"].report_text.dropna()
    for header in ("FINDINGS:", "Findings -", "FINDING:", "IMPRESSION:", "Impression", "CONCLUSION:"):
        assert spine.str.contains(header, regex=False).sum() > 20, header
    no_header = ~spine.str.contains("finding|impression|conclusion", case=False, regex=True)
    assert 0.01 < no_header.mean() < 0.2
    assert spine.str.contains("no evidence of stenosis", case=False).any()
    assert spine.str.contains("without disc herniation", case=False).any()
    truth = pq.read_table(out / "truth" / "report_findings.parquet").to_pandas()
    assert truth.image_id.isin(img.image_id).all()
    text = img.set_index("image_id").report_text
    severe = truth[
        (truth.finding == "spinal_canal_stenosis") & (truth.severity == "severe")
    ].image_id.unique()
    assert text.reindex(severe).str.contains("severe", case=False).all()
    extruded = truth[truth.finding == "disc_extrusion"].image_id.unique()
    assert text.reindex(extruded).str.contains("extru", case=False).all()


def test_degenerative_disc_disease_is_written_only_with_a_disc_finding(world):
    # the medication extractor reads "degenerative disc disease" as disc pathology; the text must not claim
    # one where the truth has none (mild impressions of facet- or foramen-only reports)
    out, _ = world
    img = read(out, "imaging")
    truth = pq.read_table(out / "truth" / "report_findings.parquet").to_pandas()
    disc_findings = {"disc_bulge", "disc_protrusion", "disc_extrusion", "disc_space_narrowing"}
    with_disc = set(truth[truth.finding.isin(disc_findings)].image_id)
    lumbar = img[img.body_region == "lumbar"]
    says_ddd = lumbar.report_text.str.contains("degenerative disc disease", case=False, na=False)
    assert says_ddd.sum() > 100
    assert lumbar[says_ddd].image_id.isin(with_disc).all()


def test_card_documents_signal_and_oracle(world):
    out, card = world
    on_disk = json.loads((out / "generator_card.json").read_text())
    assert on_disk == card
    for key in ("expected", "sites", "signals", "cohorts", "demographics", "reports", "windows"):
        assert key in card
    early = card["cohorts"]["surgery_early"]
    assert 0.6 < early["oracle_auc"] <= 1.0
    by = early["oracle_auc_by_modality"]
    assert by["text"] == max(by.values())  # text dominates surgery, as in the paper
    assert by["demographics"] < by["text"]
    late = card["cohorts"]["surgery_late"]["oracle_auc_by_modality"]
    assert late["text"] == max(late.values())  # on the late task too
    assert {s["modality"] for s in card["signals"]["surgery"]} >= {
        "text",
        "codes",
        "drugs",
        "procedures",
        "demographics",
    }
    assert card["expected"]["oracle_auc_medication_macro"] > 0.55
    assert date.fromisoformat(card["windows"]["icd10_from"]) == date(2015, 10, 1)


@pytest.mark.parametrize("n, seed", [(0, 1), (-5, 1), (10, -1), (2.5, 1)])
def test_bad_arguments_are_user_errors(tmp_path, n, seed):
    with pytest.raises(LumbarError):
        generate(n, seed, tmp_path, progress=False)


def test_out_path_that_is_a_file_is_a_user_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(LumbarError, match="is a file"):
        generate(10, 1, f, progress=False)
