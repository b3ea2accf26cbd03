"""The batched engine: gradients, one hand-worked step, batch invariance, checkpoints,
seeding, failure labels, epoch_solved and a little science.

The independent one-network reference comparison lives in test_reference.py.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import reference as ref

from xorbench import engine
from xorbench.config import config_problems, make_config
from xorbench.config.activations import ACTIVATIONS, OUTPUTS
from xorbench.config.inits import BIAS_INITS, INITS, draw
from xorbench.config.losses import LOSSES
from xorbench.config.optimizers import OPTIMIZERS
from xorbench.config.tasks import TASKS, make_task
from xorbench.engine import Member, Setup, layout, train_batch
from xorbench.engine import batch as engine_batch
from xorbench.schema import FAILURE_CODE, FAILURE_LABELS, learned_names

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
    monkeypatch.setattr(engine_batch, "initial_params", lambda *args: theta0.copy())

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


# ============================================================ 4. batch invariance


def _crowd(target: Member, position: int, n: int = 64, seed: int = 0) -> list[Member]:
    """``n`` members with ``target`` at ``position`` and 63 others that differ in learning
    rate (some diverge), init, bias init and seed — one shares the target's seed."""
    rng = np.random.default_rng(seed)
    lrs = [0.01, 0.3, 1.0, 3.0, 30.0, 1e4]
    inits = ["xavier", "he", "uniform(-1,1)", "normal(3)", "orthogonal", "lecun",
             "uniform(0,1)", "xavier_normal"]
    bias_inits = ["zeros", "uniform(-0.5,0.5)", "constant(0.1)", "normal(1)"]
    others = [
        Member(float(rng.choice(lrs)), INITS.parse(str(rng.choice(inits))),
               BIAS_INITS.parse(str(rng.choice(bias_inits))), int(rng.integers(0, 10**6)))
        for _ in range(n - 2)
    ]
    others.append(Member(target.lr * 3, target.init, target.bias_init, target.seed))
    return [*others[:position], target, *others[position:]]


def _check_invariance(cfg, budgets, seed=7, position=17):
    setup = Setup.of(cfg)
    target = Member.of(cfg, seed)
    alone = train_batch(setup, [target], budgets)
    crowd = _crowd(target, position)
    together = train_batch(setup, crowd, budgets)
    assert_same_network(alone, 0, together, position, f"{cfg.labels()}")
    # and at another position of a reshuffled crowd of another size
    crowd2 = _crowd(target, 3, n=11, seed=1)
    assert_same_network(alone, 0, train_batch(setup, crowd2, budgets), 3, "n=11")
    return together


INVARIANCE_SHAPES = [("full", (9,)), ("online", (3, 8)), ("sampled(7)", (2,)), ("full", ()),
                     ("online", (8,))]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", [*ACTIVATIONS])
def test_batch_invariance_activations(activation, dtype):
    for batch, hidden in INVARIANCE_SHAPES:
        cfg = make_config(activation=activation, dtype=dtype, batch=batch, hidden=list(hidden),
                          lr=0.5)
        _check_invariance(cfg, [3, 20])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", [*OPTIMIZERS])
def test_batch_invariance_optimizers(optimizer, dtype):
    for batch, hidden in INVARIANCE_SHAPES:
        problems = config_problems({"optimizer": optimizer, "batch": batch})
        if problems:
            continue
        cfg = make_config(optimizer=optimizer, dtype=dtype, batch=batch, hidden=list(hidden),
                          activation="tanh", lr=0.1)
        _check_invariance(cfg, [20])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("output", "loss"), valid_output_losses())
def test_batch_invariance_losses(output, loss, dtype):
    for batch, hidden in INVARIANCE_SHAPES[:3]:
        cfg = make_config(output=output, loss=loss, dtype=dtype, batch=batch,
                          hidden=list(hidden), activation="relu", lr=0.2)
        _check_invariance(cfg, [20])


@pytest.mark.parametrize("batch", ["full", "online", "sampled(7)"])
def test_batch_invariance_of_a_diverging_run(batch):
    """NaN positions too: a network that blows up records the same NaNs alone or not."""
    cfg = make_config(output="linear", hidden=[9], lr=30.0, batch=batch, task="parity(3)")
    together = _check_invariance(cfg, [5, 200])
    assert together.diverged[-1, 17]


@pytest.mark.parametrize("criterion", ["threshold", "tolerance(0.3)", "rms(0.4)"])
def test_batch_invariance_criteria(criterion):
    cfg = make_config(criterion=criterion, hidden=[3, 8], lr=2.0, task="or")
    _check_invariance(cfg, [1, 5, 50])


# ============================================================ 5. checkpoints


@pytest.mark.parametrize("batch", ["full", "online", "sampled(7)"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_budgets_are_checkpoints(batch, dtype):
    cfg = make_config(batch=batch, dtype=dtype, hidden=[3], lr=0.5, optimizer="momentum")
    seeds = range(6)
    setup = Setup.of(cfg)
    members = [Member(lr, cfg.init, cfg.bias_init, s) for s in seeds for lr in (0.5, 1e4)]
    # the budget 1000 also crosses a draw block of the pattern orders (1024 updates)
    together = train_batch(setup, members, [1000, 10, 100])
    assert together.budgets == (10, 100, 1000)
    for b, budget in enumerate(together.budgets):
        alone = train_batch(setup, members, [budget])
        for name in RECORDED:
            if name == "curve_loss":
                continue
            x, y = getattr(together, name)[b], getattr(alone, name)[0]
            assert x.dtype == y.dtype
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), (budget, name)
        # the learning curve up to the budget is the same, too
        k = len(alone.curve_epochs)
        assert together.curve_epochs[:k] == alone.curve_epochs
        assert all(e <= budget for e in alone.curve_epochs)
        assert np.array_equal(together.curve_loss[:k], alone.curve_loss, equal_nan=True)
        # and the curve at a budget is that budget's final loss
        at = together.curve_epochs.index(budget)
        assert np.array_equal(together.curve_loss[at], alone.final_loss[0], equal_nan=True)


def test_budgets_are_sorted_deduplicated_and_positive():
    cfg = make_config()
    r = train(cfg, [0], [5, 2, 5])
    assert r.budgets == (2, 5)
    assert r.solved.shape == (2, 1)
    with pytest.raises(ValueError):
        train(cfg, [0], [0, 5])
    with pytest.raises(ValueError):
        train(cfg, [0], [])
    with pytest.raises(ValueError):
        train_batch(Setup.of(cfg), [], [5])


def test_log_epochs():
    assert engine.log_epochs(1) == [1]
    assert engine.log_epochs(100) == [1, 2, 3, 5, 10, 20, 30, 50, 100]
    assert engine.log_epochs(250) == [1, 2, 3, 5, 10, 20, 30, 50, 100, 200]


# How many updates an epoch makes (online P, sampled(n) n, full 1) and that Adam's t
# counts them from 1 are checked against the one-network reference, which loops over
# the updates itself (tests/test_reference.py, every optimizer × batch mode).


# ============================================================ 6. seeding


def test_seed_fixes_initial_weights_whatever_else_changes(monkeypatch):
    drawn = []
    real = engine.initial_params

    def spy(widths, init, bias_init, seed):
        theta = real(widths, init, bias_init, seed)
        drawn.append((tuple(widths), seed, theta))
        return theta

    monkeypatch.setattr(engine_batch, "initial_params", spy)
    variants = [
        dict(),
        dict(lr=3.0),
        dict(optimizer="adam"),
        dict(optimizer="rprop"),
        dict(loss="sse"),
        dict(loss="bce"),
        dict(output="linear"),
        dict(bias_init="uniform(-1,1)"),
        dict(bias_init="constant(2)"),
        dict(batch="online"),
        dict(activation="relu"),
        dict(dtype="float32"),
    ]
    for variant in variants:
        cfg = make_config(hidden=[3, 2], init="xavier", **variant)
        train(cfg, [11, 12], [1])
    widths = drawn[0][0]
    mask = weight_rows(widths)
    by_seed = {11: [], 12: []}
    for w, seed, theta in drawn:
        assert w == widths
        by_seed[seed].append(theta)
    for seed, thetas in by_seed.items():
        assert len(thetas) == len(variants)
        for theta in thetas[1:]:
            assert np.array_equal(theta[mask], thetas[0][mask]), seed
    assert not np.array_equal(by_seed[11][0][mask], by_seed[12][0][mask])
    # bias rows follow the bias init: zeros by default, else drawn
    assert np.all(by_seed[11][0][~mask] == 0)
    assert np.all(by_seed[11][variants.index(dict(bias_init="constant(2)"))][~mask] == 2.0)


@pytest.mark.parametrize("init", [*INITS])
def test_initial_params_weights_do_not_depend_on_bias_init(init):
    text = {"uniform": "uniform(-1,2)", "normal": "normal(0.7)", "constant": "constant(0.3)"}
    choice = INITS.parse(text.get(init, init))
    widths = (3, 4, 2, 1)
    mask = weight_rows(widths)
    base = engine.initial_params(widths, choice, BIAS_INITS.parse("zeros"), 5)
    assert base.shape == (layout.n_params(widths),)
    for bias in BIAS_INITS:
        bias_choice = BIAS_INITS.parse(text.get(bias, bias))
        theta = engine.initial_params(widths, choice, bias_choice, 5)
        assert np.array_equal(theta[mask], base[mask]), bias
    other = engine.initial_params(widths, choice, BIAS_INITS.parse("zeros"), 6)
    deterministic = init in ("zeros", "constant")
    assert np.array_equal(other[mask], base[mask]) == deterministic


def test_initial_params_layout_and_streams():
    """Independent redraw: SeedSequence(seed).spawn(2)[0], all weights then all biases."""
    widths = (2, 3, 2, 1)
    theta = engine.initial_params(widths, INITS.parse("xavier"),
                                  BIAS_INITS.parse("uniform(-0.5,0.5)"), 42)
    layers = ref.initial_layers(widths, 42, ref.xavier, ref.uniform_bias(-0.5, 0.5))
    assert np.array_equal(theta, ref.Net(layers, ("tanh", ()), "sigmoid", "mse").flat())
    # the other stream (data order) is not the init stream
    order_seq = np.random.SeedSequence(42).spawn(2)[1]
    other = np.random.Generator(np.random.PCG64(order_seq)).uniform(-1, 1, 6)
    first = np.random.Generator(np.random.PCG64(np.random.SeedSequence(42).spawn(2)[0]))
    assert not np.array_equal(other, first.uniform(-1, 1, 6))


def test_inits_have_their_documented_distribution():
    rng = np.random.default_rng(0)
    big = (400, 300)

    def sample(text, shape=big):
        return draw(INITS.parse(text), rng, shape[0], shape[1], shape)

    lim = math.sqrt(6 / 700)
    x = sample("xavier")
    assert np.abs(x).max() <= lim and np.abs(x).max() > 0.99 * lim
    assert sample("xavier_normal").std() == pytest.approx(math.sqrt(2 / 700), rel=0.02)
    assert sample("he").std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    h = sample("he_uniform")
    assert np.abs(h).max() <= math.sqrt(6 / 400) and np.abs(h).max() > 0.99 * math.sqrt(6 / 400)
    assert sample("lecun").std() == pytest.approx(math.sqrt(1 / 400), rel=0.02)
    assert sample("normal(3)").std() == pytest.approx(3, rel=0.02)
    u = sample("uniform(-1,2)")
    assert u.min() >= -1 and u.max() < 2 and u.mean() == pytest.approx(0.5, abs=0.02)
    assert np.all(sample("zeros") == 0) and np.all(sample("constant(-5)") == -5)
    for shape in [(5, 3), (3, 5), (4, 4), (2, 1)]:
        q = sample("orthogonal", shape)
        small = min(shape)
        gram = q.T @ q if shape[0] >= shape[1] else q @ q.T
        np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)
    # uniform(0,1) reproduces np.random.rand on the same stream
    a = draw(INITS.parse("uniform(0,1)"), np.random.default_rng(3), 2, 2, (2, 2))
    assert np.array_equal(a, np.random.default_rng(3).random((2, 2)))


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
    monkeypatch.setattr(engine_batch, "initial_params",
                        lambda widths, init, bias_init, seed: (bad if seed else good).copy())
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


# ============================================================ 10. epoch_solved


@pytest.mark.parametrize("batch", ["full", "online"])
def test_epoch_solved_is_the_first_epoch_the_criterion_holds(batch):
    cfg = make_config(task="or", hidden=[2], lr=2.0, batch=batch)
    setup = Setup.of(cfg)
    members = [Member(lr, cfg.init, cfg.bias_init, s)
               for s, lr in enumerate([0.5, 1.0, 2.0, 4.0, 0.05, 3.0])]
    last = 40
    solved_at = np.array([train_batch(setup, members, [e]).solved[0]
                          for e in range(1, last + 1)])  # (epochs, N), one training each
    # epoch 0: the initial state, by the reference forward pass
    task = make_task(cfg.task)
    widths = (2, 2, 1)
    initial = []
    for m in members:
        net = ref.Net(ref.unflatten(engine.initial_params(widths, m.init, m.bias_init, m.seed),
                                    widths), ("sigmoid", ()), "sigmoid", "mse")
        y = net.output(task.inputs)
        initial.append(bool(np.all((y > 0.5) == (task.targets > 0.5))))
    holds = np.vstack([initial, solved_at])  # (epochs + 1, N)
    expected = np.where(holds.any(axis=0), holds.argmax(axis=0), -1)
    assert len(set(expected.tolist())) >= 3, "the case should spread out"
    assert (expected == -1).any() and (expected > 1).any()
    got = train_batch(setup, members, [last])
    assert np.array_equal(got.epoch_solved[0], expected)
    # and every intermediate budget reports it only once reached
    for e in (1, 5, 17):
        r = train_batch(setup, members, [e])
        assert np.array_equal(r.epoch_solved[0], np.where(expected <= e, expected, -1))


# ============================================================ recorded numbers


@pytest.mark.parametrize("batch", ["full", "online", "sampled(7)"])
def test_recorded_numbers_match_their_definitions(batch):
    """final_loss, accuracy, grad_norm (full batch, whatever the training batch mode) and
    outputs, from the reference network at the recorded parameters."""
    cfg = make_config(task="xor", hidden=[3], activation="tanh", lr=0.3, loss="sse",
                      batch=batch)
    seeds = range(5)
    r = train(cfg, seeds, [7])
    task = make_task(cfg.task)
    widths = (2, 3, 1)
    for s in seeds:
        net = ref.Net(ref.unflatten(r.params[0][:, s], widths), ("tanh", ()), "sigmoid", "sse")
        y = net.output(task.inputs)
        np.testing.assert_allclose(r.outputs[0][:, s], y, rtol=1e-13)
        assert r.final_loss[0, s] == pytest.approx(net.loss(task.inputs, task.targets),
                                                   rel=1e-13)
        assert r.accuracy[0, s] == np.mean((y > 0.5) == (task.targets > 0.5))
        grads = net.gradients(task.inputs, task.targets)
        norm = math.sqrt(sum(float(np.sum(gW**2) + np.sum(gb**2)) for gW, gb in grads))
        assert r.grad_norm[0, s] == pytest.approx(norm, rel=1e-12)
        assert r.solved[0, s] == bool(np.all((y > 0.5) == (task.targets > 0.5)))
    assert r.pattern_names == ["00", "01", "10", "11"]
    assert r.params.shape == (1, layout.n_params(widths), 5)
    assert r.outputs.shape == (1, 4, 5)


@pytest.mark.parametrize("batch", ["full", "online"])
def test_float32_runs_in_float32(batch):
    r = train(make_config(dtype="float32", batch=batch), [0, 1], [30])
    for name in ("final_loss", "grad_norm", "outputs", "params", "curve_loss"):
        assert getattr(r, name).dtype == np.float32, name
    r64 = train(make_config(dtype="float64", batch=batch), [0, 1], [30])
    np.testing.assert_allclose(r.params, r64.params, rtol=1e-4, atol=1e-5)
    # computed in float32, not computed in float64 and stored in float32
    assert not np.array_equal(r.params, r64.params.astype(np.float32))


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


def test_a_budget_on_a_divergence_check_does_not_change_the_losses_kept(monkeypatch):
    """Epoch 64 is a divergence check: whether it is a budget (the kernel stops there to
    record it) or only half of one must not change the loss kept for it — inf for a
    network whose loss overflows there, before it is frozen (NaN) — the loss that
    labels a budget's failure and, at curve epochs, is curve_loss."""
    kept = {}

    def capture(**arguments):
        kernel_run(**arguments)
        kept["losses"], kept["epochs"] = arguments["losses"], arguments["kept"]

    kernel_run = engine.kernel.run
    monkeypatch.setattr(engine.kernel, "run", capture)
    cfg = make_config(output="linear", activation="tanh")
    setup = engine.Setup.of(cfg)
    members = [engine.Member(float(lr), cfg.init, cfg.bias_init, 0)
               for lr in np.geomspace(0.1, 1000, 2000)]
    at_64 = {}
    for budgets in ([64, 128], [128]):
        result = train_batch(setup, members, budgets)
        at_64[len(budgets)] = kept["losses"][np.searchsorted(kept["epochs"], 64)].copy()
    assert np.isinf(at_64[1]).any(), "no network overflows at epoch 64: pick other rates"
    assert np.array_equal(at_64[2], at_64[1], equal_nan=True)
    assert result.diverged.any()
