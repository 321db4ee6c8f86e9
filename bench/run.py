"""`make bench`: time lumbar stage by stage at 250,000 and 1,000,000 patients and write BENCHMARKS.md.

    python -m bench.run                          # both scales, writes BENCHMARKS.md
    python -m bench.run --scales 250000          # one scale; other scales' stored results are kept
    python -m bench.run --quick                  # 20,000 patients, small trainer settings: tests the harness
    python -m bench.run --report-only            # re-render BENCHMARKS.md from stored results

Per scale, each stage runs as its own child process (wall seconds and peak RSS of that process): generate
(cached under bench/.cache/), load, build (dbt build + Parquet marts; per-model seconds from dbt's
run_results.json), the single-scan floor, the pandas baseline (checked row for row against the warehouse
before its time counts) and the trainer timings (bench/train_timing.py: LASSO lambda selection and MDL
seconds per epoch through the trainer's own code). Results are stored per scale in bench/.cache/results/ and BENCHMARKS.md is
rendered from every stored scale.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from bench import report
from bench.compare import compare_outputs, warehouse_outputs
from bench.datasets import CACHE_DIR, ensure_dataset
from bench.dbt_timings import read_run_results
from bench.report_medication import stored_medication_results
from bench.stages import StageResult, lumbar_argv, python_argv, run_stage
from ingest.dbt_runner import dbt_dir, run_results_path
from ingest.errors import LumbarError
from ingest.paths import REPO_ROOT

DEFAULT_SCALES = (250_000, 1_000_000)
FLOOR_RUNS = 3  # the floor is timed this many times, as separate processes; its median run is used
# what the pandas baseline computes: the surgery cohorts and patient-level code features, with their parents
SURGERY_SELECTION = "+cohort_surgery_early +cohort_surgery_late +mart_surgery_codes_patient"
QUICK_SCALE = 20_000
LIRE_SCALE = 250_000  # the paper's cohort size; larger scales time a shorter LASSO search (see Settings)
console = Console(stderr=True)


@dataclass(frozen=True)
class Settings:
    seed: int
    train: bool
    baseline: bool
    lasso_repeats: int
    mdl_epochs: int
    # The paper's 50 repeats x 5 folds took 6 min at 250,000 patients and had not finished after 54 min at
    # 1,000,000. Each repeat is the same work on new folds, so fewer repeats time it as well.
    lasso_repeats_large: int = 5

    def lasso_repeats_at(self, n_patients: int) -> int:
        return (
            self.lasso_repeats
            if n_patients <= LIRE_SCALE
            else min(self.lasso_repeats, self.lasso_repeats_large)
        )


def parse_scales(text: str) -> list[int]:
    """'250000,1000000' -> [250000, 1000000]; a one-line error for anything else."""
    scales = []
    for part in text.split(","):
        part = part.strip().replace("_", "")
        if not part.isdigit() or int(part) < 1000:
            raise LumbarError(f"--scales {text!r}: each scale must be a whole number of patients >= 1000")
        scales.append(int(part))
    return sorted(set(scales))


def results_path(n_patients: int, seed: int, cache_dir: Path = CACHE_DIR) -> Path:
    return cache_dir / "results" / f"patients-{n_patients}-seed-{seed}.json"


# ---------------------------------------------------------------------------------------------------------
# one scale


def bench_scale(
    n_patients: int, settings: Settings, progress: Progress, cache_dir: Path = CACHE_DIR
) -> dict[str, Any]:
    """Every stage at one scale; returns the stored result (also written to bench/.cache/results/)."""
    task = progress.add_task(f"{n_patients:,} patients: generate (cached after the first run)", total=None)

    def step(name: str) -> None:
        progress.update(task, description=f"{n_patients:,} patients: {name}")

    dataset = ensure_dataset(n_patients, settings.seed, cache_dir)
    work = dataset.folder
    logs = work / "logs"
    warehouse, marts = work / "lumbar.duckdb", work / "marts"
    _fresh_warehouse(warehouse, marts)

    stages: list[StageResult] = [dataset.generate]
    load_average = os.getloadavg()[0]  # how busy the machine was when this scale's run began
    path = results_path(n_patients, settings.seed, cache_dir)

    def save(complete: bool = False) -> dict[str, Any]:
        """Write the result after every stage, so a long run that fails late keeps what it measured."""
        result = {
            "n_patients": n_patients,
            "seed": settings.seed,
            "complete": complete,
            "load_average_at_start": load_average,
            "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "generate_cached": dataset.cached,
            "row_counts": dataset.row_counts,
            "n_events": dataset.n_events,
            "machine": report.machine_info(),
            "duckdb_settings": report.duckdb_settings(),
            "stages": [s.to_json() for s in stages],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2))
        return result

    step("load")
    load_argv = lumbar_argv("load", str(dataset.raw_dir), "--warehouse", str(warehouse))
    stages.append(run_stage("load", n_patients, load_argv, logs / "load.log"))
    save()
    step("dbt build + Parquet marts")
    build = run_stage(
        "build", n_patients,
        lumbar_argv("build", "--warehouse", str(warehouse), "--marts-dir", str(marts)), logs / "build.log",
    )  # fmt: skip
    build.details = read_run_results(_run_results_path(warehouse))
    stages.append(build)
    save()
    stages.append(_sql_only(n_patients, warehouse, work, step))
    save()

    step("single-scan floor")
    runs = [
        run_stage(
            "floor",
            n_patients,
            python_argv(
                "bench.floor",
                str(dataset.raw_dir),
                str(work / "floor" / "floor.parquet"),
                "--threads",
                str(duckdb_threads()),
            ),
            logs / "floor.log",
        )  # fmt: skip
        for _ in range(FLOOR_RUNS)
    ]
    # a stage of a few seconds varies by more than 10 % between single runs; the ratios divide by it
    floor = sorted(runs, key=lambda r: r.wall_s)[len(runs) // 2]
    floor.details = {"threads": duckdb_threads(), "runs_s": [r.wall_s for r in runs]}
    stages.append(floor)
    save()

    if settings.baseline:
        step("build, surgery selection only")
        surgery = run_stage(
            "build_surgery", n_patients,
            lumbar_argv("build", "--warehouse", str(warehouse), "--marts-dir", str(marts),
                        "--select", SURGERY_SELECTION),
            logs / "build_surgery.log",
        )  # fmt: skip
        surgery.details = read_run_results(_run_results_path(warehouse))
        stages.append(surgery)
        save()
        stages.append(_pandas_baseline(n_patients, dataset.raw_dir, work, warehouse, marts, step))
        save()

    if settings.train:
        step("trainer timings (early task: LASSO selection, word2vec, MDL epochs)")
        stages.append(_train(n_patients, marts, work, settings))

    progress.update(task, description=f"{n_patients:,} patients: done", total=1, completed=1)
    return save(complete=True)


def _pandas_baseline(
    n_patients: int, raw_dir: Path, work: Path, warehouse: Path, marts: Path, step: Callable[[str], None]
) -> StageResult:
    """The pandas baseline, checked row for row against the warehouse before its time is used."""
    step("pandas baseline")
    baseline_dir = work / "pandas_baseline"
    shutil.rmtree(baseline_dir, ignore_errors=True)
    baseline = run_stage(
        "pandas_baseline", n_patients,
        python_argv("bench.baselines.pandas_surgery", str(raw_dir), str(baseline_dir)),
        work / "logs" / "pandas_baseline.log",
    )  # fmt: skip
    step("pandas baseline: row-for-row check against the warehouse")
    differences = compare_outputs(warehouse_outputs(warehouse, marts), baseline_dir)
    baseline.details["equal"] = not differences
    baseline.details["differences"] = [f"{d.output}: {d.message}" for d in differences]
    return baseline


def _sql_only(n_patients: int, warehouse: Path, work: Path, step: Callable[[str], None]) -> StageResult:
    """The last build's compiled SQL run serially without dbt (bench/sql_only.py): a profile of the build."""
    step("build SQL only (no dbt)")
    out = work / "sql_only" / "sql_only.json"
    result = run_stage(
        "sql_only", n_patients,
        python_argv("bench.sql_only", str(warehouse), str(work / "sql_only" / "marts"), str(out),
                    "--threads", str(duckdb_threads())),
        work / "logs" / "sql_only.log",
    )  # fmt: skip
    result.details = json.loads(out.read_text())
    return result


def duckdb_threads() -> int:
    """The DuckDB thread count the warehouse runs with: DuckDB's default, one per core (profiles.yml sets
    dbt's model concurrency, not DuckDB's threads)."""
    return os.cpu_count() or 1


def _fresh_warehouse(warehouse: Path, marts: Path) -> None:
    """Every run loads into an empty warehouse, so load and build times never depend on an earlier run. dbt's
    target folder goes too: its partial-parse state would spare the build the full parse a first build pays."""
    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        path.unlink(missing_ok=True)
    shutil.rmtree(marts, ignore_errors=True)
    shutil.rmtree(dbt_dir(warehouse), ignore_errors=True)


def _run_results_path(warehouse: Path) -> Path:
    path = run_results_path(warehouse)
    if not path.exists():
        raise LumbarError(f"dbt wrote no {path}: has `lumbar build` moved dbt's target folder?")
    return path


def _train(n_patients: int, marts: Path, work: Path, settings: Settings) -> StageResult:
    out = work / "train_timing" / "timings.json"
    out.unlink(missing_ok=True)
    result = run_stage(
        "train", n_patients,
        python_argv(
            "bench.train_timing", str(marts), str(out),
            "--lasso-repeats", str(settings.lasso_repeats_at(n_patients)),
            "--mdl-epochs", str(settings.mdl_epochs), "--seed", str(settings.seed),
        ),
        work / "logs" / "train.log",
    )  # fmt: skip
    result.details = json.loads(out.read_text())
    return result


# ---------------------------------------------------------------------------------------------------------
# entry point


def stored_results(scales: list[int], seed: int) -> list[dict[str, Any]]:
    found = []
    for n in scales:
        path = results_path(n, seed)
        if path.exists():
            found.append(json.loads(path.read_text()))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="lumbar benchmarks -> BENCHMARKS.md")
    parser.add_argument("--scales", default=",".join(map(str, DEFAULT_SCALES)), help="patients per dataset")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_SCALE:,} patients, small trainer settings"
    )
    parser.add_argument("--seed", type=int, default=42, help="generator and trainer seed")
    parser.add_argument("--no-train", action="store_true", help="skip the trainer stage")
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the pandas baseline (it holds every raw table in memory: about 4.5 GB per 250,000 patients)",
    )
    parser.add_argument("--lasso-repeats", type=int, default=50, help="repeats of 5-fold CV (paper: 50)")
    parser.add_argument(
        "--lasso-repeats-large",
        type=int,
        default=Settings.lasso_repeats_large,
        help=f"repeats of 5-fold CV at scales above {LIRE_SCALE:,} patients",
    )
    parser.add_argument("--mdl-epochs", type=int, default=2, help="MDL epochs timed (seconds per epoch)")
    parser.add_argument("--report-only", action="store_true", help="re-render from stored results only")
    parser.add_argument("--out", type=Path, default=None, help="Markdown file (default BENCHMARKS.md)")
    args = parser.parse_args(argv)
    try:
        scales = [QUICK_SCALE] if args.quick else parse_scales(args.scales)
        if min(args.lasso_repeats, args.lasso_repeats_large, args.mdl_epochs) < 1:
            raise LumbarError("--lasso-repeats, --lasso-repeats-large and --mdl-epochs must be at least 1")
        out = args.out or (CACHE_DIR / "BENCHMARKS-quick.md" if args.quick else REPO_ROOT / "BENCHMARKS.md")
        settings = Settings(
            seed=args.seed,
            train=not args.no_train,
            baseline=not args.no_baseline,
            lasso_repeats=2 if args.quick else args.lasso_repeats,
            mdl_epochs=1 if args.quick else args.mdl_epochs,
            lasso_repeats_large=args.lasso_repeats_large,
        )
        if not args.report_only:
            columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
            with Progress(*columns, console=console) as progress:
                for n in scales:
                    bench_scale(n, settings, progress)
        # the report covers every stored scale of this seed: a 1M run added later joins the 250k one
        all_scales = sorted({*scales, *([] if args.quick else DEFAULT_SCALES)})
        results = stored_results(all_scales, args.seed)
        if not results:
            raise LumbarError(
                f"no stored benchmark results for {all_scales}: run without --report-only first"
            )
        medication = [] if args.quick else stored_medication_results(CACHE_DIR / "results")
        out.write_text(report.render(results, quick=args.quick, medication=medication))
    except LumbarError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 2
    console.print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
