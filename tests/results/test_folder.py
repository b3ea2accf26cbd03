"""The results folder: atomic files, shards, format stamp, leftovers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xorbench.errors import ResultsError
from xorbench.results.csvtext import csv_text
from xorbench.results.folder import RESULTS_FORMAT, ResultsDir, atomic_write_text
from xorbench.results.lock import LOCK


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "a.txt"
    atomic_write_text(path, "one")
    atomic_write_text(path, "two")
    assert path.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


# --- shards ------------------------------------------------------------------------


def _shard_frames(tag: str, n: int = 3):
    runs = pd.DataFrame({
        "config_id": pd.array([tag] * n, dtype="string"), "seed": np.arange(n, dtype=np.int64),
        "epochs": np.full(n, 10, np.int64), "solved": np.ones(n, bool),
        "epoch_solved": pd.array([1] * n, dtype="Int64"),
        "failure": pd.array(["none"] * n, dtype="string"),
    })
    curves = pd.DataFrame({"config_id": [tag] * n, "seed": np.arange(n), "epoch": [1] * n,
                           "loss": [0.5] * n})
    params = pd.DataFrame({"config_id": [tag] * n, "seed": np.arange(n), "epochs": [10] * n,
                           "p0": [0.1] * n})
    return runs, curves, params


def test_shards_round_trip_and_list_in_stable_order(tmp_path):
    folder = ResultsDir(tmp_path / "r")
    ids = [folder.write_shard(*_shard_frames(t)) for t in ("a", "b")]
    assert folder.shard_ids() == sorted(ids)
    stored = folder.read_shards(("runs", "curves", "params"))
    assert sorted(stored["runs"]["config_id"]) == ["a"] * 3 + ["b"] * 3
    assert len(stored["curves"]) == 6 and len(stored["params"]) == 6
    assert not list(folder.shards.glob(".*.tmp"))


def test_a_shard_not_wanted_any_more_is_not_written(tmp_path):
    folder = ResultsDir(tmp_path / "r")
    assert folder.write_shard(*_shard_frames("a"), still_wanted=lambda: False) is None
    assert list(folder.shards.iterdir()) == []


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete_curves", "drop_column"])
def test_a_corrupt_shard_is_reported_set_aside_and_the_rest_read(tmp_path, damage):
    folder = ResultsDir(tmp_path / "r")
    good = folder.write_shard(*_shard_frames("good"))
    bad = folder.write_shard(*_shard_frames("bad"))
    runs_path = folder.shards / f"runs-{bad}.parquet"
    if damage == "truncate":  # a full disk: the file stops half-way
        data = runs_path.read_bytes()
        runs_path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        runs_path.write_bytes(b"not parquet at all")
    elif damage == "delete_curves":
        (folder.shards / f"curves-{bad}.parquet").unlink()
    else:
        runs, _, _ = _shard_frames("bad")
        runs.drop(columns="seed").to_parquet(runs_path)
    reports = []
    stored = folder.read_shards(("runs", "curves"), check=("params",),
                                on_corrupt=lambda sid, why: reports.append((sid, why)),
                                set_aside=True)
    assert set(stored["runs"]["config_id"]) == {"good"}
    assert [sid for sid, _ in reports] == [bad]
    assert folder.shard_ids() == [good]
    assert {p.name for p in (folder.shards / "corrupt").iterdir()} >= {f"params-{bad}.parquet"}


def test_reading_without_set_aside_leaves_a_corrupt_shard_in_place(tmp_path):
    folder = ResultsDir(tmp_path / "r")
    bad = folder.write_shard(*_shard_frames("bad"))
    (folder.shards / f"runs-{bad}.parquet").write_bytes(b"junk")
    assert folder.read_part("runs").empty
    assert folder.shard_ids() == [bad]


def test_partial_writes_of_a_killed_sweep_are_removed_but_not_shards(tmp_path):
    folder = ResultsDir(tmp_path / "r")
    good = folder.write_shard(*_shard_frames("good"))
    orphan = folder.write_shard(*_shard_frames("orphan"))
    (folder.shards / f"runs-{orphan}.parquet").unlink()  # killed before the runs part
    (folder.shards / ".runs-x.parquet.1234.tmp").write_bytes(b"half")
    (folder.path / ".runs.csv.99.tmp").write_text("half")
    assert folder.remove_partial_writes() == 4
    assert sorted(p.name for p in folder.shards.iterdir()) == sorted(
        f"{part}-{good}.parquet" for part in ("curves", "params", "runs"))


# --- format stamp, target folder, fresh --------------------------------------------


def test_a_future_results_format_is_refused_with_a_clear_error(tmp_path):
    folder = ResultsDir(tmp_path / "r")
    folder.write_manifest({"results_format": RESULTS_FORMAT + 1})
    with pytest.raises(ResultsError, match=rf"newer xorbench \(results format "
                                           rf"{RESULTS_FORMAT + 1}.*--fresh"):
        folder.check()


def test_folder_checks_name_the_problem(tmp_path):
    with pytest.raises(ResultsError, match="no such folder"):
        ResultsDir(tmp_path / "missing").check()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ResultsError, match="is a file"):
        ResultsDir(tmp_path / "file").check()
    with pytest.raises(ResultsError, match="is a file"):
        ResultsDir(tmp_path / "file").check_target()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    with pytest.raises(ResultsError, match=r"not empty and not an xorbench results folder"):
        ResultsDir(tmp_path / "mine").check_target()
    with pytest.raises(ResultsError, match=r"no manifest\.json"):
        ResultsDir(tmp_path / "mine").check()
    ResultsDir(tmp_path / "new").check_target()  # absent: fine
    folder = ResultsDir(tmp_path / "broken")
    folder.path.mkdir()
    folder.manifest_path.write_text("{not json")
    with pytest.raises(ResultsError, match="unreadable manifest"):
        folder.check()


def test_move_aside_keeps_everything_but_the_lock(tmp_path):
    folder = ResultsDir(tmp_path / "r")
    folder.write_shard(*_shard_frames("a"))
    folder.write_manifest({"results_format": RESULTS_FORMAT})
    with folder.locked():
        first = folder.move_aside()
        assert sorted(p.name for p in folder.path.iterdir()) == [LOCK]
    assert first.name.startswith("r.old-")
    assert sorted(p.name for p in first.iterdir()) == ["manifest.json", "shards"]
    folder.write_manifest({})
    second = folder.move_aside()
    assert second != first and second.exists() and first.exists()
    assert folder.move_aside() is None  # nothing left to move


def test_real_batch_frames_round_trip_a_shard_exactly(tmp_path):
    """Values and dtypes survive Parquet, so resumed tables equal fresh ones."""
    from xorbench.config import make_config
    from xorbench.engine import Member, Setup, frames, train_batch

    config = make_config(activation="tanh", lr=5.0)  # some runs diverge: NaN, <NA>, ""
    result = train_batch(Setup.of(config), [Member.of(config, s) for s in range(30)], [5, 50])
    frames = (frames.runs_frame(result, "x"), frames.curves_frame(result),
              frames.params_frame(result))
    folder = ResultsDir(tmp_path / "r")
    folder.write_shard(*frames)
    back = folder.read_shards(("runs", "curves", "params"))
    for frame, part in zip(frames, ("runs", "curves", "params"), strict=True):
        pd.testing.assert_frame_equal(back[part], frame, check_exact=True)
        assert csv_text(back[part]) == csv_text(frame)
