"""docs/architecture.md lists every mart with exactly the columns its dbt YAML documents."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def _yaml_marts() -> dict[str, list[str]]:
    marts = {}
    for path in sorted((REPO / "dbt_project" / "models" / "studies").glob("*/marts/*.yml")):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            if model["name"].startswith("mart_"):
                marts[model["name"]] = [c["name"] for c in model.get("columns", [])]
    return marts


def _documented_marts() -> dict[str, list[str]]:
    text = (REPO / "docs" / "architecture.md").read_text()
    rows = re.findall(r"^\| (mart_\w+) \| [^|]+ \| ([^|]+) \|$", text, flags=re.MULTILINE)
    return {name: [c.strip() for c in columns.split(",")] for name, columns in rows}


def test_architecture_doc_lists_every_mart_with_its_yaml_columns() -> None:
    assert _documented_marts() == _yaml_marts()
