"""`lumbar check`: run the plausibility checks (OHDSI Data Quality Dashboard style) and tabulate them.

The checks are dbt tests: the singular tests in dbt_project/tests/data_quality/ and the tests on the
models in dbt_project/models/data_quality/ (names start with `dq_`). One dbt invocation builds what they
read (staging views, the seeds and the few intermediate tables they use; cohorts and marts are not
touched) and runs exactly those tests; upstream models' own tests are left to `lumbar build`.

A check's count is dbt's failure count: the number of records that break the rule. Counts 1..10 are shown
as `<11`. The rows themselves are never read or printed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from ingest.build import BuildError
from ingest.dbt_runner import check_warehouse, dbt_dir, dbt_env, exception_message, invoke_dbt
from ingest.dbt_vars import check_vars
from ingest.paths import default_marts_dir
from ingest.privacy import suppress
from ingest.warehouse_lock import writer_lock

# What the checks read, and the checks themselves; `empty` indirect selection keeps upstream models' own
# tests (and unit tests) out, so a check run is the checks only.
CHECK_SELECTION = ["+path:models/data_quality", "+path:tests/data_quality"]
CHECK_PREFIX = "dq_"
# the vars the check selection reads (tests/test_check.py keeps this equal to the SQL)
CHECK_VARS = ("dq_max_age_years", "icd10_effective_date")

# dbt test status -> what the table says
_STATUS = {"pass": "pass", "warn": "warn", "fail": "fail", "error": "error", "skipped": "skipped"}


@dataclass(frozen=True)
class CheckResult:
    check: str
    severity: str  # warn or error
    failing_rows: int | None  # None when the check could not run
    status: str  # pass, warn, fail (error severity), error (the check itself broke), skipped
    description: str = ""

    @property
    def failed(self) -> bool:
        """An error-severity check found rows, or a check could not run."""
        return self.status in ("fail", "error", "skipped")


@dataclass
class CheckReport:
    warehouse: Path
    checks: list[CheckResult] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def n_failed(self) -> int:
        return sum(c.failed for c in self.checks)

    @property
    def n_warned(self) -> int:
        return sum(c.status == "warn" for c in self.checks)

    def to_rich_table(self) -> Table:
        """One row per check; counts 1..10 shown as <11 (threshold: $LUMBAR_SUPPRESS_BELOW)."""
        table = Table(
            title=f"Data quality checks on {escape(str(self.warehouse))}",
            title_justify="left",
            caption=f"{len(self.checks)} checks: {self.n_failed} failed, {self.n_warned} warned "
            f"({self.elapsed_s:.0f}s)",
            caption_justify="left",
        )
        table.add_column("check", no_wrap=True)
        table.add_column("severity", no_wrap=True)
        table.add_column("failing rows", justify="right")
        table.add_column("status", no_wrap=True)
        table.add_column("what it looks for", ratio=1)
        colour = {"pass": "green", "warn": "yellow", "fail": "red", "error": "red", "skipped": "red"}
        for c in self.checks:
            count = "" if c.failing_rows is None else suppress(c.failing_rows) or "0"
            table.add_row(
                c.check,
                c.severity,
                count,
                f"[{colour.get(c.status, 'white')}]{c.status}[/]",
                c.description,
            )
        return table


def run_checks(warehouse: Path, *, vars: dict[str, Any] | None = None, progress: bool = True) -> CheckReport:
    """Build what the checks read and run them on `warehouse`; one CheckResult per check.

    A missing, busy or unloaded warehouse is a LumbarError; a model the checks need that fails to build is a
    BuildError naming it. Failing checks are results, not exceptions: the caller decides the exit code.
    """
    warehouse = warehouse.expanduser().resolve()
    vars = check_vars(vars, read_by=("the checks", CHECK_VARS)) if vars else {}
    check_warehouse(warehouse)
    start = time.monotonic()
    with writer_lock(warehouse), dbt_env(warehouse, default_marts_dir(warehouse).expanduser().resolve()):
        results = _run_dbt_checks(warehouse, vars=vars, progress=progress)
    checks, broken = _collect(results)
    if broken:
        shown = "; ".join(broken[:5])
        raise BuildError(
            f"dbt could not build what the checks read: {shown}. Details: {dbt_dir(warehouse) / 'logs'}"
        )
    return CheckReport(warehouse=warehouse, checks=checks, elapsed_s=time.monotonic() - start)


def _run_dbt_checks(warehouse: Path, *, vars: dict[str, Any], progress: bool) -> list[Any]:
    """dbt's run results for the check selection (in-process, like `lumbar build`)."""
    args = ["--select", *CHECK_SELECTION, "--indirect-selection", "empty"]
    if vars:
        args += ["--vars", json.dumps(vars)]
    outcome = invoke_dbt(warehouse, "build", args, progress=progress)
    if outcome.exception is not None:
        raise BuildError(exception_message(outcome.exception, warehouse, command="lumbar check"))
    run_results = getattr(outcome.result, "results", None)
    if run_results is None:
        raise BuildError(f"dbt did not run the checks (see the dbt log in {dbt_dir(warehouse) / 'logs'})")
    return list(run_results)


def _collect(results: list[Any]) -> tuple[list[CheckResult], list[str]]:
    """Checks (dq_* tests, and any other selected test that did not pass) and models that failed to build."""
    checks: list[CheckResult] = []
    broken: list[str] = []
    for r in results:
        node = r.node
        status = str(r.status)
        kind = str(node.resource_type)
        if kind != "test":
            if status in ("error", "skipped"):
                broken.append(f"{kind} {node.name} {status}")
            continue
        if not node.name.startswith(CHECK_PREFIX) and status == "pass":
            continue  # structural tests on the dq models (unique, not_null) are shown only when they fail
        severity = str(node.config.severity).lower()
        counted = status in ("pass", "warn", "fail")  # an errored or skipped test has no count
        checks.append(
            CheckResult(
                check=node.name,
                severity=severity,
                failing_rows=int(r.failures or 0) if counted else None,
                status=_STATUS.get(status, status),
                description=_description(node),
            )
        )
    # errors first, then warnings, then passes; by name within each
    order = {"error": 0, "fail": 0, "skipped": 0, "warn": 1, "pass": 2}
    checks.sort(key=lambda c: (order.get(c.status, 0), c.check))
    return checks, broken


def _description(node: Any) -> str:
    """The test's description: from its YAML entry, or from `config: description:` for generic tests."""
    text = node.description or getattr(node.config, "description", None) or ""
    return _first_line(str(text))


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""
