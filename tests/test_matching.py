"""docs/matching-your-code.md, row by row: the keys each row names train what the row's code
trains.

The libraries are not dependencies of xorbench, so each row's code is transcribed here
in NumPy from the library's source as the page cites it (PyTorch's torch/optim/sgd.py,
adam.py, rprop.py and nn.MSELoss; Keras's optimizers/sgd.py and "mse"; scikit-learn's
_multilayer_perceptron.py backprop and _stochastic_optimizers.py; the textbook's loop),
for a 2-3-1 sigmoid network on XOR. The rows' keys are read from the page's tables,
so a wrong key there fails here.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import reference as ref
from xorbench.config import make_config, per_pattern_step
from xorbench.config.tasks import make_task
from xorbench.engine import Member, Setup, initial_params, train_batch

PAGE = Path(__file__).resolve().parents[1] / "docs" / "matching-your-code.md"
KEY = re.compile(r'`(\w+) = "([^"]+)"`')
SEEDS = (0, 1, 2)
HIDDEN = 3
TASK = make_task(make_config(task="xor").task)
X, T = TASK.inputs.astype(float), TASK.targets.astype(float)


def table(name: str) -> list[dict[str, str]]:
    """The rows of the page's table between <!-- matching:NAME --> markers, by header."""
    block = re.search(rf"<!-- matching:{name} -->\n(.*?)<!-- /matching:{name} -->",
                      PAGE.read_text(), re.S)
    assert block is not None, f"the page has no table {name!r}"
    lines = [line.strip().strip("|") for line in block[1].strip().splitlines()]
    header = [cell.strip() for cell in lines[0].split("|")]
    return [dict(zip(header, (cell.strip() for cell in line.split(" | ")), strict=True))
            for line in lines[2:]]


def keys_of(row: dict[str, str]) -> dict[str, str]:
    """The xorbench keys a row names, the first of each."""
    found: dict[str, str] = {}
    for cell in row.values():
        for key, value in KEY.findall(cell):
            found.setdefault(key, value)
    return found


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def gradients(params, loss, rows=slice(None)):
    """∂E/∂(W1, b1, W2, b2) of the 2-h-1 sigmoid network over ``rows``, as the libraries
    back-propagate: the output delta of their loss, then the chain rule."""
    W1, b1, W2, b2 = params
    x, t = X[rows].reshape(-1, 2), T[rows].reshape(-1, 1)
    n = x.shape[0]
    a1 = sigmoid(x @ W1 + b1)
    y = sigmoid(a1 @ W2 + b2)
    if loss == "mean squared":  # nn.MSELoss(), keras "mse": mean of (y − t)²
        d2 = 2 * (y - t) / n * y * (1 - y)
    elif loss == "log-loss":  # scikit-learn: deltas = y − t, gradients divided by n
        d2 = (y - t) / n
    else:  # the textbook's ½ (y − t)²
        d2 = (y - t) * y * (1 - y)
    d1 = (d2 @ W2.T) * a1 * (1 - a1)
    return [x.T @ d1, d1.sum(axis=0), a1.T @ d2, d2.sum(axis=0)]


# --- the optimizers, as each library's source updates one parameter array ----------------


def torch_sgd(momentum=0.0, nesterov=False):
    def update(p, g, state, lr):
        if momentum:  # buf ← g at first, then buf ← m·buf + g
            buf = state["buf"] = g.copy() if "buf" not in state else momentum * state["buf"] + g
            g = g + momentum * buf if nesterov else buf
        p -= lr * g
    return update


def torch_adam(beta1=0.9, beta2=0.999, eps=1e-8):
    def update(p, g, state, lr):
        state["t"] = state.get("t", 0) + 1
        m = state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
        v = state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
        bias1, bias2 = 1 - beta1 ** state["t"], 1 - beta2 ** state["t"]
        p -= lr / bias1 * m / (np.sqrt(v) / math.sqrt(bias2) + eps)
    return update


def torch_rprop(etas=(0.5, 1.2), step_sizes=(1e-6, 50)):
    def update(p, g, state, lr):
        prev = state.setdefault("prev", np.zeros_like(p))
        size = state.setdefault("step_size", np.full_like(p, lr))
        sign = np.sign(g * prev)
        factor = np.where(sign > 0, etas[1], np.where(sign < 0, etas[0], 1.0))
        size[:] = np.clip(size * factor, *step_sizes)
        g = np.where(sign < 0, 0.0, g)
        p -= np.sign(g) * size
        prev[:] = g
    return update


def keras_sgd(momentum=0.0, nesterov=False):
    def update(p, g, state, lr):
        if not momentum:
            p -= g * lr
            return
        m = state["m"] = state.get("m", 0.0) * momentum - g * lr
        p += m * momentum - g * lr if nesterov else m
    return update


def sklearn_sgd(momentum=0.9, nesterov=True):
    def update(p, g, state, lr):
        velocity = state["v"] = momentum * state.get("v", 0.0) - lr * g
        p += momentum * velocity - lr * g if nesterov else velocity
    return update


def textbook_momentum(alpha=0.9):
    def update(p, g, state, lr):
        step = state["step"] = -lr * g + alpha * state.get("step", 0.0)
        p += step
    return update


def train_full_batch(layers, update, loss, lr, epochs):
    """Full-batch training of copies of ``layers`` with a library's update."""
    params = [a.copy() for W, b in layers for a in (W, b)]
    states = [{} for _ in params]
    for _ in range(epochs):
        for p, g, state in zip(params, gradients(params, loss), states, strict=True):
            update(p, g, state, lr)
    return params


def textbook_loop(layers, lr, epochs, momentum=0.0):
    """for epoch: for x, t in zip(X, T): forward, δ = (y − t) f′, w −= η δ x."""
    W1, b1, W2, b2 = (a.copy() for W, b in layers for a in (W, b))
    for _ in range(epochs):
        for p in range(len(T)):
            a1 = sigmoid(X[p] @ W1 + b1)
            y = sigmoid(a1 @ W2 + b2)
            d2 = (y - T[p]) * y * (1 - y)
            d1 = (W2 @ d2) * a1 * (1 - a1)
            W2 -= lr * np.outer(a1, d2)
            b2 -= lr * d2
            W1 -= lr * np.outer(X[p], d1)
            b1 -= lr * d1
    return [W1, b1, W2, b2]


def flat(params):
    """θ in xorbench's layout: per layer the rows of [W; b]."""
    W1, b1, W2, b2 = params
    return np.concatenate([np.vstack([W1, b1]).ravel(), np.vstack([W2, b2]).ravel()])


def assert_xorbench_trains(cfg, seeds, epochs, their_training, atol=1e-9):
    """xorbench's θ after ``epochs`` equals ``their_training(layers)`` from the same start."""
    result = train_batch(Setup.of(cfg), [Member.of(cfg, s) for s in seeds], [epochs])
    for k, seed in enumerate(seeds):
        start = initial_params((2, HIDDEN, 1), cfg.init, cfg.bias_init, seed, cfg.activation)
        theirs = flat(their_training(ref.unflatten(start, (2, HIDDEN, 1))))
        assert np.abs(theirs - start).max() > 1e-3  # it moved
        np.testing.assert_allclose(result.params[0][:, k], theirs, rtol=0, atol=atol,
                                   err_msg=f"seed {seed}")


# --- the defaults table ------------------------------------------------------------------

# A row's framework → how its code draws the start, and how it trains (lr η, E epochs).
DEFAULTS = {
    "PyTorch": (ref.framework_weights("torch"), ref.framework_biases("torch"),
                lambda layers, lr, e: train_full_batch(layers, torch_sgd(), "mean squared",
                                                       lr, e)),
    "Keras": (ref.framework_weights("keras"), ref.framework_biases("keras"),
              lambda layers, lr, e: train_full_batch(layers, keras_sgd(), "mean squared",
                                                     lr, e)),
    "scikit-learn": (ref.framework_weights("sklearn", "sigmoid"),
                     ref.framework_biases("sklearn", "sigmoid"),
                     lambda layers, lr, e: train_full_batch(layers, sklearn_sgd(), "log-loss",
                                                            lr, e)),
    "the textbook loop": (lambda rng, fan_in, fan_out: rng.random((fan_in, fan_out)),
                          lambda rng, fan_in, fan_out: rng.random(fan_out),
                          textbook_loop),
}


def _framework(row: dict[str, str]) -> str:
    return re.match(r"\*\*(.+?)\*\*", row["your code"])[1]


def test_the_defaults_table_has_a_row_per_framework():
    assert [_framework(row) for row in table("defaults")] == list(DEFAULTS)
    for row in table("defaults"):
        assert set(keys_of(row)) == {"init", "bias_init", "loss", "batch", "optimizer"}


@pytest.mark.parametrize("row", table("defaults"), ids=_framework)
def test_a_frameworks_keys_train_what_its_code_trains(row):
    """The row's init and bias init draw the library's formula, per layer, from the seed's
    init stream; its loss, batch and optimizer keys then train the library's steps."""
    weights, biases, their_training = DEFAULTS[_framework(row)]
    cfg = make_config(task="xor", hidden=[HIDDEN], activation="sigmoid", lr=0.5, **keys_of(row))
    for seed in SEEDS:
        theirs = ref.initial_layers((2, HIDDEN, 1), seed, weights, biases)
        mine = initial_params((2, HIDDEN, 1), cfg.init, cfg.bias_init, seed, cfg.activation)
        np.testing.assert_allclose(mine, flat([a for W, b in theirs for a in (W, b)]),
                                   rtol=1e-15, atol=0)
    assert_xorbench_trains(cfg, SEEDS, 60, lambda layers: their_training(layers, 0.5, 60))


# --- the optimizer conventions table -------------------------------------------------------

M = 0.9  # the m and α of the table
CONVENTIONS = {
    "PyTorch `SGD(lr=η, momentum=m)`": (torch_sgd(M), 0.5),
    "PyTorch `SGD(lr=η, momentum=m, nesterov=True)`": (torch_sgd(M, nesterov=True), 0.5),
    "PyTorch `Adam(lr=η)`": (torch_adam(), 0.05),
    "PyTorch `Rprop(lr=η)`": (torch_rprop(), 0.05),
    "Keras `SGD(learning_rate=η, momentum=m)`": (keras_sgd(M), 0.5),
    "Keras `SGD(learning_rate=η, momentum=m, nesterov=True)`": (keras_sgd(M, True), 0.5),
    'scikit-learn `solver="sgd", momentum=m`': (sklearn_sgd(M), 0.5),
    "the textbook momentum term": (textbook_momentum(M), 0.5),
}


def test_the_conventions_table_has_the_transcribed_rows():
    assert [row["your optimizer"] for row in table("optimizers")] == list(CONVENTIONS)


@pytest.mark.parametrize("row", table("optimizers"), ids=lambda row: row["your optimizer"])
def test_an_optimizer_convention_gives_the_librarys_trajectory(row):
    update, lr = CONVENTIONS[row["your optimizer"]]
    key = keys_of(row)["optimizer"].replace("(m)", f"({M})").replace("(α)", f"({M})")
    cfg = make_config(task="xor", hidden=[HIDDEN], activation="sigmoid", init="xavier",
                      bias_init="uniform(-0.5,0.5)", loss="mse", batch="full", lr=lr,
                      optimizer=key)
    epochs = 25 if "Rprop" in row["your optimizer"] else 60
    assert_xorbench_trains(cfg, SEEDS, epochs, lambda layers: train_full_batch(
        layers, update, "mean squared", lr, epochs))


# --- the per-pattern step table ------------------------------------------------------------


def _ratio(cell: str, n_patterns: int) -> float:
    return float(n_patterns) if cell == "P" else float(cell)


def test_the_step_table_names_every_loss():
    assert {row["loss"].strip("`") for row in table("steps")} == {"mse", "bce", "sse"}


@pytest.mark.parametrize("row", table("steps"), ids=lambda row: row["loss"])
def test_a_patterns_step_is_the_tables_ratio_of_its_full_batch_share(row):
    """xorbench's ratio is the table's for online, sampled and cyclic (1 for full batch), and
    cyclic training takes steps of that ratio × the share the table writes down."""
    loss = row["loss"].strip("`")
    ratio = _ratio(row["ratio"], len(T))
    for batch in ("online", "sampled(3)", "cyclic"):
        cfg = make_config(loss=loss, batch=batch)
        assert per_pattern_step(cfg.loss, cfg.batch, len(T)) == ratio
    assert per_pattern_step(cfg.loss, make_config(batch="full").batch, len(T)) == 1
    share = {"mse": "mean squared", "bce": "log-loss", "sse": "half squared"}[loss]

    def shares_times_ratio(layers, lr=0.5, epochs=30):
        # the table's share: the full-batch gradient's term of pattern p (mean losses
        # divide by P), × the ratio, one pattern at a time in order
        params = [a.copy() for W, b in layers for a in (W, b)]
        scale = 1 / len(T) if loss in ("mse", "bce") else 1.0
        for _ in range(epochs):
            for p in range(len(T)):
                for a, g in zip(params, gradients(params, share, [p]), strict=True):
                    a -= ratio * lr * scale * g
        return params

    cfg = make_config(task="xor", hidden=[HIDDEN], activation="sigmoid", init="xavier",
                      bias_init="uniform(-0.5,0.5)", loss=loss, batch="cyclic", lr=0.5)
    assert_xorbench_trains(cfg, SEEDS, 30, shares_times_ratio)
