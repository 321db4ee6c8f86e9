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
