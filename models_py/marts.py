"""Read the Parquet marts the trainers depend on, and fingerprint them.

Trainers read only these files (never the DuckDB warehouse), so a run is fully
described by the sha256 of each mart it read (written to the run folder's
`marts.json`). Column lists follow docs/architecture.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from rich.console import Console
from rich.markup import escape

from ingest.build_record import RECORD_NAME, read_build_record
from ingest.fingerprint import sha256_of
from models_py.errors import UserInputError

SURGERY_MART_COLUMNS: dict[str, tuple[str, ...]] = {
    "mart_surgery_static": (
        "task",
        "patient_id",
        "index_date",
        "label",
        "split",
        "site",
        "age_at_index",
        "sex",
        "race",
        "ethnicity",
        "pcp_gender",
        "pcp_clinician_type",
        "pcp_specialty",
        "index_modality",
    ),
    "mart_surgery_codes": ("task", "patient_id", "feature_type", "feature", "bin", "n_events"),
    "mart_surgery_codes_patient": ("task", "patient_id", "feature_type", "feature", "n_events"),
    "mart_surgery_feature_dictionary": (
        "task",
        "feature_type",
        "feature",
        "n_train_patients",
        "train_prevalence",
        "kept_classical",
        "kept_temporal",
    ),
    "mart_surgery_report": ("task", "patient_id", "image_id", "report_clean", "sections_found"),
    "mart_report_corpus": ("image_id", "patient_id", "image_date", "report_clean"),
}


def check_marts_dir(marts_dir: Path) -> Path:
    """The marts folder, or a one-line error naming what is wrong with it."""
    marts_dir = Path(marts_dir)
    if marts_dir.exists() and not marts_dir.is_dir():
        raise UserInputError(f"marts folder {marts_dir} is a file, not a folder; pass --marts-dir DIR")
    if not marts_dir.is_dir():
        raise UserInputError(
            f"marts folder {marts_dir} does not exist; build the marts first or pass --marts-dir DIR"
        )
    return marts_dir


def mart_path(marts_dir: Path, name: str) -> Path:
    """`<marts_dir>/<name>.parquet` (a file, or a folder of part files)."""
    return Path(marts_dir) / f"{name}.parquet"


def read_mart(marts_dir: Path, name: str, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Read one mart, checking that it exists and has the documented columns."""
    path = mart_path(check_marts_dir(marts_dir), name)
    if not path.exists():
        raise UserInputError(
            f"mart {name} not found at {path}; build the marts first (`lumbar build`) or pass --marts-dir DIR"
        )
    expected = SURGERY_MART_COLUMNS.get(name, ())
    try:
        present = set(pq.read_schema(path).names) if path.is_file() else None
        table = pq.read_table(path, columns=list(columns) if columns else None)
    except Exception as err:  # pyarrow raises several types for unreadable files
        raise UserInputError(f"mart {name} at {path} is not readable Parquet ({type(err).__name__})") from err
    present = present if present is not None else set(table.column_names)
    missing = [c for c in (columns or expected) if c not in present]
    if missing:
        raise UserInputError(
            f"mart {name} at {path} lacks column(s) {', '.join(missing)}; rebuild the marts with this lumbar version"
        )
    return table.to_pandas()


@dataclass
class SurgeryMarts:
    """The surgery-study marts for one task, plus the hash of every file read."""

    static: pd.DataFrame
    codes: pd.DataFrame
    codes_patient: pd.DataFrame
    feature_dictionary: pd.DataFrame
    report: pd.DataFrame
    corpus: pd.DataFrame
    hashes: dict[str, str] = field(default_factory=dict)


def load_surgery_marts(marts_dir: Path, task: str) -> SurgeryMarts:
    """Read every surgery mart, keep the rows of `task`, and record each file's sha256."""
    marts_dir = check_marts_dir(marts_dir)
    frames: dict[str, pd.DataFrame] = {}
    hashes: dict[str, str] = {}
    for name, columns in SURGERY_MART_COLUMNS.items():
        frame = read_mart(marts_dir, name, columns)
        hashes[name] = sha256_of(mart_path(marts_dir, name))
        if "task" in frame.columns:
            frame = frame[frame["task"] == task].reset_index(drop=True)
        frames[name] = frame
    warn_about_builds(marts_dir, hashes)
    if frames["mart_surgery_static"].empty:
        raise UserInputError(
            # the task name is checked before; on real data an empty cohort is the usual cause
            f"the {task} surgery cohort is empty (mart_surgery_static in {marts_dir} has no rows for it): no patient "
            "passed its cohort rules; the attrition `lumbar build` prints (cohorts.cohort_attrition) shows where "
            "they left"
        )
    return SurgeryMarts(
        static=frames["mart_surgery_static"],
        codes=frames["mart_surgery_codes"],
        codes_patient=frames["mart_surgery_codes_patient"],
        feature_dictionary=frames["mart_surgery_feature_dictionary"],
        report=frames["mart_surgery_report"],
        corpus=frames["mart_report_corpus"],
        hashes=hashes,
    )


def marts_record(marts_dir: Path, hashes: dict[str, str]) -> dict:
    """What a run folder's `marts.json` holds: the folder, each mart's sha256, and per mart the build
    settings `lumbar build` recorded for exactly that file (None when the file is not the one it wrote)."""
    recorded = read_build_record(Path(marts_dir))
    build = {}
    for name, digest in hashes.items():
        entry = recorded.get(name)
        build[name] = entry if isinstance(entry, dict) and entry.get("sha256") == digest else None
    return {"marts_dir": str(marts_dir), "sha256": hashes, "build": build}


NO_OVERRIDES = "(none)"


def _overrides(entry: dict) -> str:
    given = entry.get("overrides", {})
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(given.items())) or NO_OVERRIDES


def _built_with(entry: dict) -> str:
    given = _overrides(entry)
    return "no `--vars`" if given == NO_OVERRIDES else f"built with `--vars` {given}"


def provenance_lines(record: dict) -> list[str]:
    """Markdown for a report: which dbt vars and which dbt project built the marts the run read."""
    build: dict[str, dict | None] = record.get("build", {})
    known = {name: entry for name, entry in sorted(build.items()) if entry and entry.get("vars") is not None}
    partial = [name for name, entry in sorted(build.items()) if entry and entry.get("vars") is None]
    unknown = [name for name, entry in sorted(build.items()) if not entry]
    paragraphs: list[str] = []
    settings = {_overrides(e) for e in known.values()}
    if known and not partial and not unknown and len(settings) == 1:
        given = settings.pop()
        paragraphs.append(
            "Marts built by `lumbar build` with the windows and thresholds of dbt_project.yml (no `--vars`)."
            if given == NO_OVERRIDES
            else f"Marts built by `lumbar build --vars` {given}."
        )
    elif known:
        paragraphs.append("\n".join(f"- {name}: {_built_with(e)}" for name, e in known.items()))
    projects = {str(e.get("dbt_project_sha256", ""))[:12] for e in known.values()}
    if len(projects) == 1:
        paragraphs.append(
            f"dbt project (SQL, macros, seeds, vars) sha256 {projects.pop()}…; the vars themselves are in `marts.json`."
        )
    elif projects:
        paragraphs.append(
            "The marts were built from different versions of the dbt project: see each mart's "
            "`dbt_project_sha256` in `marts.json`."
        )
    raw = _groups({name: entry for name, entry in build.items() if entry}, "raw_fingerprint")
    if len(raw) > 1:
        paragraphs.append(
            f"**The marts were built from {len(raw)} different raw datasets** ({_listed(raw)}; see each mart's "
            "`raw_fingerprint` in `marts.json`): their patients do not belong together."
        )
    if partial:
        paragraphs.append(
            f"Vars unknown for {', '.join(partial)}: rebuilt by a `lumbar build --select` that read tables of an "
            "earlier build, whose windows and code lists are not on record."
        )
    if unknown:
        paragraphs.append(
            f"Build settings unknown for {', '.join(unknown)}: the file is not one `lumbar build` recorded "
            "(written by plain dbt, an older lumbar, or changed since), so the windows and code lists behind it "
            "are not on record."
        )
    return ["", "## Data provenance", *(line for paragraph in paragraphs for line in ("", paragraph)), ""]


def _groups(entries: dict[str, dict], key: str) -> dict[str, list[str]]:
    """Marts by the value of `key` in their entries (entries without it are left out)."""
    groups: dict[str, list[str]] = {}
    for name, entry in sorted(entries.items()):
        value = entry.get(key)
        if value is not None:
            groups.setdefault(json.dumps(value, sort_keys=True, default=str), []).append(name)
    return groups


def _listed(groups: dict[str, list[str]]) -> str:
    return "; ".join(", ".join(names) for names in groups.values())


def build_warnings(record: dict) -> list[str]:
    """One line per sign that the marts a run reads do not come from one consistent `lumbar build`.

    Marts joined across builds of different data (or windows) train without error on patients that do not
    belong together, so the trainers print these on the console, not only in report.md.
    """
    build: dict[str, dict | None] = record.get("build", {})
    folder = record.get("marts_dir", "")
    known = {name: entry for name, entry in build.items() if entry}
    unknown = sorted(name for name, entry in build.items() if not entry)
    lines = []
    if unknown and not known and not read_build_record(Path(folder)):
        lines.append(
            f"no {RECORD_NAME} in {folder}: the build behind the marts is unknown, so nothing shows they "
            "belong together; rebuild them with `lumbar build`"
        )
    elif unknown:
        lines.append(
            f"{', '.join(unknown)}: not the file(s) `lumbar build` recorded in {folder}/{RECORD_NAME} (copied "
            "from another build, written by plain dbt or an older lumbar, or changed since); rebuild the marts "
            "with one `lumbar build` before trusting the results"
        )
    raw = _groups(known, "raw_fingerprint")
    if len(raw) > 1:
        lines.append(
            f"the marts were built from {len(raw)} different raw datasets ({_listed(raw)}): their patients "
            "do not belong together; rebuild every mart from one warehouse"
        )
    projects = _groups(known, "dbt_project_sha256")
    if len(projects) > 1:
        lines.append(
            f"the marts were built by {len(projects)} versions of the dbt project ({_listed(projects)})"
        )
    settings = _groups({n: e for n, e in known.items() if e.get("vars") is not None}, "vars")
    if len(settings) > 1:
        lines.append(
            f"the marts were built with {len(settings)} different sets of windows and thresholds (--vars): "
            f"{_listed(settings)}; see marts.json"
        )
    return lines


def warn_about_builds(marts_dir: Path, hashes: dict[str, str]) -> list[str]:
    """Print `build_warnings` for the marts just read on stderr (even when progress output is off)."""
    lines = build_warnings(marts_record(marts_dir, hashes))
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for line in lines:
        console.print(f"[bold yellow]warning:[/] {escape(line)}")
    return lines


def read_marts_record(run_dir: Path) -> dict:
    """A run folder's `marts.json`."""
    return json.loads((Path(run_dir) / "marts.json").read_text())


def write_report(run_dir: Path, markdown: str) -> None:
    """`report.md`: the study's text, then the Data provenance section from the run's `marts.json`."""
    provenance = provenance_lines(read_marts_record(run_dir))
    (Path(run_dir) / "report.md").write_text(markdown + "\n".join(provenance))
