"""Does it help? Every axis's paired comparisons, their outcome words, and the findings
that use them instead of averages."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.analysis.test_compare import runs_frame, side
from xorbench.analysis.effects import (
    axis_effects,
    comparable_axes,
    effect_lines,
    outcome,
    outcomes,
    paired_finding,
)
from xorbench.analysis.findings import findings


def row(diff, low, high, p_adjusted, n_pairs=100):
    return {"n_pairs": n_pairs, "diff": diff, "diff_low": low, "diff_high": high,
            "p_adjusted": p_adjusted}


@pytest.mark.parametrize("values, expected", [
    (row(5.0, 1.0, 9.0, 0.01), "higher"),
    (row(-5.0, -9.0, -1.0, 0.01), "lower"),
    (row(5.0, 1.0, 9.0, 0.2), "not significant"),  # interval clear of 0, Holm's p not
    (row(2.0, -1.0, 5.0, 0.01), "no detectable difference"),  # the interval rules
    (row(0.0, 0.0, 0.0, 1.0), "no detectable difference"),
    (row(float("nan"), float("nan"), float("nan"), float("nan"), n_pairs=0),
     "no detectable difference"),
])
def test_an_outcome_follows_the_interval_then_the_adjusted_p(values, expected):
    assert outcome(values) == expected


def two_axes() -> pd.DataFrame:
    """lr 0.5 vs 2 at two inits, 40 seeds, two budgets. At xavier lr 2 solves 30 seeds
    lr 0.5 does not (and 10 both); at he the two solve the same 20 seeds. At 100 epochs
    nobody solves anything but lr 2 at xavier, 35 seeds."""
    def runs(init, lr, epochs, solved):
        return side({"init": init, "lr": lr}, [50 if s else None for s in solved], epochs)
    frames = []
    for epochs in (100, 1000):
        early = epochs == 100
        frames += [
            runs("xavier", 0.5, epochs, [False] * 40 if early else [True] * 10 + [False] * 30),
            runs("xavier", 2.0, epochs, [True] * 35 + [False] * 5 if early else [True] * 40),
            runs("he", 0.5, epochs, [False] * 40 if early else [True] * 20 + [False] * 20),
            runs("he", 2.0, epochs, [False] * 40 if early else [True] * 20 + [False] * 20),
        ]
    return runs_frame(*frames)


def test_comparable_axes_name_arch_and_leave_out_budgets_and_long_axes():
    runs = two_axes()
    assert comparable_axes(runs) == ["init", "lr"]
    assert comparable_axes(runs, max_values=1) == []


def test_each_axis_is_compared_at_the_largest_budget_and_at_every_budget():
    effects = {item.axis: item for item in axis_effects(two_axes())}
    lr = effects["lr"]
    assert len(lr.largest) == 2 and set(lr.largest["epochs"]) == {1000}
    assert len(lr.budgets) == 4 and set(lr.budgets["epochs"]) == {100, 1000}
    assert list(outcomes(lr.largest.set_index("init").loc[["xavier", "he"]])) == [
        "higher", "no detectable difference"]


def test_effect_lines_count_the_settings_and_name_the_largest_difference():
    lr = {item.axis: item for item in axis_effects(two_axes())}["lr"]
    lines = effect_lines(lr)
    assert lines[0] == ("2 vs 0.5, each setting at its largest budget: a higher rate with lr 2 "
                        "in 1, no detectable difference in 1 (of 2 settings).")
    assert lines[1].startswith("Largest clear difference: init xavier · 1000 epochs — "
                               "2 vs 0.5: +75.0 pp")
    # at 100 epochs lr 2 leads by 87.5 pp at xavier, more than the 75 at 1000
    assert lines[2].startswith("The largest difference is at a smaller budget: init xavier · "
                               "100 epochs — 2 vs 0.5: +87.5 pp")


def test_findings_use_the_paired_comparisons_instead_of_averages(tmp_path):
    from xorbench.grid import loads_grid
    from xorbench.sweep import run_sweep

    grid = loads_grid("""
[defaults]
seeds = 20
[grid]
hidden = 2
activation = "tanh"
init = ["xavier", "uniform(-1,1)"]
lr = [0.5, 2.0]
epochs = [50]
""", "tiny.toml")
    outcome = run_sweep(grid, tmp_path / "tiny", jobs=1)
    runs, summary = outcome.runs, outcome.summary
    plain = findings(summary, runs)
    assert any(line.startswith("Average rate per value") and "lr:" in line for line in plain)
    effects = axis_effects(runs, ["lr"])
    paired = findings(summary, runs, effects)
    assert paired_finding(effects) in paired
    assert paired_finding(effects).count("lr 2 vs 0.5:") == 1
    averages = [line for line in paired if line.startswith("Average rate per value")]
    assert averages and all("lr:" not in line and "init:" in line for line in averages)
    assert paired_finding([]) is None
