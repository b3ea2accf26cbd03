"""Statistics, summaries, curves and the leaderboard, on tiny inputs with exact answers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from xorbench import schema
from xorbench.analysis import (
    curves,
    leaderboard,
    natural_key,
    natural_sort,
    summarize,
    varying_axes,
    wilson_interval,
)
from xorbench.config import make_config
from xorbench.engine import Member, Setup, frames, train_batch
from xorbench.errors import XorbenchError
from xorbench.results import read_runs
from xorbench.schema import (
    CURVE_COLUMNS,
    FAILURE_LABELS,
    LEADERBOARD_STAT_COLUMNS,
    SUMMARY_COLUMNS,
)

# --- hand-made frames --------------------------------------------------------------

AXIS_DEFAULTS = {
    "task": "xor", "arch": "2-2-1", "hidden": "2", "activation": "sigmoid",
    "output": "sigmoid", "init": "xavier", "bias_init": "zeros", "lr": 0.5,
    "optimizer": "sgd", "loss": "mse", "batch": "full", "criterion": "threshold",
    "dtype": "float64",
}


def make_runs(rows: list[dict]) -> pd.DataFrame:
    """A runs frame in records' schema; unspecified axes take AXIS_DEFAULTS."""
    full = []
    for row in rows:
        unsolved = {"solved": False, "epoch_solved": None, "final_loss": 0.25,
                    "failure": "stuck"}
        full.append({"sweep": "t", **AXIS_DEFAULTS, **unsolved, "accuracy": 0.5,
                     "learned": "OR", "grad_norm": 0.0, **row})
    frame = pd.DataFrame(full, columns=schema.run_columns([]))
    return frame.astype(schema.RUN_DTYPES)


def solved(seed: int, epochs: int, epoch_solved: int, loss: float = 0.01) -> dict:
    return {"seed": seed, "epochs": epochs, "solved": True, "epoch_solved": epoch_solved,
            "final_loss": loss, "failure": "none", "learned": "XOR"}


def unsolved(seed: int, epochs: int, failure: str, loss: float = 0.25,
             epoch_solved: int | None = None) -> dict:
    return {"seed": seed, "epochs": epochs, "failure": failure, "final_loss": loss,
            "epoch_solved": epoch_solved}


def hand_runs() -> pd.DataFrame:
    """Three configurations; A and C are 2-2-1, B is 2-10-1 (ids chosen so that
    sorting by id would give the wrong order)."""
    a = {"config_id": "zzz", "lr": 0.5}
    b = {"config_id": "aaa", "lr": 0.5, "arch": "2-10-1", "hidden": "10"}
    c = {"config_id": "mmm", "lr": 2.0}
    rows = [
        {**a, **solved(0, 100, 10, 0.01)},
        {**a, **solved(1, 100, 30, 0.02)},
        {**a, **solved(2, 100, 20, 0.03)},
        {**a, **unsolved(3, 100, "diverged", math.nan)},
        {**a, **unsolved(4, 100, "stuck", 0.2)},
        {**a, **unsolved(0, 10, "slow", 0.3)},
        {**a, **unsolved(1, 10, "slow", 0.3)},
        # the criterion held at epoch 5 but not at the end: not a solved run
        {**a, **unsolved(2, 10, "slow", 0.1, epoch_solved=5)},
        {**a, **unsolved(3, 10, "diverged", math.inf)},
        {**a, **unsolved(4, 10, "stuck", 0.2)},
        {**b, **unsolved(0, 100, "diverged", math.nan)},
        {**b, **unsolved(1, 100, "diverged", math.nan)},
        {**c, **solved(0, 100, 7, 0.05)},
    ]
    return make_runs(rows)


# --- Wilson interval ---------------------------------------------------------------


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (5, 10, 0.2366, 0.7634),
    (81, 100, 0.7222, 0.8749),
])
def test_wilson_known_values(k, n, low, high):
    lo, hi = wilson_interval(k, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_matches_the_formula_and_is_vectorised():
    z = 1.959963984540054
    k, n = np.array([0, 3, 7, 81, 0]), np.array([10, 5, 9, 100, 0])
    low, high = wilson_interval(pd.Series(k), pd.Series(n))
    with np.errstate(all="ignore"):
        p = k / n
        center = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    np.testing.assert_allclose(low[:4], (center - half)[:4], rtol=0, atol=1e-15)
    np.testing.assert_allclose(high[:4], (center + half)[:4], rtol=0, atol=1e-15)
    assert low[0] == 0.0  # exact, not −1e-17
    assert np.isnan(low[4]) and np.isnan(high[4])
    assert ((low[:4] <= p[:4]) & (p[:4] <= high[:4])).all()
    wide = wilson_interval(5, 10, confidence=0.99)
    assert wide[0] < 0.2366 and wide[1] > 0.7634


# --- natural order -----------------------------------------------------------------


def test_natural_order_of_architectures_and_labels():
    archs = ["2-10-1", "2-2-2-1", "2-2-1", "2-3-1", "2-1"]
    assert sorted(archs, key=natural_key) == ["2-1", "2-2-1", "2-2-2-1", "2-3-1", "2-10-1"]
    assert sorted(["10", "2-2", "0", "2"], key=natural_key) == ["0", "2", "2-2", "10"]
    inits = ["uniform(0,1)", "xavier", "uniform(-1,1)", "normal(1)", "he",
             "uniform(-0.5,0.5)", "normal(0.1)"]
    assert sorted(inits, key=natural_key) == [
        "he", "normal(0.1)", "normal(1)", "uniform(-1,1)", "uniform(-0.5,0.5)",
        "uniform(0,1)", "xavier"]
    assert sorted(["momentum(0.95)", "momentum(0.9)", "adam"], key=natural_key) == [
        "adam", "momentum(0.9)", "momentum(0.95)"]


def test_natural_sort_orders_columns_descending_and_missing_last():
    frame = pd.DataFrame({
        "arch": pd.array(["2-10-1", "2-2-1", "2-2-1", None], dtype="string"),
        "rate": [0.5, 0.5, np.nan, 0.9],
    })
    out = natural_sort(frame, ["arch", "rate"], descending=["rate"])
    assert out["arch"].tolist()[:3] == ["2-2-1", "2-2-1", "2-10-1"]
    assert out["arch"].isna().tolist() == [False, False, False, True]
    np.testing.assert_array_equal(out["rate"], [0.5, np.nan, 0.5, 0.9])
    out = natural_sort(frame, ["rate"], descending=["rate"])
    assert out["rate"].tolist()[:3] == [0.9, 0.5, 0.5] and np.isnan(out["rate"][3])


# --- summarize ---------------------------------------------------------------------


def test_summarize_counts_rates_medians_and_failures():
    s = summarize(hand_runs())
    assert s.columns.tolist() == SUMMARY_COLUMNS
    assert SUMMARY_COLUMNS[:16] == ["config_id", *schema.SETTING_COLUMNS]  # bug: 16
    assert SUMMARY_COLUMNS[-len(FAILURE_LABELS) - 2:] == [
        *(f"n_{x}" for x in FAILURE_LABELS), "ci_method", "stop"]
    assert (s["ci_method"] == "wilson").all() and (s["stop"] == "fixed").all()
    # natural axis order: 2-2-1 (lr 0.5, then 2.0) before 2-10-1; budgets ascending
    assert list(zip(s["config_id"], s["epochs"], strict=True)) == [
        ("zzz", 10), ("zzz", 100), ("mmm", 100), ("aaa", 100)]
    a10, a100, c100, b100 = (s.iloc[i] for i in range(4))

    assert (a100["n_runs"], a100["n_solved"], a100["rate"]) == (5, 3, 0.6)
    assert (a100["ci_low"], a100["ci_high"]) == wilson_interval(3, 5)
    assert a100["median_epoch_solved"] == 20.0
    assert a100["p90_epoch_solved"] == pytest.approx(28.0)  # 20 + 0.8 · (30 − 20)
    assert a100["median_final_loss"] == pytest.approx(0.025)  # NaN loss left out
    counts = {x: a100[f"n_{x}"] for x in FAILURE_LABELS}
    assert counts == {"none": 3, "diverged": 1, "symmetric": 0, "dead": 0, "saturated": 0,
                      "slow": 0, "stuck": 1}

    assert (a10["n_runs"], a10["n_solved"], a10["rate"]) == (5, 0, 0.0)
    assert np.isnan(a10["median_epoch_solved"]) and np.isnan(a10["p90_epoch_solved"])
    assert a10["median_final_loss"] == pytest.approx(0.25)  # of 0.1, 0.2, 0.3, 0.3: no inf
    assert (a10["n_slow"], a10["n_diverged"], a10["n_stuck"]) == (3, 1, 1)

    assert (b100["n_runs"], b100["n_solved"], b100["n_diverged"]) == (2, 0, 2)
    assert np.isnan(b100["median_final_loss"])
    assert b100["arch"] == "2-10-1" and b100["hidden"] == "10"
    assert (c100["rate"], c100["median_epoch_solved"], c100["p90_epoch_solved"]) == (1, 7, 7)

    ints = ["n_runs", "n_solved", *(f"n_{x}" for x in FAILURE_LABELS)]
    assert (s.dtypes[ints] == np.int64).all()
    assert s.dtypes["epochs"] == np.int64 and s.dtypes["lr"] == np.float64


def test_summarize_is_independent_of_row_order():
    runs = hand_runs()
    shuffled = runs.sample(frac=1, random_state=3)
    assert summarize(shuffled).to_csv(index=False) == summarize(runs).to_csv(index=False)


def test_summarize_empty_and_missing_columns():
    empty = summarize(hand_runs().iloc[:0])
    assert empty.columns.tolist() == SUMMARY_COLUMNS and len(empty) == 0
    with pytest.raises(XorbenchError, match="failure"):
        summarize(hand_runs().drop(columns="failure"))


# --- read_runs ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    """20 seeds × 2 learning rates, budgets 10 and 100: a real batch."""
    configs = [make_config(activation="tanh", lr=lr) for lr in (1.0, 5.0)]
    members = [Member.of(c, seed) for c in configs for seed in range(20)]
    return train_batch(Setup.of(configs[0]), members, [10, 100])


def test_read_runs_round_trips_runs_frame(trained, tmp_path):
    runs = frames.runs_frame(trained, "tiny")
    runs.loc[0, "final_loss"] = np.nan  # as a diverged run has
    runs.loc[1, "learned"] = ""  # a diverged run computes nothing
    runs.loc[2, ["solved", "failure"]] = [True, "none"]
    assert runs["epoch_solved"].isna().any() and runs["solved"].any()
    path = tmp_path / "runs.csv"
    runs.to_csv(path, index=False)
    back = read_runs(path)
    pd.testing.assert_frame_equal(back, runs)
    assert back.dtypes["epoch_solved"] == "Int64" and back.dtypes["solved"] == np.dtype(bool)
    assert back.loc[1, "learned"] == ""
    pd.testing.assert_frame_equal(summarize(back), summarize(runs))


def test_read_runs_missing_file(tmp_path):
    with pytest.raises(XorbenchError, match="no runs file"):
        read_runs(tmp_path / "runs.csv")


# --- curves ------------------------------------------------------------------------


def test_curves_fraction_solved_and_quartiles():
    x = {"config_id": "zzz"}
    y = {"config_id": "aaa", "arch": "2-10-1", "hidden": "10"}
    # budget 100 is what counts; the budget-10 rows say "not yet" for seeds 1 and 3
    runs = make_runs([
        {**x, **solved(0, 100, 3)}, {**x, **solved(1, 100, 20)},
        {**x, **unsolved(2, 100, "diverged", math.nan)}, {**x, **solved(3, 100, 100)},
        {**x, **solved(0, 10, 3)}, {**x, **unsolved(1, 10, "slow")},
        {**x, **unsolved(2, 10, "slow")}, {**x, **unsolved(3, 10, "slow")},
        {**y, **solved(0, 10, 2)},
    ])
    epochs = [1, 2, 3, 5, 10, 20, 30, 50, 100]
    rows = [("zzz", seed, e, math.nan if seed == 2 and e >= 50 else float(seed + 1))
            for e in epochs for seed in range(4)]
    rows += [("aaa", 0, e, 0.5) for e in [1, 2, 3, 5, 10]]
    rows += [("zzz", 0, 1, 1.0)]  # a repeated row counts once
    curve_rows = pd.DataFrame(rows, columns=["config_id", "seed", "epoch", "loss"])

    out = curves(curve_rows.iloc[::-1], runs)
    assert out.columns.tolist() == CURVE_COLUMNS
    assert out["config_id"].tolist() == ["zzz"] * 9 + ["aaa"] * 5
    zzz = out[out["config_id"] == "zzz"]
    assert zzz["epoch"].tolist() == epochs
    assert zzz["n_runs"].tolist() == [4] * 9
    assert zzz["frac_solved"].tolist() == [0, 0, 0.25, 0.25, 0.25, 0.5, 0.5, 0.5, 0.75]
    # losses 1, 2, 3, 4; seed 2's loss is NaN from epoch 50 on: 1, 2, 4
    assert zzz["loss_median"].tolist() == [2.5] * 7 + [2.0] * 2
    assert zzz["loss_q25"].tolist() == [1.75] * 7 + [1.5] * 2
    assert zzz["loss_q75"].tolist() == [3.25] * 7 + [3.0] * 2
    aaa = out[out["config_id"] == "aaa"]
    assert aaa["frac_solved"].tolist() == [0, 1, 1, 1, 1]
    assert (aaa["arch"] == "2-10-1").all()
    assert curves(curve_rows.iloc[:0], runs).columns.tolist() == CURVE_COLUMNS


@pytest.mark.parametrize("seed", range(12))
def test_curves_statistics_are_pandas_groupby_statistics(seed):
    """Random configurations, seeds, NaN losses, ties and gaps: the fast group
    statistics agree exactly with pandas' groupby median, quantile and mean."""
    rng = np.random.default_rng(seed)
    ids = [f"c{i}" for i in range(int(rng.integers(1, 6)))]
    # seeds 0, 1, 2, … or far apart (the run lookup takes another path then)
    seeds = [s * (1 if seed % 2 else 10**6) for s in range(int(rng.integers(1, 30)))]
    # two budgets: the curves use each seed's run at the larger one
    runs = make_runs([
        {"config_id": c, **(solved(s, budget, int(rng.integers(1, budget + 1)))
                            if rng.random() < 0.5 else unsolved(s, budget, "slow"))}
        for c in ids for s in seeds for budget in (20, 50)])
    epochs = [1, 2, 3, 5, 10, 20, 30, 50]
    def loss() -> float:  # ties, non-finite, and values over many orders of magnitude
        kind = rng.random()
        return (np.nan if kind < 0.1 else np.inf if kind < 0.15 else 0.5 if kind < 0.25
                else rng.random() * 10 ** rng.uniform(-8, 3))

    rows = pd.DataFrame([(c, s, e, loss()) for c in ids for s in seeds for e in epochs
                         if rng.random() < 0.8], columns=["config_id", "seed", "epoch", "loss"])
    repeats = rows.sample(frac=0.1, random_state=seed).assign(loss=7.0)  # count once
    orphans = rows.head(3).assign(config_id="no-such-run")  # dropped
    rows = pd.concat([rows, repeats, orphans]).sample(frac=1.0, random_state=seed)
    out = curves(rows, runs).set_index(["config_id", "epoch"]).sort_index()

    first = rows.drop_duplicates(["config_id", "seed", "epoch"], keep="first")
    last = runs[runs["epochs"] == 50][["config_id", "seed", "epoch_solved"]]
    merged = first.merge(last, on=["config_id", "seed"])
    merged["loss"] = merged["loss"].where(np.isfinite(merged["loss"]))
    merged["solved_by"] = (merged["epoch_solved"].astype("Float64") <= merged["epoch"]) \
        .fillna(False).astype(float)
    groups = merged.groupby(["config_id", "epoch"])
    expected = pd.DataFrame({
        "n_runs": groups.size(),
        "frac_solved": groups["solved_by"].mean(),
        "loss_median": groups["loss"].median(),
        "loss_q25": groups["loss"].quantile(0.25),
        "loss_q75": groups["loss"].quantile(0.75),
    }).sort_index()
    assert out.index.equals(expected.index)
    for column in expected.columns:
        np.testing.assert_array_equal(out[column].to_numpy(float),
                                      expected[column].to_numpy(float), err_msg=column)


def test_group_median_and_quartiles_are_pandas_with_infinities():
    from xorbench.analysis import group_median_quartiles

    rng = np.random.default_rng(7)
    for trial in range(200):
        n, n_groups = int(rng.integers(1, 60)), int(rng.integers(1, 6))
        group = rng.integers(0, n_groups, n)
        values = (rng.choice([np.nan, np.inf, -np.inf, 0.0, 1.0, 2.5], n) if trial % 2
                  else rng.normal(size=n))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no RuntimeWarning leaks out
            got = group_median_quartiles(group, values, n_groups)
        by_group = pd.DataFrame({"g": group, "v": values}).groupby("g")["v"]
        present = np.unique(group)
        for mine, theirs in zip(got, (by_group.median(), by_group.quantile(0.25),
                                      by_group.quantile(0.75)), strict=True):
            np.testing.assert_array_equal(mine[present], theirs.reindex(present).to_numpy())
        absent = np.setdiff1d(np.arange(n_groups), present)
        assert all(np.isnan(x[absent]).all() for x in got)


# --- leaderboard -------------------------------------------------------------------


def summary_frame(rows: list[dict]) -> pd.DataFrame:
    full = []
    for i, row in enumerate(rows):
        base = {"config_id": f"c{i}", **AXIS_DEFAULTS, "epochs": 100, "n_runs": 10,
                "n_solved": 5, "rate": 0.5, "ci_low": 0.3, "ci_high": 0.7,
                "median_epoch_solved": 30.0, "p90_epoch_solved": 50.0,
                "median_final_loss": 0.1}
        base |= {f"n_{x}": 0 for x in FAILURE_LABELS}
        base |= {"n_none": 5, "n_stuck": 5}
        full.append({**base, **row})
    return pd.DataFrame(full, columns=SUMMARY_COLUMNS)


def board_frame() -> pd.DataFrame:
    return summary_frame([
        {"activation": "sigmoid", "lr": 0.5, "median_epoch_solved": 40.0},  # 5th
        {"activation": "tanh", "lr": 0.5, "rate": 0.9, "ci_low": 0.7},  # 2nd
        {"activation": "tanh", "lr": 2.0, "rate": 0.9, "ci_low": 0.8,  # 1st of the 0.9s
         "n_stuck": 0, "n_slow": 1, "n_diverged": 1},
        {"activation": "relu", "lr": 0.5, "median_epoch_solved": 20.0},  # 3rd
        {"activation": "relu", "lr": 2.0, "rate": 1.0, "ci_low": 0.7, "n_solved": 10,
         "n_none": 10, "n_stuck": 0},  # top
        {"activation": "sigmoid", "lr": 2.0, "median_epoch_solved": 20.0},  # 4th
    ])


def test_leaderboard_sorts_with_tie_breaks():
    board = leaderboard(board_frame())
    assert board.columns.tolist() == ["activation", "lr", "epochs", *LEADERBOARD_STAT_COLUMNS]
    assert list(zip(board["activation"], board["lr"], strict=True)) == [
        ("relu", 2.0), ("tanh", 2.0), ("tanh", 0.5), ("relu", 0.5), ("sigmoid", 2.0),
        ("sigmoid", 0.5)]
    # ties between failure labels go to the earlier one (diverged before slow)
    assert board["top_failure"].tolist() == ["", "diverged", "stuck", "stuck", "stuck",
                                             "stuck"]


def test_leaderboard_where_top_and_sort():
    summary = board_frame()
    assert len(leaderboard(summary, top=2)) == 2
    assert len(leaderboard(summary, top=None)) == 6
    tanh = leaderboard(summary, where='activation == "tanh"')
    assert tanh["lr"].tolist() == [2.0, 0.5]
    assert leaderboard(summary, where="lr > 1 and rate < 1")["activation"].tolist() == [
        "tanh", "sigmoid"]
    losses = summary.assign(median_final_loss=[0.1, 0.6, 0.2, 0.3, 0.4, 0.5])
    by_loss = leaderboard(losses, sort="median_final_loss", top=1)
    assert by_loss.columns[-1] == "median_final_loss"
    assert by_loss["median_final_loss"].tolist() == [0.1]  # a loss ranks smallest first
    worst = leaderboard(losses, sort="median_final_loss", top=1, descending=True)
    assert worst["median_final_loss"].tolist() == [0.6]
    assert leaderboard(summary, sort="n_stuck", top=None)["n_stuck"].is_monotonic_decreasing


@pytest.mark.parametrize("where", ["lr >> 2", "nonexistent == 1", "activation ==", "lr + 1"])
def test_leaderboard_bad_query(where):
    with pytest.raises(XorbenchError) as info:
        leaderboard(board_frame(), where=where)
    message = str(info.value)
    assert repr(where) in message and "activation" in message and "\n" not in message


def test_leaderboard_bad_sort_and_top():
    with pytest.raises(XorbenchError, match=r"'speed'.*allowed: rate, ci_low"):
        leaderboard(board_frame(), sort="speed")
    with pytest.raises(XorbenchError, match="top"):
        leaderboard(board_frame(), top=0)


def test_varying_axes():
    assert varying_axes(board_frame()) == ["activation", "lr"]
    summary = summarize(hand_runs())
    assert varying_axes(summary) == ["arch", "hidden", "lr", "epochs"]
    # hidden is part of arch: shown once
    assert leaderboard(summary).columns[:3].tolist() == ["arch", "lr", "epochs"]


# --- integration: a real batch -----------------------------------------------------


def test_summarize_and_curves_of_a_trained_batch(trained):
    runs = frames.runs_frame(trained, "tiny")
    summary = summarize(runs)
    assert len(summary) == 4 and (summary["n_runs"] == 20).all()
    raw = runs.groupby(["lr", "epochs"])["solved"].agg(["size", "sum"])
    for row in summary.itertuples():
        assert (row.n_runs, row.n_solved) == tuple(raw.loc[(row.lr, row.epochs)])
        assert sum(getattr(row, f"n_{x}") for x in FAILURE_LABELS) == row.n_runs
        assert row.n_none == row.n_solved
    assert summary["n_solved"].sum() == runs["solved"].sum() > 0
    assert summary[["lr", "epochs"]].values.tolist() == [[1, 10], [1, 100], [5, 10], [5, 100]]

    table = curves(frames.curves_frame(trained), runs)
    last = table[table["epoch"] == 100].set_index("lr")["frac_solved"]
    at_100 = runs[runs["epochs"] == 100]
    expected = (at_100["epoch_solved"].fillna(10**9) <= 100).groupby(at_100["lr"]).mean()
    pd.testing.assert_series_equal(last, expected.astype(float), check_names=False)
    assert leaderboard(summary, top=1)["rate"].iloc[0] == summary["rate"].max()


def test_summary_and_curves_csv_round_trip_with_their_dtypes(tmp_path):
    """summary.csv and curves.csv read back equal to what summarize/curves wrote, labels
    as text (a hidden width "2" or an all-digit config_id never becomes a number)."""
    from xorbench.analysis import curves
    from xorbench.config import make_config
    from xorbench.engine import Member, Setup, train_batch
    from xorbench.engine.frames import curves_frame, runs_frame
    from xorbench.results import read_curves, read_summary

    cfg = make_config(hidden=(2,), lr=1.0)
    result = train_batch(Setup.of(cfg), [Member.of(cfg, s) for s in range(12)], [10, 40])
    runs = runs_frame(result, "t")
    summary = summarize(runs)
    table = curves(curves_frame(result), runs)
    summary.to_csv(tmp_path / "summary.csv", index=False)
    table.to_csv(tmp_path / "curves.csv", index=False)
    pd.testing.assert_frame_equal(read_summary(tmp_path / "summary.csv"), summary)
    pd.testing.assert_frame_equal(read_curves(tmp_path / "curves.csv"), table)
    assert read_summary(tmp_path / "summary.csv")["hidden"].tolist() == ["2", "2"]
