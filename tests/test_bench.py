"""`xorbench bench`: the measurements are real trainings with sane figures."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from xorbench.bench import Measurement, run_benchmark, train_one_plain
from xorbench.cli import app
from xorbench.config import make_config
from xorbench.engine import Member, Setup, train_batch


def test_plain_loop_trains_the_standard_network_like_the_engine():
    """The one-at-a-time comparison trains the same network (same maths, its own init)."""
    y = train_one_plain(8, 3000, seed=0)
    assert y.shape == (4,)
    # the standard workload (2-8-1, lr 0.5, 3000 epochs) solves XOR for this seed
    assert ((y > 0.5) == np.array([0, 1, 1, 0], bool)).all()
    cfg = make_config(hidden=(8,), init="uniform(-1,1)", lr=0.5)
    engine_solved = train_batch(Setup.of(cfg), [Member.of(cfg, 0)], [3000]).solved[0, 0]
    assert engine_solved


def test_run_benchmark_measures_every_size_and_the_plain_loop():
    rows = list(run_benchmark(hiddens=(2,), sizes=(1, 16), seconds=0.02, workers=0))
    assert [(m.implementation, m.networks) for m in rows] == [
        ("engine", 1), ("engine", 16), ("one-at-a-time", 4)]
    for m in rows:
        assert isinstance(m, Measurement)
        assert m.epochs >= 10 and m.seconds > 0
        assert np.isfinite(m.network_epochs_per_s) and m.network_epochs_per_s > 0


def test_bench_cli_json_lines():
    result = CliRunner().invoke(app, ["bench", "--json", "--hidden", "2", "--networks", "8",
                                      "--workers", "1", "--quick"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert {d["implementation"] for d in lines} == {"engine", "one-at-a-time"}
    assert all(d["network_epochs_per_s"] > 0 and d["arch"] == "2-2-1" for d in lines)


def test_bench_cli_rejects_an_unknown_dtype():
    result = CliRunner().invoke(app, ["bench", "--dtype", "float16"])
    assert result.exit_code == 1
    assert "dtype = 'float16'" in result.output and "Traceback" not in result.output
