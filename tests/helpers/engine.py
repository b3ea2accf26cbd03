"""What the engine's tests share: training a configuration, comparing two networks' bits."""

from __future__ import annotations

import itertools

import numpy as np

from xorbench.config import Member, Setup, config_problems
from xorbench.config.activations import OUTPUTS
from xorbench.config.losses import LOSSES
from xorbench.engine import train_batch

# Every per-network array a BatchResult records.
RECORDED = ("solved", "epoch_solved", "final_loss", "accuracy", "grad_norm", "failure",
            "diverged", "outputs", "params", "curve_loss")


def train(cfg, seeds, budgets):
    return train_batch(Setup.of(cfg), [Member.of(cfg, s) for s in seeds], budgets)


def assert_same_network(a, i, b, j, context=""):
    """Network i of result a and network j of result b recorded the same bits."""
    for name in RECORDED:
        x, y = getattr(a, name)[..., i], getattr(b, name)[..., j]
        assert x.dtype == y.dtype, (context, name)
        assert x.shape == y.shape, (context, name)
        same = np.array_equal(x, y, equal_nan=x.dtype.kind == "f")
        assert same, f"{context}: {name} differs: {x!r} vs {y!r}"


def weight_rows(widths) -> np.ndarray:
    """Boolean mask over θ's rows: True for weights, False for biases."""
    mask = []
    for fan_in, fan_out in itertools.pairwise(widths):
        block = np.ones((fan_in + 1, fan_out), bool)
        block[-1] = False
        mask.append(block.ravel())
    return np.concatenate(mask)


def valid_output_losses():
    """Every (output, loss) pair the configuration accepts."""
    return [(o, l) for o in OUTPUTS for l in LOSSES
            if not config_problems({"output": o, "loss": l})]

