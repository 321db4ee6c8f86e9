"""`lumbar build --vars`: names and types are checked against the project before dbt runs, because dbt
ignores a var nobody reads and would build the paper's defaults under a misspelt window."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from ingest.cli import app
from ingest.dbt_vars import check_vars, parse_vars, project_vars
from ingest.errors import LumbarError
from ingest.paths import DBT_PROJECT_DIR


def test_vars_read_with_an_inline_default_are_known_too():
    defaults = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    known = set(project_vars())
    assert set(defaults) <= known
    # read in SQL with var('name', default) and absent from dbt_project.yml: found by scanning the project
    inline = {"dq_max_age_years", "icd10_effective_date", "raw_dir"}
    assert not inline & set(defaults) and inline <= known


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{surgery_early_window_days: 90}", {"surgery_early_window_days": 90}),
        # a date is passed as the ISO text the SQL casts; an int is a valid number
        ("{index_window_start: 2014-01-01}", {"index_window_start": "2014-01-01"}),
        ("{feature_rare_threshold: 0}", {"feature_rare_threshold": 0}),
        ('{"index_modalities": ["MRI"], "ldh_lss_include_index_day": true}',
         {"index_modalities": ["MRI"], "ldh_lss_include_index_day": True}),
        ("{dq_max_age_years: 100}", {"dq_max_age_years": 100}),
        ("{}", {}),
        ("{raw_dir: {when: [2014-01-01]}}", {"raw_dir": {"when": ["2014-01-01"]}}),  # nested dates too
        ("{injection_tfesi_cpt_codes: ['64483']}", {"injection_tfesi_cpt_codes": ["64483"]}),
    ],
)  # fmt: skip
def test_valid_vars_pass_through(text, expected):
    assert parse_vars(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{surgery_early_window_day: 90}", "no var 'surgery_early_window_day'; did you mean surgery_early_window_days?"),
        ("{surgery_early_window_days: ninety}", 'must be a whole number like its default 60, got "ninety"'),
        ("{surgery_early_window_days: 90.5}", "must be a whole number"),
        ("{ldh_lss_include_index_day: 1}", "must be true or false like its default false"),
        ("{index_modalities: MRI}", "must be a list"),
        ("[1, 2]", "is not a mapping"),
        ("{injection_tfesi_cpt_codes: [64483]}", "must be a list of texts"),
        ("{injection_nrs_name: null}", "injection_nrs_name has no value"),
        ("{raw_dir: !!binary aGVsbG8=}", "must be text, a number"),
        ("{feature_rare_threshold: .nan}", "must be text, a number"),
        ("{a: [}", "write a mapping such as"),
    ],
)  # fmt: skip
def test_mistakes_are_named(text, message):
    with pytest.raises(LumbarError) as err:
        parse_vars(text)
    assert message in str(err.value)


def test_the_api_checks_a_dict_too():
    with pytest.raises(LumbarError, match="no var 'nope'"):
        check_vars({"nope": 1})


def test_cli_stops_on_bad_vars_before_touching_the_warehouse(tmp_path):
    warehouse = tmp_path / "lumbar.duckdb"  # does not exist: the vars are reported first
    result = CliRunner().invoke(
        app, ["build", "-w", str(warehouse), "--vars", "{surgery_early_window_day: 90}"]
    )
    assert result.exit_code == 2, result.output
    assert "did you mean surgery_early_window_days" in result.output
    assert "Traceback" not in result.output and not warehouse.exists()
