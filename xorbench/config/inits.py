"""Weight and bias initialisations, one table entry each.

An init is a function of (rng, layer, shape, *params) returning an array of
``shape``: (fan_in, fan_out) for a weight matrix, (fan_out,) for a bias. ``layer``
(:class:`Layer`) is what an init may depend on: the layer's fan-in and fan-out, and
the network's hidden activation — scikit-learn scales its init by it.

Three entries are frameworks' defaults, each per layer and following the library's
own source (docs/matching-your-code.md):

* ``torch``: PyTorch's ``nn.Linear.reset_parameters`` (torch/nn/modules/linear.py,
  unchanged from 1.x to the 2.15 development branch): weights
  ``kaiming_uniform_(a=√5)``, i.e. U(±1/√fan_in), and biases U(±1/√fan_in);
* ``sklearn``: scikit-learn's ``BaseMultilayerPerceptron._init_coef``
  (sklearn/neural_network/_multilayer_perceptron.py, 1.7): weights and biases
  U(±√(f / (fan_in + fan_out))), f = 2 for a logistic (sigmoid) hidden activation, 6
  otherwise — in every layer, the output layer too;
* ``keras``: Keras's ``Dense`` defaults (keras/src/layers/core/dense.py, 3.16):
  ``glorot_uniform`` weights — :func:`_xavier`'s draws exactly — and ``zeros`` biases.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

from xorbench.config.choices import Choice, Entry, Param, Table


@dataclass(frozen=True)
class Layer:
    """The layer an init draws for: its fans, and the network's hidden activation (the
    name of its table entry; None where unknown, which only ``sklearn`` minds)."""

    fan_in: int
    fan_out: int
    activation: str | None = None


def _uniform(rng, layer, shape, low, high):
    return rng.uniform(low, high, shape)


def _normal(rng, layer, shape, std):
    return rng.normal(0.0, std, shape)


def _xavier(rng, layer, shape):
    # Glorot uniform: U(−l, l), l = √(6 / (fan_in + fan_out))
    limit = math.sqrt(6 / (layer.fan_in + layer.fan_out))
    return rng.uniform(-limit, limit, shape)


def _xavier_normal(rng, layer, shape):
    # Glorot normal: N(0, 2 / (fan_in + fan_out))
    return rng.normal(0.0, math.sqrt(2 / (layer.fan_in + layer.fan_out)), shape)


def _he(rng, layer, shape):
    # He normal: N(0, 2 / fan_in)
    return rng.normal(0.0, math.sqrt(2 / layer.fan_in), shape)


def _he_uniform(rng, layer, shape):
    # He uniform: U(−l, l), l = √(6 / fan_in)
    limit = math.sqrt(6 / layer.fan_in)
    return rng.uniform(-limit, limit, shape)


def _lecun(rng, layer, shape):
    # LeCun normal: N(0, 1 / fan_in)
    return rng.normal(0.0, math.sqrt(1 / layer.fan_in), shape)


def _zeros(rng, layer, shape):
    return np.zeros(shape)


def _constant(rng, layer, shape, value):
    return np.full(shape, float(value))


def _orthogonal(rng, layer, shape):
    # Saxe et al. 2014: the Q of a Gaussian matrix's QR, signs fixed by R's diagonal
    rows, cols = shape
    flat = rng.normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    return q if rows >= cols else q.T


def torch_bound(layer: Layer) -> float:
    """PyTorch's nn.Linear bound, weights and biases alike: 1/√fan_in (kaiming_uniform_
    with a = √5 gives √(2 / (1 + 5)) · √(3 / fan_in) = 1/√fan_in)."""
    return 1 / math.sqrt(layer.fan_in)


def _torch(rng, layer, shape):
    bound = torch_bound(layer)
    return rng.uniform(-bound, bound, shape)


def sklearn_bound(layer: Layer) -> float:
    """scikit-learn's MLP bound √(f / (fan_in + fan_out)), f = 2 for a logistic hidden
    activation and 6 otherwise (``_init_coef``: Glorot's uniform, narrowed for sigmoid)."""
    if layer.activation is None:
        raise ValueError("the sklearn init needs the network's hidden activation")
    factor = 2.0 if layer.activation == "sigmoid" else 6.0
    return math.sqrt(factor / (layer.fan_in + layer.fan_out))


def _sklearn(rng, layer, shape):
    bound = sklearn_bound(layer)
    return rng.uniform(-bound, bound, shape)


def _check_uniform(args: tuple) -> str | None:
    low, high = args
    if not low < high:
        return f"needs low < high, got low={low} and high={high}"
    if not math.isfinite(high - low):  # NumPy would draw from a width of inf: no numbers
        return (f"high - low = {high} - ({low}) overflows to inf; the interval must be "
                f"narrower than {sys.float_info.max:.4g}")
    return None


INITS = Table.of(
    "init",
    Entry(
        "uniform",
        (Param("low", float, None), Param("high", float, None)),
        impl=_uniform,
        check=_check_uniform,
        doc="U(low, high); uniform(0,1) is np.random.rand",
    ),
    Entry("normal", (Param("std", float, None, 0, low_open=True),), impl=_normal),
    Entry("xavier", impl=_xavier, doc="Glorot uniform"),
    Entry("xavier_normal", impl=_xavier_normal),
    Entry("he", impl=_he, doc="He normal"),
    Entry("he_uniform", impl=_he_uniform),
    Entry("lecun", impl=_lecun, doc="LeCun normal"),
    Entry("zeros", impl=_zeros),
    Entry("constant", (Param("value", float, None),), impl=_constant),
    Entry("orthogonal", impl=_orthogonal),
    Entry("torch", impl=_torch, doc="PyTorch nn.Linear's default: U(±1/√fan_in) per layer"),
    Entry("sklearn", impl=_sklearn,
          doc="scikit-learn MLP's default: U(±√(f/(fan_in+fan_out))), f = 2 for sigmoid, else 6"),
    Entry("keras", impl=_xavier, doc="Keras Dense's default: glorot_uniform (xavier's draws)"),
)

# A bias is a vector: every weight init applies except the orthogonal matrix, and
# Keras's Dense default for a bias is zeros (PyTorch's and scikit-learn's are their
# weights' rule, of the same layer).
BIAS_INITS = Table("bias_init", {
    **{k: e for k, e in INITS.entries.items() if k not in ("orthogonal", "keras")},
    "keras": Entry("keras", impl=_zeros, doc="Keras Dense's default bias: zeros"),
})


def draw(choice: Choice, rng: np.random.Generator, fan_in: int, fan_out: int,
         shape: tuple[int, ...], table: Table = INITS, *,
         activation: str | None = None) -> np.ndarray:
    """Draw one weight matrix or bias vector of ``shape`` with the chosen init, for a
    layer of ``fan_in`` inputs and ``fan_out`` units in a network whose hidden
    activation is ``activation`` (its name)."""
    layer = Layer(fan_in, fan_out, activation)
    return np.asarray(table.impl(choice)(rng, layer, shape, *choice.args), float)


class _NotUniform(Exception):
    """An init asked its generator for something other than one uniform draw."""


class _Recorder:
    """A generator stand-in that notes an init's ``uniform(low, high, size)`` calls
    instead of drawing; any other draw raises :class:`_NotUniform`."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def uniform(self, low, high, size):
        self.calls.append((low, high, size))
        return np.zeros(size)

    def __getattr__(self, name: str):
        raise _NotUniform(name)


def uniform_draws(choice: Choice, fan_in: int, fan_out: int, shape: tuple[int, ...],
                  table: Table = INITS, *, activation: str | None = None
                  ) -> tuple[float, float] | np.ndarray | None:
    """What :func:`draw` does, in terms a compiled loop can follow with NumPy's own bits:
    (low, high) if it is one ``rng.uniform(low, high, shape)`` call, the values if it
    draws nothing (zeros, constant), None otherwise (normal draws, orthogonal: NumPy
    draws those). Read from the init itself, so there is one formula per init."""
    recorder = _Recorder()
    try:
        values = table.impl(choice)(recorder, Layer(fan_in, fan_out, activation), shape,
                                    *choice.args)
    except _NotUniform:
        return None
    if not recorder.calls:
        return np.asarray(values, float).ravel()
    if len(recorder.calls) == 1 and tuple(np.atleast_1d(recorder.calls[0][2])) == shape:
        low, high, _ = recorder.calls[0]
        return float(low), float(high)
    return None
