"""Activation functions, one table entry each: names, parameters, saturation levels.

The arithmetic lives in the compiled kernel (``xorbench.engine.kernel.activate``, formulas
there), so that training, recorded outputs and decision boundaries all use the same
bits; ``xorbench.engine.functions.activation_values`` evaluates it on any array.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from xorbench.config.choices import Choice, Entry, Param, Table


@dataclass(frozen=True)
class Activation:
    """f and f′ of one table entry, with its parameter α (0 when it has none)."""

    name: str
    alpha: float = 0.0

    @property
    def tiny_derivative(self) -> float:
        """|f′| below this counts as "tiny": 1 % of the largest |f′|. A unit whose
        derivative is tiny on every pattern is saturated and barely learns."""
        largest = {
            "sigmoid": 0.25,  # σ′(0)
            "gelu": 1.13,  # max gelu′ ≈ 1.129
            "elu": max(1.0, self.alpha),  # α e^z just below 0, 1 above
            "linear": 0.0,  # never saturates
        }.get(self.name, 1.0)
        return 0.01 * largest


def _entry(name: str, params: tuple[Param, ...] = (), doc: str = "") -> Entry:
    return Entry(name, params, impl=functools.partial(Activation, name), doc=doc)


ACTIVATIONS = Table.of(
    "activation",
    _entry("sigmoid", doc="σ(z) = 1 / (1 + e^−z)"),
    _entry("tanh"),
    _entry("relu", doc="max(z, 0); derivative 0 at z = 0"),
    _entry("leaky_relu", (Param("alpha", float, 0.01, 0, 1, high_open=True),),
           doc="z if z > 0 else α z"),
    _entry("elu", (Param("alpha", float, 1.0, 0, low_open=True),),
           doc="z if z > 0 else α (e^z − 1)"),
    _entry("gelu", doc="GELU in its tanh form (Hendrycks & Gimpel 2016)"),
    _entry("softplus", doc="log(1 + e^z)"),
    _entry("sin"),
    _entry("linear"),
)

OUTPUTS = Table.of(
    "output",
    _entry("sigmoid", doc="probability-like output in (0, 1)"),
    _entry("linear", doc="unbounded output; threshold still at 0.5"),
)


def make_activation(choice: Choice, table: Table = ACTIVATIONS) -> Activation:
    """The activation object of a parsed choice."""
    return table.impl(choice)(*choice.args)
