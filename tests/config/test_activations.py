"""Activations, as the compiled kernel computes them: values against the textbook,
exact derivatives, buffers, extremes, tiny-derivative levels."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import reference as ref
from xorbench.config.activations import ACTIVATIONS, OUTPUTS, make_activation
from xorbench.engine.functions import activation_values, derivative, forward

VARIANTS = [*ACTIVATIONS, "leaky_relu(0.1)", "leaky_relu(0)", "elu(0.5)", "elu(2)"]
KINKED = {"relu", "leaky_relu", "elu"}  # derivative (or its derivative) jumps at 0


def _act(text):
    choice = ACTIVATIONS.parse(text)
    return choice, make_activation(choice, ACTIVATIONS)


def _grid():
    z = np.linspace(-6, 6, 241)
    return z[np.abs(z) > 1e-9]  # no exact 0: kinks are tested separately


def _apply(act, z, dtype=np.float64):
    return activation_values(act, np.asarray(z, dtype))


@pytest.mark.parametrize("text", VARIANTS)
def test_forward_and_derivative_match_the_textbook(text):
    choice, act = _act(text)
    f, df = ref.activation(choice.name, *choice.args)
    z = _grid()
    a, d = _apply(act, z)
    np.testing.assert_allclose(a, f(z), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(d, df(z), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("text", VARIANTS)
def test_derivative_is_the_derivative_of_forward(text):
    """Central differences of ``forward`` itself, away from the kink at 0."""
    _, act = _act(text)
    z = _grid()
    z = z[np.abs(z) > 0.01]
    h = 1e-5

    def f(x):
        out = np.empty_like(x)
        forward(act, x, out)
        return out

    fd = (f(z + h) - f(z - h)) / (2 * h)
    _, d = _apply(act, z)
    np.testing.assert_allclose(d, fd, rtol=1e-7, atol=1e-8)


def test_kink_conventions():
    z = np.zeros(1)
    a, d = _apply(_act("relu")[1], z)
    assert a[0] == 0 and d[0] == 0  # relu′(0) = 0
    assert _apply(_act("leaky_relu(0.1)")[1], z)[1][0] == pytest.approx(0.1)
    assert _apply(_act("elu(0.5)")[1], z)[1][0] == pytest.approx(0.5)
    # the default parameters are the documented ones
    assert ACTIVATIONS.parse("leaky_relu").args == (0.01,)
    assert ACTIVATIONS.parse("elu").args == (1.0,)


@pytest.mark.parametrize("text", VARIANTS)
def test_writes_into_strided_buffers(text):
    """forward and derivative write into any buffer, a strided view too."""
    _, act = _act(text)
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2, (4, 3, 5))
    store = np.full((4, 4, 5), 7.0)
    a_view = store[:, :-1, :]
    d = np.zeros_like(z)
    forward(act, z, a_view)
    derivative(act, z, d)
    a_flat, d_flat = _apply(act, z.ravel())
    assert np.array_equal(a_view, a_flat.reshape(z.shape))
    assert np.array_equal(d, d_flat.reshape(z.shape))
    assert np.all(store[:, -1, :] == 7.0), "the constant unit was overwritten"


@pytest.mark.parametrize("text", VARIANTS)
def test_float32_stays_float32(text):
    _, act = _act(text)
    z = _grid()
    a32, d32 = _apply(act, z, np.float32)
    a64, d64 = _apply(act, z)
    assert a32.dtype == d32.dtype == np.float32
    np.testing.assert_allclose(a32, a64, rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(d32, d64, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("text", VARIANTS)
def test_extremes_stay_sensible(text, dtype):
    choice, act = _act(text)
    z = np.array([-1e4, -800.0, -50.0, 50.0, 800.0, 1e4], dtype)
    with np.errstate(all="ignore"):  # the engine runs under errstate too
        a, d = _apply(act, z, dtype)
    if choice.name == "sin":
        assert np.isfinite(a).all() and np.isfinite(d).all()
        return
    # monotone activations: no NaN, and the textbook limits
    assert not np.isnan(a).any(), a
    assert not np.isnan(d).any(), d
    limits = {
        "sigmoid": ([0, 0, 0, 1, 1, 1], [0] * 6),
        "tanh": ([-1, -1, -1, 1, 1, 1], [0] * 6),
        "softplus": ([0, 0, 0, 50, 800, 1e4], [0, 0, 0, 1, 1, 1]),
        "relu": ([0, 0, 0, 50, 800, 1e4], [0, 0, 0, 1, 1, 1]),
        "linear": (z, [1] * 6),
    }
    if choice.name in limits:
        want_a, want_d = limits[choice.name]
        np.testing.assert_allclose(a, np.asarray(want_a, float), rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(d, want_d, rtol=1e-6, atol=1e-12)
    if choice.name == "elu":
        (alpha,) = choice.args
        np.testing.assert_allclose(a[:2], -alpha, rtol=1e-6)
        np.testing.assert_allclose(d[:2], 0, atol=1e-12)
    if choice.name == "gelu":
        np.testing.assert_allclose(a[3:], z[3:], rtol=1e-6)
        np.testing.assert_allclose(a[:3], 0, atol=1e-12)


@pytest.mark.parametrize("text", VARIANTS)
def test_tiny_derivative_is_one_percent_of_the_largest(text):
    choice, act = _act(text)
    z = np.linspace(-10, 10, 200001)
    _, d = _apply(act, z)
    if choice.name == "linear":
        assert act.tiny_derivative == 0  # never saturates
        return
    assert act.tiny_derivative == pytest.approx(0.01 * np.abs(d).max(), rel=0.01)


def test_outputs_are_activations():
    for name in OUTPUTS:
        assert name in ACTIVATIONS
        assert type(make_activation(OUTPUTS.parse(name), OUTPUTS)) is type(
            make_activation(ACTIVATIONS.parse(name), ACTIVATIONS))
    assert set(OUTPUTS) == {"sigmoid", "linear"}


def test_parameters_are_checked():
    from xorbench.errors import ChoiceError

    for bad in ["leaky_relu(1)", "leaky_relu(-0.1)", "elu(0)", "elu(-1)", "relu(1)"]:
        with pytest.raises(ChoiceError):
            ACTIVATIONS.parse(bad)
