"""The plain NumPy loop (engine/plain.py, backprop.py): correct training agrees with the
compiled engine and the one-network reference; every bug shows its signature on a
constructed one-step case, checked against a scalar transcription of a learner's loop."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tests.engine.test_reference import reference_run
from xorbench.config import Member, Setup, make_config
from xorbench.config.bugs import TRAINING_BUGS
from xorbench.engine.batch import BatchState, train_batch
from xorbench.engine.layout import n_params
from xorbench.engine.plain import PlainLoop, train_plain

BUGS = [bug.name for bug in TRAINING_BUGS if bug.name != "none"]

# ------------------------------------------------------------- bug = none: correct


@pytest.mark.parametrize("batch", ["full", "online", "sampled(7)", "cyclic"])
@pytest.mark.parametrize("loss", ["mse", "sse", "bce"])
def test_none_matches_the_kernel_and_the_reference_run_by_run(batch, loss):
    cfg = make_config(task="xor", hidden=[3, 2], activation="tanh", loss=loss, init="xavier",
                      bias_init="uniform(-0.5,0.5)", batch=batch, lr=0.3)
    seeds = [0, 1, 2]
    members = [Member.of(cfg, s) for s in seeds]
    plain = train_plain(Setup.of(cfg), members, [20, 40])
    kernel = train_batch(Setup.of(cfg), members, [20, 40])
    np.testing.assert_allclose(plain.params, kernel.params, rtol=0, atol=1e-10)
    np.testing.assert_allclose(plain.outputs, kernel.outputs, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(plain.solved, kernel.solved)
    np.testing.assert_array_equal(plain.failure, kernel.failure)
    for k, seed in enumerate(seeds):
        net, _task, _ = reference_run(cfg, seed, 40)
        np.testing.assert_allclose(plain.params[1][:, k], net.flat(), rtol=0, atol=1e-10)
        assert np.abs(plain.params[1][:, k] - plain.params[0][:, k]).max() > 1e-3  # it moved


def _z(a: int, b: int, n: int) -> float:
    """Two-proportion z statistic of a/n against b/n (pooled)."""
    p = (a + b) / (2 * n)
    se = math.sqrt(max(p * (1 - p) * 2 / n, 1e-12))
    return (a / n - b / n) / se


def test_none_gives_the_kernels_rate_on_the_question_setup():
    cfg = make_config(hidden=[2], init="uniform(0,1)", bias_init="uniform(0,1)", lr=1,
                      batch="sampled(1000)")
    n = 200
    members = [Member.of(cfg, s) for s in range(n)]
    plain = train_plain(Setup.of(cfg), members, [10])
    kernel = train_batch(Setup.of(cfg), members, [10])
    a, b = int(plain.solved.sum()), int(kernel.solved.sum())
    assert 0.6 * n < b < 0.95 * n  # the question's 2-2-1: about three quarters solve
    assert abs(_z(a, b, n)) < 3


# ------------------------------------------------------------- one step, by hand


def _sig(z):
    return 1.0 / (1.0 + math.exp(-z))


def learners_step(Ws, bs, x, t, lr, bug):
    """One per-pattern update of a sigmoid network, E = ½(y − t)², written the way a
    learner writes it: W[l][j][k] into unit j from unit k, loops over units.

    The bugs, each one line away from the correct loop."""
    Ws = [[list(row) for row in W] for W in Ws]
    bs = [list(b) for b in bs]
    a = [list(x)]
    for W, b in zip(Ws, bs, strict=True):
        a.append([_sig(sum(W[j][k] * a[-1][k] for k in range(len(a[-1]))) + b[j])
                  for j in range(len(W))])

    def ds(y):  # σ′ from the unit's output
        return _sig(y) * (1 - _sig(y)) if bug == "derivative-of-activation" else y * (1 - y)

    L = len(Ws)
    err = {L: [a[L][0] - t]}  # ∂E/∂a of each layer's units
    for l in range(L, 0, -1):  # Ws[l - 1]: from layer l − 1 into layer l
        W, b, hidden = Ws[l - 1], bs[l - 1], l < L
        sign = -1.0 if bug == "sign-flip-hidden" and hidden else 1.0
        if bug == "hidden-delta-index" and hidden:
            above, units = Ws[l], len(W)
            err[l] = []
            for j in range(units):
                e = 0.0
                for k in range(len(a[l - 1])):
                    # the posted index: the above layer's weights of unit k, not of unit j
                    e += sum(above[jj][k] * ds(a[l + 1][jj]) * err[l + 1][jj]
                             for jj in range(len(above)))
                    W[j][k] -= lr * e * ds(a[l][j]) * a[l - 1][k]  # the partial sum so far
                b[j] -= lr * e * ds(a[l][j])
                err[l].append(e)
            continue
        delta = [err[l][j] * ds(a[l][j]) for j in range(len(W))]

        def backward(W=W, delta=delta, l=l):
            return [sum(W[j][i] * delta[j] for j in range(len(W))) for i in range(len(a[l - 1]))]

        if l > 1 and bug != "update-before-backprop":
            err[l - 1] = backward()
        for j in range(len(W)):
            for k in range(len(a[l - 1])):
                W[j][k] -= sign * lr * delta[j] * a[l - 1][k]
            if bug != "no-bias-update":
                b[j] -= sign * lr * delta[j]
        if l > 1 and bug == "update-before-backprop":
            err[l - 1] = backward()  # through the weights just moved
    return Ws, bs


def _theta(Ws, bs) -> np.ndarray:
    """θ in the engine's layout (per layer: the rows of [Wᵀ; b], C order)."""
    parts = [np.vstack([np.array(W).T, np.array(b)[None, :]]).ravel()
             for W, b in zip(Ws, bs, strict=True)]
    return np.concatenate(parts)


START = {  # a 2-3-3-1 network with distinct weights everywhere (W[j][k]: into j from k)
    "Ws": [[[0.3, -0.7], [0.8, 0.2], [-0.4, 0.6]],
           [[0.5, -0.3, 0.9], [-0.6, 0.4, 0.1], [0.2, 0.7, -0.8]],
           [[1.1, -0.9, 0.6]]],
    "bs": [[0.1, -0.2, 0.3], [-0.1, 0.2, 0.05], [0.15]],
}


def _one_step_by_the_plain_loop(bug, Ws, bs, x, t, lr):
    widths = (len(Ws[0][0]), *(len(W) for W in Ws))
    cfg = make_config(hidden=list(widths[1:-1]), loss="sse", batch="online", lr=lr, bug=bug)
    setup = Setup.of(cfg)
    state = BatchState.start(setup, [Member.of(cfg, 0)], (1,))
    state.theta[:, 0] = _theta(Ws, bs)
    loop = PlainLoop.of(setup, state)
    loop.update(np.array(x, float)[None, :, None], np.array([[t]], float))
    assert state.theta.shape[0] == n_params(widths)
    return state.theta[:, 0].copy()


@pytest.mark.parametrize("bug", ["none", *BUGS])
def test_one_update_equals_the_learners_loop(bug):
    x, t, lr = (1.0, 1.0), 0.0, 0.7
    got = _one_step_by_the_plain_loop(bug, START["Ws"], START["bs"], x, t, lr)
    want = _theta(*learners_step(START["Ws"], START["bs"], x, t, lr, bug))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-13)
    if bug != "none":  # the bug changes the step: the comparison can tell them apart
        correct = _theta(*learners_step(START["Ws"], START["bs"], x, t, lr, "none"))
        assert np.abs(want - correct).max() > 1e-4


def _layers(theta, widths=(2, 3, 3, 1)):
    """[(W (fan_in, fan_out), b)] from θ."""
    out, start = [], 0
    for fan_in, fan_out in itertools.pairwise(widths):
        block = theta[start : start + (fan_in + 1) * fan_out].reshape(fan_in + 1, fan_out)
        out.append((block[:-1], block[-1]))
        start += (fan_in + 1) * fan_out
    return out


def _steps(bug):
    x, t, lr = (1.0, 1.0), 0.0, 0.7
    before = _layers(_theta(START["Ws"], START["bs"]))
    correct = _layers(_one_step_by_the_plain_loop("none", START["Ws"], START["bs"], x, t, lr))
    buggy = _layers(_one_step_by_the_plain_loop(bug, START["Ws"], START["bs"], x, t, lr))
    return before, correct, buggy


def test_signature_no_bias_update():
    before, correct, buggy = _steps("no-bias-update")
    for (_W0, b0), (Wc, _), (Wb, bb) in zip(before, correct, buggy, strict=True):
        np.testing.assert_array_equal(bb, b0)  # no bias moved
        np.testing.assert_allclose(Wb, Wc, rtol=0, atol=1e-15)  # the weights as correct


def test_signature_sign_flip_hidden():
    before, correct, buggy = _steps("sign-flip-hidden")
    for l, ((W0, b0), (Wc, bc), (Wb, bb)) in enumerate(zip(before, correct, buggy,
                                                          strict=True)):
        sign = 1 if l == len(before) - 1 else -1  # hidden layers step up the gradient
        np.testing.assert_allclose(Wb - W0, sign * (Wc - W0), rtol=0, atol=1e-15)
        np.testing.assert_allclose(bb - b0, sign * (bc - b0), rtol=0, atol=1e-15)


def test_signature_update_before_backprop():
    _before, correct, buggy = _steps("update-before-backprop")
    np.testing.assert_allclose(buggy[-1][0], correct[-1][0], rtol=0, atol=1e-15)  # output same
    assert np.abs(buggy[0][0] - correct[0][0]).max() > 1e-6  # the error came through moved W


def test_signature_hidden_delta_index():
    before, _, buggy = _steps("hidden-delta-index")
    # every unit of a hidden layer gets one error (the full sum over the wrong index), so
    # their biases move by the same amount divided by the unit's own σ′
    for l in (0, 1):
        moved = buggy[l][1] - before[l][1]
        assert np.abs(moved).min() > 1e-6
    # the first weight of each unit moves with the first partial sum, the last with the whole
    (W0, _), (Wb, _) = before[1], buggy[1]
    ratio = (Wb - W0)[0] / (Wb - W0)[-1]  # k = 0 against k = 2, per unit j
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)  # the same for every unit j


def test_signature_derivative_of_activation():
    # with y = σ(z), the bug's slope σ(y)(1 − σ(y)) is at most 0.235 and never y(1 − y)
    before, correct, buggy = _steps("derivative-of-activation")
    out_c, out_b = correct[-1][1] - before[-1][1], buggy[-1][1] - before[-1][1]
    assert np.sign(out_c) == np.sign(out_b) and abs(out_b[0]) != pytest.approx(abs(out_c[0]))


def test_hidden_delta_index_refused_where_a_hidden_layer_is_narrower():
    from xorbench.errors import ChoiceError

    with pytest.raises(ChoiceError, match="narrower than the layer below"):
        make_config(hidden=[3, 2], bug="hidden-delta-index")
    with pytest.raises(ChoiceError, match="narrower"):
        make_config(hidden=[1], bug="hidden-delta-index")
    make_config(hidden=[2], bug="hidden-delta-index")
    make_config(hidden=[3, 3], bug="hidden-delta-index")


def test_a_bug_without_a_hidden_layer_trains_correctly_where_it_touches_only_hidden_layers():
    for bug in ("hidden-delta-index", "update-before-backprop", "sign-flip-hidden"):
        cfg = make_config(hidden=[], init="uniform(0,1)", batch="online", lr=0.5, bug=bug)
        none = make_config(hidden=[], init="uniform(0,1)", batch="online", lr=0.5)
        a = train_plain(Setup.of(cfg), [Member.of(cfg, 3)], [30])
        b = train_plain(Setup.of(none), [Member.of(none, 3)], [30])
        np.testing.assert_array_equal(a.params, b.params)


def test_a_bug_is_trained_by_the_plain_loop_only():
    cfg = make_config(hidden=[2], bug="no-bias-update")
    with pytest.raises(ValueError, match="plain"):
        train_batch(Setup.of(cfg), [Member.of(cfg, 0)], [5])


def test_legacy_params_are_np_random_rand_after_np_random_seed_in_the_posted_order():
    from xorbench.engine.streams import legacy_params

    state = np.random.get_state()
    try:
        np.random.seed(7)
        b1, W1 = np.random.rand(3), np.random.rand(3, 2)  # W[j][k]: into unit j from k
        b2, W2 = np.random.rand(1), np.random.rand(1, 3)
    finally:
        np.random.set_state(state)
    theta = legacy_params((2, 3, 1), 7)
    np.testing.assert_array_equal(theta, _theta([W1.tolist(), W2.tolist()],
                                                [b1.tolist(), b2.tolist()]))
    # a learner's own θ through the plain loop: the same first step as the learner's loop
    cfg = make_config(hidden=[3], loss="sse", batch="online", lr=0.5, bug="hidden-delta-index")
    trained = train_plain(Setup.of(cfg), [Member.of(cfg, 0)], [1], theta=theta[:, None])
    assert np.abs(trained.params[0][:, 0] - theta).max() > 1e-4
