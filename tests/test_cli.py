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


def test_brackets_in_paths_and_values_are_printed_as_text_not_markup(tmp_path):
    # rich would read "[/x]" as a closing tag (MarkupError traceback) and drop "[copy]" as an unknown style
    odd = tmp_path / "[/x]"
    odd.mkdir(parents=True)
    cases = [
        (["load", str(odd), "--warehouse", str(tmp_path / "w.duckdb")], str(odd)),
        (["load", str(tmp_path / "export [copy]" / "nope")], "export [copy]/nope"),
        (["train", "surgery", "--task", "[/]", "--marts-dir", str(tmp_path)], "'[/]'"),
        (["build", "--warehouse", str(tmp_path / "w.duckdb"), "--vars", '{"[/x]": 1}'], "'[/x]'"),
    ]
    for args, shown in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert isinstance(result.exception, SystemExit), (args, result.exception)  # not a MarkupError
        assert shown in result.output, (args, result.output)


def test_summaries_print_paths_file_names_and_reasons_as_text():
    from pathlib import Path

    from rich.console import Console

    from ingest.build import BuildResult, NodeProblem
    from ingest.loading.report import LoadReport, SourceLoad

    load = LoadReport(
        warehouse=Path("/data/export [copy]/w.duckdb"),
        load_id=1,
        sources=[SourceLoad("patients", "/data/export [copy]/patients[1].csv", None, 20, 19, 1)],
        reject_reasons={("patients", "bad sex '[/b]'"): 1},
    )
    build = BuildResult(
        warehouse=Path("/w.duckdb"),
        marts_dir=Path("/data/[/marts]"),
        marts={},
        n_nodes=1,
        n_passed=1,
        elapsed_s=0,
        warnings=[NodeProblem("test", "t", "warn", "value '[red]' seen")],
    )
    console = Console(width=400, record=True)
    console.print(load.to_rich_table())
    console.print(build.to_rich())
    text = console.export_text()
    for shown in (
        "/data/export [copy]/w.duckdb",
        "patients[1].csv",
        "bad sex '[/b]'",
        "/data/[/marts]",
        "'[red]'",
    ):
        assert shown in text, (shown, text)


def test_train_numbers_out_of_range_stop_before_any_run_folder(tmp_path):
    # numpy/sklearn take seeds in [0, 2**32); past that (or past the counts' bounds) a run used to crash after
    # training and leave an INCOMPLETE run folder
    from ingest import cli

    shared = [("--seed", -1), ("--seed", 2**32), ("--seed", cli.MAX_SEED + 1)]
    per_study = {
        "surgery": [("--bootstrap", 0), ("--bootstrap", cli.MAX_BOOTSTRAP + 1), ("--lasso-repeats", 0)],
        "medication": [("--bootstrap", -5), ("--n-jobs", 0), ("--n-jobs", cli.MAX_WORKERS + 1)],
        "stratification": [],
        "injection": [
            ("--epochs", 0),
            ("--epochs", cli.MAX_EPOCHS + 1),
            ("--threads", 0),
            ("--bootstrap", 9),
        ],
    }
    out = tmp_path / "runs"
    for study, options in per_study.items():
        for option, value in shared + options:
            args = ["train", study, option, str(value), "--marts-dir", str(tmp_path), "--out", str(out)]
            result = runner.invoke(app, args)
            assert result.exit_code == 2, (args, result.output)
            assert option in result.output and "Traceback" not in result.output, (args, result.output)
            assert not out.exists(), args
    result = runner.invoke(app, ["demo", "--seed", "-1", "--workdir", str(out)])
    assert result.exit_code == 2 and "--seed" in result.output and not out.exists()


def test_path_options_are_checked_before_any_work(tmp_path, monkeypatch):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    out = tmp_path / "runs"
    no_marts = ["--marts-dir", str(tmp_path / "no_marts")]  # a trainer that started would stop on this
    cases = [
        ("surgery", ["--marts-dir", str(a_file)], "--marts-dir"),
        ("medication", ["--marts-dir", str(a_file)], "is a file, not a folder"),
        ("stratification", [*no_marts, "--truth", str(tmp_path / "nowhere")], "--truth"),
        ("stratification", [*no_marts, "--truth", str(tmp_path)], "has no stratification.parquet"),
        ("injection", [*no_marts, "--truth", str(a_file)], "--truth"),
        ("injection", [*no_marts, "--images-root", str(tmp_path / "nowhere")], "--images-root"),
    ]
    for study, options, message in cases:
        result = runner.invoke(app, ["train", study, *options, "--out", str(out)])
        assert result.exit_code == 2, (study, options, result.output)
        assert message in result.output and "build the marts" not in result.output, (options, result.output)
        assert not out.exists()
    for study in ("surgery", "medication", "stratification", "injection"):
        result = runner.invoke(
            app, ["train", study, "--marts-dir", str(tmp_path), "--out", str(a_file / "x")]
        )
        assert result.exit_code == 2 and "--out" in result.output, (study, result.output)
    monkeypatch.setenv("LUMBAR_MARTS_DIR", str(a_file))
    result = runner.invoke(app, ["train", "stratification", "--out", str(out)])
    assert result.exit_code == 2 and "$LUMBAR_MARTS_DIR" in result.output and "is a file" in result.output
    assert not out.exists()


def test_demo_names_its_own_option_for_a_bad_workdir(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    result = runner.invoke(app, ["demo", "--workdir", str(a_file)])
    assert result.exit_code == 2, result.output
    assert "--workdir" in result.output and "--out" not in result.output


def test_generate_checks_every_option_before_creating_folders(tmp_path):
    out = tmp_path / "gen" / "neg"
    result = runner.invoke(
        app, ["generate", "--patients", "100", "--ldh-enrichment", "-1", "--out", str(out)]
    )
    assert result.exit_code == 2 and "--ldh-enrichment" in result.output, result.output
    assert not (tmp_path / "gen").exists()


def test_trainers_check_truth_before_reading_the_marts(tmp_path):
    import pytest

    from models_py.errors import UserInputError
    from models_py.studies.injection import train_injection
    from models_py.studies.stratification import train_stratification

    # the marts folder does not exist either: the truth folder is the first thing reported
    for train, name in ((train_stratification, "stratification"), (train_injection, "injection")):
        with pytest.raises(UserInputError, match=f"no .*{name}.parquet"):
            train(tmp_path / "no_marts", tmp_path / "runs", truth_dir=tmp_path / "no_truth", progress=False)
    assert not (tmp_path / "runs").exists()
