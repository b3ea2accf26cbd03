"""Engine results turned into tidy rows (:mod:`xorbench.schema`'s columns and dtypes).

One row per run × epoch budget. Nothing time-dependent goes into a row, so equal
sweeps write equal bytes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from xorbench.config import RunConfig
from xorbench.engine import BatchResult
from xorbench.schema import AXIS_COLUMNS, FAILURE_LABELS, RUN_DTYPES, learned_names


@lru_cache(maxsize=65536)
def config_row(config: RunConfig) -> dict[str, object]:
    """The configuration's CSV values: its axis labels, ``arch`` and ``config_id``."""
    return {**config.labels(), "arch": config.arch, "config_id": config.config_id}


def _member_configs(result: BatchResult) -> tuple[np.ndarray, list[dict[str, object]]]:
    """Each network's configuration as an index into a list of config rows.

    The networks of a batch share few configurations (many seeds each), so each
    configuration's row is built once; members are matched by (lr, init, bias
    init) objects, which Member.of takes from one RunConfig for all its seeds.
    """
    index: dict[tuple, int] = {}
    rows: list[dict[str, object]] = []
    codes = np.empty(len(result.members), np.int64)
    for i, m in enumerate(result.members):
        key = (m.lr, id(m.init), id(m.bias_init))
        code = index.get(key)
        if code is None:
            code = index[key] = len(rows)
            rows.append(config_row(m.config(result.setup)))
        codes[i] = code
    return codes, rows


def _member_ids(result: BatchResult) -> np.ndarray:
    """Each network's config_id, as an object array."""
    codes, rows = _member_configs(result)
    return np.array([r["config_id"] for r in rows], object)[codes]


def _seeds(members) -> np.ndarray:
    return np.fromiter((m.seed for m in members), np.int64, len(members))


def runs_frame(result: BatchResult, sweep: str) -> pd.DataFrame:
    """One row per (network, budget) of a trained batch, in runs.csv column order.

    Rows are ordered by network then budget, so the order follows the members.
    """
    setup, members = result.setup, result.members
    n_nets, n_budgets = len(members), len(result.budgets)
    net = np.repeat(np.arange(n_nets), n_budgets)  # row → network
    bud = np.tile(np.arange(n_budgets), n_nets)  # row → budget index
    columns: dict[str, object] = {"sweep": sweep}
    codes, rows = _member_configs(result)
    row_config = codes[net]  # row → its configuration's entry in rows
    columns["config_id"] = np.array([r["config_id"] for r in rows], object)[row_config]
    for col in AXIS_COLUMNS:
        columns[col] = np.array([r[col] for r in rows], object)[row_config]
    columns["epochs"] = np.asarray(result.budgets, np.int64)[bud]
    columns["seed"] = _seeds(members)[net]
    columns["solved"] = result.solved[bud, net]
    epoch_solved = result.epoch_solved[bud, net]
    columns["epoch_solved"] = pd.array(np.where(epoch_solved >= 0, epoch_solved, 0),
                                       dtype="Int64")
    columns["epoch_solved"][epoch_solved < 0] = pd.NA
    columns["final_loss"] = result.final_loss[bud, net].astype(np.float64)
    columns["accuracy"] = result.accuracy[bud, net]
    columns["failure"] = np.asarray(FAILURE_LABELS, object)[result.failure[bud, net]]
    # from the outputs as recorded (float64), as tables rebuilt from them say it
    learned = np.array([learned_names(result.outputs[b].astype(np.float64), result.solved[b])
                        for b in range(n_budgets)], object)
    learned[result.diverged] = ""  # a diverged network computes nothing, whatever it output
    columns["learned"] = learned[bud, net]
    columns["grad_norm"] = result.grad_norm[bud, net].astype(np.float64)
    for p, name in enumerate(result.pattern_names):
        columns[f"y_{name}"] = result.outputs[bud, p, net].astype(np.float64)
    columns["dtype"] = setup.dtype.label
    columns["bug"] = setup.bug.label
    frame = pd.DataFrame(columns)
    return frame.astype({k: v for k, v in RUN_DTYPES.items() if k in frame.columns})


def curves_frame(result: BatchResult) -> pd.DataFrame:
    """Each network's loss at the log-spaced epochs (long form: config_id, seed, epoch, loss)."""
    ids = _member_ids(result)
    seeds = _seeds(result.members)
    n_epochs = len(result.curve_epochs)
    return pd.DataFrame({
        "config_id": np.tile(ids, n_epochs),
        "seed": np.tile(seeds, n_epochs),
        "epoch": np.repeat(np.asarray(result.curve_epochs, np.int64), len(ids)),
        "loss": result.curve_loss.astype(np.float64).ravel(),
    })


def params_frame(result: BatchResult) -> pd.DataFrame:
    """Each run's final parameters θ (engine layout) as columns p0 … p{D−1}.

    One row per (network, budget), keyed by config_id, seed and epochs; enough to
    rebuild the network, e.g. to draw its decision boundary.
    """
    ids = _member_ids(result)
    n_nets, n_budgets = len(ids), len(result.budgets)
    net = np.repeat(np.arange(n_nets), n_budgets)
    bud = np.tile(np.arange(n_budgets), n_nets)
    frame = pd.DataFrame({
        "config_id": ids[net],
        "seed": _seeds(result.members)[net],
        "epochs": np.asarray(result.budgets, np.int64)[bud],
    })
    theta = result.params[bud, :, net].astype(np.float64)  # (rows, D)
    names = [f"p{i}" for i in range(theta.shape[1])]
    return pd.concat([frame, pd.DataFrame(theta, columns=names)], axis=1)
