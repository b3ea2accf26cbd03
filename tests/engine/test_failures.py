"""Failure labels on constructed cases, and a little science: AND and OR are easy, XOR
needs a hidden layer."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tests.helpers.engine import (
    assert_same_network,
    train,
)
from xorbench.config import make_config
from xorbench.engine import Member, Setup, train_batch
from xorbench.engine import batch as engine_batch
from xorbench.schema import FAILURE_CODE, FAILURE_LABELS, learned_names

# ============================================================ 7. failure labels


def labels_of(result, b=-1):
    return [FAILURE_LABELS[c] for c in result.failure[b]]


def _no_warnings_train(cfg, seeds, budgets):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):  # whatever the caller's setting
            return train(cfg, seeds, budgets)


def test_zeros_init_is_symmetric():
    r = _no_warnings_train(make_config(init="zeros", hidden=[3]), range(10), [500])
    assert labels_of(r) == ["symmetric"] * 10
    assert not r.solved.any()
    # XOR from all-zero θ is a stationary point: every output stays exactly ½, which is on
    # neither side of ½, so no pattern counts as right
    assert (r.outputs == 0.5).all()
    assert (r.accuracy == 0).all()
    assert (r.grad_norm == 0).all()


@pytest.mark.parametrize(("activation", "output", "lr"), [
    ("sigmoid", "linear", 1e4),
    ("relu", "linear", 100.0),
    ("tanh", "linear", 1e4),
])
@pytest.mark.parametrize("batch", ["full", "online", "sampled(7)"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_divergence_is_contained(activation, output, lr, batch, dtype):
    cfg = make_config(activation=activation, output=output, lr=lr, batch=batch, dtype=dtype,
                      hidden=[3])
    calm = make_config(activation=activation, output=output, lr=0.05, batch=batch,
                       dtype=dtype, hidden=[3])
    setup = Setup.of(cfg)
    members = [Member.of(cfg, s) if s % 2 else Member.of(calm, s) for s in range(8)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            r = train_batch(setup, members, [300])
    wild = np.arange(8) % 2 == 1
    assert r.diverged[0, wild].all()
    assert not r.solved[0, wild].any()
    assert set(labels_of(r, 0)[1::2]) == {"diverged"}
    assert np.isnan(r.params[0][:, wild]).all(), "a diverged network is frozen at NaN"
    assert learned_names(r.outputs[0][:, wild]) == [""] * 4
    # the calm ones: finite, not diverged, bit-identical to training them alone
    assert not r.diverged[0, ~wild].any()
    for name in ("final_loss", "outputs", "params", "grad_norm", "curve_loss"):
        assert np.isfinite(getattr(r, name)[..., ~wild]).all(), name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alone = train_batch(setup, [members[0], members[2]], [300])
    assert_same_network(alone, 0, r, 0)
    assert_same_network(alone, 1, r, 2)


def test_a_diverged_network_is_frozen_at_once():
    """The first budget whose loss is non-finite already has every parameter NaN, and a
    diverged network stays diverged."""
    cfg = make_config(output="linear", hidden=[3], lr=1e4, task="and")
    r = _no_warnings_train(cfg, range(4), range(1, 200))
    bad_loss = ~np.isfinite(r.final_loss)
    assert bad_loss[-1].all() and not bad_loss[0].any()
    assert np.isnan(r.params[bad_loss.nonzero()[0], :, bad_loss.nonzero()[1]]).all()
    assert (np.diff(r.diverged.astype(int), axis=0) >= 0).all()
    assert np.array_equal(r.diverged, bad_loss)


def test_a_non_finite_parameter_is_diverged_even_with_a_finite_loss(monkeypatch):
    """2-2-1 on AND where hidden unit 1 has bias +inf: h1 = σ(∞) = 1 on every pattern, its
    gradient is 0, the loss stays finite and unit 2 alone solves AND. Still diverged."""
    # rows: [w11, w12], [w21, w22], [b1, b2], [v1], [v2], [c]
    good = np.array([1.0, 4.0, 1.0, 4.0, 50.0, -6.0, 1.0, 10.0, -6.0])
    bad = good.copy()
    bad[4] = np.inf
    monkeypatch.setattr(engine_batch, "initial_thetas",
                        lambda widths, members, activation=None:
                        np.stack([bad if m.seed else good for m in members], axis=1))
    cfg = make_config(task="and", hidden=[2], lr=0.1)
    r = _no_warnings_train(cfg, [0, 1], [1, 5])
    assert np.isfinite(r.final_loss).all()
    assert np.isfinite(r.outputs).all()
    assert r.solved[:, 0].all() and not r.diverged[:, 0].any()
    assert r.diverged[:, 1].all()
    assert not r.solved[:, 1].any()
    assert labels_of(r, 0) == labels_of(r, 1) == ["none", "diverged"]
    assert learned_names(r.outputs[1]) == ["AND", "AND"]


def test_relu_with_negative_biases_is_dead():
    cfg = make_config(activation="relu", bias_init="constant(-5)", hidden=[4])
    r = _no_warnings_train(cfg, range(10), [200])
    assert labels_of(r) == ["dead"] * 10
    # and the output is constant over the patterns
    assert np.ptp(r.outputs[0], axis=0).max() == 0


def test_huge_sigmoid_weights_are_saturated():
    cfg = make_config(activation="sigmoid", init="normal(50)", hidden=[2])
    r = _no_warnings_train(cfg, range(50), [300])
    assert labels_of(r).count("saturated") > 25


def test_tiny_lr_and_short_budget_is_slow():
    """DESIGN: slow = 'loss still falling at the end of the budget: more epochs would
    likely help'; stuck = 'gradient norm near zero and loss flat'. With lr 0.001 for 10
    epochs the loss falls at every epoch and the gradient is far from zero."""
    cfg = make_config(task="and", activation="sigmoid", hidden=[2], lr=0.001)
    r = _no_warnings_train(cfg, range(50), [10])
    # the construction: still falling at every logged epoch, gradient not small
    assert (np.diff(r.curve_loss, axis=0) < 0).all()
    assert (r.grad_norm[0] > 1e-2).all()
    assert not r.solved.any()
    assert labels_of(r).count("slow") > 25, labels_of(r)


def test_moderate_lr_and_short_budget_is_slow():
    cfg = make_config(task="and", activation="sigmoid", hidden=[2], lr=0.05, loss="sse")
    r = _no_warnings_train(cfg, range(50), [50])
    assert labels_of(r).count("slow") > 25


def test_single_layer_xor_is_stuck():
    cfg = make_config(task="xor", hidden=[], lr=0.5)
    r = _no_warnings_train(cfg, range(20), [2000])
    assert labels_of(r) == ["stuck"] * 20
    assert (r.grad_norm[0] < 1e-6).all()  # a real plateau: nothing left to follow


def test_xor_local_minimum_is_stuck():
    """2-2-1 sigmoid runs that stop unsolved with a flat loss are stuck, not slow."""
    cfg = make_config(task="xor", hidden=[2], lr=0.5)
    r = _no_warnings_train(cfg, range(200), [5000])
    labels = np.array(labels_of(r))
    stuck = labels == "stuck"
    assert stuck.any()
    assert (r.final_loss[0][stuck] >= 0.1).all()
    assert (r.grad_norm[0][stuck] < 0.01).all()
    assert set(labels[~r.solved[0]]) <= {"stuck", "slow"}


def test_solved_runs_are_none():
    r = _no_warnings_train(make_config(task="or", lr=1.0), range(10), [1000])
    assert r.solved.all()
    assert labels_of(r) == ["none"] * 10
    assert FAILURE_CODE["none"] == 0


# ============================================================ 8. science sanity


@pytest.mark.parametrize("task", ["and", "or"])
def test_and_or_are_easy(task):
    cfg = make_config(task=task, hidden=[2], activation="sigmoid", init="xavier", lr=1.0,
                      batch="full", loss="mse")
    r = train(cfg, range(200), [2000])
    assert r.solved[0].mean() >= 0.99
    assert set(learned_names(r.outputs[0][:, r.solved[0]])) == {task.upper()}


def test_xor_with_eight_tanh_units_is_reliable():
    cfg = make_config(task="xor", hidden=[8], activation="tanh", init="xavier", lr=0.5)
    r = train(cfg, range(200), [2000])
    assert r.solved[0].mean() >= 0.95
    assert set(learned_names(r.outputs[0][:, r.solved[0]])) == {"XOR"}
    assert (r.accuracy[0][r.solved[0]] == 1).all()


def test_xor_without_hidden_layer_is_impossible():
    cfg = make_config(task="xor", hidden=[], init="xavier", lr=0.5)
    r = train(cfg, range(200), [100, 2000])
    assert not r.solved.any()
    assert (r.epoch_solved == -1).all()
    assert "XOR" not in set(learned_names(r.outputs[0])) | set(learned_names(r.outputs[1]))
    assert (r.accuracy <= 0.75).all()


