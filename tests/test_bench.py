"""`xorbench bench`: the measurements are real trainings with sane figures."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from xorbench.bench import Measurement, run_benchmark, train_one_plain, train_recipe
from xorbench.cli import app
from xorbench.config import make_config
from xorbench.engine import Member, Setup, initial_params, train_batch


def test_plain_loop_trains_the_standard_network_like_the_engine():
    """The one-at-a-time comparison trains the same network (same maths, its own init)."""
    y = train_one_plain(8, 3000, seed=0)
    assert y.shape == (4,)
    # the standard workload (2-8-1, lr 0.5, 3000 epochs) solves XOR for this seed
    assert ((y > 0.5) == np.array([0, 1, 1, 0], bool)).all()
    cfg = make_config(hidden=(8,), init="uniform(-1,1)", lr=0.5)
    engine_solved = train_batch(Setup.of(cfg), [Member.of(cfg, 0)], [3000]).solved[0, 0]
    assert engine_solved


def test_recipe_trains_the_standard_workload_like_the_engine():
    """The recipe is the same maths (summed in another order): same θ in, same y out."""
    cfg = make_config(hidden=(3,), init="uniform(-1,1)", lr=0.5)
    members = [Member.of(cfg, seed) for seed in range(6)]
    result = train_batch(Setup.of(cfg), members, [50])
    widths = (2, 3, 1)
    theta = np.stack([initial_params(widths, m.init, m.bias_init, m.seed) for m in members],
                     axis=1)
    _, y = train_recipe(theta, hidden=3, epochs=50)
    np.testing.assert_allclose(theta, result.params[0], rtol=0, atol=1e-10)
    # the recipe's last forward pass saw θ after 49 updates; the engine records 50
    _, y_next = train_recipe(theta, hidden=3, epochs=1)
    np.testing.assert_allclose(y_next, result.outputs[0], rtol=0, atol=1e-10)
    assert not np.allclose(y, y_next, rtol=0, atol=1e-6)  # training moved it


@pytest.mark.slow  # compiles the standard workload's builds
def test_run_benchmark_measures_every_size_and_the_plain_loop():
    rows = list(run_benchmark(hiddens=(2,), sizes=(1, 16), seconds=0.02, workers=0))
    assert [(m.implementation, m.networks) for m in rows] == [
        ("engine", 1), ("engine", 16), ("engine, kernel only", 16), ("recipe", 16),
        ("one-at-a-time", 4)]
    for m in rows:
        assert isinstance(m, Measurement)
        assert m.epochs >= 10 and m.seconds > 0
        assert np.isfinite(m.network_epochs_per_s) and m.network_epochs_per_s > 0


def test_bench_cli_json_lines():
    result = CliRunner().invoke(app, ["bench", "--json", "--hidden", "2", "--networks", "8",
                                      "--workers", "1", "--quick"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]  # notes: stderr
    assert {d["implementation"] for d in lines} == {"engine", "engine, kernel only", "recipe",
                                                    "one-at-a-time"}
    assert all(d["network_epochs_per_s"] > 0 and d["arch"] == "2-2-1" for d in lines)


def test_bench_cli_rejects_an_unknown_dtype():
    result = CliRunner().invoke(app, ["bench", "--dtype", "float16"])
    assert result.exit_code == 1
    assert "dtype = 'float16'" in result.output and "Traceback" not in result.output


TINY_GRID = """
name = "tiny"
[defaults]
seeds = 4
[grid]
lr = [0.5, 2.0]
epochs = [5, 20]
"""


def test_sweep_overhead_shares_add_up(monkeypatch):
    from xorbench import bench
    from xorbench.grid import loads_grid

    monkeypatch.setitem(bench.SWEEP_GRIDS, "tiny", lambda: loads_grid(TINY_GRID))
    o = bench.measure_sweep("tiny", jobs=1)
    assert o["runs"] == 2 * 4 * 2
    assert o["workers"] == 1 and 0 < o["engine"] <= o["train"] <= o["total"] <= o["wall"]
    assert 0 < o["overhead"] < 1
    # each share from its own stage timings (rounded to ms in the manifest)
    # (build: compiling a training loop for the grid, when its cache lacks one)
    stages = o["expand"] + o["scan"] + o["plan"] + o["build"] + o["tables"]
    assert o["serial"] == pytest.approx(stages / o["wall"], abs=0.01)
    assert o["startup share"] == pytest.approx(o["startup"] / o["wall"], abs=0.01)
    assert all(-0.02 <= o[k] <= 1 for k in ("serial", "startup share", "worker extra", "idle"))


def test_a_failed_sweep_measurement_is_one_clear_error():
    from xorbench import bench
    from xorbench.errors import XorbenchError

    with pytest.raises(XorbenchError, match="the no-such-grid sweep measurement failed: "
                                            "KeyError"):
        bench.measure_sweep_fresh("no-such-grid", jobs=1)


@pytest.mark.slow
def test_bench_cli_reports_a_sweeps_overhead(monkeypatch):
    from xorbench import bench
    from xorbench.grid import loads_grid

    monkeypatch.setitem(bench.SWEEP_GRIDS, "100k", lambda: loads_grid(TINY_GRID))
    monkeypatch.setattr(bench, "measure_sweep_fresh", bench.measure_sweep)  # in-process
    args = ["bench", "--hidden", "2", "--networks", "8", "--workers", "1", "--quick"]
    plain = CliRunner().invoke(app, [*args, "--sweep"])
    assert plain.exit_code == 0, plain.output
    assert "Sweep of 16 runs (--jobs 1)" in plain.output and "overhead" in plain.output
    lines = CliRunner().invoke(app, [*args, "--sweep", "--json"]).output.splitlines()
    last = json.loads(lines[-1])
    assert last["implementation"] == "sweep" and last["runs"] == 16
    quick = CliRunner().invoke(app, args)  # --quick alone skips the sweep
    assert "Sweep of" not in quick.output
