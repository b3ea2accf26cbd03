"""What the hostile-input tests (tests/cli/test_hostile*.py) share: a tiny grid swept
once, copies of its folder to damage, and the one error line every refusal prints."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from xorbench.cli import app

TABLES = ("runs.csv", "summary.csv", "curves.csv")
TINY = """
[defaults]
seeds = 4
[grid]
lr = [0.5, 1.0]
epochs = [10, 20]
"""  # 2 lrs × 4 seeds × 2 budgets = 16 runs


def one_error_line(output: str) -> str:
    """The output is exactly one line, an error; returns it."""
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("error: "), output
    return lines[0]


def write_tiny(folder: Path) -> Path:
    """The tiny grid, written as ``folder/tiny.toml``."""
    path = folder / "tiny.toml"
    path.write_text(TINY)
    return path


def sweep_tiny(root: Path) -> Path:
    """The tiny grid swept through the CLI into ``root/out`` (one job, no plots)."""
    grid = write_tiny(root)
    result = CliRunner().invoke(app, ["sweep", str(grid), "--out", str(root / "out"),
                                      "--jobs", "1", "--quiet", "--no-plots"])
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == 0, result.output
    return root / "out"


def copy_of(swept: Path, tmp_path: Path) -> Path:
    """A copy of a swept folder, to damage."""
    out = tmp_path / "out"
    shutil.copytree(swept, out)
    return out


def table_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in TABLES}
