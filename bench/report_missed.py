"""BENCHMARKS.md section on the targets the benchmark misses: what the time is spent on, what was done about
it, and what is left. The numbers come from the stored results; the history is the first measurement
(2026-11-22, before the speed work) so a reader sees how far each ratio moved.
"""

from __future__ import annotations

from typing import Any

# the first 250,000-patient run (2026-11-22), before the build and load speed work
FIRST_RUN = {
    "load_s": 59.5,
    "build_s": 319.3,
    "floor_ratio": 49.57,
    "speedup": 0.23,
    "lasso_s_per_repeat": 166.9,
}


def missed_section(result: dict[str, Any] | None, larger: dict[str, Any] | None = None) -> list[str]:
    """The 250,000-patient result's missed targets, explained (with the 1,000,000-patient pandas comparison when
    `larger` has it); [] without that result."""
    if result is None:
        return []
    stages = {s["stage"]: s for s in result["stages"]}
    if not {"load", "build", "floor"} <= set(stages):
        return []
    load, build, floor = (stages[k]["wall_s"] for k in ("load", "build", "floor"))
    details = stages["build"]["details"]
    by_kind = details.get("by_kind", {})
    tests_s = sum(by_kind.get(k, {}).get("seconds", 0.0) for k in ("test", "unit_test"))
    n_tests = sum(by_kind.get(k, {}).get("n", 0) for k in ("test", "unit_test"))
    models = details.get("models", [])[:3]
    surgery = stages.get("build_surgery")
    pandas = stages.get("pandas_baseline")
    lines = [
        "## Missed targets: where the time goes and what was done",
        "",
        f"**Floor ratio (target ≤ 3x at 250,000).** Raw files → all marts took {load:.0f} s load + {build:.0f} s "
        f"build against a {floor:.1f} s floor ({(load + build) / floor:.1f}x; first run "
        f"{FIRST_RUN['load_s']:.0f} + {FIRST_RUN['build_s']:.0f} s, {FIRST_RUN['floor_ratio']:.1f}x). The floor "
        "reads each event table once and counts events; the pipeline also validates every value and writes "
        f"rejects at load, then builds about 50 models for four studies and runs {n_tests} data tests "
        f"({tests_s:.0f} s of summed node time), cleans and sections {result['row_counts'].get('imaging', 0):,} "
        "report texts with regular expressions and extracts MRI findings clause by clause. The largest models: "
        + ", ".join(f"{m['model']} {m['seconds']:.1f} s" for m in models)
        + " (summed node seconds; dbt runs several nodes at once on 2 cores, so they inflate each other).",
        "",
        *_sql_only_lines(stages, load, build, floor),
        "Done since the first run: report sections found by two anchored, capture-free replacements that RE2 "
        "answers with its DFA (10x on the findings section); the MRI extractor reads only the medication "
        "cohort's reports and tests each clause for a finding's own terms before running its grade patterns; "
        "section and level markers carried forward in one window pass instead of two self-joins; the "
        "duplicate-events check as one hash aggregate per table; the loader trims only values with whitespace "
        "at either end and reads Parquet files through views instead of copying them as text first; the report "
        "cleaner's pattern skips single spaces (1.9 s instead of 3.2 s for these reports); DuckDB's memory "
        "settings are given once when dbt connects instead of on every node's cursor; dbt unit tests, which "
        "check SQL logic on fixed rows and give the same answer on any data, run in CI (`make test`) and with "
        "`lumbar build --unit-tests`, not in every build, as dbt recommends. Every change left the models' "
        "output identical.",
        "",
    ]
    if surgery and pandas and pandas["details"].get("equal"):
        lines += [
            f"**pandas speed-up (target ≥ 10x).** The pandas script took {pandas['wall_s']:.0f} s for the surgery "
            f"cohorts and code features; lumbar took {load:.0f} s to load (validate, reject, type) plus "
            f"{surgery['wall_s']:.0f} s to build the same outputs{_with_tests(surgery)} "
            f"(first run: {FIRST_RUN['speedup']:.2f}x against the whole build). Our baseline is vectorised pandas "
            "(merges and groupbys, no Python loops), which is the fair comparison but not a slow one: DuckDB "
            "wins by using both cores and not materialising every intermediate DataFrame, which is worth a few "
            "times here, not 10x; and lumbar's load validates every value of every raw table, which the script "
            "does not. A loop-per-patient script would be far slower, but we do not benchmark a straw man."
            + _larger_pandas(larger),
            "",
        ]
    return lines


def _larger_pandas(larger: dict[str, Any] | None) -> str:
    if larger is None:
        return ""
    stages = {s["stage"]: s for s in larger["stages"]}
    pandas, load, surgery, build = (
        stages.get(k) for k in ("pandas_baseline", "load", "build_surgery", "build")
    )
    if not (pandas and load and surgery and build and pandas["details"].get("equal")):
        return ""
    return (
        f" At {larger['n_patients']:,} patients the script took {pandas['wall_s']:.0f} s and "
        f"{pandas['peak_rss_bytes'] / 1e9:.1f} GB of memory, lumbar {load['wall_s']:.0f} + {surgery['wall_s']:.0f} s "
        f"({pandas['wall_s'] / (load['wall_s'] + surgery['wall_s']):.1f}x) with at most "
        f"{max(load['peak_rss_bytes'], build['peak_rss_bytes']) / 1e9:.1f} GB for its whole load and build."
    )


def _sql_only_lines(stages: dict[str, Any], load: float, build: float, floor: float) -> list[str]:
    """The profile that splits the build into the SQL's own work and dbt's orchestration."""
    sql = stages.get("sql_only")
    if sql is None:
        return []
    d = sql["details"]
    own = d["model_s"] + d["test_s"]
    slowest = ", ".join(f"{n['node']} {n['seconds']:.1f} s" for n in d.get("slowest", [])[:4])
    return [
        f"Where the build's {build:.0f} s go: its SQL alone, every model and data test run one after another "
        "on one DuckDB connection without dbt (`bench/sql_only.py`, a profile stage), takes "
        f"{d['model_s']:.0f} s for {d['n_models']} models and {d['test_s']:.0f} s for {d['n_tests']} tests "
        f"({own:.0f} s); the rest is dbt's orchestration: parsing the project, then compiling, running and "
        "recording each node (tens of milliseconds each, in Python). The slowest SQL: "
        f"{slowest}. Load plus that SQL is {(load + own) / floor:.1f}x the floor, so even with no orchestration "
        "at all this design does several times the work of one scan: the 3x target is not reachable by "
        "speeding up what it does, only by doing less (no load-time validation, no data tests, no text "
        "mining), and we do not trade those away for the ratio. Merging each model's column tests into one "
        f"query would cut dbt's per-node cost (the {d['n_tests']} tests are {d['test_s']:.0f} s of SQL but "
        f"{_tests_in_build(stages):.0f} s of summed node time in the build), at the price of per-column results "
        "in dbt's docs and failure messages; we keep column-level tests.",
        "",
    ]


def _tests_in_build(stages: dict[str, Any]) -> float:
    return stages["build"]["details"].get("by_kind", {}).get("test", {}).get("seconds", 0.0)


def _with_tests(stage: dict[str, Any]) -> str:
    by_kind = stage.get("details", {}).get("by_kind", {})
    n = sum(by_kind.get(k, {}).get("n", 0) for k in ("test", "unit_test"))
    return f" and run their {n} tests" if n else ""
