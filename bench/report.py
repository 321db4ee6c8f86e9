"""BENCHMARKS.md from stored benchmark results: machine, stage x scale table, ratios against their targets,
and for every missed target the profile that shows where the time goes.

The ratio functions are pure (results in, numbers out) so tests can check them without running anything.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

import jinja2
import yaml

from bench.report_medication import medication_section
from bench.report_missed import missed_section
from ingest.paths import DBT_PROJECT_DIR
from ingest.privacy import suppress

# targets from issue 8
FLOOR_TARGET = 3.0  # (raw files -> all marts) / floor, at most, at 250,000 patients
SPEEDUP_TARGET = 10.0  # pandas baseline / lumbar, at least
LINEAR_TOLERANCE = 1.10  # s per 100k at the larger scale / at the smaller: at most linear (10% noise allowed)
MEMORY_TARGET_GB = 16.0  # peak RSS of the 1,000,000-patient build
FLOOR_SCALE, MEMORY_SCALE = 250_000, 1_000_000
PIPELINE_STAGES = ("load", "build")  # raw files -> all marts

STAGE_LABELS = {
    "generate": "generate (synthetic raw files)",
    "load": "load (validate + write raw.*)",
    "build": "build (dbt build + Parquet marts)",
    "sql_only": "the build's SQL without dbt: every model and data test, serial, one connection (profile)",
    "floor": "single-scan floor (DuckDB)",
    "build_surgery": "build, surgery selection only (the models and tests the pandas baseline reproduces)",
    "pandas_baseline": "pandas baseline (surgery cohorts + code features)",
    "train": "trainer timings (LASSO selection + word2vec + MDL epochs)",
}
PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "polars", "pandas", "pyarrow", "torch", "scikit-learn")


# ---------------------------------------------------------------------------------------------------------
# machine


def machine_info() -> dict[str, Any]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "cpu": _cpu_model(),
        "platform": platform.platform(),
        "versions": versions,
    }


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) * 1024 / 1e9, 1)
    except OSError:
        pass
    return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def duckdb_settings() -> dict[str, Any]:
    """What the dbt profile tells DuckDB about threads, memory and spilling (dbt-duckdb's `config_options:` block),
    with its env_var() defaults resolved as dbt would resolve them in this environment."""
    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    output = profiles["lumbar"]["outputs"].get("duckdb", {})
    settings = output.get("config_options") or {}
    return {
        "dbt_threads": render_profile_value(output.get("threads")),
        "memory_limit": render_profile_value(settings.get("memory_limit")),
        "temp_directory": render_profile_value(settings.get("temp_directory")),
    }


def render_profile_value(value: Any) -> Any:
    """A profiles.yml value with its Jinja (env_var, as_number) rendered; plain values pass through."""
    if not isinstance(value, str) or "{{" not in value:
        return value
    env = jinja2.Environment()
    env.filters["as_number"] = lambda v: v  # numbers are converted after rendering
    # `lumbar build` points LUMBAR_WAREHOUSE at the warehouse it builds, so name it rather than the default
    placeholders = {"LUMBAR_WAREHOUSE": "<warehouse>"}
    out = env.from_string(value).render(
        env_var=lambda name, default=None: os.environ.get(name, placeholders.get(name, default))
    )
    return int(out) if out.strip().isdigit() else out


# ---------------------------------------------------------------------------------------------------------
# ratios (pure)


def stage(result: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((s for s in result["stages"] if s["stage"] == name), None)


def pipeline_seconds(result: dict[str, Any]) -> float | None:
    """Raw files -> all marts: load + build wall seconds."""
    parts = [stage(result, name) for name in PIPELINE_STAGES]
    return None if any(p is None for p in parts) else sum(p["wall_s"] for p in parts)


def floor_ratio(result: dict[str, Any]) -> float | None:
    floor, total = stage(result, "floor"), pipeline_seconds(result)
    return None if floor is None or total is None or floor["wall_s"] <= 0 else total / floor["wall_s"]


def sql_only_ratio(result: dict[str, Any]) -> float | None:
    """(load + the build's SQL run serially without dbt) / floor: what this design costs with no orchestration."""
    load, sql, floor = (stage(result, n) for n in ("load", "sql_only", "floor"))
    if load is None or sql is None or floor is None or floor["wall_s"] <= 0:
        return None
    return (load["wall_s"] + sql["details"]["model_s"] + sql["details"]["test_s"]) / floor["wall_s"]


def surgery_seconds(result: dict[str, Any]) -> float | None:
    """Raw files -> the surgery cohorts and code features: load + the surgery-only build, the same work the
    pandas baseline does (older results without that stage fall back to the whole pipeline)."""
    load, surgery = stage(result, "load"), stage(result, "build_surgery")
    if load is None or surgery is None:
        return pipeline_seconds(result)
    return load["wall_s"] + surgery["wall_s"]


def baseline_speedup(result: dict[str, Any], *, dbt_only: bool = False) -> float | None:
    """pandas seconds / lumbar seconds for the same rows, only when the baseline's rows equal the warehouse's.

    lumbar's seconds are load + surgery-only build (`dbt_only`: the surgery-only build alone, i.e. on a
    warehouse that is already loaded, as in daily use where many studies share one load).
    """
    base = stage(result, "pandas_baseline")
    surgery = stage(result, "build_surgery")
    total = (surgery["wall_s"] if surgery else None) if dbt_only else surgery_seconds(result)
    if base is None or total is None or not base["details"].get("equal") or total <= 0:
        return None
    return base["wall_s"] / total


def seconds_per_100k(result: dict[str, Any]) -> float | None:
    total = pipeline_seconds(result)
    return None if total is None else total / (result["n_patients"] / 100_000)


def scaling_growth(small: dict[str, Any], large: dict[str, Any]) -> float | None:
    """(s per 100k at the larger scale) / (s per 100k at the smaller); 1.0 = exactly linear."""
    a, b = seconds_per_100k(small), seconds_per_100k(large)
    return None if a is None or b is None or a <= 0 else b / a


def build_peak_gb(result: dict[str, Any]) -> float | None:
    peaks = [s["peak_rss_bytes"] for s in result["stages"] if s["stage"] in PIPELINE_STAGES]
    return max(peaks) / 1e9 if peaks else None


# ---------------------------------------------------------------------------------------------------------
# Markdown


def render(
    results: list[dict[str, Any]], *, quick: bool = False, medication: list[dict[str, Any]] | None = None
) -> str:
    results = sorted(results, key=lambda r: r["n_patients"])
    latest = max(results, key=lambda r: r["measured_at"])
    lines = ["# lumbar benchmarks", ""]
    if quick:
        lines += [
            "> Quick run of the harness on a small dataset: not the benchmark; targets are not judged.",
            "",
        ]
    lines += [
        "Written by `make bench` (`python -m bench.run`); numbers below are measurements, not estimates.",
        "Dates: "
        + ", ".join(
            f"{r['n_patients']:,} patients measured {r['measured_at']}"
            + ("" if r.get("complete", True) else " (incomplete run: later stages missing)")
            for r in results
        )
        + ".",
        *[f"- {r['n_patients']:,} patients: {note}" for r in results for note in r.get("notes", [])],
        "",
        *_machine_section(latest["machine"], latest.get("duckdb_settings", {}), results),
        *_datasets_section(results),
        *_stage_table(results),
        *_ratio_section(results, judge=not quick),
        *_trainer_section(results),
        *medication_section(medication or []),
        *missed_section(
            next((r for r in results if r["n_patients"] == FLOOR_SCALE), None),
            next((r for r in results if r["n_patients"] == MEMORY_SCALE), None),
        ),
        *_profile_section(results),
        *_method_section(),
    ]
    return "\n".join(lines).rstrip() + "\n"


def _machine_section(
    machine: dict[str, Any], settings: dict[str, Any], results: list[dict[str, Any]]
) -> list[str]:
    v = machine["versions"]
    return [
        "## Machine",
        "",
        f"- {machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']} GB memory, {machine['platform']}",
        "- " + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- dbt threads (profiles.yml): {render_profile_value(settings.get('dbt_threads'))}; DuckDB memory_limit: "
        f"{render_profile_value(settings.get('memory_limit')) or 'not set (DuckDB default: 80% of RAM)'}; "
        "temp_directory: "
        f"{render_profile_value(settings.get('temp_directory')) or 'not set (DuckDB default: <warehouse>.tmp)'}",
        _load_line(results),
        "",
    ]


def _load_line(results: list[dict[str, Any]]) -> str:
    """How busy the machine was when each scale's run began (older results did not record it)."""
    known = [(r["n_patients"], r["load_average_at_start"]) for r in results if "load_average_at_start" in r]
    runs = "- Each stage is timed once, except the single-scan floor (the median of three runs; older results: one)."
    if not known:
        return f"{runs} The machine's load was not recorded for these results."
    loads = "; ".join(f"{n:,} patients {load:.2f}" for n, load in known)
    return f"{runs} 1-minute load average when each scale's run began: {loads}."


def _datasets_section(results: list[dict[str, Any]]) -> list[str]:
    tables = sorted({t for r in results for t in r["row_counts"]})
    lines = [
        "## Datasets",
        "",
        "| rows | " + " | ".join(f"{r['n_patients']:,} patients" for r in results) + " |",
    ]
    lines.append("|---|" + "---:|" * len(results))
    for t in tables:
        lines.append(f"| {t} | " + " | ".join(f"{r['row_counts'].get(t, 0):,}" for r in results) + " |")
    lines.append(
        "| **events (all event tables)** | " + " | ".join(f"{r['n_events']:,}" for r in results) + " |"
    )
    return [*lines, ""]


def _stage_table(results: list[dict[str, Any]]) -> list[str]:
    head = "| stage | " + " | ".join(f"{r['n_patients']:,}: wall s | peak RSS GB" for r in results) + " |"
    lines = [
        "## Stages",
        "",
        "Each stage is one child process: wall seconds and its peak resident memory.",
        "",
    ]
    lines += [head, "|---|" + "---:|---:|" * len(results)]
    names = [n for n in STAGE_LABELS if any(stage(r, n) for r in results)]
    for name in names:
        cells = []
        for r in results:
            s = stage(r, name)
            note = " (cached)" if name == "generate" and r.get("generate_cached") else ""
            if name == "floor" and s and "runs_s" not in s["details"]:
                note = " (1 run)"
            cells += [f"{s['wall_s']:.1f}{note}", f"{s['peak_rss_bytes'] / 1e9:.2f}"] if s else ["—", "—"]
        lines.append(f"| {STAGE_LABELS[name]} | " + " | ".join(cells) + " |")
    cells = []
    for r in results:
        b = stage(r, "build")
        if b:
            d = b["details"]
            models = d.get("by_kind", {}).get("model", {})
            cells += [f"{d.get('export_s', 0):.1f} / {models.get('seconds', 0):.1f}", ""]
        else:
            cells += ["—", ""]
    lines.append(
        "| of which mart models (query + Parquet export) / all models, summed node s | "
        + " | ".join(cells)
        + " |"
    )
    cells = []
    for r in results:
        total = pipeline_seconds(r)
        cells += [f"**{total:.1f}**" if total is not None else "—", f"{build_peak_gb(r) or 0:.2f}"]
    lines.append("| **raw files → all marts (load + build)** | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Generate is timed when the dataset is first written to bench/.cache/ and reused afterwards "
        '("cached": the time of that first run).',
        "",
    ]
    return lines


def _verdict(ok: bool | None, judge: bool) -> str:
    if not judge or ok is None:
        return "—"
    return "pass" if ok else "**MISS**"


def _ratio_section(results: list[dict[str, Any]], judge: bool) -> list[str]:
    by_n = {r["n_patients"]: r for r in results}
    lines = ["## Ratios", "", "| ratio | scale | value | target | result |", "|---|---|---:|---|---|"]
    for r in results:
        ratio = floor_ratio(r)
        target = r["n_patients"] == FLOOR_SCALE
        lines.append(
            f"| (raw files → all marts) / single-scan floor | {r['n_patients']:,} | {_x(ratio)} | "
            f"{'≤ 3x' if target else '(reported)'} | "
            f"{_verdict(None if ratio is None or not target else ratio <= FLOOR_TARGET, judge)} |"
        )
    for r in results:
        ratio = sql_only_ratio(r)
        if ratio is not None:
            lines.append(
                f"| (load + the build's SQL without dbt) / single-scan floor | {r['n_patients']:,} | {_x(ratio)} | "
                "(profile) | — |"
            )
    for r in results:
        base = stage(r, "pandas_baseline")
        speedup = baseline_speedup(r)
        if base is not None and not base["details"].get("equal"):
            value = "outputs differ: " + "; ".join(base["details"].get("differences", []))
            ok: bool | None = False
        else:
            value, ok = _x(speedup), None if speedup is None else speedup >= SPEEDUP_TARGET
        lines.append(
            f"| pandas baseline / lumbar, raw files → surgery outputs (load + surgery build; same rows checked "
            f"first) | {r['n_patients']:,} | {value} | ≥ 10x | {_verdict(ok, judge)} |"
        )
        dbt_only = baseline_speedup(r, dbt_only=True)
        if dbt_only is not None:
            lines.append(
                f"| pandas baseline / lumbar surgery build on a loaded warehouse | {r['n_patients']:,} | "
                f"{_x(dbt_only)} | (reported) | — |"
            )
    for r in results:
        spk = seconds_per_100k(r)
        lines.append(
            f"| seconds per 100,000 patients (load + build) | {r['n_patients']:,} | {_num(spk)} | | |"
        )
    scales = sorted(by_n)
    for small, large in zip(scales, scales[1:], strict=False):
        g = scaling_growth(by_n[small], by_n[large])
        lines.append(
            f"| growth of s/100k, {large:,} vs {small:,} | | {_num(g, 2)} | ≤ 1 (linear; {LINEAR_TOLERANCE:.2f} "
            f"allows noise) | {_verdict(None if g is None else g <= LINEAR_TOLERANCE, judge)} |"
        )
    for r in results:
        peak = build_peak_gb(r)
        target = r["n_patients"] == MEMORY_SCALE
        lines.append(
            f"| peak RSS of load and build (GB) | {r['n_patients']:,} | {_num(peak, 2)} | "
            f"{'< 16 GB' if target else '(reported)'} | "
            f"{_verdict(None if peak is None or not target else peak < MEMORY_TARGET_GB, judge)} |"
        )
    if judge and MEMORY_SCALE not in by_n:
        lines.append(
            "| peak RSS of the 1,000,000-patient build | 1,000,000 | not measured yet | < 16 GB | **not run** |"
        )
    if judge and len(scales) < 2:
        lines.append("| growth of s/100k | | needs two scales | ≤ 1 | **not run** |")
    lines.append("")
    settings = results[-1].get("duckdb_settings", {})
    if not settings.get("memory_limit") or not settings.get("temp_directory"):
        lines += [
            "Memory: dbt_project/profiles.yml gives DuckDB no `config_options: {memory_limit, temp_directory}` and "
            "ingest/loading/warehouse.py opens the warehouse without them, so DuckDB uses its defaults: a "
            "limit of 80% of RAM (18.8 GiB on this 24 GB machine, above the 16 GB target) and spilling to "
            "`<warehouse>.tmp`. Setting memory_limit below the target (e.g. 12 GB) is what makes the 1,000,000-"
            "patient build spill instead of growing past 16 GB.",
            "",
        ]
    return lines


PAPER_LASSO_REPEATS = 50  # 000_dc58a6666935e68a.txt: 5-fold CV repeated 50 times


def _trainer_section(results: list[dict[str, Any]]) -> list[str]:
    rows = [(r, stage(r, "train")) for r in results]
    rows = [(r, t) for r, t in rows if t is not None]
    if not rows:
        return []
    lines = [
        "## Trainers",
        "",
        "Surgery study, early task, on each scale's marts (`bench/train_timing.py`): the trainer's own feature "
        "code, then one LASSO λ selection (repeated 5-fold CV) and a few epochs of the full MDL model "
        "(text + temporal + static) on CPU. A full `lumbar train surgery` run adds the MDL grid (combinations x "
        "epochs) and the bootstrap evaluation; it is not timed as a whole because it takes far longer than "
        "the benchmark can spend.",
        "",
        "| scale | training patients | features (LASSO) | LASSO λ selection s | repeats x 5 folds "
        "| word2vec s | MDL s / epoch | wall s | peak RSS GB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r, t in rows:
        d = t["details"]
        n_train = d.get("n_train")
        lines.append(
            f"| {r['n_patients']:,} | {suppress(n_train) if n_train is not None else '—'} | "
            f"{_int(d.get('lasso_n_features'))} | {_num(d.get('lasso_selection_s'))} | "
            f"{d.get('lasso_repeats', '—')} | {_num(d.get('word2vec_s'))} | "
            f"{_num(d.get('mdl_seconds_per_epoch'), 2)} | {t['wall_s']:.1f} | {t['peak_rss_bytes'] / 1e9:.2f} |"
        )
    lines.append("")
    for r, t in rows:
        d = t["details"]
        repeats, seconds = d.get("lasso_repeats"), d.get("lasso_selection_s")
        if repeats and seconds is not None and repeats < PAPER_LASSO_REPEATS:
            lines.append(
                f"- {r['n_patients']:,} patients: the λ search ran {repeats} repeats of the paper's "
                f"{PAPER_LASSO_REPEATS} (`--lasso-repeats-large`). Every repeat is the same work on new folds, "
                f"so the paper's search would take about {PAPER_LASSO_REPEATS / repeats:.0f} times as long: "
                f"≈ {seconds * PAPER_LASSO_REPEATS / repeats:,.0f} s (estimate, not measured)."
            )
    return [*lines, ""] if lines[-1] else lines


def _profile_section(results: list[dict[str, Any]], top: int = 10) -> list[str]:
    lines = ["## Where the build's time goes", ""]
    for r in results:
        b = stage(r, "build")
        if b is None:
            continue
        d = b["details"]
        kinds = ", ".join(
            f"{k} {v['n']} nodes {v['seconds']:.1f} s" for k, v in sorted(d.get("by_kind", {}).items())
        )
        lines += [
            f"### {r['n_patients']:,} patients",
            "",
            f"dbt's own elapsed time {d.get('dbt_elapsed_s', 0):.1f} s of the {b['wall_s']:.1f} s build process "
            f"(the rest is Python start-up, parsing and the post-build checks in `lumbar build`). "
            f"Summed node seconds: {kinds}.",
            "",
            "Summed model seconds by layer: "
            + (", ".join(f"{k} {v:.1f} s" for k, v in d.get("by_layer", {}).items()) or "—")
            + ".",
            "",
            "| model | seconds |",
            "|---|---:|",
        ]
        lines += [f"| {m['model']} | {m['seconds']:.2f} |" for m in d.get("models", [])[:top]]
        lines.append("")
    return lines


def _method_section() -> list[str]:
    return [
        "## How these are measured",
        "",
        "- Each stage runs as its own process; wall time from start to exit, peak RSS from `wait4` on that "
        "process (its own maximum, not the harness's).",
        "- Raw files → all marts = `lumbar load` into an empty warehouse + `lumbar build` (every model, seed "
        "and data test, and the Parquet marts; dbt's unit tests check SQL logic on fixed rows and run in "
        "`make test` and with `lumbar build --unit-tests`, not in a build).",
        "- Floor: one DuckDB query reading each raw event table once, counting events by patient, month and "
        "code into one Parquet file (`bench/floor.py`), with DuckDB's threads equal to the warehouse's. It is run "
        'three times, each as its own process, and the median run is the one reported; "(1 run)" marks an older '
        "result timed once.",
        "- pandas baseline (`bench/baselines/pandas_surgery.py`): the surgery cohorts and patient-level code "
        "features from the raw Parquet files; its rows are compared with `cohorts.cohort_surgery_early/late` "
        "and `mart_surgery_codes_patient` before its time is used. It computes a subset of what the build "
        "does, so the speed-up is conservative for lumbar.",
        "",
    ]


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _int(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"
