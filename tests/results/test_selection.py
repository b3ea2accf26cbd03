"""Which stored rows are a grid's runs, and ``learned`` as this xorbench names it, whatever
xorbench stored the rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from xorbench.cli import app
from xorbench.config import make_config
from xorbench.engine import train
from xorbench.results import load_runs
from xorbench.results.selection import relabel_learned
from xorbench.schema import UNDECIDED


def _runs():
    """Sigmoid networks started at zero weights: every output 0.5 after 1 epoch
    (undecided), some solved, some diverged at a huge learning rate."""
    undecided = train(make_config(init="zeros", lr=1e-6), seeds=3, epochs=1)
    solved = train(make_config(hidden=(8,), activation="tanh", lr=0.5), seeds=3, epochs=2000)
    diverged = train(make_config(output="linear", activation="tanh", lr=1e6, dtype="float32"),
                     seeds=3, epochs=50)
    return pd.concat([undecided, solved, diverged], ignore_index=True)


def test_learned_is_the_same_whether_recorded_or_derived_from_the_outputs():
    runs = _runs()
    assert set(runs["learned"]) >= {UNDECIDED, "XOR", ""}
    assert relabel_learned(runs)["learned"].tolist() == runs["learned"].tolist()


def test_rows_an_older_xorbench_stored_are_relabelled():
    runs = _runs()
    old = runs.copy()
    old["learned"] = old["learned"].replace({UNDECIDED: "TRUE"})  # before "undecided"
    old.loc[old["failure"] == "diverged", "learned"] = "FALSE"  # a diverged row naming one
    assert relabel_learned(old)["learned"].tolist() == runs["learned"].tolist()


def test_a_complete_folder_of_an_older_xorbench_reads_and_rewrites_the_new_labels(tmp_path):
    grid = tmp_path / "g.toml"
    grid.write_text('[defaults]\nseeds = 4\n[grid]\ninit = "zeros"\nlr = [1e-06, 0.5]\n'
                    'epochs = [1, 3]\n')
    result = CliRunner().invoke(app, ["sweep", str(grid), "--out", str(tmp_path / "out"),
                                      "--jobs", "1", "--quiet", "--no-plots"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "out" / "runs.csv"
    fresh = path.read_bytes()
    assert b",undecided," in fresh
    path.write_bytes(fresh.replace(b",undecided,", b",TRUE,"))  # as an older xorbench wrote it
    assert (load_runs(tmp_path / "out")["learned"] == UNDECIDED).sum() == fresh.count(
        b",undecided,")
    result = CliRunner().invoke(app, ["sweep", str(grid), "--out", str(tmp_path / "out"),
                                      "--jobs", "1", "--quiet", "--no-plots"])
    assert result.exit_code == 0 and "0 runs trained" in result.output
    assert path.read_bytes() == fresh  # the resumed tables say it as a fresh sweep does
    assert np.all(load_runs(tmp_path / "out")["learned"].notna())


def test_select_runs_lists_each_asked_run_once_in_spec_order():
    """Stored rows in any order, some runs stored twice (the first copy counts), some of
    another grid, a spec asked twice (listed at its first place), one never stored."""
    from xorbench.config import RunSpec
    from xorbench.results.selection import select_runs

    slow, fast = make_config(lr=0.5), make_config(lr=2.0)
    slow_runs = train(slow, seeds=4, epochs=5)
    fast_runs = train(fast, seeds=4, epochs=5)
    other = train(make_config(lr=1.0), seeds=2, epochs=5)
    again = slow_runs.iloc[:2].copy()
    again["final_loss"] = -1.0  # told apart from the copy stored later
    frames = [fast_runs.iloc[::-1], other, again, slow_runs]
    specs = [RunSpec(fast, 3, 5), RunSpec(slow, 0, 5), RunSpec(slow, 9, 5),
             RunSpec(fast, 1, 5), RunSpec(slow, 0, 5), RunSpec(slow, 2, 5)]
    table = select_runs(frames, specs, "mine")
    assert list(zip(table["config_id"], table["seed"], strict=True)) == [
        (fast.config_id, 3), (slow.config_id, 0), (fast.config_id, 1), (slow.config_id, 2)]
    assert table["final_loss"].tolist()[1] == -1.0  # the first copy
    expected = slow_runs.set_index("seed").loc[2, "final_loss"]
    assert table["final_loss"].tolist()[3] == expected
    assert (table["sweep"] == "mine").all()
    assert select_runs(frames, [], "mine").empty
