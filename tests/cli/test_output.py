"""What the commands print reads well at any size: the leaderboard fits the terminal, is
titled by what it ranks and ranks best first; the grid's count shows its factors; a
sweep writes its report."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from xorbench.analysis import summarize
from xorbench.cli import app, display
from xorbench.results import load_runs

WIDE = """
name = "wide"
[defaults]
seeds = 5
[grid]
hidden = [[2], [3]]
activation = ["sigmoid", "tanh"]
init = ["uniform(0,1)", "xavier_normal"]
bias_init = ["zeros", "uniform(-1,1)"]
optimizer = ["sgd", "momentum(0.9)"]
lr = [0.5, 2.0]
epochs = [20, 200]
"""  # six varying axes: the table is far wider than 80 columns with one column each


def invoke(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture(scope="module")
def wide(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("wide")
    (root / "wide.toml").write_text(WIDE)
    result = invoke("sweep", root / "wide.toml", "--out", root / "out", "--jobs", 1, "--quiet",
                    "--no-plots", "--no-report")
    assert result.exit_code == 0, result.output
    return root / "out"


def printed(summary, width: int, monkeypatch, **options) -> str:
    """The leaderboard as a terminal ``width`` columns wide shows it."""
    buffer = io.StringIO()
    monkeypatch.setattr(display, "out", Console(file=buffer, width=width, highlight=False,
                                                soft_wrap=True))
    display.print_leaderboard(summary, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("width", [80, 100, 160])
def test_the_leaderboard_fits_the_terminal(wide, monkeypatch, width):
    text = printed(summarize(load_runs(wide)), width, monkeypatch, top=10)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "…" not in text  # nothing is cut short: what does not fit wraps
    for value in ("uniform(0,1)", "xavier_normal", "momentum(0.9)"):
        assert value in text or (width == 80 and value[:6] in text)


def test_at_80_columns_the_axes_share_one_column_and_name_their_values(wide, monkeypatch):
    text = printed(summarize(load_runs(wide)), 80, monkeypatch, top=3)
    assert "setting" in text.splitlines()[2]
    assert "init " in text and "bias " in text and "lr " in text
    assert re.search(r"\d+%–\d+%", text)  # the interval is whole


def test_a_budget_every_row_shares_is_named_once_in_the_title(wide, monkeypatch):
    text = printed(summarize(load_runs(wide)), 160, monkeypatch)
    assert text.splitlines()[0] == "Most reliable settings, at 200 epochs"
    assert "epochs" not in text.splitlines()[2]


@pytest.mark.parametrize(("sort", "title", "best_first"), [
    ("rate", "Most reliable settings", True),
    ("median_epoch_solved", "Fastest settings (median epoch of the solved runs)", False),
    ("n_stuck", "Settings with the most stuck runs", True),
])
def test_summary_sorts_each_column_best_first_and_says_what_it_shows(wide, sort, title,
                                                                      best_first):
    result = invoke("summary", wide, "--sort", sort, "--top", 50)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith(title)
    flipped = invoke("summary", wide, "--sort", sort, "--ascending" if best_first else
                     "--descending", "--top", 1)
    assert flipped.exit_code == 0 and flipped.output.splitlines()[0] != \
        result.output.splitlines()[0]


def test_summary_help_lists_the_sortable_columns():
    result = CliRunner().invoke(app, ["summary", "--help"], env={"COLUMNS": "200"})
    for column in ("rate", "median_epoch_solved", "n_stuck", "median_final_loss"):
        assert column in result.output
    bad = invoke("summary", ".", "--sort", "speed")
    assert bad.exit_code == 1


def test_grid_shows_every_factor_of_the_run_count(tmp_path):
    grid = tmp_path / "one.toml"
    grid.write_text("[defaults]\nseeds = 1\n[grid]\nepochs = [10, 20]\n")
    result = invoke("grid", grid)
    assert "1 configuration × 1 seed × 2 epoch budgets (10, 20) → 2 runs" in result.output
    (tmp_path / "wide.toml").write_text(WIDE)
    result = invoke("grid", tmp_path / "wide.toml")
    assert "64 configurations × 5 seeds × 2 epoch budgets (20, 200) → 640 runs" in result.output
    grid.write_text("[defaults]\nseeds = 3\n[grid]\nlr = [0.5, 1]\n")
    assert "2 configurations × 3 seeds at 1,000 epochs → 6 runs" in invoke("grid", grid).output
    # sub-grids with their own budgets: lr 0.5 is trained for 10 and 20 epochs, lr 1 for 20
    grid.write_text("[defaults]\nseeds = 3\n[[grid]]\nepochs = [10]\n[[grid]]\nepochs = [20]\n"
                    "lr = [0.5, 1]\n")
    assert ("2 configurations × 3 seeds × 1.5 epoch budgets per configuration on average → 9 runs"
            in invoke("grid", grid).output)


def test_a_sweep_writes_its_report_unless_told_not_to(tmp_path):
    (tmp_path / "wide.toml").write_text(WIDE.replace("seeds = 5", "seeds = 2"))
    result = invoke("sweep", tmp_path / "wide.toml", "--out", tmp_path / "a", "--jobs", 1,
                    "--quiet", "--no-plots")
    assert result.exit_code == 0, result.output
    assert f"report: {tmp_path / 'a' / 'report.md'}" in result.output
    text = (tmp_path / "a" / "report.md").read_text()
    assert "The plots were not drawn (--no-plots)" in text and "](plots/" not in text
    assert (tmp_path / "a" / "report.html").is_file()
    result = invoke("sweep", tmp_path / "wide.toml", "--out", tmp_path / "b", "--jobs", 1,
                    "--quiet", "--no-plots", "--no-report")
    assert result.exit_code == 0 and "report:" not in result.output
    assert not (tmp_path / "b" / "report.md").exists()
