"""Seeds: a run's initial weights and pattern orders come from its own seed alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.helpers import reference as ref
from tests.helpers.engine import (
    train,
    weight_rows,
)
from xorbench import engine
from xorbench.config import make_config
from xorbench.config.activations import ACTIVATIONS
from xorbench.config.inits import BIAS_INITS, INITS, draw
from xorbench.engine import batch as engine_batch
from xorbench.engine import layout

# ============================================================ 6. seeding


def test_seed_fixes_initial_weights_whatever_else_changes(monkeypatch):
    drawn = []
    real = engine_batch.initial_thetas

    def spy(widths, members, activation=None):
        theta = real(widths, members, activation)
        drawn.extend((tuple(widths), m.seed, theta[:, n]) for n, m in enumerate(members))
        return theta

    monkeypatch.setattr(engine_batch, "initial_thetas", spy)
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
    tanh = ACTIVATIONS.parse("tanh")
    base = engine.initial_params(widths, choice, BIAS_INITS.parse("zeros"), 5, tanh)
    assert base.shape == (layout.n_params(widths),)
    for bias in BIAS_INITS:
        bias_choice = BIAS_INITS.parse(text.get(bias, bias))
        theta = engine.initial_params(widths, choice, bias_choice, 5, tanh)
        assert np.array_equal(theta[mask], base[mask]), bias
    other = engine.initial_params(widths, choice, BIAS_INITS.parse("zeros"), 6, tanh)
    deterministic = init in ("zeros", "constant")
    assert np.array_equal(other[mask], base[mask]) == deterministic


@pytest.mark.parametrize("init", [*INITS])
def test_only_sklearn_draws_depend_on_the_hidden_activation(init):
    """Threading the hidden activation through changed no other init's draws: every
    init but scikit-learn's draws the same θ whatever the activation, or none given."""
    text = {"uniform": "uniform(-1,2)", "normal": "normal(0.7)", "constant": "constant(0.3)"}
    choice, bias = INITS.parse(text.get(init, init)), BIAS_INITS.parse("uniform(-1,1)")
    widths = (2, 3, 1)
    drawn = {name: engine.initial_params(widths, choice, bias, 9, ACTIVATIONS.parse(name))
             for name in ("sigmoid", "tanh", "relu")}
    assert np.array_equal(drawn["tanh"], drawn["relu"])  # sklearn: factor 6 for both
    assert np.array_equal(drawn["sigmoid"], drawn["tanh"]) == (init != "sklearn")
    if init != "sklearn":
        assert np.array_equal(engine.initial_params(widths, choice, bias, 9), drawn["tanh"])
    else:
        with pytest.raises(ValueError, match="hidden activation"):
            engine.initial_params(widths, choice, bias, 9)


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




@pytest.mark.parametrize("widths", [(2, 8, 1), (3, 5, 2, 1)])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("init", ["torch", "sklearn", "keras"])
def test_framework_inits_keep_each_layer_in_its_own_bound(init, activation, widths):
    """Over 1000 seeds, every layer of a network drawn by initial_params stays inside its
    formula's bound and reaches it: the bound is the layer's, not one for the network."""
    def bound(fan_in, fan_out):
        if init == "torch":
            return 1 / math.sqrt(fan_in)
        factor = 2 if init == "sklearn" and activation == "sigmoid" else 6
        return math.sqrt(factor / (fan_in + fan_out))

    choice, act = INITS.parse(init), ACTIVATIONS.parse(activation)
    thetas = np.stack([engine.initial_params(widths, choice, BIAS_INITS.parse(init), s, act)
                       for s in range(1000)])  # (seeds, D)
    for fan_in, fan_out, weights, biases in layout.layer_rows(widths):
        b = bound(fan_in, fan_out)
        w = np.abs(thetas[:, weights])
        assert w.max() <= b and w.max() > 0.99 * b, (fan_in, fan_out)
        c = np.abs(thetas[:, biases])
        if init == "keras":
            assert not c.any()
        else:  # PyTorch's and scikit-learn's biases share their layer's bound
            assert c.max() <= b and c.max() > 0.98 * b, (fan_in, fan_out)
