"""Spark parity tests: opt-in, collected only by `make test-spark`.

They start a JVM and run the whole dbt project twice (DuckDB, then Spark), a few minutes on two cores, so the
plain `make test` run leaves them out: pytest collects this folder only when LUMBAR_SPARK_TESTS=1 (the
Makefile target sets it). When collected on a machine without Java or pyspark they are skipped with the
reason, never failed.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

ENABLE_VAR = "LUMBAR_SPARK_TESTS"

# collect_ignore_glob is read per conftest: it hides this folder's test modules from a plain `pytest` run
collect_ignore_glob = [] if os.environ.get(ENABLE_VAR) == "1" else ["test_*.py"]


def spark_missing_reason() -> str | None:
    """Why Spark cannot run here (None when it can): no `java` on PATH, or pyspark / dbt-spark not installed."""
    java = shutil.which("java")
    if java is None:
        return (
            "Java not found on PATH: Spark needs a JDK/JRE 17 (e.g. apt-get install openjdk-17-jre-headless)"
        )
    try:
        subprocess.run([java, "-version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`java -version` failed ({exc}); Spark needs a working Java 17"
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed: run `make test-spark` (installs the spark extra into .venv)"
    return None


@pytest.fixture(scope="session")
def spark_ready() -> None:
    """Skip (with the reason) the tests that need a local Spark when this machine cannot start one."""
    if (reason := spark_missing_reason()) is not None:
        pytest.skip(reason)
