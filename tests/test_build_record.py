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


def _warehouse(path: Path, files: list[tuple[str, str, int]]) -> Path:
    """A warehouse whose raw.loads lists `files` as (table, file sha256, rows loaded)."""
    import duckdb

    from ingest.loading.warehouse import LOADS_DDL

    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(LOADS_DDL)
        for table, digest, rows in files:
            con.execute(
                "insert into raw.loads values (1, now()::timestamp, ?, ?, ?, ?, ?, 0)",
                [f"/data/{table}.csv", table, digest, rows, rows],
            )
    return path


def test_the_record_names_the_build_and_the_raw_data_it_read(tmp_path):
    from ingest.build_record import raw_fingerprint

    one = _warehouse(tmp_path / "one.duckdb", [("patients", "aa", 10), ("diagnoses", "bb", 50)])
    same = _warehouse(tmp_path / "same.duckdb", [("diagnoses", "bb", 50), ("patients", "aa", 10)])
    other = _warehouse(tmp_path / "other.duckdb", [("patients", "cc", 10), ("diagnoses", "bb", 50)])
    assert raw_fingerprint(one) == raw_fingerprint(same) != raw_fingerprint(other)
    assert raw_fingerprint(tmp_path / "missing.duckdb") is None

    marts = _marts(tmp_path / "marts", ["mart_a", "mart_b"])
    write_build_record(tmp_path / "marts", marts, ["mart_a", "mart_b"], {}, warehouse=one)
    first = read_build_record(tmp_path / "marts")
    assert first["mart_a"]["raw_fingerprint"] == raw_fingerprint(one)
    assert first["mart_a"]["build_id"] == first["mart_b"]["build_id"]
    write_build_record(tmp_path / "marts", marts, ["mart_b"], {}, warehouse=one)
    assert read_build_record(tmp_path / "marts")["mart_b"]["build_id"] != first["mart_a"]["build_id"]


def test_marts_from_builds_of_different_raw_data_are_warned_about(tmp_path, capsys):
    from models_py.marts import build_warnings, warn_about_builds

    folder = tmp_path / "marts"
    marts = _marts(folder, ["mart_a", "mart_b", "mart_c"])
    hashes = {name: sha256_of(path) for name, path in marts.items()}
    one = _warehouse(tmp_path / "one.duckdb", [("patients", "aa", 10)])
    other = _warehouse(tmp_path / "other.duckdb", [("patients", "cc", 12)])

    write_build_record(folder, marts, list(marts), {}, warehouse=one)
    assert build_warnings(marts_record(folder, hashes)) == []  # one build: nothing to say
    # a selective build of the same data: another build id, same raw data, still consistent
    write_build_record(folder, marts, ["mart_c"], {}, warehouse=one)
    assert build_warnings(marts_record(folder, hashes)) == []

    # a selective build on another warehouse rewrites mart_c into the same folder
    write_build_record(folder, marts, ["mart_c"], {}, warehouse=other)
    record = marts_record(folder, hashes)
    (line,) = build_warnings(record)
    assert "2 different raw datasets (mart_a, mart_b; mart_c)" in line
    assert "different raw datasets" in "\n".join(provenance_lines(record))
    assert warn_about_builds(folder, hashes) == [line]
    assert "warning:" in capsys.readouterr().err


def test_marts_the_record_does_not_describe_are_named_on_the_console(tmp_path, capsys):
    from models_py.marts import build_warnings, warn_about_builds

    marts = _marts(tmp_path, ["mart_a", "mart_b"])
    hashes = {name: sha256_of(path) for name, path in marts.items()}
    (line,) = build_warnings(marts_record(tmp_path, hashes))
    assert f"no {RECORD_NAME}" in line  # no record at all

    write_build_record(tmp_path, marts, list(marts), {})
    marts["mart_b"].write_bytes(b"copied from another build")
    hashes["mart_b"] = sha256_of(marts["mart_b"])
    warn_about_builds(tmp_path, hashes)
    err = capsys.readouterr().err
    assert "mart_b" in err and "mart_a" not in err and "rebuild" in err


def test_records_written_before_build_ids_still_read(tmp_path):
    from models_py.marts import build_warnings

    marts = _marts(tmp_path, ["mart_a", "mart_b"])
    hashes = {name: sha256_of(path) for name, path in marts.items()}
    write_build_record(tmp_path, marts, list(marts), {})
    record = json.loads((tmp_path / RECORD_NAME).read_text())
    for entry in record["marts"].values():  # an older lumbar wrote neither key
        del entry["build_id"], entry["raw_fingerprint"]
    (tmp_path / RECORD_NAME).write_text(json.dumps(record))
    assert build_warnings(marts_record(tmp_path, hashes)) == []
    assert "unknown" not in "\n".join(provenance_lines(marts_record(tmp_path, hashes)))


def test_marts_built_with_different_vars_are_warned_about(tmp_path):
    from models_py.marts import build_warnings

    marts = _marts(tmp_path, ["mart_a", "mart_b"])
    hashes = {name: sha256_of(path) for name, path in marts.items()}
    write_build_record(tmp_path, marts, list(marts), {})
    write_build_record(tmp_path, marts, ["mart_b"], {"surgery_early_window_days": 90})
    (line,) = build_warnings(marts_record(tmp_path, hashes))
    assert "2 different sets of windows" in line and "mart_a; mart_b" in line
