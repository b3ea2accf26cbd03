"""Activation functions and their exact derivatives, one table entry each.

Each entry writes into preallocated buffers (``out=``) so that the engine's epoch
loop allocates nothing for the common activations. ``derivative`` receives both
the pre-activation ``z`` and the activation ``a = f(z)`` and uses whichever gives
the textbook formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from xorbench.choices import Choice, Entry, Param, Table


@dataclass(frozen=True)
class Activation:
    """Base: ``forward`` computes a = f(z), ``derivative`` computes f′(z)."""

    # |f′| below this counts as "tiny" (1 % of the largest |f′|): a unit whose
    # derivative is tiny on every pattern is saturated and barely learns.
    tiny_derivative = 0.01

    def forward(self, z: np.ndarray, out: np.ndarray) -> None:
        raise NotImplementedError

    def derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> None:
        raise NotImplementedError


class Sigmoid(Activation):
    tiny_derivative = 0.0025  # 1 % of σ′(0) = 0.25

    def forward(self, z, out):
        # σ(z) = 1 / (1 + e^−z)
        np.negative(z, out=out)
        np.exp(out, out=out)
        np.add(out, 1, out=out)
        np.divide(1, out, out=out)

    def derivative(self, z, a, out):
        # σ′(z) = σ(z) (1 − σ(z))
        np.subtract(1, a, out=out)
        np.multiply(out, a, out=out)


class Tanh(Activation):
    def forward(self, z, out):
        np.tanh(z, out=out)

    def derivative(self, z, a, out):
        # tanh′(z) = 1 − tanh²(z)
        np.multiply(a, a, out=out)
        np.subtract(1, out, out=out)


class Relu(Activation):
    def forward(self, z, out):
        np.maximum(z, 0, out=out)

    def derivative(self, z, a, out):
        # relu′(z) = 1 if z > 0 else 0 (0 at z = 0, the usual convention)
        np.greater(z, 0, out=out)


@dataclass(frozen=True)
class LeakyRelu(Activation):
    alpha: float = 0.01

    def forward(self, z, out):
        # max(z, αz) for 0 ≤ α < 1
        np.multiply(z, self.alpha, out=out)
        np.maximum(z, out, out=out)

    def derivative(self, z, a, out):
        # 1 if z > 0 else α
        np.greater(z, 0, out=out)
        np.multiply(out, 1 - self.alpha, out=out)
        np.add(out, self.alpha, out=out)


@dataclass(frozen=True)
class Elu(Activation):
    alpha: float = 1.0

    @property
    def tiny_derivative(self):  # type: ignore[override]
        return 0.01 * max(1.0, self.alpha)

    def forward(self, z, out):
        # z if z > 0 else α (e^z − 1)
        np.minimum(z, 0, out=out)
        np.expm1(out, out=out)
        np.multiply(out, self.alpha, out=out)
        np.copyto(out, z, where=z > 0)

    def derivative(self, z, a, out):
        # 1 if z > 0 else α e^z = f(z) + α
        np.add(a, self.alpha, out=out)
        np.copyto(out, 1, where=z > 0)


_GELU_C = math.sqrt(2 / math.pi)
_GELU_K = 0.044715


class Gelu(Activation):
    """GELU in its tanh form (Hendrycks & Gimpel 2016): NumPy has no erf."""

    tiny_derivative = 0.0113  # 1 % of max gelu′ ≈ 1.129

    def forward(self, z, out):
        # ½ z (1 + tanh(c (z + k z³))), c = √(2/π), k = 0.044715
        u = _GELU_C * (z + _GELU_K * z**3)
        np.tanh(u, out=out)
        np.add(out, 1, out=out)
        np.multiply(out, z, out=out)
        np.multiply(out, 0.5, out=out)

    def derivative(self, z, a, out):
        # ½ (1 + tanh u) + ½ z (1 − tanh² u) c (1 + 3k z²)
        tanh_u = np.tanh(_GELU_C * (z + _GELU_K * z**3))
        du = _GELU_C * (1 + 3 * _GELU_K * z**2)
        np.multiply(0.5 * z * (1 - tanh_u**2), du, out=out)
        np.add(out, 0.5 * (1 + tanh_u), out=out)


class Softplus(Activation):
    def forward(self, z, out):
        # log(1 + e^z) = max(z, 0) + log(1 + e^−|z|), stable for large |z|
        np.abs(z, out=out)
        np.negative(out, out=out)
        np.exp(out, out=out)
        np.log1p(out, out=out)
        np.add(out, np.maximum(z, 0), out=out)

    def derivative(self, z, a, out):
        # softplus′(z) = σ(z)
        Sigmoid().forward(z, out)


class Sin(Activation):
    def forward(self, z, out):
        np.sin(z, out=out)

    def derivative(self, z, a, out):
        np.cos(z, out=out)


class Linear(Activation):
    tiny_derivative = 0.0  # never saturates

    def forward(self, z, out):
        np.copyto(out, z)

    def derivative(self, z, a, out):
        out.fill(1)


ACTIVATIONS = Table.of(
    "activation",
    Entry("sigmoid", impl=Sigmoid),
    Entry("tanh", impl=Tanh),
    Entry("relu", impl=Relu),
    Entry("leaky_relu", (Param("alpha", float, 0.01, 0, 1, high_open=True),), impl=LeakyRelu),
    Entry("elu", (Param("alpha", float, 1.0, 0, low_open=True),), impl=Elu),
    Entry("gelu", impl=Gelu),
    Entry("softplus", impl=Softplus),
    Entry("sin", impl=Sin),
    Entry("linear", impl=Linear),
)

OUTPUTS = Table.of(
    "output",
    Entry("sigmoid", impl=Sigmoid, doc="probability-like output in (0, 1)"),
    Entry("linear", impl=Linear, doc="unbounded output; threshold still at 0.5"),
)


def make_activation(choice: Choice, table: Table = ACTIVATIONS) -> Activation:
    """The activation object of a parsed choice."""
    return table.impl(choice)(*choice.args)
