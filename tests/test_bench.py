"""The benchmark harness's logic: stage measurement, dbt timings, ratios and verdicts, the row comparison,
and the pandas baseline's cleaning rules. No timing is asserted; the numbers are the benchmark's job."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from bench import report
from bench.baselines import pandas_surgery as ps
from bench.compare import compare_frames
from bench.dbt_timings import read_run_results
from bench.floor import floor_sql
from bench.run import Settings, parse_scales
from bench.stages import StageError, run_stage
from ingest.errors import LumbarError

# --- stages -------------------------------------------------------------------------------------------------


def test_run_stage_measures_the_childs_own_peak_memory(tmp_path: Path) -> None:
    small = run_stage("small", 1, [sys.executable, "-c", "pass"], tmp_path / "small.log")
    big = run_stage(
        "big", 1, [sys.executable, "-c", "b = bytearray(200_000_000); b[::4096] = b'x' * len(b[::4096])"],
        tmp_path / "big.log",
    )  # fmt: skip
    assert big.peak_rss_bytes >= 200_000_000 > small.peak_rss_bytes
    assert big.wall_s > 0


def test_a_failing_stage_is_one_error_naming_its_log(tmp_path: Path) -> None:
    log = tmp_path / "fail.log"
    with pytest.raises(StageError, match="stage 'load'.*fail.log"):
        run_stage("load", 5, [sys.executable, "-c", "raise SystemExit(3)"], log)


def test_parse_scales() -> None:
    assert parse_scales("1000000, 250_000,250000") == [250_000, 1_000_000]
    for bad in ("", "abc", "250000,12"):
        with pytest.raises(LumbarError, match="--scales"):
            parse_scales(bad)


# --- dbt timings -------------------------------------------------------------------------------------------


def test_run_results_are_summed_per_kind_and_marts_count_as_export(tmp_path: Path) -> None:
    path = tmp_path / "run_results.json"
    results = [
        ("model.lumbar.stg_ehr__diagnoses", 1.0),
        ("model.lumbar.mart_surgery_codes", 4.0),
        ("model.lumbar.mart_surgery_static", 2.0),
        ("test.lumbar.not_null_x", 0.5),
        ("test.lumbar.unique_y", 0.25),
    ]
    path.write_text(
        json.dumps(
            {"elapsed_time": 9.0, "results": [{"unique_id": u, "execution_time": t} for u, t in results]}
        )
    )
    summary = read_run_results(path)
    assert summary["by_kind"]["model"] == {"n": 3, "seconds": 7.0}
    assert summary["by_kind"]["test"] == {"n": 2, "seconds": 0.75}
    assert summary["export_s"] == 6.0
    assert summary["by_layer"] == {"mart": 6.0, "stg": 1.0}
    assert [m["model"] for m in summary["models"]] == [
        "mart_surgery_codes",
        "mart_surgery_static",
        "stg_ehr__diagnoses",
    ]


# --- ratios and the report ----------------------------------------------------------------------------------


def _result(
    n: int, load: float, build: float, floor: float, pandas: float, equal: bool = True, rss: float = 1e9
):
    def s(name: str, wall: float, details: dict | None = None) -> dict:
        return {
            "stage": name,
            "n_patients": n,
            "wall_s": wall,
            "peak_rss_bytes": int(rss),
            "details": details or {},
        }

    return {
        "n_patients": n,
        "measured_at": "2026-01-01 00:00 UTC",
        "row_counts": {"patients": n, "diagnoses": 10 * n},
        "n_events": 10 * n,
        "machine": report.machine_info(),
        "duckdb_settings": {},
        "stages": [
            s("load", load),
            s("build", build, {"models": [{"model": "int_slow", "seconds": build / 2}], "by_kind": {}}),
            s("floor", floor),
            s(
                "pandas_baseline",
                pandas,
                {"equal": equal, "differences": [] if equal else ["x: 3 rows differ"]},
            ),
        ],
    }


def test_ratios_follow_their_definitions() -> None:
    r = _result(250_000, load=10, build=30, floor=20, pandas=400)
    assert report.pipeline_seconds(r) == 40
    assert report.floor_ratio(r) == pytest.approx(2.0)
    assert report.baseline_speedup(r) == pytest.approx(10.0)
    assert report.seconds_per_100k(r) == pytest.approx(16.0)
    bigger = _result(1_000_000, load=40, build=140, floor=80, pandas=1600)
    assert report.scaling_growth(r, bigger) == pytest.approx(180 / 160)


def test_speedup_uses_the_surgery_only_build_when_measured() -> None:
    r = _result(250_000, load=10, build=30, floor=20, pandas=400)
    r["stages"].append({"stage": "build_surgery", "wall_s": 15.0, "peak_rss_bytes": 1, "details": {}})
    assert report.surgery_seconds(r) == 25
    assert report.baseline_speedup(r) == pytest.approx(400 / 25)
    assert report.baseline_speedup(r, dbt_only=True) == pytest.approx(400 / 15)
    assert "lumbar surgery build on a loaded warehouse" in report.render([r])


def test_no_speedup_is_reported_when_the_baseline_rows_differ() -> None:
    r = _result(250_000, load=10, build=30, floor=20, pandas=400, equal=False)
    assert report.baseline_speedup(r) is None
    text = report.render([r])
    assert "outputs differ: x: 3 rows differ" in text


def test_notes_load_average_and_sql_only_profile_are_rendered() -> None:
    r = _result(250_000, load=10, build=30, floor=5, pandas=400)
    r["notes"] = ["the trainer stage was stopped by hand"]
    r["load_average_at_start"] = 0.25
    sql = {"model_s": 12.0, "test_s": 3.0, "n_models": 5, "n_tests": 9, "slowest": []}
    r["stages"].append({"stage": "sql_only", "wall_s": 16.0, "peak_rss_bytes": 1, "details": sql})
    assert report.sql_only_ratio(r) == pytest.approx((10 + 15) / 5)
    text = report.render([r])
    assert "- 250,000 patients: the trainer stage was stopped by hand" in text
    assert "load average when each scale's run began: 250,000 patients 0.25" in text
    assert "| (load + the build's SQL without dbt) / single-scan floor | 250,000 | 5.00x |" in text


def test_render_names_missed_targets_and_passes() -> None:
    fast = _result(250_000, load=10, build=30, floor=20, pandas=400)  # floor 2x pass, speed-up 10x pass
    slow = _result(1_000_000, load=100, build=500, floor=60, pandas=100, rss=20e9)  # superlinear, 20 GB
    text = report.render([fast, slow])
    floor_row = next(line for line in text.splitlines() if "single-scan floor | 250,000" in line)
    assert floor_row.endswith("| pass |")
    growth_row = next(line for line in text.splitlines() if line.startswith("| growth of s/100k"))
    assert "**MISS**" in growth_row
    memory_row = next(
        line for line in text.splitlines() if "peak RSS of load and build (GB) | 1,000,000" in line
    )
    assert "**MISS**" in memory_row
    assert "int_slow" in text  # the profile of where the build's time goes


def test_larger_scales_time_a_shorter_lasso_search_and_say_so() -> None:
    settings = Settings(seed=1, train=True, baseline=True, lasso_repeats=50, mdl_epochs=2)
    assert settings.lasso_repeats_at(250_000) == 50
    assert settings.lasso_repeats_at(1_000_000) == 5
    assert (
        Settings(seed=1, train=True, baseline=True, lasso_repeats=2, mdl_epochs=1).lasso_repeats_at(10**6)
        == 2
    )
    r = _result(1_000_000, load=10, build=30, floor=5, pandas=400)
    timing = {"lasso_repeats": 5, "lasso_selection_s": 120.0, "n_train": 25_000}
    r["stages"].append({"stage": "train", "wall_s": 200.0, "peak_rss_bytes": 1, "details": timing})
    text = report.render([r])
    assert "ran 5 repeats of the paper's 50" in text and "≈ 1,200 s (estimate, not measured)" in text


def test_a_quick_report_judges_nothing() -> None:
    text = report.render([_result(20_000, load=10, build=300, floor=1, pandas=1)], quick=True)
    assert "MISS" not in text and "| pass |" not in text


# --- comparison -------------------------------------------------------------------------------------------


def _cohort(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "patient_id": ["p2", "p1"],
            "index_date": pd.to_datetime(["2014-01-02", "2015-03-04"]),
            "label": [1, 0],
            "surgery_date": pd.to_datetime(["2014-02-01", None]),
            "days_to_surgery": [30, None],
            "site": ["a", "b"],
            "split": ["train", "test"],
            "index_image_id": ["i2", "i1"],
            "index_modality": ["MRI", "XR"],
        }
    )
    return frame.assign(**overrides)


def test_equal_rows_in_other_types_and_order_are_equal() -> None:
    expected = _cohort()
    actual = _cohort(
        index_date=[d.date() for d in expected["index_date"]],
        days_to_surgery=pd.array([30, None], dtype="Int32"),
        label=pd.array([1, 0], dtype="int32"),
    ).iloc[::-1]
    assert compare_frames("cohort_surgery_early", expected, actual) == []


def test_a_changed_value_or_row_count_is_a_difference() -> None:
    expected = _cohort()
    changed = compare_frames("cohort_surgery_early", expected, _cohort(split=["train", "train"]))
    assert [d.message for d in changed] == ["column split differs on 1 of 2 rows"]
    shorter = compare_frames("cohort_surgery_early", expected, expected.iloc[:1])
    assert "1 rows in the baseline, 2 in the warehouse" in shorter[0].message


# --- pandas baseline rules -------------------------------------------------------------------------------------


def test_codes_are_normalised_like_the_staging_macro() -> None:
    codes = pd.Series(["ICD10: M51.16", " cpt 63047", "722.10", "icd-9-cm=724.02", "e849.0"])
    assert ps.normalise_code(codes).tolist() == ["M5116", "63047", "72210", "72402", "E8490"]
    systems = pd.Series(["ICD-10-CM", "icd9", "CPT4", "SNOMED CT", "HCPCS"])
    assert ps.normalise_code_system(systems).tolist() == ["ICD10CM", "ICD9CM", "CPT", "SNOMED", "HCPCS"]


def test_drug_names_lose_doses_forms_and_salts() -> None:
    names = pd.Series(
        [
            "Hydrocodone-Acetaminophen 5-325 MG Oral Tablet",
            "Oxycodone HCl ER 20 mg",
            "norco 10/325",
            "Potassium Chloride 20 MEQ",
            "fentanyl 25 mcg/hr patch",
        ]
    )
    assert ps.drug_ingredient_name(names).tolist() == [
        "hydrocodone/acetaminophen",
        "oxycodone",
        "norco",
        "potassium",
        "fentanyl",
    ]


def test_icd9_level3_keeps_four_characters_for_e_codes() -> None:
    assert ps.icd9_level3(pd.Series(["72210", "V5417", "E8490"])).tolist() == ["722", "V54", "E849"]


def test_split_sends_round_n_times_fraction_of_each_label_to_test() -> None:
    cohort = pd.DataFrame({"patient_id": [f"p{i}" for i in range(23)], "label": [1] * 8 + [0] * 15})
    split = ps.split_column(cohort, {"split_seed": 7, "split_test_fraction": 0.2})
    tests = cohort[split == "test"].groupby("label").size().to_dict()
    assert tests == {0: 3, 1: 2}  # round(15 * 0.2) = 3, round(8 * 0.2) = round(1.6) = 2


def test_floor_query_reads_each_event_table_once(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    con = duckdb.connect()
    con.execute(
        f"copy (select 'p1' as patient_id, date '2015-01-03' as dx_date, 'M5116' as code union all "
        f"select 'p1', date '2015-01-20', 'M5116') to '{raw / 'diagnoses.parquet'}' (format parquet)"
    )
    out = tmp_path / "floor.parquet"
    sql = floor_sql(raw, out)
    assert sql.count("read_parquet") == 1  # only the tables present are scanned
    con.execute(sql)
    assert con.execute(f"select n_events from '{out}'").fetchall() == [(2,)]


def test_profile_values_are_rendered_as_dbt_would(monkeypatch) -> None:
    monkeypatch.delenv("LUMBAR_DBT_THREADS", raising=False)
    monkeypatch.delenv("LUMBAR_WAREHOUSE", raising=False)
    assert report.render_profile_value("{{ env_var('LUMBAR_DBT_THREADS', '4') | as_number }}") == 4
    monkeypatch.setenv("LUMBAR_DBT_THREADS", "8")
    assert report.render_profile_value("{{ env_var('LUMBAR_DBT_THREADS', '4') | as_number }}") == 8
    assert (
        report.render_profile_value("{{ env_var('LUMBAR_WAREHOUSE', 'x.duckdb') ~ '.tmp' }}")
        == "<warehouse>.tmp"
    )
    assert report.render_profile_value("12GB") == "12GB"


def test_sql_only_without_a_build_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import sql_only

    out = tmp_path / "sql_only.json"
    assert (
        sql_only.main([str(tmp_path / "lumbar.duckdb"), str(tmp_path / "marts"), str(out), "--threads", "1"])
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "run `lumbar build`" in err and err.count("\n") == 1
    assert not out.exists()
