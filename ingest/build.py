"""`lumbar build`: run the dbt project on a warehouse and export the marts as Parquet.

dbt runs in-process through `dbtRunner`, so progress comes from dbt's own events (one tick per node as it
finishes) and failures come back as structured results: a failing test or model becomes one `BuildError`
naming it, never a dbt traceback. The marts are written by dbt-duckdb's `external` materialisation into the
marts folder (LUMBAR_MARTS_DIR, read by dbt_project/profiles.yml).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table

from ingest.attrition import AttritionRow, medication_tables, surgery_tables
from ingest.build_record import write_build_record
from ingest.dbt_runner import check_warehouse, dbt_dir, dbt_env, exception_message, invoke_dbt, summary
from ingest.dbt_vars import check_vars
from ingest.errors import LumbarError
from ingest.loading.warehouse import owner_only_umask
from ingest.marts_backup import MartsBackup
from ingest.paths import default_marts_dir
from ingest.privacy import suppress
from ingest.warehouse_lock import writer_lock

# dbt result statuses that mean the build did not do what was asked
_FAILED = {"error", "fail", "runtime error"}
_WARNED = {"warn"}


class BuildError(LumbarError):
    """dbt build failed on the data or the configuration; the message names the failing nodes."""


@dataclass(frozen=True)
class NodeProblem:
    kind: str  # model, test, unit_test, seed, operation
    name: str
    status: str
    message: str
    unique_id: str = ""


def _failures_message(result: Any) -> str:
    """A failing or warning test's row count, suppressed like any other count (dbt's own text prints it
    raw)."""
    failures = getattr(result, "failures", None)
    return f"{suppress(failures)} rows" if isinstance(failures, int) else str(result.status)


@dataclass
class BuildResult:
    warehouse: Path
    marts_dir: Path
    marts: dict[str, Path]
    n_nodes: int
    n_passed: int
    elapsed_s: float
    warnings: list[NodeProblem] = field(default_factory=list)
    attrition: list[AttritionRow] = field(default_factory=list)
    # cohort_medication_attrition's sequential steps (kind 'step'), cohort 'medication'
    medication_attrition: list[AttritionRow] = field(default_factory=list)
    # (task, feature_type) -> {"seen": n, "kept_classical": n, "kept_temporal": n}
    feature_counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    def cohort_size(self, cohort: str, site: str = "all") -> dict[str, int]:
        """Final cohort size, positives and negatives (exact counts; mask before printing)."""
        steps = {r.step_number: r.n_patients for r in self.attrition if r.cohort == cohort and r.site == site}
        return {"patients": steps.get(5, 0), "positive": steps.get(6, 0), "negative": steps.get(7, 0)}

    def to_rich(self) -> RenderableType:
        """Attrition per cohort and site (surgery, then medication), feature counts, warnings; small counts
        and what subtraction would give away print as MASK (ingest/attrition.py)."""
        parts: list[RenderableType] = [
            f"dbt build: {self.n_passed}/{self.n_nodes} nodes OK in {self.elapsed_s:.0f}s; "
            f"{len(self.marts)} marts in {escape(str(self.marts_dir))}"
        ]
        parts += surgery_tables(self.attrition)
        parts += medication_tables(self.medication_attrition)
        if self.feature_counts:
            parts.append(self._feature_table())
        for w in self.warnings:
            parts.append(f"[yellow]warning[/yellow] {w.kind} {w.name}: {escape(w.message)}")
        return Group(*parts)

    def _feature_table(self) -> Table:
        table = Table(title="Surgery features (train prevalence filter)", title_justify="left")
        for name in ("task", "type", "seen", "kept classical", "kept temporal"):
            table.add_column(name, justify="left" if name in ("task", "type") else "right")
        for (task, ftype), c in sorted(self.feature_counts.items()):
            table.add_row(
                task, ftype, f"{c['seen']:,}", f"{c['kept_classical']:,}", f"{c['kept_temporal']:,}"
            )
        return table


def build(
    warehouse: Path,
    *,
    marts_dir: Path | None = None,
    select: str | None = None,
    vars: dict[str, Any] | None = None,
    unit_tests: bool = False,
    progress: bool = True,
) -> BuildResult:
    """Run `dbt build` on `warehouse` and export the marts as Parquet into `marts_dir`.

    dbt unit tests check the SQL's logic on fixed rows written in the YAML, not the warehouse's data, so they
    give the same answer on every warehouse; as dbt recommends, builds skip them unless `unit_tests` is set,
    and CI (`make test`) runs them. They cost about 0.6 s each on any data.

    Raises BuildError (a LumbarError) naming every failing model or test; a warehouse without raw tables
    or one locked by another process is a LumbarError too.
    """
    warehouse = warehouse.expanduser().resolve()
    marts_dir = (marts_dir or default_marts_dir(warehouse)).expanduser().resolve()
    vars = check_vars(vars) if vars else {}
    check_warehouse(warehouse)
    with writer_lock(warehouse), owner_only_umask():  # owner-only: the marts folder and every mart
        _make_marts_dir(marts_dir)
        backup = MartsBackup(marts_dir)
        backup.save()
        start = time.monotonic()
        try:
            results, marts = _build_marts(warehouse, marts_dir, select, vars, unit_tests, progress)
        except BaseException:
            # a failed or interrupted build must not leave new marts beside old ones (ingest/marts_backup.py)
            backup.restore()
            raise
        backup.discard()
    elapsed = time.monotonic() - start
    return BuildResult(
        warehouse=warehouse,
        marts_dir=marts_dir,
        marts=marts,
        n_nodes=len(results),
        n_passed=sum(p.status in ("success", "pass", "no-op") for p in results),
        elapsed_s=elapsed,
        warnings=[p for p in results if p.status in _WARNED],
        attrition=_read_attrition(warehouse, "cohort_attrition", SURGERY_ATTRITION_SQL),
        medication_attrition=_read_attrition(
            warehouse, "cohort_medication_attrition", MEDICATION_ATTRITION_SQL
        ),
        feature_counts=_read_feature_counts(warehouse),
    )


def _build_marts(
    warehouse: Path,
    marts_dir: Path,
    select: str | None,
    vars: dict[str, Any],
    unit_tests: bool,
    progress: bool,
) -> tuple[list[NodeProblem], dict[str, Path]]:
    """dbt build, the marts finalised and recorded; a BuildError when a node failed."""
    with dbt_env(warehouse, marts_dir):
        results = _run_dbt(warehouse, select=select, vars=vars, unit_tests=unit_tests, progress=progress)
    problems = [p for p in results if p.status in _FAILED]
    if problems:
        raise BuildError(_failure_message(problems, warehouse) + _KEPT.format(marts_dir))
    marts = _finalise_marts(warehouse, marts_dir)
    built = {p.unique_id: p.name for p in results if p.kind in ("model", "seed") and p.status == "success"}
    rebuilt = {uid: name for uid, name in built.items() if name in marts}
    partial = set() if select is None else _built_on_older_tables(warehouse, rebuilt, set(built))
    write_build_record(marts_dir, marts, rebuilt.values(), vars, partial=partial, warehouse=warehouse)
    return results, marts


_KEPT = " The marts in {} were left as the last complete build wrote them."


def _make_marts_dir(marts_dir: Path) -> None:
    if marts_dir.exists() and not marts_dir.is_dir():
        raise LumbarError(f"--marts-dir {marts_dir} is a file, not a folder")
    try:
        marts_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LumbarError(f"cannot create the marts folder {marts_dir}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------------------------------------------------
# dbt invocation


def _run_dbt(
    warehouse: Path, *, select: str | None, vars: dict[str, Any], unit_tests: bool, progress: bool
) -> list[NodeProblem]:
    args: list[str] = [] if unit_tests else ["--exclude-resource-type", "unit_test"]
    if select:
        # cautious: a test that also needs models outside the selection is skipped, not run half-built
        args += ["--select", select, "--indirect-selection", "cautious"]
    if vars:
        args += ["--vars", json.dumps(vars)]
    outcome = invoke_dbt(warehouse, "build", args, progress=progress)
    if outcome.exception is not None:
        raise BuildError(exception_message(outcome.exception, warehouse))
    run_results = getattr(outcome.result, "results", None)
    if run_results is None:
        raise BuildError(f"dbt build did not run (see the dbt log in {dbt_dir(warehouse) / 'logs'})")
    if select and not run_results:
        # dbt only logs "Nothing to do"; a mistyped selection must not look like a successful build
        raise BuildError(
            f"--select {select!r} matches no model, seed or test of the project; check the names "
            "(dbt's selection syntax: https://docs.getdbt.com/reference/node-selection/syntax)"
        )
    return [
        NodeProblem(
            kind=str(r.node.resource_type),
            name=r.node.name,
            status=str(r.status),
            # a test's own text ("Got 1 result") would print a small count unsuppressed
            message=_failures_message(r) if str(r.status) in (*_WARNED, "fail") else summary(r.message or ""),
            unique_id=r.node.unique_id,
        )
        for r in run_results
    ]


def _built_on_older_tables(warehouse: Path, marts: dict[str, str], built: set[str]) -> set[str]:
    """The marts (unique id -> name) of a selective build that read a model or seed this build did not
    rebuild: their tables may come from an earlier build with other vars or code lists (dbt's manifest gives
    the lineage; without it every mart counts)."""
    try:
        nodes = json.loads((dbt_dir(warehouse) / "target" / "manifest.json").read_text())["nodes"]
    except (OSError, ValueError, KeyError):
        return set(marts.values())
    partial = set()
    for uid, name in marts.items():
        todo, seen = [uid], set()
        while todo:
            for parent in nodes.get(todo.pop(), {}).get("depends_on", {}).get("nodes", []):
                if (
                    parent in nodes
                    and nodes[parent]["resource_type"] in ("model", "seed")
                    and parent not in seen
                ):
                    seen.add(parent)
                    todo.append(parent)
        # an ephemeral model is compiled into its readers, so it always has this build's vars
        stored = {p for p in seen if nodes[p].get("config", {}).get("materialized") != "ephemeral"}
        if not stored <= built:
            partial.add(name)
    return partial


def _failure_message(problems: list[NodeProblem], warehouse: Path) -> str:
    shown = "; ".join(f"{p.kind} {p.name} {p.status}: {p.message}" for p in problems[:5])
    more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
    logs = dbt_dir(warehouse) / "logs" / "dbt.log"
    return f"dbt build failed on {len(problems)} node(s): {shown}{more}. Details: {logs}"


# ---------------------------------------------------------------------------------------------------------
# results


def _finalise_marts(warehouse: Path, marts_dir: Path) -> dict[str, Path]:
    """The exported Parquet marts. dbt-duckdb writes one all-null row into the file of an empty model (so
    the file has a schema); rewrite such files as truly empty so trainers never read a phantom row."""
    marts = {p.stem: p for p in sorted(marts_dir.glob("mart_*.parquet"))}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        existing = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        for name, path in marts.items():
            if name in existing and con.execute(f'select count(*) from marts."{name}"').fetchone()[0] == 0:
                tmp = path.with_suffix(".tmp.parquet")
                con.execute(
                    f"copy (select * from read_parquet('{path}') where false) to '{tmp}' (format parquet)"
                )
                tmp.replace(path)
    finally:
        con.close()
    return marts


# what `lumbar build` prints of each study's attrition table: (cohort, site, step_number, step, n_patients)
SURGERY_ATTRITION_SQL = (
    "select cohort, site, step_number, step, n_patients from cohorts.cohort_attrition "
    "order by cohort, step_number, site"
)
MEDICATION_ATTRITION_SQL = (
    "select 'medication', site, step_number, step, n_patients from cohorts.cohort_medication_attrition "
    "where kind = 'step' order by step_number, site"
)


def _read_attrition(warehouse: Path, table: str, sql: str) -> list[AttritionRow]:
    """Rows of cohorts.<table> (none when a --select build did not make it) as AttritionRow."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        if not _exists(con, "cohorts", table):
            return []
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    return [AttritionRow(c, s, int(n), step, int(k)) for c, s, n, step, k in rows]


def _read_feature_counts(warehouse: Path) -> dict[tuple[str, str], dict[str, int]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        if not _exists(con, "marts", "mart_surgery_feature_dictionary"):
            return {}
        rows = con.execute(
            "select task, feature_type, count(*), count(*) filter (where kept_classical), "
            "count(*) filter (where kept_temporal) from marts.mart_surgery_feature_dictionary group by all"
        ).fetchall()
    finally:
        con.close()
    return {
        (task, ftype): {"seen": int(n), "kept_classical": int(kc), "kept_temporal": int(kt)}
        for task, ftype, n, kc, kt in rows
    }


def _exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )
