"""The `lumbar` command line.

Each command is a thin wrapper: it resolves paths, calls one library function
and prints its summary. User mistakes surface as `LumbarError` and are printed
as one line with exit code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ingest.cli_paths import input_folder, marts_folder, output_folder
from ingest.errors import LumbarError
from ingest.paths import default_marts_dir, default_warehouse
from ingest.privacy import suppression_threshold

app = typer.Typer(
    name="lumbar",
    help="EHR warehouse and feature layer for low-back-pain research.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
train_app = typer.Typer(
    help="Train and evaluate a study's models on the Parquet marts.", no_args_is_help=True
)
app.add_typer(train_app, name="train")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"lumbar {version('lumbar')}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """EHR warehouse and feature layer for low-back-pain research."""


# Piped output (make, CI logs) gets a width that fits the study tables instead of rich's 80 columns.
console = Console() if sys.stdout.isatty() else Console(width=140)
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable)

# Bounds on the trainers' numbers, checked by the CLI before any work or run folder: past them numpy, sklearn
# or torch fail deep inside a run (or memory runs out) and leave an INCOMPLETE run folder behind.
# Seeds: numpy and sklearn take 0 <= seed < 2**32, and the studies derive seeds as seed + fold or
# seed + resample, so the CLI keeps them to 31 bits.
MAX_SEED = 2**31 - 1
MAX_BOOTSTRAP = 100_000  # 100x the papers' 1,000; the (resamples x test rows) index matrix is held in memory
MAX_LASSO_REPEATS = 1_000  # 20x the paper's 50
MAX_EPOCHS = 100_000
MAX_WORKERS = 1_024  # processes or torch threads; torch overflows at 2**31 and no machine has this many cores

WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="DuckDB warehouse file. Default: $LUMBAR_WAREHOUSE or warehouse/lumbar.duckdb.",
    ),
]


DeviceOpt = Annotated[
    str,
    typer.Option(
        help="Torch device for the neural networks: auto (CUDA when present), cpu, or cuda / cuda:N to "
        "require a GPU."
    ),
]


VarsOpt = Annotated[
    str | None,
    typer.Option(
        "--vars",
        help="Override windows and thresholds (dbt vars, YAML): '{surgery_early_window_days: 90}'. Names and "
        "types are checked against the dbt project.",
    ),
]


def user_errors(fn: F) -> F:
    """Print a LumbarError as one line and exit 2 instead of showing a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            suppression_threshold()  # a bad $LUMBAR_SUPPRESS_BELOW fails now, not after hours of training
            return fn(*args, **kwargs)
        except LumbarError as exc:
            # the message quotes paths and values the user typed: brackets in them are text, not markup
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def _warehouse(path: Path | None) -> Path:
    return (path or default_warehouse()).expanduser().resolve()


_TRUTH_HINT = "; pass the generator's truth/ folder or leave out --truth"


@app.command()
@user_errors
def generate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write one Parquet file per raw table.")],
    patients: Annotated[int, typer.Option("--patients", "-n", min=1, help="Number of patients.")] = 60_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives byte-identical files.")] = 42,
    ldh_enrichment: Annotated[
        float,
        typer.Option(help="Multiply the LDH/LSS group's share (1 = LIRE calibration; demos use more)."),
    ] = 1.0,
) -> None:
    """Write a seeded synthetic low-back-pain EHR in the raw-table contract."""
    from ingest.generate import generate as run_generate
    from ingest.report import print_card_summary

    card = run_generate(patients, seed, out, ldh_enrichment=ldh_enrichment)
    print_card_summary(console, card, out)


@app.command()
@user_errors
def load(
    path: Annotated[Path, typer.Argument(help="Folder of raw files (or an OMOP DuckDB file).")],
    warehouse: WarehouseOpt = None,
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="auto, csv, parquet, synthea or omop."),
    ] = "auto",
) -> None:
    """Validate raw EHR files against the contract and load them into the warehouse's raw schema."""
    from ingest.load import load_directory

    report = load_directory(path, _warehouse(warehouse), fmt=fmt, console=err_console)
    console.print(report.to_rich_table())


@app.command()
@user_errors
def build(
    warehouse: WarehouseOpt = None,
    marts_dir: Annotated[
        Path | None,
        typer.Option("--marts-dir", help="Where Parquet marts go. Default: marts/ beside the warehouse."),
    ] = None,
    select: Annotated[str | None, typer.Option("--select", "-s", help="dbt node selection.")] = None,
    vars: VarsOpt = None,
    unit_tests: Annotated[
        bool,
        typer.Option(
            "--unit-tests",
            help="Also run dbt's unit tests (SQL logic on fixed rows; the same on any data, so CI runs them "
            "and builds skip them by default).",
        ),
    ] = False,
) -> None:
    """Run `dbt build` on the warehouse and export the marts as Parquet."""
    from ingest.build import build as run_build
    from ingest.dbt_vars import parse_vars

    wh = _warehouse(warehouse)
    result = run_build(
        wh,
        marts_dir=marts_dir or default_marts_dir(wh),
        select=select,
        vars=parse_vars(vars) if vars is not None else None,
        unit_tests=unit_tests,
    )
    console.print(result.to_rich())


@train_app.command("surgery")
@user_errors
def train_surgery(
    task: Annotated[str, typer.Option(help="early or late.")] = "early",
    protocol: Annotated[str, typer.Option(help="classical or generalizability.")] = "classical",
    models: Annotated[
        str,
        typer.Option(
            help="Comma-separated: lasso, lasso_codes, lasso_demographics, lasso_text, mdl, mdl_static, ..."
        ),
    ] = "lasso,mdl",
    grid: Annotated[str, typer.Option(help="small (demo) or paper (full grid search).")] = "small",
    marts_dir: Annotated[Path | None, typer.Option("--marts-dir", help="Folder of Parquet marts.")] = None,
    warehouse: WarehouseOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where run folders go.")] = Path("runs"),
    seed: Annotated[
        int, typer.Option(min=0, max=MAX_SEED, help="Seed for splits, bootstrap and training.")
    ] = 0,
    n_bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=10, max=MAX_BOOTSTRAP, help="Bootstrap resamples.")
    ] = 1000,
    lasso_repeats: Annotated[
        int, typer.Option(min=1, max=MAX_LASSO_REPEATS, help="Repeats of 5-fold CV for lambda.")
    ] = 50,
    device: DeviceOpt = "auto",
    train_site: Annotated[
        str | None,
        typer.Option(help="generalizability: the site to train on. Default: the largest."),
    ] = None,
    test_sites: Annotated[
        str | None,
        typer.Option(
            help="generalizability: comma-separated sites to test on. Default: every other site but the "
            "smallest (the paper's choice)."
        ),
    ] = None,
) -> None:
    """Early/late decompression surgery: LASSO benchmark and multimodal deep learning."""
    task = _choice("task", task, ("early", "late"))
    protocol = _choice("protocol", protocol, ("classical", "generalizability"))
    grid = _choice("grid", grid, ("small", "paper"))
    marts = marts_folder(marts_dir, _warehouse(warehouse))
    output_folder(out, "--out")
    from models_py.studies.surgery import summary_table
    from models_py.studies.surgery import train_surgery as run

    run_dir = run(
        marts,
        out,
        task=task,
        protocol=protocol,
        models=[m.strip() for m in models.split(",") if m.strip()],
        grid=grid,
        seed=seed,
        n_bootstrap=n_bootstrap,
        lasso_repeats=lasso_repeats,
        device=device,
        train_site=train_site,
        test_sites=_csv(test_sites),
    )
    console.print(summary_table(run_dir))


@train_app.command("medication")
@user_errors
def train_medication(
    datatypes: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated predictor sets (tabular_text, tabular, text, ...). Default: all six."
        ),
    ] = None,
    outcomes: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated outcomes (none_vs_nsaids, ..., rest_vs_opioids). Default: all six."
        ),
    ] = None,
    grid: Annotated[str, typer.Option(help="small (demo) or paper (full hyper-parameter grids).")] = "small",
    marts_dir: Annotated[Path | None, typer.Option("--marts-dir", help="Folder of Parquet marts.")] = None,
    warehouse: WarehouseOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where run folders go.")] = Path("runs"),
    seed: Annotated[
        int,
        typer.Option(min=0, max=MAX_SEED, help="Seed for imputation, CV folds, bootstrap and trees."),
    ] = 0,
    n_bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=10, max=MAX_BOOTSTRAP, help="Bootstrap resamples.")
    ] = 1000,
    n_jobs: Annotated[
        int,
        typer.Option(
            "--n-jobs",
            min=1,
            max=MAX_WORKERS,
            help="Worker processes, one cell (outcome x predictor set) each; about 0.5 GB apiece. Results "
            "do not depend on it.",
        ),
    ] = 2,
) -> None:
    """Medication class for chronic low back pain: tree models one-vs-one / one-vs-rest, SHAP, Borda."""
    grid = _choice("grid", grid, ("small", "paper"))
    marts = marts_folder(marts_dir, _warehouse(warehouse))
    output_folder(out, "--out")
    from models_py.studies.medication import summary_table
    from models_py.studies.medication import train_medication as run

    run_dir = run(
        marts,
        out,
        datatypes=_csv(datatypes),
        outcomes=_csv(outcomes),
        grid=grid,
        seed=seed,
        n_bootstrap=n_bootstrap,
        n_jobs=n_jobs,
    )
    console.print(summary_table(run_dir))


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


@app.command()
@user_errors
def demo(
    patients: Annotated[int, typer.Option("--patients", "-n", min=1000, help="Synthetic patients.")] = 15_000,
    ldh_enrichment: Annotated[
        float, typer.Option(help="LDH/LSS share multiplier, so a small demo has enough surgery cases.")
    ] = 4.0,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED, help="Seed for data and models.")] = 42,
    workdir: Annotated[Path, typer.Option(help="Where data, warehouse and runs go.")] = Path(
        "warehouse/demo"
    ),
    train: Annotated[bool, typer.Option(help="Train the surgery models at the end.")] = True,
) -> None:
    """Generate -> load -> dbt build -> train both surgery tasks (small grid) -> summary."""
    from ingest.build import build as run_build
    from ingest.generate import generate as run_generate
    from ingest.load import load_directory
    from ingest.report import print_card_summary

    output_folder(workdir, "--workdir")  # generate would otherwise blame an --out the demo does not have
    raw_dir = workdir / "raw"
    wh = (workdir / "lumbar.duckdb").resolve()
    # never $LUMBAR_MARTS_DIR: a shell set up for a real study must not get synthetic marts over its own
    marts_dir = wh.parent / "marts"
    console.rule(
        f"1/4 generate {patients:,} synthetic patients (seed {seed}, LDH/LSS share x{ldh_enrichment:g})"
    )
    card = run_generate(patients, seed, raw_dir, ldh_enrichment=ldh_enrichment)
    print_card_summary(console, card, raw_dir)
    console.rule("2/4 load into DuckDB raw schema")
    if wh.exists():
        wh.unlink()  # the demo always starts from an empty warehouse
    console.print(load_directory(raw_dir, wh, console=err_console).to_rich_table())
    console.rule("3/4 dbt build + Parquet export")
    result = run_build(wh, marts_dir=marts_dir)
    console.print(result.to_rich())
    if not train:
        return
    from models_py.studies.surgery import summary_table
    from models_py.studies.surgery import train_surgery as run

    for i, task in enumerate(("early", "late")):
        console.rule(f"4/4 train surgery ({task}) — small grid [{i + 1}/2]")
        run_dir = run(
            marts_dir,
            workdir / "runs",
            task=task,
            protocol="classical",
            models=["lasso", "mdl"],
            grid="small",
            seed=seed,
            n_bootstrap=200,
            lasso_repeats=5,
        )
        console.print(summary_table(run_dir))


CheckVarsOpt = Annotated[
    str | None,
    typer.Option(
        "--vars",
        help="Thresholds of the checks (dbt vars, YAML): '{dq_max_age_years: 120}'. Only the vars the checks "
        "read are accepted: dq_max_age_years, icd10_effective_date.",
    ),
]


@app.command()
@user_errors
def check(warehouse: WarehouseOpt = None, vars: CheckVarsOpt = None) -> None:
    """Run the data quality (plausibility) checks and print a table; exit 1 if an error-level check fails."""
    from ingest.check import run_checks
    from ingest.dbt_vars import parse_vars

    report = run_checks(_warehouse(warehouse), vars=parse_vars(vars) if vars is not None else None)
    console.print(report.to_rich_table())
    if report.n_failed:
        raise typer.Exit(code=1)


@train_app.command("stratification")
@user_errors
def train_stratification(
    marts_dir: Annotated[Path | None, typer.Option("--marts-dir", help="Folder of Parquet marts.")] = None,
    warehouse: WarehouseOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where run folders go.")] = Path("runs"),
    seed: Annotated[
        int, typer.Option(min=0, max=MAX_SEED, help="Seed for k-means, bootstrap and CV folds.")
    ] = 0,
    truth: Annotated[
        Path | None,
        typer.Option(
            "--truth", help="The generator's truth/ folder: report agreement with planted subgroups."
        ),
    ] = None,
) -> None:
    """Multimodal LBP stratification: robust k-means subgroups, profiles, decision curves."""
    marts = marts_folder(marts_dir, _warehouse(warehouse))
    output_folder(out, "--out")
    input_folder(truth, "--truth", holds="stratification.parquet", hint=_TRUTH_HINT)
    from models_py.studies.stratification import summary_table
    from models_py.studies.stratification import train_stratification as run

    run_dir = run(marts, out, seed=seed, truth_dir=truth)
    console.print(summary_table(run_dir))


@train_app.command("injection")
@user_errors
def train_injection(
    marts_dir: Annotated[Path | None, typer.Option("--marts-dir", help="Folder of Parquet marts.")] = None,
    warehouse: WarehouseOpt = None,
    images_root: Annotated[
        Path | None,
        typer.Option(
            "--images-root",
            help="Folder that relative image paths are relative to. Default: the folder the warehouse "
            "loaded image_files from (raw.loads).",
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where run folders go.")] = Path("runs"),
    seed: Annotated[
        int, typer.Option(min=0, max=MAX_SEED, help="Seed for folds, CNN training and bootstrap.")
    ] = 0,
    epochs: Annotated[int, typer.Option(min=1, max=MAX_EPOCHS, help="CNN epochs per fold.")] = 30,
    threads: Annotated[
        int | None, typer.Option(min=1, max=MAX_WORKERS, help="Torch CPU threads. Default: one per core.")
    ] = None,
    n_bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=10, max=MAX_BOOTSTRAP, help="Bootstrap resamples.")
    ] = 1000,
    truth: Annotated[
        Path | None,
        typer.Option(
            "--truth", help="The generator's truth/ folder: report agreement with the planted lesion."
        ),
    ] = None,
    device: DeviceOpt = "auto",
) -> None:
    """TFESI response: CNN on the MRI, clinical logistic baseline, combined model, saliency maps."""
    wh = _warehouse(warehouse)
    marts = marts_folder(marts_dir, wh)
    output_folder(out, "--out")
    input_folder(truth, "--truth", holds="injection.parquet", hint=_TRUTH_HINT)
    input_folder(images_root, "--images-root", hint="; pass the folder the raw tables were loaded from")
    from models_py.studies.injection import summary_table
    from models_py.studies.injection import train_injection as run

    run_dir = run(
        marts,
        out,
        images_root=images_root or _images_root_from_loads(wh),
        seed=seed,
        epochs=epochs,
        n_bootstrap=n_bootstrap,
        threads=threads,
        device=device,
        truth_dir=truth,
    )
    console.print(summary_table(run_dir))


def _images_root_from_loads(warehouse: Path) -> Path | None:
    """The folder `lumbar load` read raw.image_files from (the contract's base for relative paths).

    None when the warehouse cannot be read or loaded no image files: absolute paths still work, and a
    relative one then fails with a message asking for --images-root.
    """
    import duckdb

    if not warehouse.is_file():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select distinct source_file from raw.loads where table_name = 'image_files' and rows_loaded > 0"
            ).fetchall()
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():  # a build or load is writing: say so, not "no images root"
            from ingest.loading.warehouse import open_error

            raise open_error(warehouse, exc) from None
        return None  # no raw.loads yet
    folders = sorted({Path(r[0]).parent.resolve() for r in rows})
    if len(folders) > 1:
        raise LumbarError(
            f"{warehouse} loaded image_files from {len(folders)} folders, so relative image paths are "
            "ambiguous; pass --images-root DIR"
        )
    return folders[0] if folders else None


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise LumbarError(f"--{name} {value!r} is not one of {', '.join(allowed)}")
    return value


def main() -> None:
    """The `lumbar` console script: run the command, then leave without tearing the interpreter down.

    After a trainer has run, torch's and Arrow's native thread pools are still alive when Python finalises its
    modules, and in about 1 run in 100 one of them aborts the process (SIGABRT, exit 134, "terminate called
    without an active exception"; apache/arrow#34314) after every result was written: `make demo` then fails
    for nothing. So once the command has finished, the exit handlers Python would run (logging, temporary
    folders, worker pools) run here, output is flushed, and the process ends with the command's own exit code
    through `os._exit`, skipping only the module teardown. An uncaught exception (a bug) keeps Python's
    normal exit and its traceback.
    """
    try:
        app()
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):  # sys.exit("message"): Python prints it and exits 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # `lumbar ... | head`, or a closed stream
            stream.flush()
    os._exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    main()
