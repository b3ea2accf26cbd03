"""Weight and bias initialisations, one table entry each.

An init is a function of (rng, fan_in, fan_out, shape, *params) returning an array
of ``shape``: (fan_in, fan_out) for a weight matrix, (fan_out,) for a bias.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from xorbench.config.choices import Choice, Entry, Param, Table


def _uniform(rng, fan_in, fan_out, shape, low, high):
    return rng.uniform(low, high, shape)


def _normal(rng, fan_in, fan_out, shape, std):
    return rng.normal(0.0, std, shape)


def _xavier(rng, fan_in, fan_out, shape):
    # Glorot uniform: U(−l, l), l = √(6 / (fan_in + fan_out))
    limit = math.sqrt(6 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


def _xavier_normal(rng, fan_in, fan_out, shape):
    # Glorot normal: N(0, 2 / (fan_in + fan_out))
    return rng.normal(0.0, math.sqrt(2 / (fan_in + fan_out)), shape)


def _he(rng, fan_in, fan_out, shape):
    # He normal: N(0, 2 / fan_in)
    return rng.normal(0.0, math.sqrt(2 / fan_in), shape)


def _he_uniform(rng, fan_in, fan_out, shape):
    # He uniform: U(−l, l), l = √(6 / fan_in)
    limit = math.sqrt(6 / fan_in)
    return rng.uniform(-limit, limit, shape)


def _lecun(rng, fan_in, fan_out, shape):
    # LeCun normal: N(0, 1 / fan_in)
    return rng.normal(0.0, math.sqrt(1 / fan_in), shape)


def _zeros(rng, fan_in, fan_out, shape):
    return np.zeros(shape)


def _constant(rng, fan_in, fan_out, shape, value):
    return np.full(shape, float(value))


def _orthogonal(rng, fan_in, fan_out, shape):
    # Saxe et al. 2014: the Q of a Gaussian matrix's QR, signs fixed by R's diagonal
    rows, cols = shape
    flat = rng.normal(0.0, 1.0, (max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    return q if rows >= cols else q.T


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
)

# A bias is a vector: every weight init applies except the orthogonal matrix.
BIAS_INITS = Table("bias_init", {k: e for k, e in INITS.entries.items() if k != "orthogonal"})


def draw(choice: Choice, rng: np.random.Generator, fan_in: int, fan_out: int,
         shape: tuple[int, ...], table: Table = INITS) -> np.ndarray:
    """Draw one weight matrix or bias vector of ``shape`` with the chosen init."""
    return np.asarray(table.impl(choice)(rng, fan_in, fan_out, shape, *choice.args), float)
