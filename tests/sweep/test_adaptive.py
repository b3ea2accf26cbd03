"""Adaptive seeds through whole sweeps: rounds, stops read back from runs.csv, resume,
changed rules and --jobs, all byte for byte."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.sweep.test_run import StopAfter
from xorbench.analysis.stats import wilson_interval
from xorbench.grid import loads_grid
from xorbench.results import read_runs, read_summary
from xorbench.sweep import SweepInterrupted, run_sweep

TABLES = ("runs.csv", "summary.csv", "curves.csv")


def adaptive(rule="{ first = 10, max = 80, half_width = 0.12 }", name="adaptive"):
    """2-2-1 tanh at 4 settings whose rates differ (some settle at 10 seeds, some never)."""
    return loads_grid(f"""
name = "{name}"
[defaults]
seeds = {rule}
[grid]
hidden = 2
activation = "tanh"
init = ["xavier", "uniform(-1,1)"]
lr = [0.05, 2.0]
epochs = [10, 60]
""", f"{name}.toml")


def table_bytes(folder) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in TABLES}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("adaptive") / "adaptive"
    rounds = []
    outcome = run_sweep(adaptive(), out, jobs=1, on_round=rounds.append)
    return outcome, table_bytes(out), rounds


def test_each_configuration_stops_at_its_first_settled_look(reference):
    """Checked from runs.csv alone: each configuration's seeds are a prefix 0..n−1, n is
    the first of 10, 20, 40, 80 at which its Wilson half-width at the largest budget is
    ≤ 0.12 (or 80), and summary.csv names the same stop."""
    outcome, _, _ = reference
    runs = read_runs(outcome.path / "runs.csv")
    summary = read_summary(outcome.path / "summary.csv")
    top = runs[runs["epochs"] == 60]
    stops = set()
    for config_id, group in top.groupby("config_id"):
        seeds = np.sort(group["seed"].to_numpy())
        assert (seeds == np.arange(len(seeds))).all()
        solved = group.sort_values("seed")["solved"].to_numpy(bool)
        for n in (10, 20, 40, 80):
            low, high = wilson_interval(solved[:n].sum(), n)
            if (high - low) / 2 <= 0.12 or n == 80:
                expected = "precise" if (high - low) / 2 <= 0.12 else "max"
                break
        assert len(seeds) == n, config_id
        rows = summary[summary["config_id"] == config_id]
        assert set(rows["stop"]) == {expected} and set(rows["n_runs"]) == {n}
        assert set(rows["ci_method"]) == {"wilson"}
        stops.add(n)
    assert len(stops) > 1, "the grid should make some configurations stop earlier than others"
    # every budget of a configuration has the same seeds
    per_budget = runs.groupby(["config_id", "epochs"])["seed"].nunique().unstack()
    assert (per_budget[10] == per_budget[60]).all()


def test_rounds_are_announced_and_counted(reference):
    outcome, _, rounds = reference
    assert rounds[0].startswith("round 1 of at most 4: 4 configurations sampling seeds 0..9")
    assert len(rounds) >= 2 and all(f"round {i + 1} of at most 4" in text
                                    for i, text in enumerate(rounds))
    manifest = json.loads((outcome.path / "manifest.json").read_text())
    events = [e["event"] for e in manifest["events"]]
    assert events[0] == "start" and events[-1] == "complete"
    assert events.count("round") == len(rounds) - 1
    assert manifest["n_done"] == outcome.n_runs == len(outcome.runs)


def test_jobs_and_batch_size_do_not_change_a_byte(tmp_path, reference):
    run_sweep(adaptive(), tmp_path / "a", jobs=2, batch_size=3)
    assert table_bytes(tmp_path / "a") == reference[1]


@pytest.mark.parametrize("after", [8, 100])  # in round 1, in a later round
def test_an_interrupted_adaptive_sweep_resumes_to_the_same_bytes(tmp_path, reference, after):
    out = tmp_path / "adaptive"
    with pytest.raises(SweepInterrupted):
        run_sweep(adaptive(), out, jobs=1, batch_size=4, progress=StopAfter(after))
    resumed = run_sweep(adaptive(), out, jobs=1)
    assert resumed.n_reused >= after and resumed.n_reused + resumed.n_trained == resumed.n_runs
    assert table_bytes(out) == reference[1]


def test_a_changed_max_in_the_same_folder_equals_a_fresh_sweep(tmp_path, reference):
    """A smaller max stops earlier from the stored runs; a larger one continues."""
    out = tmp_path / "adaptive"
    run_sweep(adaptive(), out, jobs=1)
    for rule in ("{ first = 10, max = 20, half_width = 0.12 }",
                 "{ first = 10, max = 160, half_width = 0.08 }",
                 "{ first = 10, max = 80, half_width = 0.12 }"):
        changed = run_sweep(adaptive(rule), out, jobs=1)
        fresh = tmp_path / f"fresh-{len(rule)}-{rule[-8:-3].strip()}"
        run_sweep(adaptive(rule), fresh, jobs=1)
        assert table_bytes(out) == table_bytes(fresh), rule
    assert changed.n_trained == 0  # back to the first rule: everything is stored


def test_fixed_seeds_keep_their_columns_and_read_as_fixed(tmp_path):
    grid = loads_grid(adaptive().source.replace(
        "seeds = { first = 10, max = 80, half_width = 0.12 }", "seeds = 5"), "fixed.toml")
    outcome = run_sweep(grid, tmp_path / "fixed", jobs=1)
    summary = read_summary(outcome.path / "summary.csv")
    assert set(summary["stop"]) == {"fixed"} and set(summary["ci_method"]) == {"wilson"}
    assert set(summary["n_runs"]) == {5}


def test_an_old_summary_without_the_new_columns_reads_as_fixed_wilson(tmp_path, reference):
    old = pd.read_csv(reference[0].path / "summary.csv").drop(columns=["ci_method", "stop"])
    old.to_csv(tmp_path / "summary.csv", index=False)
    summary = read_summary(tmp_path / "summary.csv")
    assert set(summary["stop"]) == {"fixed"} and set(summary["ci_method"]) == {"wilson"}
