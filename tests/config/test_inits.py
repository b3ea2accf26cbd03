"""The frameworks' default inits (torch, sklearn, keras): their bounds per layer and their
distribution, against the formulas of the libraries' sources (docs/matching-your-code.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from xorbench.config.activations import ACTIVATIONS
from xorbench.config.inits import BIAS_INITS, INITS, draw

# (fan_in, fan_out) of the layers of 2-2-1, 2-4-1, 2-8-1 and 3-5-2-1
LAYERS = [(2, 2), (2, 1), (2, 4), (4, 1), (2, 8), (8, 1), (3, 5), (5, 2)]
SAMPLES = 20_000


def torch_bound(fan_in, fan_out, activation):
    return 1 / math.sqrt(fan_in)  # nn.Linear: U(−√k, √k), k = 1 / in_features


def sklearn_bound(fan_in, fan_out, activation):
    factor = 2.0 if activation == "sigmoid" else 6.0  # "logistic": 2, else 6
    return math.sqrt(factor / (fan_in + fan_out))


def glorot_bound(fan_in, fan_out, activation):
    return math.sqrt(6 / (fan_in + fan_out))


# init → (its weights' bound, its biases' bound; None: zeros)
FORMULAS = {
    "torch": (torch_bound, torch_bound),
    "sklearn": (sklearn_bound, sklearn_bound),
    "keras": (glorot_bound, None),
}


def _draws(table, name, fan_in, fan_out, activation, seed=0):
    """SAMPLES values of the init for one layer (the shape is free; the fans set the rule)."""
    rng = np.random.default_rng(seed)
    return draw(table.parse(name), rng, fan_in, fan_out, (SAMPLES,), table,
                activation=activation)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_bounds_and_distribution_per_layer(name, activation):
    """Every layer's weights and biases are U(−b, b) with the formula's b: inside it, close
    to both ends, and a Kolmogorov–Smirnov test does not reject U(−b, b)."""
    for fan_in, fan_out in LAYERS:
        for table, bound_of in ((INITS, FORMULAS[name][0]), (BIAS_INITS, FORMULAS[name][1])):
            x = _draws(table, name, fan_in, fan_out, activation)
            if bound_of is None:
                assert not x.any()
                continue
            b = bound_of(fan_in, fan_out, activation)
            assert np.abs(x).max() <= b and x.min() < -0.999 * b and x.max() > 0.999 * b
            assert stats.kstest(x, "uniform", args=(-b, 2 * b)).pvalue > 1e-3, (fan_in, fan_out)


@pytest.mark.parametrize("name", ["torch", "sklearn"])
def test_the_ks_test_tells_a_wrong_bound(name):
    """The check above could fail: draws of the init are rejected as U(±1.05 b)."""
    fan_in, fan_out = 2, 8
    b = FORMULAS[name][0](fan_in, fan_out, "sigmoid")
    x = _draws(INITS, name, fan_in, fan_out, "sigmoid")
    assert stats.kstest(x, "uniform", args=(-1.05 * b, 2.1 * b)).pvalue < 1e-6


def test_sklearn_narrows_only_for_a_sigmoid_hidden_layer():
    """f = 2 for scikit-learn's "logistic", 6 for every other hidden activation: √3
    narrower for sigmoid, the same draws for all the others (Glorot's, i.e. xavier's)."""
    for activation in ACTIVATIONS:
        x = _draws(INITS, "sklearn", 2, 8, activation, seed=3)
        xavier = _draws(INITS, "xavier", 2, 8, activation, seed=3)
        if activation == "sigmoid":
            np.testing.assert_allclose(x * math.sqrt(3), xavier, rtol=0, atol=1e-15)
        else:
            assert np.array_equal(x, xavier), activation
    with pytest.raises(ValueError, match="hidden activation"):
        draw(INITS.parse("sklearn"), np.random.default_rng(0), 2, 8, (3,))


def test_keras_draws_are_xaviers_and_its_biases_zeros():
    for fan_in, fan_out in LAYERS:
        keras = draw(INITS.parse("keras"), np.random.default_rng(7), fan_in, fan_out,
                     (fan_in, fan_out))
        xavier = draw(INITS.parse("xavier"), np.random.default_rng(7), fan_in, fan_out,
                      (fan_in, fan_out))
        assert np.array_equal(keras, xavier)
        # a zero bias draws nothing from the stream
        rng = np.random.default_rng(7)
        assert not draw(BIAS_INITS.parse("keras"), rng, fan_in, fan_out, (fan_out,),
                        BIAS_INITS).any()
        assert rng.random() == np.random.default_rng(7).random()


def test_torch_bias_is_the_weights_rule_of_the_same_layer():
    """PyTorch's bias bound is 1/√fan_in of its own layer (the output layer's fan-in is the
    hidden width), not of the network's input."""
    for fan_in, fan_out in LAYERS:
        w = _draws(INITS, "torch", fan_in, fan_out, None, seed=5)
        b = _draws(BIAS_INITS, "torch", fan_in, fan_out, None, seed=5)
        assert np.array_equal(w, b)
    output = _draws(BIAS_INITS, "torch", 8, 1, None)
    assert np.abs(output).max() <= 1 / math.sqrt(8) < 0.9 / math.sqrt(2)
