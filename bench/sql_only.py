"""The build's SQL without dbt: every model and data test of the last `lumbar build`, run one after another.

This is a profile, not a way to build: it takes the SQL dbt compiled for the last build (target/manifest.json
beside the warehouse) and runs it in dependency order on one DuckDB connection, with no dbt, no Jinja and no
concurrency. Models are re-created in place (same SQL, same rows); marts are written to OUT_DIR, not over the
real ones; tests are run as `select count(*)` of their failing rows. The time says how much of `lumbar build`
is the SQL's own work and how much is dbt's orchestration (parsing, per-node compile, connections, artifacts).

    python -m bench.sql_only WAREHOUSE OUT_DIR RESULT_JSON --threads N
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import duckdb

from bench.stages import write_json_result
from ingest.dbt_runner import dbt_dir
from ingest.errors import LumbarError
from ingest.loading.warehouse import duckdb_settings

KINDS = ("model", "test")


def compiled_nodes(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Models and data tests that have compiled SQL, parents before children."""
    nodes = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in KINDS and node.get("compiled_code")
    }
    graph = {uid: [p for p in node["depends_on"]["nodes"] if p in nodes] for uid, node in nodes.items()}
    return [nodes[uid] for uid in TopologicalSorter(graph).static_order()]


def node_statement(node: dict[str, Any], out_dir: Path) -> str:
    sql = node["compiled_code"]
    if node["resource_type"] == "test":
        return f"select count(*) from ({sql}) as failures"
    materialized = node["config"]["materialized"]
    if materialized == "external":
        return f"copy ({sql}) to '{(out_dir / node['name']).as_posix()}.parquet' (format parquet)"
    kind = "view" if materialized == "view" else "table"
    return f"create or replace {kind} {node['relation_name']} as {sql}"


def run(warehouse: Path, out_dir: Path, threads: int) -> dict[str, Any]:
    manifest_path = dbt_dir(warehouse) / "target" / "manifest.json"
    if not manifest_path.exists():
        raise LumbarError(f"{manifest_path}: no compiled build; run `lumbar build` on this warehouse first")
    nodes = compiled_nodes(json.loads(manifest_path.read_text()))
    out_dir.mkdir(parents=True, exist_ok=True)
    seconds = {kind: 0.0 for kind in KINDS}
    slowest: list[tuple[float, str]] = []
    # the memory limit and spill folder the build itself runs with
    con = duckdb.connect(str(warehouse), config={"threads": threads, **duckdb_settings(warehouse)})
    try:
        for node in nodes:
            start = time.perf_counter()
            con.execute(node_statement(node, out_dir)).fetchall()
            elapsed = time.perf_counter() - start
            seconds[node["resource_type"]] += elapsed
            slowest.append((elapsed, node["name"]))
    finally:
        con.close()
    slowest.sort(reverse=True)
    return {
        "threads": threads,
        "n_models": sum(n["resource_type"] == "model" for n in nodes),
        "n_tests": sum(n["resource_type"] == "test" for n in nodes),
        "model_s": round(seconds["model"], 2),
        "test_s": round(seconds["test"], 2),
        "slowest": [{"node": name, "seconds": round(s, 2)} for s, name in slowest[:8]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("out_dir", type=Path, help="where the marts' Parquet copies go")
    parser.add_argument("result", type=Path, help="JSON file for the per-kind seconds")
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args(argv)
    return write_json_result(args.result, lambda: run(args.warehouse, args.out_dir, args.threads))


if __name__ == "__main__":
    sys.exit(main())
