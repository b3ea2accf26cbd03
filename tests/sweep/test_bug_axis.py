"""A folder written before the bug axis: its shards lack ``bug``, and a sweep reuses every
run, writing the tables it wrote then with ``bug`` = ``none`` after ``dtype``."""

from __future__ import annotations

import pandas as pd

from xorbench.grid import loads_grid
from xorbench.sweep import run_sweep

GRID = """
name = "old"
[grid]
hidden = 2
batch = ["full", "online"]
lr = [0.5, 1.0]
epochs = [5, 20]
seeds = 4
"""


def test_a_folder_without_the_bug_column_is_reused_whole(tmp_path):
    out = tmp_path / "old"
    run_sweep(loads_grid(GRID, "old.toml"), out, jobs=1)
    before = {n: pd.read_csv(out / n, dtype=str, keep_default_na=False)
              for n in ("runs.csv", "summary.csv", "curves.csv")}
    for name, table in before.items():
        assert list(table.columns).index("bug") == list(table.columns).index("dtype") + 1, name
    # as an older xorbench wrote it: no bug column anywhere
    stripped = 0
    for shard in (out / "shards").glob("*.parquet"):
        frame = pd.read_parquet(shard)
        if "bug" in frame.columns:
            frame.drop(columns="bug").to_parquet(shard)
            stripped += 1
    assert stripped >= 2  # every batch's runs shard had it
    for name, table in before.items():
        table.drop(columns="bug").to_csv(out / name, index=False)
    outcome = run_sweep(loads_grid(GRID, "old.toml"), out, jobs=1)
    assert outcome.n_trained == 0 and outcome.n_reused == outcome.n_runs == 32
    for name, table in before.items():
        after = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(after, table)
        assert (after["bug"] == "none").all()
