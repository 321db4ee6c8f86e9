"""The missed-targets section of BENCHMARKS.md is computed from the stored result it explains."""

from __future__ import annotations

from bench.report_missed import missed_section


def _stage(name: str, wall: float, details: dict | None = None) -> dict:
    return {"stage": name, "wall_s": wall, "peak_rss_bytes": 1, "details": details or {}}


def test_numbers_come_from_the_result() -> None:
    build_details = {
        "by_kind": {"test": {"n": 400, "seconds": 50.0}, "unit_test": {"n": 20, "seconds": 5.0}},
        "models": [{"model": "int_slow", "seconds": 12.0}],
    }
    result = {
        "row_counts": {"imaging": 1234},
        "stages": [
            _stage("load", 20.0),
            _stage("build", 80.0, build_details),
            _stage("floor", 5.0),
            _stage("build_surgery", 30.0, {"by_kind": {"test": {"n": 100, "seconds": 9.0}}}),
            _stage("pandas_baseline", 70.0, {"equal": True}),
        ],
    }
    text = "\n".join(missed_section(result))
    assert "(20.0x;" in text  # (20 + 80) / 5
    assert "runs 420 data tests (55 s" in text
    assert "1,234 report texts" in text and "int_slow 12.0 s" in text
    assert "took 70 s" in text and "run their 100 tests" in text


def test_the_sql_only_profile_splits_the_build() -> None:
    sql_only = {"model_s": 30.0, "test_s": 5.0, "n_models": 50, "n_tests": 400,
                "slowest": [{"node": "int_slow", "seconds": 4.0}]}  # fmt: skip
    result = {
        "row_counts": {},
        "stages": [_stage("load", 15.0), _stage("build", 60.0, {}), _stage("sql_only", 40.0, sql_only),
                   _stage("floor", 5.0)],
    }  # fmt: skip
    text = "\n".join(missed_section(result))
    assert "takes 30 s for 50 models and 5 s for 400 tests (35 s)" in text
    assert "Load plus that SQL is 10.0x the floor" in text  # (15 + 35) / 5
    assert "int_slow 4.0 s" in text


def test_the_larger_scale_pandas_comparison_is_added() -> None:
    small = {"row_counts": {}, "stages": [_stage("load", 20.0), _stage("build", 80.0), _stage("floor", 5.0),
             _stage("build_surgery", 30.0), _stage("pandas_baseline", 70.0, {"equal": True})]}  # fmt: skip
    large = {
        "n_patients": 1_000_000,
        "stages": [
            {**_stage("load", 40.0), "peak_rss_bytes": 4_000_000_000},
            {**_stage("build", 100.0), "peak_rss_bytes": 5_000_000_000},
            _stage("build_surgery", 60.0),
            {**_stage("pandas_baseline", 300.0, {"equal": True}), "peak_rss_bytes": 17_000_000_000},
        ],
    }
    text = "\n".join(missed_section(small, large))
    assert "At 1,000,000 patients the script took 300 s and 17.0 GB" in text
    assert "lumbar 40 + 60 s (3.0x) with at most 5.0 GB" in text
    assert "At 1,000,000" not in "\n".join(missed_section(small))


def test_nothing_without_the_stages() -> None:
    assert missed_section(None) == []
    assert missed_section({"row_counts": {}, "stages": [_stage("load", 1.0)]}) == []
