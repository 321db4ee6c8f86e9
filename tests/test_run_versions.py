"""A run folder names the code behind it: the package version and the checkout's commit."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from models_py import report


def test_versions_name_the_commit_of_this_checkout() -> None:
    if shutil.which("git") is None or not (Path(report.__file__).resolve().parents[1] / ".git").exists():
        pytest.skip("not a git checkout")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    commit = report.run_versions()["lumbar_commit"]
    assert re.fullmatch(r"[0-9a-f]{40}(\+modified)?", commit)
    assert commit.removesuffix("+modified") == head


def test_outside_a_checkout_the_commit_is_unknown(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "pkg" / "models_py" / "report.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("")
    monkeypatch.setattr(report, "__file__", str(fake))
    assert report.source_commit() == "unknown"
