"""A setup as the compiled kernel takes it: layout table, run-time codes, constants.

:mod:`xorbench.engine.kernel` knows nothing of the choice tables; this module turns a
:class:`~xorbench.engine.Setup`'s choices into its integer codes and the numbers
its arithmetic uses (in the batch's dtype, so float32 networks compute in float32).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numba
import numpy as np

from xorbench.config import Setup
from xorbench.config.losses import LOSSES
from xorbench.config.optimizers import OPTIMIZERS, Adam, Rprop
from xorbench.engine import kernel, pcg64
from xorbench.engine.layout import layer_rows, unit_starts
from xorbench.errors import XorbenchError


def check_compiler() -> None:
    """XorbenchError unless numba compiles: the training loop cannot run as Python (its
    ``exp`` needs a fused multiply-add rounded once, which Python before 3.13 cannot
    give bit for bit, and it would be a thousand times slower)."""
    if numba.config.DISABLE_JIT:
        raise XorbenchError("NUMBA_DISABLE_JIT is set: xorbench's training loop must be "
                            "compiled by numba (as Python it cannot compute the same bits); "
                            "unset NUMBA_DISABLE_JIT")


ACTIVATION_CODES = {
    "sigmoid": kernel.SIGMOID, "tanh": kernel.TANH, "relu": kernel.RELU,
    "leaky_relu": kernel.LEAKY_RELU, "elu": kernel.ELU, "gelu": kernel.GELU,
    "softplus": kernel.SOFTPLUS, "sin": kernel.SIN, "linear": kernel.LINEAR,
}
LOSS_CODES = {"mse": kernel.MSE, "sse": kernel.SSE, "bce": kernel.BCE}
OPTIMIZER_CODES = {"sgd": kernel.SGD, "momentum": kernel.MOMENTUM, "nesterov": kernel.NESTEROV,
                   "adam": kernel.ADAM, "rprop": kernel.RPROP, "rprop+": kernel.RPROP_PLUS,
                   "irprop+": kernel.IRPROP_PLUS}
CRITERION_CODES = {"threshold": kernel.THRESHOLD, "tolerance": kernel.TOLERANCE,
                   "rms": kernel.RMS}


def layout(widths: Sequence[int]) -> np.ndarray:
    """One row per layer: fan_in, fan_out, its first row in θ, its first unit."""
    return np.array([(fan_in, fan_out, weights.start, unit)
                     for (fan_in, fan_out, weights, _), unit
                     in zip(layer_rows(tuple(widths)), unit_starts(widths), strict=True)],
                    np.int64)


def codes(setup: Setup) -> np.ndarray:
    """The kernel's ``codes`` array: hidden and output activation, loss, optimizer,
    criterion."""
    out = np.zeros(5, np.int64)
    out[kernel.HIDDEN] = ACTIVATION_CODES[setup.activation.name]
    out[kernel.OUTPUT] = ACTIVATION_CODES[setup.output.name]
    out[kernel.LOSS] = LOSS_CODES[setup.loss.name]
    out[kernel.OPTIMIZER] = OPTIMIZER_CODES[setup.optimizer.name]
    out[kernel.CRITERION] = CRITERION_CODES[setup.criterion.name]
    return out


def initial_state(setup: Setup, theta: np.ndarray, lr: np.ndarray) -> np.ndarray:
    """The optimizer's state (2, D, N) before the first update: zeros (momentum's and
    Nesterov's v, Adam's m and v), or for the Rprop family its steps Δ = η and last
    gradients 0. iRprop+ has one more row: its last error (+inf: none yet) and whether
    the error rose (:func:`xorbench.engine.kernel.note_error`)."""
    rule = OPTIMIZERS.impl(setup.optimizer)
    n_params, n_nets = theta.shape
    state = np.zeros((2, n_params + (1 if rule.uses_error else 0), n_nets), theta.dtype)
    if rule.first_step_is_lr:
        state[0, :n_params] = lr
    if rule.uses_error:
        state[0, n_params] = np.inf
    return state


def activation_constants(alpha: float, dtype: np.dtype) -> np.ndarray:
    """The ``consts`` an activation needs (``alpha`` its parameter), in ``dtype``."""
    c = np.zeros(kernel.N_CONSTS, np.float64)
    c[kernel.HALF], c[kernel.ONE], c[kernel.TWO] = 0.5, 1.0, 2.0
    c[kernel.ALPHA] = alpha
    # gelu's tanh form: c = √(2/π), k = 0.044715
    c[kernel.GELU_C], c[kernel.GELU_K] = math.sqrt(2 / math.pi), 0.044715
    c[kernel.GELU_3K] = 3 * 0.044715
    return c.astype(dtype)


def constants(setup: Setup, n_patterns: int, dtype: np.dtype) -> np.ndarray:
    """The kernel's ``consts`` array, in ``dtype``."""
    alpha = setup.activation.args[0] if setup.activation.args else 0.0
    c = activation_constants(alpha, np.dtype(np.float64))
    betas = (*setup.optimizer.args, 0.0, 0.0)  # momentum's β, or adam's β1 and β2
    c[kernel.BETA1], c[kernel.BETA2] = betas[0], betas[1]
    c[kernel.LEVEL] = setup.criterion.args[0] if setup.criterion.args else 0.0
    c[kernel.ADAM_EPS] = Adam.eps
    loss = LOSSES.impl(setup.loss)
    # E = c Σ_p term_p; ∂E/∂z = k (y − t) f′(z), k = 2c (squared) or c (bce)
    c[kernel.SCALE_FULL] = loss.scale(n_patterns)
    c[kernel.MEAN_FULL] = 1 / n_patterns
    c[kernel.FACTOR_FULL] = loss.delta_factor(n_patterns)
    c[kernel.FACTOR_ONE] = loss.delta_factor(1)
    c[kernel.RPROP_UP], c[kernel.RPROP_DOWN] = Rprop.eta_plus, Rprop.eta_minus
    c[kernel.RPROP_MIN], c[kernel.RPROP_MAX] = Rprop.step_min, Rprop.step_max
    return c.astype(dtype)


# Compiling the kernel for one dtype, as a sweep announces it: 19 s on this project's
# 2-vCPU EPYC (30 s before subroutines, docs/performance.md); scaled, ~7 s on issue 20's Xeon.
COMPILE_SECONDS = 15


def load_numba() -> None:
    """Have numba register its implementations in this process now: what its first
    compile or cache load in a process does before anything else (~0.7 s on this
    project's 2-vCPU EPYC, finding scipy's BLAS included), so that a worker started
    ahead of the kernel's compile does it then, not before its first batch."""
    from numba.core.registry import cpu_target

    cpu_target.target_context.refresh()


def cached_dtypes(dispatcher) -> set[str] | None:
    """The dtypes (names) of θ for which numba's disk cache holds this compiled function
    for this machine (so that a new process loads it instead of compiling); None if
    unknown. Reads numba's cache index (its internals: if they change, None)."""
    try:
        from numba.core.registry import cpu_target

        index = dispatcher._cache._cache_file._load_index()
        machine = cpu_target.target_context.codegen().magic_tuple()
        # keys: (signature, machine, (code hashes)); the signature's first type is θ's
        on_disk = {str(key[0][0].dtype) for key in index if key[1] == machine}
    except Exception:  # pragma: no cover - numba's internals moved
        return None
    return on_disk


def uncompiled(dtypes: Iterable[str]) -> list[str]:
    """Those of ``dtypes`` (names: "float64", "float32") whose kernel numba's disk cache
    does not hold for this machine, so that the first batch will compile it first
    (none when that cannot be known)."""
    cached = cached_dtypes(kernel.run)
    return [] if cached is None else sorted(set(dtypes) - cached)


_DRAWS_READY = [False]


def draws_ready() -> bool:
    """Whether the compiled random draws (:mod:`xorbench.engine.pcg64`) can be used
    without compiling them: compiled in this process, or in numba's disk cache for this
    machine. Until then the engine draws with NumPy (the same numbers): compiling them
    takes longer than a small grid's draws (a sweep compiles them when worth it)."""
    if not _DRAWS_READY[0]:
        _DRAWS_READY[0] = all(function.signatures or cached_dtypes(function)
                              for function in pcg64.ENTRY_POINTS)
    return _DRAWS_READY[0]


def draws_uncompiled() -> bool:
    """Whether numba's disk cache lacks any of the compiled random draws
    (:mod:`xorbench.engine.pcg64`) for this machine (False when that cannot be known)."""
    return any(cached_dtypes(function) == set() for function in pcg64.ENTRY_POINTS)
