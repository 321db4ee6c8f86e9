"""The generator's planted code vocabularies agree with the dbt code-list seeds.

The generator decides truth (LDH/LSS cohort, surgery outcome) from its own concept groups; the warehouse decides
from the seeds. A generated code missing from a seed, or a seed code the generator plants outside its group,
makes the built cohort differ from the card.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ingest.generate.vocab_dx import PLANTED, dx_vocab
from ingest.generate.vocab_px import PLANTED as PX_PLANTED

SEEDS = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "reference"
DX_SYSTEMS = ("ICD9CM", "ICD10CM", "ICD10CM")  # icd9, icd10 before and after the FY2017 update


def seed(name: str) -> set[tuple[str, str]]:
    with open(SEEDS / f"{name}.csv", newline="") as f:
        return {(r["code"], r["code_system"]) for r in csv.DictReader(f)}


def norm(code: str) -> str:
    return code.replace(".", "").upper()


def test_every_planted_ldh_lss_code_is_on_the_seed() -> None:
    planted = {
        (norm(c), s) for concept in PLANTED["ldh_lss"] for c, s in zip(concept[:3], DX_SYSTEMS, strict=True)
    }
    assert planted <= seed("ref_ldh_lss_dx_codes")


def test_no_other_planted_diagnosis_is_an_ldh_lss_code() -> None:
    vocab = dx_vocab()
    ldh = set(vocab.groups["ldh_lss"][0].tolist())
    others = {
        (norm(c), s)
        for i, concept in enumerate(vocab.concepts)
        if i not in ldh
        for c, s in zip(concept[:3], DX_SYSTEMS, strict=True)
    }
    assert not others & seed("ref_ldh_lss_dx_codes")


DECOMPRESSION_GROUPS = ("decompression_cpt", "decompression_icd9pcs", "decompression_icd10pcs")


def test_every_planted_decompression_is_a_seed_decompression() -> None:
    # the planted surgery day must be a decompression to the warehouse, whichever code the patient got
    planted = {(norm(c), s) for g in DECOMPRESSION_GROUPS for c, s, _ in PX_PLANTED[g]}
    assert planted <= seed("ref_decompression_px_codes")


def test_no_other_planted_procedure_is_a_decompression() -> None:
    # add-ons (decompression_addon) are planted only beside a primary code, so they may be on either side
    others = {
        (norm(c), s)
        for g, members in PX_PLANTED.items()
        if g not in (*DECOMPRESSION_GROUPS, "decompression_addon")
        for c, s, _ in members
    }
    assert not others & seed("ref_decompression_px_codes")
