"""Tiny real sweeps for the plot and report tests (each trains in well under a second).

* ``quick``: a reduced quick grid — 3 activations × 2 inits × 2 learning rates ×
  2 widths (2 and 10, to check natural order), two budgets;
* ``one_axis``: only the learning rate varies;
* ``never``: no hidden layer, so XOR is never solved (every epoch_solved empty);
* ``diverged``: linear output with lr 1000, so runs diverge (NaN losses);
* ``union``: a union of sub-grids — a baseline for two widths plus four sub-grids
  that each change one thing (init, activation, loss, the epoch budget), as in
  sweeps/seed-question.toml;
* ``nine``: nine activations (a long panel axis, as in sweeps/activations.toml);
* ``many``: nine activations × five inits (long panel axes both ways);
* ``parity``: xor and parity(3) (only one of them has a square to draw), with a
  ``[plots]`` table.
"""

from __future__ import annotations

import json
from pathlib import Path

from xorbench.grid import loads_grid
from xorbench.sweep import run_sweep

GRIDS = {
    "quick": """
        name = "quick-small"
        description = "A reduced quick grid."
        [defaults]
        seeds = 6
        [grid]
        hidden = [[2], [10]]
        activation = ["sigmoid", "tanh", "relu"]
        init = ["uniform(0,1)", "xavier"]
        lr = [0.5, 2.0]
        epochs = [30, 300]
    """,
    "one_axis": """
        name = "one-axis"
        [defaults]
        seeds = 8
        [grid]
        lr = [0.1, 1.0, 5.0]
        epochs = 200
    """,
    "never": """
        name = "never"
        [defaults]
        seeds = 6
        [grid]
        hidden = []
        init = ["xavier", "he"]
        lr = [0.1, 1.0]
        epochs = [10, 40]
    """,
    "diverged": """
        name = "diverged"
        [defaults]
        seeds = 6
        output = "linear"
        [grid]
        activation = ["sigmoid", "relu"]
        lr = [0.5, 1000.0]
        epochs = [20, 60]
    """,
    "union": """
        name = "union"
        description = "A baseline and four one-change sub-grids."
        [defaults]
        seeds = 8
        hidden = [2]
        activation = "sigmoid"
        init = "uniform(0,1)"
        lr = 2.0
        loss = "mse"
        epochs = 100
        [[grid]]
        hidden = [[2], [4]]
        [[grid]]
        hidden = [[2], [4]]
        init = "xavier"
        [[grid]]
        hidden = [[2], [4]]
        activation = "tanh"
        [[grid]]
        hidden = [[2], [4]]
        loss = "bce"
        [[grid]]
        hidden = [[2], [4]]
        epochs = [100, 400]
    """,
    "nine": """
        name = "nine"
        [defaults]
        seeds = 3
        init = "xavier"
        [grid]
        hidden = [[2], [3]]
        activation = ["sigmoid", "tanh", "relu", "leaky_relu(0.01)", "elu(1)", "gelu",
                      "softplus", "sin", "linear"]
        lr = [0.5, 2.0]
        epochs = [10, 40]
    """,
    "many": """
        name = "many"
        [defaults]
        seeds = 3
        [grid]
        hidden = [[2], [3]]
        activation = ["sigmoid", "tanh", "relu", "leaky_relu(0.01)", "elu(1)", "gelu",
                      "softplus", "sin", "linear"]
        init = ["xavier", "he", "lecun", "uniform(-1,1)", "uniform(0,1)"]
        lr = [0.5, 2.0]
        epochs = [10, 40]
    """,
    "parity": """
        name = "parity-small"
        [defaults]
        seeds = 4
        lr = 2.0
        [grid]
        task = ["xor", "parity(3)"]
        hidden = [[2], [3]]
        activation = ["sigmoid", "tanh"]
        epochs = [30, 100]
        [plots]
        hue = "activation"
        col = "task"
    """,
}


def make_sweep(root: Path, kind: str, batch_size: int | None = None) -> Path:
    """Run one of :data:`GRIDS` into ``root/kind`` (serially) and return the folder."""
    text = "\n".join(line.strip() for line in GRIDS[kind].strip().splitlines())
    out = root / kind
    run_sweep(loads_grid(text, f"{kind}.toml"), out=out, jobs=1, backend="threading",
              batch_size=batch_size)
    return out


def make_partial(root: Path, kind: str = "one_axis") -> Path:
    """A sweep cut short: one of :data:`GRIDS` in small batches, half its shards removed.

    The manifest says "interrupted", as after Ctrl-C, and the tables are gone.
    """
    folder = make_sweep(root, kind, batch_size=4)
    runs_parts = sorted((folder / "shards").glob("runs-*.parquet"))
    assert len(runs_parts) > 1
    for path in runs_parts[: len(runs_parts) // 2]:
        path.unlink()
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["status"] = "interrupted"
    manifest_path.write_text(json.dumps(manifest))
    for name in ("runs.csv", "summary.csv", "curves.csv"):
        (folder / name).unlink(missing_ok=True)
    return folder
