"""The engine's arithmetic: gradients against finite differences, one SGD step by hand,
losses and criteria at their definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import reference as ref
from tests.helpers.engine import (
    train,
    valid_output_losses,
)
from xorbench import engine
from xorbench.config import make_config
from xorbench.config.activations import ACTIVATIONS
from xorbench.config.losses import LOSSES
from xorbench.config.tasks import TASKS, make_task
from xorbench.engine import batch as engine_batch
from xorbench.engine import layout

# ============================================================ 1. gradients

GRAD_ACTIVATIONS = [*ACTIVATIONS, "leaky_relu(0.1)", "elu(0.5)"]
DEPTHS = {0: (), 1: (3,), 2: (4, 3)}


def _observed_theta(act, output, loss_name, hidden, seed):
    """The setup of a float64 network over XOR and a random θ (D, N) whose hidden
    pre-activations are all at least 0.05 away from 0 (no relu kink), some unit of each
    layer alive and a gradient that is not vanishing, with the kernel's view of it."""
    cfg = make_config(activation=act.label, output=output, loss=loss_name, hidden=list(hidden))
    setup = engine.Setup.of(cfg)
    task = make_task(cfg.task)
    widths = (task.n_inputs, *hidden, 1)
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        theta = rng.normal(0.0, 1.0, (layout.n_params(widths), 4))
        observed = engine.evaluate(setup, theta)
        # hidden pre-activations, layer by layer, from the reference's forward pass
        hidden_z = [np.stack([ref.Net(ref.unflatten(theta[:, s], widths), (act.name, act.args),
                                      output, loss_name).forward(task.inputs)[0][l]
                              for s in range(4)], axis=-1)
                    for l in range(len(hidden))]
        if (all(np.abs(z).min() > 0.05 and (z > 0).any(axis=(0, 1)).all() for z in hidden_z)
                and (np.linalg.norm(observed.gradient, axis=0) > 1e-3).all()):
            return setup, theta, observed, widths, task
    pytest.fail("no non-degenerate θ found")  # pragma: no cover


@pytest.mark.parametrize("depth", sorted(DEPTHS))
@pytest.mark.parametrize(("output", "loss_name"), valid_output_losses())
@pytest.mark.parametrize("act_text", GRAD_ACTIVATIONS)
def test_gradients_match_finite_differences(act_text, output, loss_name, depth):
    """The kernel's ∇E (the one every update and grad_norm use) against five-point
    central differences of its own E, and its outputs and E against the reference."""
    act = ACTIVATIONS.parse(act_text)
    setup, theta, observed, widths, task = _observed_theta(act, output, loss_name,
                                                           DEPTHS[depth], seed=depth)
    N = theta.shape[1]
    grad = observed.gradient

    # the function being differentiated is the right one: outputs and loss agree with
    # the independent reference network
    for s in range(N):
        net = ref.Net(ref.unflatten(theta[:, s], widths), (act.name, act.args), output,
                      loss_name)
        np.testing.assert_allclose(observed.outputs[:, -1, s], net.output(task.inputs),
                                   rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(observed.loss[s], net.loss(task.inputs, task.targets),
                                   rtol=1e-13)

    def loss_at(th):
        return engine.evaluate(setup, th).loss

    # five-point central differences, O(h⁴): error ~1e-12 at h = 1e-4
    h = 1e-4
    fd = np.zeros_like(theta)
    for d in range(theta.shape[0]):
        shifted = {}
        for k in (-2, -1, 1, 2):
            th = theta.copy()
            th[d] += k * h
            shifted[k] = loss_at(th)
        fd[d] = (8 * (shifted[1] - shifted[-1]) - (shifted[2] - shifted[-2])) / (12 * h)

    assert (np.linalg.norm(grad, axis=0) > 1e-6).all(), "degenerate case: zero gradient"
    scale = np.maximum(np.maximum(np.abs(grad), np.abs(fd)), 1e-3)
    rel = np.abs(grad - fd) / scale
    worst = np.unravel_index(rel.argmax(), rel.shape)
    assert rel.max() < 1e-6, (
        f"θ row {worst[0]} of network {worst[1]}: analytic {grad[worst]!r} vs "
        f"finite difference {fd[worst]!r}")


# ============================================================ 2. one step by hand


def test_one_sgd_step_by_hand(monkeypatch):
    """2-2-1 sigmoid/sigmoid on XOR, mse, full batch, lr 0.5, from a fixed θ."""
    # θ layout: layer 1 rows [w(x1→h1), w(x1→h2)], [w(x2→h1), w(x2→h2)], [b1, b2];
    # layer 2 rows [v1], [v2], [c]
    w11, w12, w21, w22, b1, b2 = 0.5, -0.4, 0.3, 0.8, 0.1, -0.2
    v1, v2, c = 0.7, -0.6, 0.05
    theta0 = np.array([w11, w12, w21, w22, b1, b2, v1, v2, c])
    monkeypatch.setattr(engine_batch, "initial_thetas",
                        lambda widths, members, activation=None:
                        np.stack([theta0] * len(members), axis=1))

    def s(z):
        return 1 / (1 + math.exp(-z))

    # forward and backward, pattern by pattern (P = 4, E = ¼ Σ (y − t)²):
    # x=00 t=0: z1=0.1  h1=.524979 z2=-0.2 h2=.450166 zo=.147386 y=.536780 δo=+.066734
    # x=01 t=1: z1=0.4  h1=.598688 z2=0.6  h2=.645656 zo=.081688 y=.520411 δo=-.059849
    # x=10 t=1: z1=0.6  h1=.645656 z2=-0.6 h2=.354344 zo=.289353 y=.571838 δo=-.052415
    # x=11 t=0: z1=0.9  h1=.710950 z2=0.2  h2=.549834 zo=.217764 y=.554227 δo=+.068463
    # with δo = dE/dzo = 2/4 (y − t) y (1 − y), δ1 = δo v1 h1 (1 − h1), δ2 = δo v2 h2 (1 − h2)
    g = dict.fromkeys(("w11", "w12", "w21", "w22", "b1", "b2", "v1", "v2", "c"), 0.0)
    loss0 = 0.0
    for x1, x2, t in [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]:
        h1 = s(w11 * x1 + w21 * x2 + b1)
        h2 = s(w12 * x1 + w22 * x2 + b2)
        y = s(v1 * h1 + v2 * h2 + c)
        loss0 += (y - t) ** 2 / 4
        do = 2 / 4 * (y - t) * y * (1 - y)
        d1, d2 = do * v1 * h1 * (1 - h1), do * v2 * h2 * (1 - h2)
        g["v1"] += do * h1
        g["v2"] += do * h2
        g["c"] += do
        g["w11"] += d1 * x1
        g["w21"] += d1 * x2
        g["b1"] += d1
        g["w12"] += d2 * x1
        g["w22"] += d2 * x2
        g["b2"] += d2
    # E(θ0) = 0.2521572742536405
    # gradients: w11 +0.0014542045  w12 -0.0029724093  w21 -0.0002170307  w22 -0.0019520349
    #            b1  +0.0030380606  b2  -0.0046676589  v1  +0.0140351595  v2  +0.0104702868
    #            c   +0.0229336565
    # θ1 = θ0 − 0.5 g:
    expected = np.array([
        w11 - 0.5 * g["w11"],  # 0.5  − 0.5 · 0.0014542045 = 0.499272897762
        w12 - 0.5 * g["w12"],  # −0.4 + 0.5 · 0.0029724093 = −0.398513795355
        w21 - 0.5 * g["w21"],  # 0.3  + 0.5 · 0.0002170307 = 0.300108515358
        w22 - 0.5 * g["w22"],  # 0.8  + 0.5 · 0.0019520349 = 0.800976017463
        b1 - 0.5 * g["b1"],  # 0.1  − 0.5 · 0.0030380606 = 0.098480969697
        b2 - 0.5 * g["b2"],  # −0.2 + 0.5 · 0.0046676589 = −0.197666170545
        v1 - 0.5 * g["v1"],  # 0.7  − 0.5 · 0.0140351595 = 0.692982420263
        v2 - 0.5 * g["v2"],  # −0.6 − 0.5 · 0.0104702868 = −0.605235143404
        c - 0.5 * g["c"],  # 0.05 − 0.5 · 0.0229336565 = 0.038533171745
    ])
    # the hand numbers above, as literals, guard the hand formulas themselves
    np.testing.assert_allclose(expected, [0.499272897762, -0.398513795355, 0.300108515358,
                                          0.800976017463, 0.098480969697, -0.197666170545,
                                          0.692982420263, -0.605235143404, 0.038533171745],
                               atol=1e-12)
    assert loss0 == pytest.approx(0.2521572742536405, abs=1e-15)

    cfg = make_config(task="xor", hidden=[2], activation="sigmoid", output="sigmoid",
                      loss="mse", optimizer="sgd", batch="full", lr=0.5)
    result = train(cfg, [0], [1])
    np.testing.assert_allclose(result.params[0][:, 0], expected, rtol=0, atol=1e-15)
    # the loss recorded after one epoch is E(θ1), and the curve starts there
    y1 = []
    for x1, x2 in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        e = expected
        h1 = s(e[0] * x1 + e[2] * x2 + e[4])
        h2 = s(e[1] * x1 + e[3] * x2 + e[5])
        y1.append(s(e[6] * h1 + e[7] * h2 + e[8]))
    np.testing.assert_allclose(result.outputs[0][:, 0], y1, atol=1e-15)
    loss1 = sum((y - t) ** 2 for y, t in zip(y1, [0, 1, 1, 0], strict=True)) / 4
    assert result.final_loss[0, 0] == pytest.approx(loss1, abs=1e-15)
    assert result.curve_epochs == (1,)
    assert result.curve_loss[0, 0] == pytest.approx(loss1, abs=1e-15)
    assert loss1 < loss0  # one small step downhill


# ============================================================ losses and criteria


def _one_hot_theta(logits):
    """θ columns (17, N) of 2-4-1 relu networks over XOR whose output pre-activation on
    pattern p is exactly logits[p] (``logits`` (4, N)): hidden unit k is 1 on pattern k
    and 0 on the others, the output weights are the logits and its bias 0."""
    logits = np.asarray(logits, float)
    theta = np.zeros((17, logits.shape[1]))
    # units 00, 01, 10, 11: relu(1 − x1 − x2), relu(x2 − x1), relu(x1 − x2), relu(x1 + x2 − 1)
    theta[0:4] = np.array([-1, -1, 1, 1])[:, None]  # weights from x1
    theta[4:8] = np.array([-1, 1, -1, 1])[:, None]  # weights from x2
    theta[8:12] = np.array([1, 0, 0, -1])[:, None]  # biases
    theta[12:16] = logits
    return theta


def _observe_logits(logits, **config):
    setup = engine.Setup.of(make_config(hidden=[4], activation="relu", **config))
    return engine.evaluate(setup, _one_hot_theta(logits))


@pytest.mark.parametrize(("output", "name"), valid_output_losses())
def test_loss_value_scale_and_delta(output, name):
    """The kernel's E and output δ against the reference, logits set exactly."""
    loss = LOSSES.impl(LOSSES.parse(name))
    rng = np.random.default_rng(0)
    P, N = 4, 6
    z = rng.normal(0, 3, (P, N))
    if name == "bce":
        z[0, 0], z[1, 0] = 800.0, -800.0  # the logit form must stay finite
    t = make_task(TASKS.parse("xor")).targets
    observed = _observe_logits(z, output=output, loss=name)
    y = 1 / (1 + np.exp(-np.clip(z, -700, 700))) if output == "sigmoid" else z
    np.testing.assert_allclose(observed.outputs[:, -1], y, rtol=1e-15, atol=1e-300)
    dy_dz = y * (1 - y) if output == "sigmoid" else np.ones_like(z)
    for s in range(N):
        E = ref.loss(name, z[:, s], y[:, s], t)
        assert observed.loss[s] == pytest.approx(E, rel=1e-13)
        # output weight k sees only pattern k: its gradient is that pattern's δ = ∂E/∂z
        want = ref.loss_grad_z(name, z[:, s], y[:, s], t, lambda _, s=s: dy_dz[:, s])
        np.testing.assert_allclose(observed.gradient[12:16, s], want, rtol=1e-13, atol=1e-300)
    assert np.isfinite(observed.loss).all()
    assert np.log2(loss.delta_factor(P)) % 1 == 0 and np.log2(loss.delta_factor(1)) % 1 == 0
    assert loss.scale(P) == {"mse": 1 / P, "sse": 0.5, "bce": 1 / P}[name]
    assert loss.from_logit == (name == "bce")


def test_bce_at_extreme_logits():
    """log(1 + e^z) − t z stays exact at |z| = 800: a right logit costs 0, a wrong one 800."""
    z = np.array([[800.0], [-800.0], [800.0], [-800.0]])
    observed = _observe_logits(z, task="nor", loss="bce")  # targets 1, 0, 0, 0
    assert observed.loss[0] == pytest.approx((0 + 0 + 800 + 0) / 4, rel=1e-15)
    observed = _observe_logits(z, task="xnor", loss="bce")  # targets 1, 0, 0, 1
    assert observed.loss[0] == pytest.approx((0 + 0 + 800 + 800) / 4, rel=1e-15)


@pytest.mark.parametrize(("criterion", "y", "solved"), [
    ("threshold", [0.4, 0.6, 0.6, 0.4], True),
    ("threshold", [0.4, 0.6, 0.6, 0.5], False),  # exactly 0.5 is on neither side
    ("threshold", [0.4, 0.6, 0.5, 0.4], False),
    ("threshold", [-9.0, 9.0, 0.51, 0.49], True),
    ("threshold", [0.4, 0.6, np.nan, 0.4], False),
    ("tolerance(0.1)", [0.05, 0.95, 0.91, 0.0], True),
    ("tolerance(0.5)", [0.0, 1.0, 0.5, 0.0], False),  # |0.5 − 1| = 0.5 is not < 0.5
    ("tolerance(0.1)", [0.05, 0.95, 0.85, 0.0], False),
    ("tolerance(0.5)", [0.4, 0.6, 0.6, 0.4], True),
    ("tolerance(0.1)", [0.0, 1.0, 1.0, np.nan], False),
    ("rms(0.05)", [0.0, 1.0, 1.0, 0.09], True),  # √(0.09² / 4) = 0.045
    ("rms(0.05)", [0.0, 1.0, 1.0, 0.11], False),  # 0.055
    ("rms(0.05)", [0.06, 0.94, 0.94, 0.06], False),  # 0.06
    ("rms(0.5)", [0.4, 0.6, 0.6, 0.4], True),
    ("rms(0.25)", [0.0, 1.0, 1.0, 0.5], False),  # √(0.5² / 4) = 0.25 exactly: not < 0.25
    ("rms(0.2500001)", [0.0, 1.0, 1.0, 0.5], True),
    ("rms(0.5)", [0.0, 1.0, 1.0, np.inf], False),
])
def test_criteria(criterion, y, solved):
    """The kernel's verdict on outputs set exactly (linear output: y = z)."""
    targets = make_task(TASKS.parse("xor")).targets
    with np.errstate(invalid="ignore"):
        observed = _observe_logits(np.column_stack([y, targets]), output="linear",
                                   criterion=criterion)  # 2nd network: y = t
    assert (observed.score > 0).tolist() == [solved, True]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_recorded_params_are_the_whole_state(dtype):
    """With sgd and full batch, θ after e + 1 epochs is one step θ − η ∇E from the
    recorded θ after e epochs, in the run's own dtype: nothing is carried in hidden
    extra precision."""
    cfg = make_config(dtype=dtype, hidden=[3], activation="tanh", lr=0.7)
    r = train(cfg, range(4), [5, 6])
    np_dtype = np.dtype(dtype)
    grad = engine.evaluate(engine.Setup.of(cfg), r.params[0]).gradient
    theta = r.params[0] - np_dtype.type(0.7) * grad
    assert theta.dtype == np_dtype
    assert np.array_equal(theta, r.params[1])


@pytest.mark.parametrize("loss", ["mse", "sse"])
def test_rms_is_a_mean_over_the_patterns_whatever_the_loss(loss):
    """rms(r) compares √(mean (y − t)²) with r: sse's ½ belongs to the loss, not to it."""
    targets = make_task(TASKS.parse("xor")).targets
    y = targets + np.array([0.3, -0.2, 0.1, 0.0])  # √(0.14 / 4) = 0.187
    observed = _observe_logits(y[:, None], output="linear", loss=loss, criterion="rms(0.5)")
    assert observed.score[0] == pytest.approx(0.5 - np.sqrt(0.14 / 4), rel=1e-12)

