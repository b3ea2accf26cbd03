"""A setup as the kernel takes it: layout, codes, constants, initial state, the cache."""

from __future__ import annotations

import numpy as np
import pytest

from xorbench.config import make_config
from xorbench.config.activations import ACTIVATIONS
from xorbench.config.criteria import CRITERIA
from xorbench.config.losses import LOSSES
from xorbench.config.optimizers import OPTIMIZERS
from xorbench.engine import Setup, kernel, kernel_args
from xorbench.engine.layout import n_params


def test_layout_gives_every_layer_its_rows_of_theta_and_its_units():
    layout = kernel_args.layout((3, 4, 2, 1))
    assert layout.tolist() == [[3, 4, 0, 0], [4, 2, 16, 4], [2, 1, 26, 6]]
    last = layout[-1]
    assert last[2] + (last[0] + 1) * last[1] == n_params((3, 4, 2, 1))


def test_every_table_entry_has_a_distinct_code():
    for table, codes in ((ACTIVATIONS, kernel_args.ACTIVATION_CODES),
                         (LOSSES, kernel_args.LOSS_CODES),
                         (OPTIMIZERS, kernel_args.OPTIMIZER_CODES),
                         (CRITERIA, kernel_args.CRITERION_CODES)):
        assert set(codes) == set(table)
        assert len(set(codes.values())) == len(codes)


def test_codes_and_constants_of_a_setup():
    setup = Setup.of(make_config(activation="leaky_relu(0.2)", output="linear", loss="sse",
                                 optimizer="adam(0.8,0.99)", criterion="tolerance(0.3)",
                                 dtype="float32"))
    codes = kernel_args.codes(setup)
    assert codes[kernel.HIDDEN] == kernel.LEAKY_RELU
    assert codes[kernel.OUTPUT] == kernel.LINEAR
    assert codes[kernel.LOSS] == kernel.SSE
    assert codes[kernel.OPTIMIZER] == kernel.ADAM
    assert codes[kernel.CRITERION] == kernel.TOLERANCE
    c = kernel_args.constants(setup, 4, np.dtype(np.float32))
    assert c.dtype == np.float32
    assert c[kernel.ALPHA] == np.float32(0.2)
    assert (c[kernel.BETA1], c[kernel.BETA2]) == (np.float32(0.8), np.float32(0.99))
    assert c[kernel.LEVEL] == np.float32(0.3)
    # sse: E = ½ Σ (y − t)², so ∂E/∂y = (y − t) over any number of rows
    assert (c[kernel.SCALE_FULL], c[kernel.FACTOR_FULL], c[kernel.FACTOR_ONE]) == (0.5, 1, 1)
    mse = kernel_args.constants(Setup.of(make_config(loss="mse")), 4, np.dtype(np.float64))
    assert (mse[kernel.SCALE_FULL], mse[kernel.FACTOR_FULL], mse[kernel.FACTOR_ONE]) == (
        0.25, 0.5, 2.0)


@pytest.mark.parametrize("optimizer", [*OPTIMIZERS])
def test_initial_state(optimizer):
    setup = Setup.of(make_config(optimizer=optimizer))
    theta, lr = np.ones((5, 3)), np.array([0.1, 0.2, 0.3])
    state = kernel_args.initial_state(setup, theta, lr)
    # iRprop+ keeps each network's last error in one more row: none yet (+inf)
    extra = 1 if optimizer == "irprop+" else 0
    assert state.shape == (2, 5 + extra, 3)
    if extra:
        assert np.isposinf(state[0, 5]).all() and not state[1, 5].any()
    if optimizer in ("rprop", "rprop+", "irprop+"):  # the first step is the learning
        assert np.array_equal(state[0, :5], np.broadcast_to(lr, (5, 3)))  # rate
        assert not state[1, :5].any()  # and there is no last gradient
    else:
        assert not state.any()


def test_a_cached_kernel_is_not_announced(monkeypatch):
    from xorbench.engine import evaluate

    evaluate(Setup.of(make_config()), np.zeros((9, 1)))  # compiled, or loaded from the cache
    assert "float64" in kernel_args.cached_dtypes(kernel.run)  # read from numba's real index
    assert kernel_args.uncompiled(["float64"]) == []
    # an empty cache index: both need compiling
    monkeypatch.setattr(kernel.run._cache._cache_file, "_load_index", lambda: {})
    assert kernel_args.uncompiled(["float64", "float32"]) == ["float32", "float64"]
