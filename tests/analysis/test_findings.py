"""Findings: the sentences match the numbers, on real sweeps and hand-made tables."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.helpers import plot_sweeps
from xorbench.analysis.findings import budget_effect, findings
from xorbench.analysis.text import percent
from xorbench.plots import load_plot_data


@pytest.fixture(scope="module")
def never(tmp_path_factory):
    return load_plot_data(plot_sweeps.make_sweep(tmp_path_factory.mktemp("never"), "never"))


def test_findings_when_nothing_is_ever_solved(never):
    data = never
    found = findings(data.summary, data.runs)
    assert "No setting ever solved XOR." in found
    never = [f for f in found if "never solves XOR" in f]
    assert len(never) == data.summary["config_id"].nunique() == 4
    assert all(re.search(r"\d+ % of its seeds end (stuck|slow|saturated|dead)", f) for f in never)


def test_findings_on_a_hand_made_summary():
    summary = pd.DataFrame({
        "config_id": ["a", "b"], "task": "xor", "arch": "2-2-1", "hidden": "2",
        "activation": "sigmoid", "output": "sigmoid", "init": ["uniform(0,1)", "xavier"],
        "bias_init": "zeros", "lr": 0.5, "optimizer": "sgd", "loss": "mse", "batch": "full",
        "criterion": "threshold", "dtype": "float64", "epochs": 1000, "n_runs": 100,
        "n_solved": [39, 100], "rate": [0.39, 1.0], "ci_low": [0.3, 0.96],
        "ci_high": [0.49, 1.0], "median_epoch_solved": [500.0, 300.0],
        "p90_epoch_solved": [900.0, 600.0], "median_final_loss": [0.1, 0.001],
        "n_none": [39, 100], "n_diverged": 0, "n_symmetric": 0, "n_dead": 0, "n_saturated": 0,
        "n_slow": [0, 0], "n_stuck": [61, 0],
    })
    runs = pd.DataFrame({
        "config_id": ["a"] * 100 + ["b"] * 100, "epochs": 1000, "seed": list(range(100)) * 2,
        "learned": ["XOR"] * 39 + ["OR"] * 61 + ["XOR"] * 100,
    })
    found = findings(summary, runs)
    assert ("2-2-1 sigmoid with uniform(0,1) init solves XOR in only 39 % of seeds: 61 % of "
            "its seeds end stuck; the most common wrong answer is OR (61 % of seeds).") in found
    assert any(f.startswith("Most reliable: 2-2-1 sigmoid with xavier init: 100 % of 100 seeds")
               for f in found)


def budget_summary(rates: dict[tuple[str, int], float]) -> pd.DataFrame:
    rows = [{"config_id": c, "task": "xor", "epochs": e, "rate": r} for (c, e), r in rates.items()]
    return pd.DataFrame(rows)


def test_budget_effect_compares_each_setting_with_itself():
    # every setting at both budgets: the plain averages are already paired
    same = budget_summary({("a", 10): 0.2, ("a", 100): 0.4, ("b", 10): 0.6, ("b", 100): 1.0})
    assert budget_effect(same) == (
        "Longer training: the average rate over all 2 settings is 40 % at 10, 70 % at 100 epochs.")
    # b only at 100 and c only at 10: an unpaired average would say 20 % → 70 %
    mixed = budget_summary({("a", 10): 0.2, ("a", 100): 0.4, ("b", 100): 1.0, ("c", 10): 0.2,
                            ("d", 10): 0.0, ("d", 1000): 0.5})
    text = budget_effect(mixed)
    assert "10 → 100 epochs: 20 % → 40 % (1 setting)" in text
    assert "10 → 1000 epochs: 0 % → 50 % (1 setting)" in text
    assert "average rate over all" not in text


@pytest.fixture(scope="module")
def union(tmp_path_factory):
    folder = plot_sweeps.make_sweep(tmp_path_factory.mktemp("union"), "union")
    return load_plot_data(folder)


def test_findings_of_a_union_compare_each_change_with_the_baseline(union):
    found = findings(union.summary, union.runs)
    text = " ".join(found)
    # settings named by their change, not by every axis of the sweep
    assert "bias_init" not in text and "optimizer" not in text
    board = union.summary.set_index(["arch", "activation", "init", "loss", "epochs"])["rate"]
    base = {arch: board[(arch, "sigmoid", "uniform(0,1)", "mse", 100)]
            for arch in ("2-2-1", "2-4-1")}
    tanh = {arch: board[(arch, "tanh", "uniform(0,1)", "mse", 100)] for arch in base}
    helps = next(f for f in found if f.startswith("The changes from the baseline"))
    assert (f"activation = tanh (2-2-1 {percent(base['2-2-1'])} → "
            f"{percent(tanh['2-2-1'])}, 2-4-1 {percent(base['2-4-1'])} → "
            f"{percent(tanh['2-4-1'])})") in helps
    assert not any(f.startswith("Average rate per value") for f in found)
