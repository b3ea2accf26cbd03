"""The kernel's own exp, and activation_values; training itself is tested through the
engine (tests/engine/test_batch.py and test_gradients.py, tests/engine/test_reference.py)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from xorbench.engine import kernel, kernel_args


def kernel_exp(x):
    """The kernel's exp of any number of float64 values."""
    x = np.asarray(x, float)
    out = np.empty_like(x)
    kernel.exp_values(x, out)
    return out


def test_exp_is_within_one_ulp():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-1, 1, 20000), rng.uniform(-30, 30, 20000),
                        rng.uniform(-708, 709.7, 20000), [0.0, -0.0, 1.0, -1.0, 709.78]])
    exact = np.exp(x.astype(np.longdouble))
    ulp = np.spacing(np.exp(x))
    error = np.abs((kernel_exp(x) - exact) / ulp).astype(float)
    assert error.max() < 1, x[error.argmax()]  # 0.96 measured on 600,000 points


def _exp_by_the_formula(x: float) -> float:
    """kernel.exp's formula in Python floats, each fused multiply-add rounded once by
    exact rational arithmetic (float(Fraction) rounds correctly), 2^k as two powers."""
    def fma(a, b, c):
        return float(Fraction(a) * Fraction(b) + Fraction(c))

    clamped = min(max(x, -708.5), 709.8)
    k = math.floor(clamped * kernel.LOG2E + 0.5)
    r = (clamped - k * kernel.LN2_HI) - k * kernel.LN2_LO
    poly = fma(r, kernel.P11, kernel.P10)
    for coefficient in (kernel.P9, kernel.P8, kernel.P7, kernel.P6, kernel.P5, kernel.P4,
                        kernel.P3, kernel.P2, kernel.P1, kernel.P0):
        poly = fma(r, poly, coefficient)
    half = k >> 1
    return poly * math.ldexp(1.0, half) * math.ldexp(1.0, k - half)


def test_exp_is_its_formula_bit_for_bit():
    """Range reduction, polynomial and scaling exactly as written, whatever the machine
    code does with them (k found without a float-to-int conversion, among others)."""
    rng = np.random.default_rng(3)
    ln2 = math.log(2)
    edges = np.arange(-1021, 1024) * ln2 + ln2 / 2  # where k steps: both sides of each
    x = np.concatenate([rng.uniform(-708, 709.7, 1500), rng.uniform(-2, 2, 500),
                        np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)])
    x = x[(x > kernel.EXP_MIN) & (x < kernel.EXP_MAX)]
    expected = np.array([_exp_by_the_formula(float(v)) for v in x])
    assert np.array_equal(kernel_exp(x).view(np.int64), expected.view(np.int64))
    # the whole-number trick itself, for every k the clamp allows and beyond
    k = np.arange(-1100, 1101, dtype=np.float64)
    assert np.array_equal((k + kernel.WHOLE_SHIFT).view(np.int64) - kernel.WHOLE_SHIFT_BITS,
                          k.astype(np.int64))


def test_exp_special_values():
    got = kernel_exp([np.nan, np.inf, -np.inf, 710.0, 1000.0, -708.5, -745.0, 0.0])
    assert np.isnan(got[0])
    assert got[1] == got[3] == got[4] == np.inf  # e^x overflows above 709.78…
    assert got[2] == got[5] == got[6] == 0.0  # and is flushed to 0 below −708.40 (subnormal)
    assert got[7] == 1.0


def test_exp_does_not_depend_on_the_lane():
    """Every lane computes the same bits for the same input (no vector/scalar split)."""
    x = np.random.default_rng(2).uniform(-50, 50, kernel.LANES)
    for shift in (1, 7, 31):
        assert np.array_equal(np.roll(kernel_exp(np.roll(x, shift)), -shift), kernel_exp(x))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activation_values_cover_any_length(dtype):
    z = np.linspace(-5, 5, 3 * kernel.LANES + 5).astype(dtype)
    a, fp = np.empty_like(z), np.empty_like(z)
    c = kernel_args.activation_constants(0.0, np.dtype(dtype))
    kernel.activation_values(kernel.SIGMOID, c, z, a, fp)
    sigma = 1 / (1 + np.exp(-z.astype(float)))
    np.testing.assert_allclose(a, sigma, rtol=1e-15 if dtype == np.float64 else 1e-7)
    # in float32 σ′ = σ (1 − σ) comes from the rounded σ: 1 − σ loses digits near σ = 1
    np.testing.assert_allclose(fp, sigma * (1 - sigma), rtol=1e-14 if dtype == np.float64
                               else 1e-4)
