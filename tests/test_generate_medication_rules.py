"""The generator's medication-cohort rules agree with the warehouse's: code lists and the adult rule.

The generator writes truth (truth/patients.parquet: in_medication_cohort) from its own code groups and ages;
the cohort SQL uses the seeds under dbt_project/seeds/medication and completed years from birth_date
(cohort_medication_candidates.age_at_index). Any disagreement makes the SQL cohort differ from truth.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
import yaml

from ingest.generate import config as C
from ingest.generate.arrays import EPOCH, day
from ingest.generate.cohorts import MED_EXCLUSION_DX, MED_EXCLUSION_PX_GROUPS
from ingest.generate.population import birth_day_for_age, completed_years
from ingest.generate.vocab_dx import PLANTED, dx_vocab
from ingest.generate.vocab_px import PLANTED as PX_PLANTED
from ingest.paths import DBT_PROJECT_DIR

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "medication"
SYSTEMS = ("ICD9CM", "ICD10CM", "ICD10CM", "SNOMED")  # generator concept variants, in order


def seed_codes(name: str) -> dict[tuple[str, str], str]:
    with open(SEEDS / f"{name}.csv", newline="") as f:
        return {(r["code"], r["code_system"]): r["group"] for r in csv.DictReader(f)}


def concept_codes(group: str) -> set[tuple[str, str]]:
    """(normalised code, code system) of every variant of a generator concept group, as staging writes them."""
    return {
        (code.replace(".", "").upper(), system)
        for concept in PLANTED[group]
        for code, system in zip(concept[:4], SYSTEMS, strict=True)
        if code
    }


def test_every_generated_low_back_pain_code_is_on_the_seed_list() -> None:
    lbp = seed_codes("med_lbp_dx_codes")
    assert concept_codes("lbp") <= set(lbp)


@pytest.mark.parametrize("group", [g for g in PLANTED if g != "lbp"])
def test_no_other_generated_group_admits_a_patient(group: str) -> None:
    assert not concept_codes(group) & set(seed_codes("med_lbp_dx_codes")), group


def test_lumbar_radiculopathy_is_a_chart_feature_not_low_back_pain() -> None:
    # M54.16 "radiculopathy, lumbar region" is specific radicular pain, like its ICD-9 parent 724.4
    assert ("M5416", "ICD10CM") not in seed_codes("med_lbp_dx_codes")
    assert ("7244", "ICD9CM") not in seed_codes("med_lbp_dx_codes")
    assert seed_codes("med_chart_dx_groups")[("M5416", "ICD10CM")] == "radiculopathy"


def test_background_codes_neither_admit_nor_exclude() -> None:
    vocab = dx_vocab()
    background = {
        (code.replace(".", "").upper(), system)
        for i in vocab.groups["background"][0]
        for code, system in zip(vocab.concepts[i], SYSTEMS, strict=True)
        if code
    }
    assert not background & set(seed_codes("med_lbp_dx_codes"))
    assert not background & set(seed_codes("med_exclusion_codes"))


@pytest.mark.parametrize("group", MED_EXCLUSION_DX)
def test_generated_red_flags_are_seed_exclusions(group: str) -> None:
    exclusions = seed_codes("med_exclusion_codes")
    codes = concept_codes(group)
    assert codes <= set(exclusions)
    assert {exclusions[c] for c in codes} == {group.removeprefix("excl_")}


def warehouse_prior_procedures() -> set[tuple[str, str]]:
    """Prior spinal surgery and paraspinal injection as int_medication_coded_events builds them."""
    decompression = Path(SEEDS.parent / "reference" / "ref_decompression_px_codes.csv")
    with open(decompression, newline="") as f:
        surgery = {(r["code"], r["code_system"]) for r in csv.DictReader(f)}
    procedures = {
        key
        for key, group in seed_codes("med_exclusion_codes").items()
        if group in ("prior_spinal_surgery", "paraspinal_injection")
    }
    return surgery | procedures


@pytest.mark.parametrize("group", list(PX_PLANTED))
def test_generated_prior_procedures_are_the_warehouse_exclusions(group: str) -> None:
    # the generator's truth excludes exactly the planted groups the warehouse's code lists exclude
    codes = {(c.replace(".", "").upper(), s) for c, s, _ in PX_PLANTED[group]}
    excluded = codes & warehouse_prior_procedures()
    assert excluded == (codes if group in MED_EXCLUSION_PX_GROUPS else set()), group


def _reference_age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@pytest.mark.parametrize(
    "birth, on, age",
    [
        ("2000-05-10", "2018-05-09", 17),  # the day before the 18th birthday
        ("2000-05-10", "2018-05-10", 18),  # on the birthday
        ("2000-02-29", "2018-02-28", 17),  # leap-day birthday in a common year: not yet
        ("2000-02-29", "2018-03-01", 18),
        ("2000-02-29", "2020-02-29", 20),
        ("1999-12-31", "2018-01-01", 18),
    ],
)
def test_completed_years_is_the_cohort_sql_age(birth: str, on: str, age: int) -> None:
    assert completed_years(np.array([day(birth)]), np.array([day(on)]))[0] == age


def test_completed_years_matches_the_calendar_on_random_dates() -> None:
    rng = np.random.default_rng(7)
    births = rng.integers(-25_000, 20_000, 3000)
    ons = births + rng.integers(0, 36_000, 3000)
    expected = [
        _reference_age(EPOCH + timedelta(int(b)), EPOCH + timedelta(int(o)))
        for b, o in zip(births, ons, strict=True)
    ]
    assert completed_years(births, ons).tolist() == expected


def test_birth_dates_give_the_drawn_whole_years_at_index() -> None:
    rng = np.random.default_rng(3)
    # every index day of four years (two 29 Februaries), ages at the 18-year floor and across the range
    index_day = np.arange(day("2015-01-01"), day("2018-12-31") + 1)
    for age in (np.full(len(index_day), 18.0), rng.uniform(18, 95, len(index_day))):
        birth = birth_day_for_age(index_day, age)
        assert (completed_years(birth, index_day) == np.floor(age)).all()
        assert (birth <= index_day - np.floor(age) * 365).all()


def test_generator_adult_rule_is_the_dbt_var() -> None:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    assert project["vars"]["medication_minimum_age"] == C.MED_MINIMUM_AGE
