"""Paired comparisons along one axis: which pairs, their numbers by hand, the words, and
whether seed s really starts both sides from the same weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import xorbench
from xorbench import schema
from xorbench.analysis.compare import compare
from xorbench.analysis.paired import holm
from xorbench.analysis.verdict import pairing_note, verdict, verdict_lines
from xorbench.config import Member, Setup, make_config
from xorbench.errors import ChoiceError, XorbenchError


def side(config: dict, outcomes: list[tuple[int, int | None]], epochs: int = 1000,
         first_seed: int = 0) -> list[dict]:
    """Runs of one configuration: (seed, epoch_solved or None) per seed, seeds in order."""
    made = make_config(config)
    labels = {**made.labels(), "arch": made.arch}
    return [{**labels, "epochs": epochs, "seed": first_seed + i, "solved": e is not None,
             "epoch_solved": e} for i, e in enumerate(outcomes)]


def runs_frame(*sides: list[dict]) -> pd.DataFrame:
    rows = [row for s in sides for row in s]
    frame = pd.DataFrame(rows)
    return frame.astype({"epoch_solved": "Int64", "seed": "int64", "epochs": "int64"})


def hand_case() -> pd.DataFrame:
    """161 seeds, sgd (a) and rprop (b) — the table [[59, 16], [6, 80]] of Cavo et al.:
    59 seeds solved by both, 16 by sgd only, 6 by rprop only, 80 by neither.

    Among the 59 both solved: sgd at epoch 0 for seed 0 and 100 for the others; rprop at
    7 for seed 0 and 10·k for seed k (k = 1..58)."""
    sgd = [0] + [100] * 58 + [100] * 16 + [None] * 6 + [None] * 80
    rprop = [7] + [10 * k for k in range(1, 59)] + [None] * 16 + [50] * 6 + [None] * 80
    return runs_frame(side({"optimizer": "sgd"}, sgd), side({"optimizer": "rprop"}, rprop))


def test_a_hand_computed_comparison():
    table = compare(hand_case(), "optimizer")
    assert list(table.columns) == [*schema.COMPARE_LEAD_COLUMNS, *schema.COMPARE_STAT_COLUMNS]
    row = table.iloc[0]
    # sgd comes first in the runs (grid order), though rprop sorts first by name
    assert (row["axis"], row["a"], row["b"], row["epochs"]) == ("optimizer", "sgd", "rprop", 1000)
    assert (row["n_pairs"], row["only_a"], row["only_b"]) == (161, 16, 6)
    assert row["rate_a"] == 75 / 161 and row["rate_b"] == 65 / 161
    assert row["diff"] == pytest.approx(100 * -10 / 161)
    # Tango's interval as published for this table (Fagerland et al. 2017, ch. 8), in points
    assert (round(row["diff_low"], 2), round(row["diff_high"], 2)) == (-12.40, -0.54)
    # exact McNemar: 2 · Σ_{k≤6} C(22, k) / 2²²
    assert row["p_value"] == pytest.approx(2 * 110056 / 2**22) and row["p_adjusted"] == row[
        "p_value"]
    # medians over the 59 both solved: sgd 58 × 100 and one 0 → 100; rprop 7, 10, 20 … 580
    # → the 30th smallest, 290. Ratios over the 58 solved after epoch 0 (seed 0 is not):
    # 10k / 100 = k/10 for k = 1..58 → the mean of the 29th and 30th, (2.9 + 3.0) / 2
    assert (row["median_epoch_a"], row["median_epoch_b"]) == (100, 290)
    assert row["speed_ratio"] == pytest.approx(2.95)
    assert row["speed_low"] < 2.95 < row["speed_high"]
    assert row["shared_init"] == "yes"
    # the interval excludes 0 but the exact test does not reject: the words say so
    words = verdict(row, n_comparisons=1)
    assert words.startswith("rprop vs sgd: not significant by the exact McNemar test, −6.2 pp "
                            "(95 % CI −12.4 to −0.5); 6 seeds solved only with rprop, 16 only "
                            "with sgd (McNemar p = 0.052)")
    assert words.endswith("among the 59 seeds both solved, rprop needs 2.95× the epochs "
                          f"({row['speed_low']:#.3g}–{row['speed_high']:#.3g}×)")


def test_baseline_budgets_and_the_public_name():
    runs = hand_case()
    flipped = xorbench.compare(runs, "optimizer", baseline="sgd")
    assert flipped.equals(compare(runs, "optimizer"))
    other = compare(runs, "optimizer", baseline="rprop").iloc[0]
    assert (other["a"], other["b"], other["only_a"], other["only_b"]) == ("rprop", "sgd", 6, 16)
    assert other["diff"] == pytest.approx(100 * 10 / 161)
    assert other["speed_ratio"] == pytest.approx(1 / 2.95, rel=0.05)  # medians of inverses
    longer = pd.concat([runs, runs.assign(epochs=5000)], ignore_index=True)
    assert compare(longer, "optimizer")["epochs"].tolist() == [5000]
    assert compare(longer, "optimizer", budgets="all")["epochs"].tolist() == [1000, 5000]
    assert compare(longer, "optimizer", budgets=[1000])["epochs"].tolist() == [1000]
    assert compare(longer, "optimizer", budgets=1000)["epochs"].tolist() == [1000]


def test_every_value_against_one_in_each_setting_and_holm_over_all():
    outcomes = {"sgd": [100] * 10 + [None] * 10, "momentum(0.9)": [20] * 18 + [None] * 2,
                "rprop": [None] * 20}
    sides = [side({"optimizer": o, "init": i}, e)
             for i in ("xavier", "uniform(-1,1)") for o, e in outcomes.items()]
    table = compare(runs_frame(*sides), "optimizer")
    assert table["init"].tolist() == ["uniform(-1,1)", "uniform(-1,1)", "xavier", "xavier"]
    assert table["b"].tolist() == ["momentum(0.9)", "rprop"] * 2
    assert set(table["a"]) == {"sgd"}
    np.testing.assert_allclose(table["p_adjusted"], holm(table["p_value"]))
    assert (table["p_adjusted"] >= table["p_value"]).all()
    lines = verdict_lines(table)
    assert lines[0].startswith("init uniform(-1,1) · 1000 epochs — momentum(0.9) vs sgd: +40.0 pp")
    assert "no seed was solved by both" in lines[1]
    assert "needs 0.200× the epochs (0.200–0.200×)" in lines[0]


def test_unequal_seed_counts_pair_on_the_shared_seeds():
    a = side({"optimizer": "sgd"}, [10] * 15 + [None] * 5)  # seeds 0..19
    b = side({"optimizer": "rprop"}, [10] * 10)  # seeds 0..9, all solved
    table = compare(runs_frame(a, b), "optimizer")
    assert list(table.columns)[-4:] == schema.COMPARE_UNEQUAL_COLUMNS
    row = table.iloc[0]
    assert (row["n_pairs"], row["rate_a"], row["rate_b"]) == (10, 1.0, 1.0)
    assert (row["n_a"], row["n_b"], row["full_rate_a"], row["full_rate_b"]) == (20, 10, 0.75, 1.0)
    assert "no detectable difference" in verdict(row)
    assert "no detectable difference in epochs (1.00×, 1.00–1.00×)" in verdict(row)


def test_hidden_and_arch_are_one_axis_and_tasks_match_on_widths():
    sides = [side({"hidden": h, "task": t}, [5] * 3 + [None])
             for t in ("xor", "parity(3)") for h in ([2], [4])]
    runs = runs_frame(*sides)
    by_hidden, by_arch = compare(runs, "hidden"), compare(runs, "arch")
    assert by_hidden.equals(by_arch)
    assert by_arch["a"].tolist() == ["3-2-1", "2-2-1"] and by_arch["b"].tolist() == [
        "3-4-1", "2-4-1"]  # natural order of the task: parity(3) before xor
    assert compare(runs, "arch", baseline="4")["a"].tolist() == ["3-4-1", "2-4-1"]
    by_task = compare(runs, "task")
    assert by_task["hidden"].tolist() == ["2", "4"] and "arch" not in by_task.columns
    assert set(by_task["shared_init"]) == {"no"}  # 2 inputs vs 3: other widths


@pytest.mark.parametrize(("axis", "values", "shared"), [
    ("lr", (0.5, 2.0), "yes"),
    ("optimizer", ("sgd", "rprop"), "yes"),
    ("loss", ("mse", "bce"), "yes"),
    ("activation", ("sigmoid", "tanh"), "yes"),
    ("output", ("sigmoid", "linear"), "yes"),
    ("batch", ("full", "online"), "yes"),
    ("criterion", ("threshold", "tolerance(0.1)"), "yes"),
    ("dtype", ("float64", "float32"), "yes"),
    ("task", ("xor", "and"), "yes"),
    ("task", ("xor", "parity(3)"), "no"),
    ("hidden", ([2], [3]), "no"),
    ("init", ("xavier", "he"), "no"),
    ("bias_init", ("uniform(0,1)", "normal(1)"), "weights"),
])
def test_shared_init_says_what_the_engine_draws(axis, values, shared):
    from xorbench.engine import initial_params
    from xorbench.engine.layout import layer_rows

    configs = [make_config({axis: v, "init": "uniform(-1,1)", "bias_init": "uniform(-1,1)"}
                           if axis not in ("init", "bias_init") else {axis: v})
               for v in values]
    runs = runs_frame(*(side(c.labels(), [3, None]) for c in configs))
    assert compare(runs, axis)["shared_init"].tolist() == [shared]
    seed = 7
    thetas = []
    for c in configs:
        member = Member.of(c, seed)
        theta = initial_params(Setup.of(c).widths, member.init, member.bias_init, seed)
        thetas.append(theta.astype(np.float32) if axis == "dtype" else theta)
    if shared == "no":
        assert thetas[0].shape != thetas[1].shape or not np.array_equal(*thetas)
        return
    # θ's rows: each layer's weights, then its biases (engine.layout.layer_rows)
    rows = layer_rows(configs[0].widths)
    weights = np.concatenate([np.arange(w.start, w.stop) for _, _, w, _ in rows])
    biases = np.concatenate([np.arange(b.start, b.stop) for _, _, _, b in rows])
    assert np.array_equal(thetas[0][weights], thetas[1][weights])
    assert np.array_equal(thetas[0][biases], thetas[1][biases]) == (shared == "yes")


def test_bad_axis_baseline_and_budget_name_what_is_allowed():
    runs = hand_case()
    cases = [
        (dict(axis="epochs"), "--all-budgets"),
        (dict(axis="optimiser"), "did you mean 'optimizer'?"),
        (dict(axis="lr"), "has one value in these runs (0.5); axes that vary here: optimizer"),
        (dict(axis="optimizer", baseline="nesterov"), "values: sgd, rprop"),
        (dict(axis="optimizer", budgets=[300]), "budgets: 1000"),
    ]
    for kwargs, words in cases:
        with pytest.raises(ChoiceError) as caught:
            compare(runs, **kwargs)
        assert isinstance(caught.value, XorbenchError)
        assert words in str(caught.value) and "\n" not in str(caught.value)
    # a baseline is read as a grid file would write it
    assert compare(runs, "optimizer", baseline=" sgd ").iloc[0]["a"] == "sgd"


def test_words_follow_the_interval():
    row = {"a": "sgd", "b": "momentum(0.9)", "n_pairs": 200, "rate_a": 0.745, "rate_b": 0.81,
           "diff": 6.5, "diff_low": 2.6, "diff_high": 10.6, "only_a": 2, "only_b": 15,
           "p_value": 0.0023499, "p_adjusted": 0.0047, "speed_ratio": 0.128,
           "speed_low": 0.127, "speed_high": 0.129}
    assert verdict(row, 2) == (
        "momentum(0.9) vs sgd: +6.5 pp (95 % CI +2.6 to +10.6), 15 seeds solved only with "
        "momentum(0.9), 2 only with sgd (McNemar p = 0.0023); among the 147 seeds both "
        "solved, momentum(0.9) needs 0.128× the epochs (0.127–0.129×)")
    unclear = verdict({**row, "diff_low": -0.1}, 2)
    assert "no detectable difference, +6.5 pp (95 % CI −0.1 to +10.6)" in unclear
    adjusted = verdict({**row, "p_adjusted": 0.2}, 12)
    assert "not significant after adjusting for 12 comparisons (Holm p = 0.2)" in adjusted
    slower = verdict({**row, "speed_ratio": 1.02, "speed_low": 0.97, "speed_high": 1.08}, 2)
    assert slower.endswith("no detectable difference in epochs (1.02×, 0.970–1.08×)")
    one = verdict({**row, "only_b": 1, "only_a": 0, "rate_a": 0.75, "diff": 0.5,
                   "diff_low": -1.0, "diff_high": 2.7}, 2)
    assert "1 seed solved only with momentum(0.9), 0 only with sgd" in one
    nothing = verdict({**row, "n_pairs": 0})
    assert nothing == "momentum(0.9) vs sgd: no seed ran on both sides, nothing to compare"


def test_pairing_note_names_the_axis():
    table = compare(hand_case(), "optimizer")
    assert "same initial weights whatever the optimizer" in pairing_note(table)
    runs = runs_frame(side({"init": "xavier"}, [3]), side({"init": "he"}, [4]))
    assert "other initial weights when the init changes" in pairing_note(compare(runs, "init"))
