"""The surgery cohorts and their code features in pandas: the baseline lumbar's dbt build is compared with.

Written the way a research analysis script would compute them: read the raw Parquet files into DataFrames,
clean columns with vectorised string methods, then merges and groupbys. It follows the rules of the dbt
models exactly (cohort_surgery_early / _late and mart_surgery_codes_patient) so that the benchmark can first
check that both produce the same rows and only then compare their speed:

- codes are normalised as macros/codes.sql does (upper case, system prefix stripped, letters and digits);
- ICD-10-CM codes map to ICD-9-CM through the GEM seed, falling back to the nearest parent code in the GEM;
- diagnoses roll up to the ICD-9 level-3 category (four characters for E-codes);
- drug names lose dose strings, forms and salts and go through the brand -> generic seed;
- the index image, LDH/LSS phenotype, decompression outcome and the 3 x 30-day bins follow the study vars
  read from dbt_project.yml.

    python -m bench.baselines.pandas_surgery RAW_DIR OUT_DIR

writes cohort_surgery_early.parquet, cohort_surgery_late.parquet and mart_surgery_codes_patient.parquet.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ingest.errors import LumbarError
from ingest.paths import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds" / "reference"
OUTPUTS = ("cohort_surgery_early", "cohort_surgery_late", "mart_surgery_codes_patient")

# the regular expressions of dbt_project/macros/codes.sql and drug_names.sql, as the compiled SQL has them
CODE_PREFIX = r"^(ICD-?10-?(CM|PCS)?|ICD-?9-?(CM|PCS)?|CPT-?4?|HCPCS|SNOMED-?(CT)?)[:= ]+"
CODE_SYSTEM_ALIASES = {
    "ICD9": "ICD9CM",
    "ICD10": "ICD10CM",
    "ICD9PROC": "ICD9PCS",
    "CPT4": "CPT",
    "HCPCSII": "HCPCS",
    "HCPCSLEVELII": "HCPCS",
    "SNOMEDCT": "SNOMED",
    "SCT": "SNOMED",
}
DRUG_NOISE_WORDS = [
    "mg",
    "mcg",
    "g",
    "gm",
    "ml",
    "meq",
    "unit",
    "units",
    "iu",
    "hr",
    "actuat",
    "act",
    "tab",
    "tabs",
    "tablet",
    "tablets",
    "cap",
    "caps",
    "capsule",
    "capsules",
    "oral",
    "po",
    "er",
    "xr",
    "sr",
    "cr",
    "dr",
    "ir",
    "xl",
    "ec",
    "odt",
    "hfa",
    "extended",
    "release",
    "delayed",
    "immediate",
    "solution",
    "soln",
    "susp",
    "suspension",
    "liquid",
    "syrup",
    "elixir",
    "injection",
    "inj",
    "injectable",
    "patch",
    "transdermal",
    "system",
    "topical",
    "cream",
    "gel",
    "ointment",
    "oint",
    "lotion",
    "film",
    "coated",
    "chewable",
    "disintegrating",
    "nasal",
    "spray",
    "inhaler",
    "inhalation",
    "ophthalmic",
    "drops",
    "powder",
    "metered",
    "dose",
    "dosepak",
    "pack",
    "for",
    "kit",
    "vial",
    "take",
    "by",
    "mouth",
    "daily",
    "prn",
]
# salt and ester names, removed only after another word (a leading "potassium" is the ingredient)
DRUG_SALT_WORDS = [
    "hcl",
    "hbr",
    "hydrochloride",
    "sodium",
    "potassium",
    "calcium",
    "magnesium",
    "bitartrate",
    "sulfate",
    "bisulfate",
    "tartrate",
    "citrate",
    "phosphate",
    "chloride",
    "hyclate",
    "oxalate",
    "besylate",
    "monohydrate",
    "tromethamine",
    "acetonide",
    "fumarate",
    "succinate",
    "propionate",
    "maleate",
    "mesylate",
    "hydrobromide",
    "acetate",
    "dipropionate",
    "valerate",
    "furoate",
    "sulfonate",
    "bromide",
]
COMPOUND_UNITS = r"\b(mg|mcg|g|gm|ml|meq|units?)/(ml|hr|h|actuat|act|dose|spray|g|l)\b"


# ---------------------------------------------------------------------------------------------------------
# inputs


def study_vars(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, Any]:
    """The study parameters (windows, thresholds, split seed) from dbt_project.yml, so both sides agree."""
    return yaml.safe_load((project_dir / "dbt_project.yml").read_text())["vars"]


def read_raw(raw_dir: Path, table: str, columns: list[str]) -> pd.DataFrame:
    path = raw_dir / f"{table}.parquet"
    if not path.exists():
        raise LumbarError(
            f"{path} not found: the pandas baseline needs the raw Parquet files of `lumbar generate`"
        )
    return pd.read_parquet(path, columns=columns)


def read_seed(name: str, seeds_dir: Path = SEEDS_DIR) -> pd.DataFrame:
    return pd.read_csv(seeds_dir / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""])


def to_day(values: pd.Series) -> pd.Series:
    """Dates as datetime64 days, so differences are whole days."""
    return pd.to_datetime(values).astype("datetime64[s]")


# ---------------------------------------------------------------------------------------------------------
# cleaning (staging)


def sql_trim(values: pd.Series) -> pd.Series:
    """DuckDB's trim() removes spaces only, not tabs or line breaks."""
    return values.str.strip(" ")


def normalise_code(values: pd.Series) -> pd.Series:
    upper = sql_trim(values).str.upper()
    return upper.str.replace(CODE_PREFIX, "", regex=True).str.replace(r"[^A-Z0-9]", "", regex=True)


def normalise_code_system(values: pd.Series) -> pd.Series:
    cleaned = sql_trim(values).str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    return cleaned.replace(CODE_SYSTEM_ALIASES)


def drug_name_clean(values: pd.Series) -> pd.Series:
    return sql_trim(values.str.lower().str.replace(r"\s+", " ", regex=True))


def drug_ingredient_name(values: pd.Series) -> pd.Series:
    s = values.str.lower()
    s = s.str.replace(r"[()\[\],;:%]", " ", regex=True)
    s = s.str.replace(r"\s+(and|with|w/)\s+", "/", regex=True)
    s = s.str.replace(r"(^|\s)[.]?[0-9]\S*", " ", regex=True)
    s = s.str.replace(COMPOUND_UNITS, " ", regex=True)
    s = s.str.replace(r"\b(" + "|".join(DRUG_NOISE_WORDS) + r")\b", " ", regex=True)
    s = s.str.replace(r"\s(" + "|".join(DRUG_SALT_WORDS) + r")\b", " ", regex=True)
    s = s.str.replace("-", "/", regex=False)
    s = s.str.replace(r"\s*/[\s/]*", "/", regex=True)
    s = sql_trim(s.str.replace(r"\s+", " ", regex=True))
    return sql_trim(s.str.replace(r"^/+|/+$", "", regex=True))


# ---------------------------------------------------------------------------------------------------------
# cohort


def index_imaging(imaging: pd.DataFrame, v: dict[str, Any]) -> pd.DataFrame:
    img = imaging.assign(
        modality=sql_trim(imaging["modality"]).str.upper(),
        body_region=sql_trim(imaging["body_region"]).str.lower(),
        image_date=to_day(imaging["image_date"]),
    )
    in_window = img[
        img["image_date"].between(pd.Timestamp(v["index_window_start"]), pd.Timestamp(v["index_window_end"]))
        & img["body_region"].isin(v["index_body_regions"])
        & img["modality"].isin(v["index_modalities"])
    ].copy()
    in_window["modality_rank"] = in_window["modality"].map({"MRI": 1, "CT": 2}).fillna(3)
    first = in_window.sort_values(["patient_id", "image_date", "modality_rank", "image_id"]).drop_duplicates(
        "patient_id"
    )
    return first.rename(
        columns={"image_id": "index_image_id", "image_date": "index_date", "modality": "index_modality"}
    )[["patient_id", "index_image_id", "index_date", "index_modality"]]


def ldh_lss_patients(dx: pd.DataFrame, index: pd.DataFrame, v: dict[str, Any]) -> pd.DataFrame:
    codes = read_seed("ref_ldh_lss_dx_codes")[["code", "code_system"]]
    hits = dx.merge(codes, on=["code", "code_system"]).merge(
        index[["patient_id", "index_date"]], on="patient_id"
    )
    days = (hits["index_date"] - hits["dx_date"]).dt.days
    before = days > 0 if not v["ldh_lss_include_index_day"] else days >= 0
    hits = hits[before & (days <= int(v["ldh_lss_lookback_days"]))]
    per_patient = hits.groupby("patient_id").agg(n_records=("dx_date", "size"), n_days=("dx_date", "nunique"))
    count = per_patient["n_days"] if v["ldh_lss_count_distinct_days"] else per_patient["n_records"]
    return per_patient[count >= int(v["ldh_lss_min_codes"])].reset_index()[["patient_id"]]


def decompressions(px: pd.DataFrame, index: pd.DataFrame) -> pd.DataFrame:
    codes = read_seed("ref_decompression_px_codes")[["code", "code_system"]]
    ops = px.merge(codes, on=["code", "code_system"])[["patient_id", "px_date"]].drop_duplicates()
    ops = ops.merge(index[["patient_id", "index_date"]], on="patient_id")
    ops["days"] = (ops["px_date"] - ops["index_date"]).dt.days
    after = (
        ops[ops["days"] >= 1]
        .groupby("patient_id")
        .agg(surgery_date=("px_date", "min"), days_to_surgery=("days", "min"))
    )
    prior = ops.loc[ops["days"] <= 0, "patient_id"].unique()
    out = after.reindex(after.index.union(pd.Index(prior, name="patient_id")))
    out["has_prior_decompression"] = out.index.isin(prior)
    return out.reset_index()


def candidates(
    index: pd.DataFrame, patients: pd.DataFrame, ldh: pd.DataFrame, ops: pd.DataFrame, v: dict[str, Any]
) -> pd.DataFrame:
    early_end = int(v["surgery_early_window_days"])
    late_start = int(v["surgery_late_gap_days"]) + 1
    late_end = int(v["surgery_late_gap_days"]) + int(v["surgery_late_window_days"])
    pts = patients.assign(site=sql_trim(patients["site"]), death_date=to_day(patients["death_date"]))
    c = index.merge(pts[["patient_id", "site", "death_date"]], on="patient_id")
    c["is_ldh_lss"] = c["patient_id"].isin(ldh["patient_id"])
    c = c.merge(ops, on="patient_id", how="left")
    c["has_prior_decompression"] = c["has_prior_decompression"].eq(True)  # no decompression row: False
    d = c["days_to_surgery"]
    c["surgery_timing"] = np.select(
        [d.isna(), d <= early_end, d.between(late_start, late_end)], ["none", "early", "late"], "after_window"
    )
    died_early = c["death_date"].notna() & (c["death_date"] < c["index_date"] + pd.Timedelta(days=late_end))
    c["outcome_known"] = (d <= late_end) | ~died_early | bool(v["surgery_include_incomplete_followup"])
    return c


def split_column(cohort: pd.DataFrame, v: dict[str, Any]) -> pd.Series:
    """Stratified by label: within each label, the first round(n * fraction) patients by md5 go to test."""
    suffix = f"|{v['split_seed']}"
    key = cohort["patient_id"].map(lambda p: hashlib.md5(f"{p}{suffix}".encode()).hexdigest())
    order = cohort.assign(_key=key).sort_values(["label", "_key", "patient_id"])
    position = order.groupby("label").cumcount() + 1
    n_test = np.floor(
        order.groupby("label")["patient_id"].transform("size") * float(v["split_test_fraction"]) + 0.5
    )
    return pd.Series(np.where(position <= n_test, "test", "train"), index=order.index).reindex(cohort.index)


def cohort(cands: pd.DataFrame, task: str, v: dict[str, Any]) -> pd.DataFrame:
    eligible = cands[
        cands["is_ldh_lss"]
        & ~(cands["has_prior_decompression"] & bool(v["surgery_exclude_prior_decompression"]))
        & cands["outcome_known"]
        & cands["surgery_timing"].isin([task, "none", "after_window"])
    ].copy()
    positive = eligible["surgery_timing"] == task
    eligible["label"] = positive.astype("int32")
    eligible["surgery_date"] = eligible["surgery_date"].where(positive)
    eligible["days_to_surgery"] = eligible["days_to_surgery"].where(positive).astype("Int32")
    eligible["split"] = split_column(eligible, v)
    columns = ["patient_id", "index_date", "label", "surgery_date", "days_to_surgery", "site", "split"]
    return eligible[[*columns, "index_image_id", "index_modality"]].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------
# code features


def icd10_to_icd9(icd10_codes: pd.Series) -> pd.DataFrame:
    """ICD-10-CM code -> ICD-9-CM targets: exact GEM entry, else the longest prefix (length >= 3) in the GEM;
    a nearest entry flagged no_map leaves the code unmapped."""
    gem = read_seed("ref_icd10cm_to_icd9cm_gem")
    gem_codes = set(gem["icd10cm_code"])
    rows = []
    for code in icd10_codes.dropna().unique():
        for length in range(min(len(code), 8), 2, -1):
            if code[:length] in gem_codes:
                rows.append((code, code[:length]))
                break
    nearest = pd.DataFrame(rows, columns=["code", "gem_code"])
    mapped = nearest.merge(gem[gem["no_map"] == "0"], left_on="gem_code", right_on="icd10cm_code")
    return mapped[["code", "icd9cm_code"]]


def icd9_level3(codes: pd.Series) -> pd.Series:
    return codes.str.slice(0, 4).where(codes.str.startswith("E"), codes.str.slice(0, 3))


def dx_events(dx: pd.DataFrame) -> pd.DataFrame:
    native = dx[dx["code_system"] == "ICD9CM"].assign(icd9cm_code=lambda d: d["code"])
    icd10 = dx[dx["code_system"] == "ICD10CM"]
    mapped = icd10.merge(icd10_to_icd9(icd10["code"]), on="code")
    both = pd.concat([native, mapped], ignore_index=True)
    return pd.DataFrame(
        {"patient_id": both["patient_id"], "event_date": both["dx_date"], "feature_type": "dx",
         "feature": icd9_level3(both["icd9cm_code"])}
    )  # fmt: skip


def px_events(px: pd.DataFrame) -> pd.DataFrame:
    keep = px[px["code_system"].isin(["CPT", "HCPCS"]) & (px["code"] != "")]
    return pd.DataFrame(
        {"patient_id": keep["patient_id"], "event_date": keep["px_date"], "feature_type": "px",
         "feature": keep["code"]}
    )  # fmt: skip


def rx_events(rx: pd.DataFrame) -> pd.DataFrame:
    ingredient = drug_ingredient_name(rx["drug_name"])
    ingredient = ingredient.where(ingredient.notna() & (ingredient != ""), drug_name_clean(rx["drug_name"]))
    brands = read_seed("ref_drug_brand_generic")
    generic = brands.set_index("name_variant")["generic_name"]
    return pd.DataFrame(
        {"patient_id": rx["patient_id"], "event_date": to_day(rx["rx_date"]), "feature_type": "rx",
         "feature": ingredient.map(generic).fillna(ingredient)}
    )  # fmt: skip


def codes_patient(events: pd.DataFrame, cohorts: dict[str, pd.DataFrame], v: dict[str, Any]) -> pd.DataFrame:
    n_bins, bin_days = int(v["feature_n_bins"]), int(v["feature_bin_days"])
    frames = []
    for task, rows in cohorts.items():
        e = events.merge(rows[["patient_id", "index_date"]], on="patient_id")
        e["days_before_index"] = (e["index_date"] - e["event_date"]).dt.days
        e = e[(e["days_before_index"] >= 1) & (e["days_before_index"] <= n_bins * bin_days)]
        e["bin"] = n_bins - (e["days_before_index"] - 1) // bin_days
        per_bin = (
            e.groupby(["patient_id", "bin", "feature_type", "feature"])["event_date"]
            .nunique()
            .rename("n_events")
        )
        per_patient = per_bin.reset_index().groupby(["patient_id", "feature_type", "feature"])
        out = per_patient.agg(n_events=("n_events", "sum"), n_bins_with_feature=("bin", "size")).reset_index()
        frames.append(out.assign(task=task))
    result = pd.concat(frames, ignore_index=True)
    return result[["task", "patient_id", "feature_type", "feature", "n_events", "n_bins_with_feature"]]


# ---------------------------------------------------------------------------------------------------------
# the script


def run(raw_dir: Path) -> dict[str, pd.DataFrame]:
    """All three outputs from the raw Parquet files."""
    v = study_vars()
    patients = read_raw(raw_dir, "patients", ["patient_id", "site", "death_date"])
    imaging = read_raw(
        raw_dir, "imaging", ["image_id", "patient_id", "image_date", "modality", "body_region"]
    )
    dx = read_raw(raw_dir, "diagnoses", ["patient_id", "dx_date", "code", "code_system"])
    dx = dx.assign(
        dx_date=to_day(dx["dx_date"]),
        code=normalise_code(dx["code"]),
        code_system=normalise_code_system(dx["code_system"]),
    )
    px = read_raw(raw_dir, "procedures", ["patient_id", "px_date", "code", "code_system"])
    px = px.assign(
        px_date=to_day(px["px_date"]),
        code=normalise_code(px["code"]),
        code_system=normalise_code_system(px["code_system"]),
    )
    rx = read_raw(raw_dir, "prescriptions", ["patient_id", "rx_date", "drug_name"])

    index = index_imaging(imaging, v)
    cands = candidates(index, patients, ldh_lss_patients(dx, index, v), decompressions(px, index), v)
    cohorts = {task: cohort(cands, task, v) for task in ("early", "late")}
    events = pd.concat([dx_events(dx), px_events(px), rx_events(rx)], ignore_index=True)
    return {
        "cohort_surgery_early": cohorts["early"],
        "cohort_surgery_late": cohorts["late"],
        "mart_surgery_codes_patient": codes_patient(events, cohorts, v),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", type=Path, help="folder of raw Parquet files (lumbar generate --out)")
    parser.add_argument("out_dir", type=Path, help="folder for the three output Parquet files")
    args = parser.parse_args(argv)
    try:
        outputs = run(args.raw_dir)
    except LumbarError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in outputs.items():
        frame.to_parquet(args.out_dir / f"{name}.parquet", index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
