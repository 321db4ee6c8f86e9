"""`_lumbar_build.json`: the dbt vars and project that built each mart file, carried into run folders."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.build_record import RECORD_NAME, read_build_record, write_build_record
from ingest.fingerprint import sha256_of
from models_py.marts import marts_record, provenance_lines


def _marts(folder: Path, names: list[str]) -> dict[str, Path]:
    folder.mkdir(exist_ok=True)
    paths = {}
    for name in names:
        path = folder / f"{name}.parquet"
        path.write_bytes(f"contents of {name}".encode())
        paths[name] = path
    return paths


def test_a_build_records_the_marts_it_wrote_and_keeps_the_others(tmp_path):
    marts = _marts(tmp_path, ["mart_a", "mart_b"])
    write_build_record(tmp_path, marts, ["mart_a", "mart_b", "stg_not_a_mart"], {})
    first = read_build_record(tmp_path)
    assert set(first) == {"mart_a", "mart_b"}
    assert first["mart_a"]["sha256"] == sha256_of(marts["mart_a"])
    assert first["mart_a"]["overrides"] == {}
    assert first["mart_a"]["vars"]["surgery_early_window_days"] == 60  # dbt_project.yml's value
    assert first["mart_a"]["lumbar_version"]

    # a selective build rewrites mart_b only, with an override
    marts["mart_b"].write_bytes(b"rebuilt")
    write_build_record(tmp_path, marts, ["mart_b"], {"surgery_early_window_days": 90})
    second = read_build_record(tmp_path)
    assert second["mart_a"] == first["mart_a"]
    assert second["mart_b"]["overrides"] == {"surgery_early_window_days": 90}
    assert second["mart_b"]["vars"]["surgery_early_window_days"] == 90
    assert second["mart_b"]["sha256"] == sha256_of(marts["mart_b"])


def test_a_run_trusts_an_entry_only_for_the_file_it_describes(tmp_path):
    marts = _marts(tmp_path, ["mart_a", "mart_b"])
    write_build_record(tmp_path, marts, ["mart_a", "mart_b"], {"surgery_early_window_days": 90})
    marts["mart_b"].write_bytes(b"written by plain dbt afterwards")
    hashes = {name: sha256_of(path) for name, path in marts.items()}
    record = marts_record(tmp_path, hashes)
    assert record["build"]["mart_a"]["overrides"] == {"surgery_early_window_days": 90}
    assert record["build"]["mart_b"] is None
    text = "\n".join(provenance_lines(record))
    assert "mart_a: built with `--vars` surgery_early_window_days=90" in text
    assert "Build settings unknown for mart_b" in text


def test_provenance_without_overrides_and_without_any_record(tmp_path):
    marts = _marts(tmp_path, ["mart_a"])
    hashes = {"mart_a": sha256_of(marts["mart_a"])}
    assert "Build settings unknown for mart_a" in "\n".join(provenance_lines(marts_record(tmp_path, hashes)))
    write_build_record(tmp_path, marts, ["mart_a"], {})
    text = "\n".join(provenance_lines(marts_record(tmp_path, hashes)))
    assert "with the windows and thresholds of dbt_project.yml (no `--vars`)" in text
    assert "unknown" not in text


def test_an_unreadable_record_counts_as_none(tmp_path):
    (tmp_path / RECORD_NAME).write_text("{not json")
    assert read_build_record(tmp_path) == {}
    (tmp_path / RECORD_NAME).write_text(json.dumps(["a list"]))
    assert read_build_record(tmp_path) == {}


def test_a_mart_rebuilt_on_older_tables_has_unknown_vars(tmp_path):
    marts = _marts(tmp_path, ["mart_a", "mart_b"])
    write_build_record(
        tmp_path, marts, ["mart_a", "mart_b"], {"surgery_early_window_days": 90}, partial={"mart_b"}
    )
    hashes = {name: sha256_of(path) for name, path in marts.items()}
    record = marts_record(tmp_path, hashes)
    assert record["build"]["mart_b"]["vars"] is None  # the file is known, its windows are not
    text = "\n".join(provenance_lines(record))
    assert "mart_a: built with `--vars` surgery_early_window_days=90" in text
    assert "Vars unknown for mart_b: rebuilt by a `lumbar build --select`" in text


def test_one_sentence_when_every_mart_shares_its_overrides(tmp_path):
    marts = _marts(tmp_path, ["mart_a", "mart_b"])
    write_build_record(tmp_path, marts, ["mart_a", "mart_b"], {"surgery_early_window_days": 90})
    hashes = {name: sha256_of(path) for name, path in marts.items()}
    text = "\n".join(provenance_lines(marts_record(tmp_path, hashes)))
    assert "Marts built by `lumbar build --vars` surgery_early_window_days=90." in text
    assert "- mart_a" not in text


def test_mixed_settings_are_listed_per_mart(tmp_path):
    marts = _marts(tmp_path, ["mart_a", "mart_b"])
    write_build_record(tmp_path, marts, ["mart_a", "mart_b"], {})
    marts["mart_b"].write_bytes(b"rebuilt with a longer window")
    write_build_record(tmp_path, marts, ["mart_b"], {"surgery_early_window_days": 90})
    hashes = {name: sha256_of(path) for name, path in marts.items()}
    text = "\n".join(provenance_lines(marts_record(tmp_path, hashes)))
    assert "- mart_a: no `--vars`" in text
    assert "- mart_b: built with `--vars` surgery_early_window_days=90" in text
