"""Optimizers (the kernel's update): hand-worked updates, the textbook rule per network,
column independence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import reference as ref
from xorbench.config import make_config
from xorbench.config.optimizers import OPTIMIZERS
from xorbench.engine import Setup, kernel, kernel_args

VARIANTS = [*OPTIMIZERS, "momentum(0.5)", "nesterov(0.3)", "adam(0.8,0.99)"]


def make(text):
    choice = OPTIMIZERS.parse(text)
    return choice, OPTIMIZERS.impl(choice)(*choice.args)


def run(text, theta, grads, lr, with_state=False, errors=None):
    """Apply the kernel's update (:func:`xorbench.engine.kernel.step`) to θ (D, N ≤ LANES) for
    each gradient ∇E in ``grads``, with learning rates ``lr`` (N,); for iRprop+, each
    update's error E(t) (N,) from ``errors`` is noted first, as the training loop does."""
    D, N = theta.shape
    dtype = theta.dtype
    setup = Setup.of(make_config(optimizer=text, dtype=np.dtype(dtype).name))
    c = kernel_args.constants(setup, 4, dtype)
    code = kernel_args.codes(setup)[kernel.OPTIMIZER]
    th = np.zeros((D, kernel.LANES), dtype)
    th[:, :N] = theta
    rates = np.zeros(kernel.LANES, dtype)
    rates[:N] = lr
    state = kernel_args.initial_state(setup, th, rates)
    grad = np.zeros_like(th)
    error = np.zeros(kernel.LANES, dtype)
    for t, g in enumerate(grads, start=1):
        grad[:, :N] = g
        if code == kernel.IRPROP_PLUS:
            error[:N] = errors[t - 1]
            kernel.note_error(state, D, error, c)
        kernel.step(code, th, grad, state, rates, t, c)
    return (th[:, :N], state[:, :D, :N]) if with_state else th[:, :N]


def scalar_run(text, theta0, gs, lr, errors=None):
    """The same on one scalar parameter, trajectory of θ."""
    errors = None if errors is None else [np.array([e]) for e in errors]
    out = run(text, np.array([[theta0]]), [np.array([[g]]) for g in gs], [lr], errors=errors)
    return float(out[0, 0])


def test_sgd_by_hand():
    # θ = 1 − 0.1·2 = 0.8, then 0.8 − 0.1·(−1) = 0.9
    assert scalar_run("sgd", 1.0, [2.0, -1.0], 0.1) == pytest.approx(0.9, abs=1e-15)


def test_momentum_by_hand():
    # v1 = 1, θ1 = 0 − 0.1·1 = −0.1; v2 = 0.9·1 + 1 = 1.9, θ2 = −0.1 − 0.19 = −0.29
    assert scalar_run("momentum", 0.0, [1.0, 1.0], 0.1) == pytest.approx(-0.29, abs=1e-15)
    assert scalar_run("momentum(0.5)", 0.0, [1.0, 1.0], 0.1) == pytest.approx(-0.25, abs=1e-15)


def test_nesterov_by_hand():
    # v1 = 1, θ1 = −0.1·(1 + 0.9·1) = −0.19;
    # v2 = 0.9 + 1 = 1.9, θ2 = −0.19 − 0.1·(1 + 0.9·1.9) = −0.19 − 0.271 = −0.461
    assert scalar_run("nesterov", 0.0, [1.0], 0.1) == pytest.approx(-0.19, abs=1e-15)
    assert scalar_run("nesterov", 0.0, [1.0, 1.0], 0.1) == pytest.approx(-0.461, abs=1e-15)


def test_adam_by_hand():
    # t=1: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g²: θ −= η g / (|g| + ε) ≈ η sign(g)
    got = scalar_run("adam", 0.0, [4.0], 0.01)
    assert got == pytest.approx(-0.01 * 4 / (4 + 1e-8), abs=1e-17)
    # t=2 with g = 4 then −2:
    # m = 0.9·0.4 + 0.1·(−2) = 0.16,   m̂ = 0.16 / (1 − 0.81) = 0.842105…
    # v = 0.999·0.016 + 0.001·4 = 0.019984, v̂ = 0.019984 / (1 − 0.998001) = 9.997…
    m, v = 0.16, 0.019984
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    second = -0.01 * m_hat / (math.sqrt(v_hat) + 1e-8)
    assert scalar_run("adam", 0.0, [4.0, -2.0], 0.01) == pytest.approx(got + second, abs=1e-16)
    # ε matters when the gradient is tiny: g = 1e-8 gives half a step
    assert scalar_run("adam", 0.0, [1e-8], 1.0) == pytest.approx(-0.5, rel=1e-6)


def test_rprop_by_hand():
    lr = 0.1
    # signs + + − + : steps 0.1, 0.12, none (Δ halves to 0.06, g forgotten), 0.06
    trajectory = [scalar_run("rprop", 0.0, [1.0, 2.0, -3.0, 5.0][:k], lr) for k in range(1, 5)]
    np.testing.assert_allclose(trajectory, [-0.1, -0.22, -0.22, -0.28], atol=1e-15)
    # after a forgotten gradient, the next one neither grows nor shrinks: + − − −
    trajectory = [scalar_run("rprop", 0.0, [1.0, -1.0, -1.0, -1.0][:k], lr) for k in range(1, 5)]
    np.testing.assert_allclose(trajectory, [-0.1, -0.1, -0.05, 0.01], atol=1e-15)
    # a zero gradient: no step, and no change of Δ
    assert scalar_run("rprop", 0.0, [0.0, 1.0], lr) == pytest.approx(-0.1, abs=1e-15)
    # Δ is clamped to [1e-6, 50]
    up = scalar_run("rprop", 0.0, [1.0] * 40, 10.0)
    growth = [min(10.0 * 1.2**k, 50.0) for k in range(40)]
    assert up == pytest.approx(-sum(growth), rel=1e-12)
    alternating = [(-1.0) ** k for k in range(60)]
    _, state = run("rprop", np.zeros((1, 1)), [np.array([[g]]) for g in alternating], [1.0],
                   with_state=True)
    assert state[0, 0, 0] == 1e-6


def test_rprop_plus_by_hand():
    lr = 0.1
    # signs + + − + : steps −0.1, −0.12; then the sign changes: Δ halves to 0.06, the
    # last step (−0.12) is undone and g forgotten; then a step of Δ = 0.06
    trajectory = [scalar_run("rprop+", 0.0, [1.0, 2.0, -3.0, 5.0][:k], lr) for k in range(1, 5)]
    np.testing.assert_allclose(trajectory, [-0.1, -0.22, -0.1, -0.16], atol=1e-15)
    # + − − − : −0.1, undone (0), then −(−1)·0.05 = +0.05 twice with Δ 0.05, 0.06
    trajectory = [scalar_run("rprop+", 0.0, [1.0, -1.0, -1.0, -1.0][:k], lr) for k in range(1, 5)]
    np.testing.assert_allclose(trajectory, [-0.1, 0.0, 0.05, 0.11], atol=1e-15)
    # a step whose Δ grew to the cap is undone whole: + + + − with Δ 40 → 48 → 50
    assert scalar_run("rprop+", 0.0, [1.0, 1.0, 1.0, -1.0], 40.0) == pytest.approx(-88.0)
    # Δ after undoing is clamped to Δmin
    _, state = run("rprop+", np.zeros((1, 1)), [np.array([[g]]) for g in [1.0, -1.0]],
                   [1.5e-6], with_state=True)
    assert state[0, 0, 0] == 1e-6 and state[1, 0, 0] == 0


def test_irprop_plus_by_hand():
    lr = 0.1
    # + + − +, the error falling throughout: as iRprop− (the step over the minimum
    # stays; Δ halves; g forgotten), then a step of 0.06
    falling = [4.0, 3.0, 2.0, 1.0]
    trajectory = [scalar_run("irprop+", 0.0, [1.0, 2.0, -3.0, 5.0][:k], lr, falling)
                  for k in range(1, 5)]
    np.testing.assert_allclose(trajectory, [-0.1, -0.22, -0.22, -0.28], atol=1e-15)
    # the same gradients with the error rising at the sign change: the step is undone
    rising = [4.0, 3.0, 3.5, 1.0]
    trajectory = [scalar_run("irprop+", 0.0, [1.0, 2.0, -3.0, 5.0][:k], lr, rising)
                  for k in range(1, 5)]
    np.testing.assert_allclose(trajectory, [-0.1, -0.22, -0.1, -0.16], atol=1e-15)
    # an equal error is not a rise; a rise without a sign change undoes nothing
    assert scalar_run("irprop+", 0.0, [1.0, 2.0, -3.0], lr, [4.0, 3.0, 3.0]) == \
        pytest.approx(-0.22, abs=1e-15)
    assert scalar_run("irprop+", 0.0, [1.0, 2.0], lr, [1.0, 9.0]) == pytest.approx(-0.22)
    # the error compared is the one noted at the previous update, each network its own
    got = run("irprop+", np.zeros((1, 2)), [np.array([[g, g]]) for g in (1.0, 2.0, -3.0)],
              [lr, lr], errors=[np.array([4.0, 4.0]), np.array([3.0, 3.0]),
                                np.array([3.5, 2.5])])
    np.testing.assert_allclose(got[0], [-0.1, -0.22], atol=1e-15)


@pytest.mark.parametrize("text", VARIANTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_the_textbook_rule_per_network(text, dtype):
    """10 steps on θ (D, N) with a different learning rate per network, against the
    reference's textbook update applied to each network alone."""
    choice, _ = make(text)
    rng = np.random.default_rng(1)
    D, N = 7, 5
    theta = rng.normal(0, 1, (D, N)).astype(dtype)
    grads = [rng.normal(0, 1, (D, N)).astype(dtype) for _ in range(10)]
    # some exact zeros and repeated signs, for rprop's three branches
    grads[3][0] = 0
    grads[4][1] = np.abs(grads[3][1])
    grads[3][1] = np.abs(grads[3][1])
    lr = np.array([0.001, 0.01, 0.1, 0.5, 2.0])
    # iRprop+'s errors E(t): some rise, some fall, differently per network
    errors = [rng.uniform(0, 1, N).astype(dtype) for _ in grads]
    got = run(text, theta, grads, lr, errors=errors)
    assert got.dtype == dtype
    for s in range(N):
        opt = ref.Optimizer(choice.name, choice.args, float(lr[s]))
        p = theta[:, s].astype(np.float64)
        for g, e in zip(grads, errors, strict=True):
            opt.update([p], [g[:, s].astype(np.float64)], error=float(e[s]))
        tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=1e-4,
                                                                            atol=1e-5)
        np.testing.assert_allclose(got[:, s], p, **tol, err_msg=f"network {s}")


@pytest.mark.parametrize("text", VARIANTS)
def test_networks_do_not_mix(text):
    """Column s of a batched update is bit-identical to updating network s alone."""
    rng = np.random.default_rng(2)
    D, N = 6, 9
    theta = rng.normal(0, 1, (D, N))
    grads = [rng.normal(0, 1, (D, N)) for _ in range(8)]
    lr = rng.uniform(0.01, 1, N)
    errors = [rng.uniform(0, 1, N) for _ in grads]
    together = run(text, theta, grads, lr, errors=errors)
    for s in (0, 4, 8):
        alone = run(text, theta[:, [s]], [g[:, [s]] for g in grads], lr[[s]],
                    errors=[e[[s]] for e in errors])
        assert np.array_equal(together[:, [s]], alone)


RPROPS = ("rprop", "rprop+", "irprop+")


def test_only_the_rprops_are_full_batch_only():
    for name in OPTIMIZERS:
        choice = OPTIMIZERS.parse(name)
        assert OPTIMIZERS.impl(choice).full_batch_only == (name in RPROPS)
        assert OPTIMIZERS.impl(choice).first_step_is_lr == (name in RPROPS)
        assert OPTIMIZERS.impl(choice).uses_error == (name == "irprop+")


def test_defaults_and_ranges():
    assert OPTIMIZERS.parse("momentum").label == "momentum(0.9)"
    assert OPTIMIZERS.parse("nesterov").label == "nesterov(0.9)"
    assert OPTIMIZERS.parse("adam").label == "adam(0.9,0.999)"
    assert make("adam")[1].eps == 1e-8
    from xorbench.errors import ChoiceError

    for bad in ["momentum(1)", "momentum(-0.1)", "adam(0.9,1)", "adam(1,0.9)", "sgd(0.1)",
                "rprop(1)", "rprop+(1)", "irprop++", "irprop-"]:
        with pytest.raises(ChoiceError):
            OPTIMIZERS.parse(bad)
