"""The training loop's own activations, evaluated on any array (decision boundaries, tests).

:class:`~xorbench.config.activations.Activation` names a function; its arithmetic is
the compiled kernel's (:func:`xorbench.engine.kernel.activate`), so what a plot or a test
computes from stored parameters has the bits training had.
"""

from __future__ import annotations

import functools

import numpy as np

from xorbench.config.activations import Activation
from xorbench.engine import kernel, kernel_args


def activation_values(activation: Activation, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(z) and f′(z), each shaped like ``z``, in float32 if z is, else float64."""
    kernel_args.check_compiler()
    z = np.asarray(z)
    dtype = np.float32 if z.dtype == np.float32 else np.float64
    flat = np.ascontiguousarray(z, dtype).ravel()
    a, fp = np.empty_like(flat), np.empty_like(flat)
    consts = _constants(activation.alpha, flat.dtype.name)
    kernel.activation_values(kernel_args.ACTIVATION_CODES[activation.name], consts, flat, a, fp)
    return a.reshape(z.shape), fp.reshape(z.shape)


@functools.lru_cache(maxsize=64)
def _constants(alpha: float, dtype: str) -> np.ndarray:
    """The kernel's activation constants, made once per parameter and dtype (the plain
    loop asks for them at every update)."""
    return kernel_args.activation_constants(alpha, np.dtype(dtype))


def forward(activation: Activation, z: np.ndarray, out: np.ndarray) -> None:
    """out = f(z), into any buffer (a strided view too)."""
    out[...] = activation_values(activation, z)[0]


def derivative(activation: Activation, z: np.ndarray, out: np.ndarray) -> None:
    """out = f′(z)."""
    out[...] = activation_values(activation, z)[1]
