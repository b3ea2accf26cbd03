"""Subroutines (xorbench.engine.subroutines): compiled into their callers only, with the
numbers an ordinary njit function gives."""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import pytest

from xorbench.engine import kernel, subroutines
from xorbench.engine.subroutines import subroutine


@subroutine
def _scaled_ratio(a, b, c):
    """(a / b) · c: divides by zero as numpy does (inf, NaN), never raises."""
    return (a / b) * c


@subroutine
def _twice_ratio(a, b):
    return _scaled_ratio(a, b, 2.0) + _scaled_ratio(b, a, 0.5)


@nb.njit(error_model="numpy")
def _caller(a, b):
    return _twice_ratio(a, b)


@nb.njit(error_model="numpy")
def _other_caller(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = _scaled_ratio(x[i], 3.0, 1.0)
    return out


def test_compiled_and_python_callers_agree():
    for a, b in [(1.0, 3.0), (-2.5, 0.1), (1e300, 1e-300), (0.0, 0.0), (1.0, 0.0)]:
        compiled = _caller(a, b)
        called = _twice_ratio(a, b)
        assert compiled == called or (math.isnan(compiled) and math.isnan(called))
    # the division of the plain Python expression, as the error model promises
    assert _caller(1.0, 3.0) == (1.0 / 3.0) * 2.0 + (3.0 / 1.0) * 0.5
    assert _caller(1.0, 0.0) == math.inf and math.isnan(_caller(0.0, 0.0))
    x = np.linspace(-1, 1, 7)
    assert np.array_equal(_other_caller(x), x / 3.0)


@pytest.mark.skipif(not subroutines.LINKS_AS_LLVM,
                    reason=f"numba {nb.__version__}: subroutines are linked through numba's public "
                           "path (finalised on their own, slower to compile, the same code)")
def test_a_subroutine_is_compiled_once_and_never_finalised_alone():
    """Its machine code is generated only inside the entry points that call it (the
    point of subroutines: numba would otherwise finalise every level of the kernel on
    its own). Fails if numba's libraries no longer take this linking."""
    _caller(1.0, 2.0)
    _other_caller(np.ones(3))
    assert len(_scaled_ratio.compiled) == 1  # one compile for both callers (float64 × 3)
    for routine in (_scaled_ratio, _twice_ratio):
        for result, _ in routine.compiled.values():
            assert not result.library._finalized


def test_the_kernel_entry_points_are_the_only_njit_functions():
    """Every compiled function in the kernel but its entry points is a subroutine."""
    entry_points = {name for name, value in vars(kernel).items()
                    if isinstance(value, nb.core.registry.CPUDispatcher)}
    assert entry_points == {"run", "exp_values", "activation_values"}
