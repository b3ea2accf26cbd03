"""The command line describes itself: --version, flags without value placeholders, and the
README's command table listing every option each command's --help lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

import xorbench
from xorbench.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"
COMMANDS = typer.main.get_command(app).commands


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"xorbench {xorbench.__version__}"


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_flags_show_no_value_placeholder(command):
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert "<bool>" not in result.output
    assert re.search(r"--help\s+Show this message", result.output)


def _readme_rows() -> dict[str, str]:
    rows = {}
    for line in README.read_text().splitlines():
        match = re.match(r"\| `xorbench (\w+)[^`]*` \|(.*)$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_the_readme_table_lists_every_command_and_every_option():
    rows = _readme_rows()
    assert set(rows) == set(COMMANDS)
    for name, command in COMMANDS.items():
        options = {opt for param in command.params if param.name != "help"
                   for opt in [*param.opts, *param.secondary_opts] if opt.startswith("--")}
        listed = set(re.findall(r"--[\w-]+", rows[name]))
        assert listed == options, f"xorbench {name}: the README lists {sorted(listed)}"
