"""CLI behaviour a user sees: help, and one-line errors instead of tracebacks."""

from typer.testing import CliRunner

from ingest.cli import app
from ingest.privacy import suppress

runner = CliRunner()


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("generate", "load", "build", "train", "demo"):
        assert command in result.output


def test_bad_choice_is_one_line_error(tmp_path):
    result = runner.invoke(app, ["train", "surgery", "--task", "middle", "--marts-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "middle" in result.output


def test_suppress_small_counts():
    assert suppress(0) == "0"
    assert suppress(1) == "<11"
    assert suppress(10) == "<11"
    assert suppress(11) == "11"
    assert suppress(12345) == "12,345"
    assert suppress(3, threshold=5) == "<6"
    assert suppress(3, threshold=0) == "3"


def test_a_bad_suppression_threshold_stops_every_command_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMBAR_SUPPRESS_BELOW", "ten")
    # generate would otherwise write files; it must not start at all
    result = runner.invoke(app, ["generate", "--patients", "50", "--out", str(tmp_path / "raw")])
    assert result.exit_code == 2
    assert "LUMBAR_SUPPRESS_BELOW" in result.output and "'ten'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "raw").exists()


def test_suppression_threshold_from_the_environment(monkeypatch):
    import pytest

    from ingest.errors import LumbarError
    from ingest.privacy import suppression_threshold

    for raw, expected in (("", 10), (" 5 ", 5), ("0", 0), ("20", 20)):
        monkeypatch.setenv("LUMBAR_SUPPRESS_BELOW", raw)
        assert suppression_threshold() == expected
    monkeypatch.delenv("LUMBAR_SUPPRESS_BELOW")
    assert suppression_threshold() == 10
    for raw in ("-1", "5.5", "ten", "1e3"):
        monkeypatch.setenv("LUMBAR_SUPPRESS_BELOW", raw)
        with pytest.raises(LumbarError, match="whole number"):
            suppression_threshold()


def test_a_missing_marts_folder_names_an_option_the_command_has(tmp_path):
    import re

    for study in ("surgery", "medication", "stratification", "injection"):
        for marts in (tmp_path / "nowhere", tmp_path):  # no folder; a folder without the marts
            result = runner.invoke(app, ["train", study, "--marts-dir", str(marts)])
            assert result.exit_code == 2, (study, result.output)
            suggested = set(re.findall(r"(--[a-z][a-z-]+)", result.output))
            assert suggested, result.output
            help_text = runner.invoke(app, ["train", study, "--help"]).output
            offered = set(re.findall(r"(--[a-z][a-z-]+)", help_text))
            assert suggested <= offered, (study, suggested - offered)


def test_device_option_is_checked_before_any_work(tmp_path):
    import torch

    cases = [("bogus", "not one of auto, cpu, cuda"), ("cuda:7x", "not one of auto, cpu, cuda")]
    if not torch.cuda.is_available():
        cases.append(("cuda", "CUDA is not available"))
    for study in ("surgery", "injection"):
        for device, message in cases:
            # the marts folder does not exist either: the device is the first thing reported
            result = runner.invoke(
                app, ["train", study, "--device", device, "--marts-dir", str(tmp_path / "nowhere")]
            )
            assert result.exit_code == 2, (study, device, result.output)
            assert message in result.output and "Traceback" not in result.output


def test_a_build_selection_that_matches_nothing_is_an_error_not_an_empty_success(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "patients.csv").write_text(
        "patient_id,birth_date,sex,race,ethnicity,site,death_date,pcp_provider_id,language\n"
        "P1,1960-01-05,F,,,north,,,\n"
    )
    warehouse = tmp_path / "lumbar.duckdb"
    assert runner.invoke(app, ["load", str(raw), "--warehouse", str(warehouse)]).exit_code == 0
    result = runner.invoke(app, ["build", "--warehouse", str(warehouse), "--select", "cohort_surgery_eraly"])
    assert result.exit_code == 2, result.output
    assert "'cohort_surgery_eraly' matches no model" in result.output
    assert "Traceback" not in result.output


def test_site_options_belong_to_the_generalizability_protocol(tmp_path):
    for option in (["--train-site", "kaiser"], ["--test-sites", "mayo,hf"]):
        result = runner.invoke(app, ["train", "surgery", *option, "--marts-dir", str(tmp_path / "nowhere")])
        assert result.exit_code == 2, result.output
        assert "generalizability protocol only" in result.output


def test_version():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"lumbar {version('lumbar')}"


def test_demo_keeps_everything_in_its_workdir_whatever_the_environment(tmp_path, monkeypatch):
    elsewhere = tmp_path / "a_real_study_marts"
    monkeypatch.setenv("LUMBAR_MARTS_DIR", str(elsewhere))
    workdir = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--patients", "1000", "--no-train", "--workdir", str(workdir)])
    assert result.exit_code == 0, result.output
    assert sorted(workdir.glob("marts/mart_*.parquet"))
    assert not elsewhere.exists()
