"""A build's source (xorbench.engine.build_source): the kernel's numbers, bit for bit, from a loop
written out for one setup."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from xorbench.bench import standard_config
from xorbench.config import make_config
from xorbench.engine import Member, Setup, build_source, builds, kernel, kernel_args, train_batch

pytestmark = pytest.mark.slow  # real processes or compiled builds

# Each is compiled once per test session (6–10 s); together they cover both dtypes
# (float32 with exp-based activations), every loss and criterion, three optimizers,
# hidden layers feeding hidden layers (deltas summed over several units), 3 inputs,
# and divergence. The other kinds call their own kernel function in the same place
# (test_each_kind_names_its_function).
BUILT = {
    "standard": standard_config(2),  # also what `xorbench bench` builds
    "deep": make_config(hidden=(3, 2), activation="gelu", output="linear", loss="sse",
                        optimizer="momentum(0.9)", criterion="rms(0.1)", dtype="float32"),
    "parity": make_config(task="parity(3)", hidden=(4,), activation="softplus", output="sigmoid",
                          loss="bce", optimizer="adam", criterion="tolerance(0.4)"),
    # Rprop+'s backtracking (iRprop+ has no build: spec_for)
    "rprop+": make_config(hidden=(3,), activation="tanh", optimizer="rprop+"),
    # one update per drawn pattern: the question's own setup (sampled, 30 a epoch, so
    # that draw blocks of 34 epochs end between budgets), online shuffles in float32
    # through two hidden layers, and cyclic epochs of 8 patterns
    "sampled": make_config(batch="sampled(30)", init="uniform(0,1)", bias_init="uniform(0,1)"),
    "online": make_config(batch="online", hidden=(3, 2), activation="tanh", output="linear",
                          loss="sse", optimizer="momentum(0.9)", criterion="rms(0.1)",
                          dtype="float32"),
    "cyclic": make_config(task="parity(3)", batch="cyclic", hidden=(4,), activation="elu",
                          loss="bce", optimizer="adam", criterion="tolerance(0.4)"),
}


def _train(config, *, build: bool):
    """train_batch of 150 networks (three blocks of lanes, the last part padding) with
    learning rates from tiny to diverging and three budgets; with ``build``, the test
    fails unless the build trained them."""
    setup = Setup.of(config)
    members = [Member(lr, config.init, config.bias_init, seed)
               for seed, lr in enumerate([0.01, 0.3, 2.0, 40.0, 1e4] * 30)]
    if not build:
        with builds.kernel_only():
            return train_batch(setup, members, [7, 40, 300])
    assert builds.prepare(setup)
    used = []
    real_ready = builds.ready

    def spy(spec, dtype):
        train = real_ready(spec, dtype)
        used.append(train is not None)
        return train

    builds.ready = spy
    try:
        result = train_batch(setup, members, [7, 40, 300])
    finally:
        builds.ready = real_ready
    assert used == [True]
    return result


def _bits(array: np.ndarray) -> np.ndarray:
    """Floats as their IEEE bits (so that −0.0 ≠ 0.0 and NaNs compare by payload)."""
    if array.dtype.kind == "f":
        return array.view(np.dtype(f"u{array.dtype.itemsize}"))
    return array


@pytest.mark.parametrize("name", list(BUILT))
def test_a_build_trains_the_kernels_numbers(name):
    config = BUILT[name]
    by_kernel, by_build = _train(config, build=False), _train(config, build=True)
    compared = 0
    for field in dataclasses.fields(by_kernel):
        mine, theirs = getattr(by_build, field.name), getattr(by_kernel, field.name)
        if isinstance(theirs, np.ndarray):
            assert mine.dtype == theirs.dtype
            assert np.array_equal(_bits(mine), _bits(theirs)), field.name
            compared += 1
    assert compared >= 10
    assert by_kernel.solved.any() and not by_kernel.solved.all()
    if name == "deep":  # some learning rates diverge: frozen as the kernel freezes them
        assert by_kernel.diverged[-1].any()


def test_each_kind_names_its_function():
    """The builds call the kernel's activation and update of a kind by name."""
    z = np.linspace(-6, 6, 97)
    c = kernel_args.activation_constants(0.3, np.dtype(np.float64))
    k = kernel.activation_constants(c)
    for code, name in enumerate(kernel.ACTIVATION_FUNCTIONS):
        a, fp = np.empty_like(z), np.empty_like(z)
        kernel.activation_values(code, c, z, a, fp)
        scalar = np.array([getattr(kernel, name)(x, k) for x in z])
        assert np.array_equal(scalar, np.stack([a, fp], axis=1)), name
    config = make_config(optimizer="adam")
    c = kernel_args.constants(Setup.of(config), 4, np.dtype(np.float64))
    for code, name in enumerate(kernel.OPTIMIZER_FUNCTIONS):
        theta, grad = np.full((1, kernel.LANES), 0.7), np.full((1, kernel.LANES), -0.2)
        # one parameter, and iRprop+'s extra row: its last error rose (1)
        state = np.full((2, 2, kernel.LANES), 0.1)
        state[1, 1] = 1.0
        q = kernel.step_constants(c, 3)
        lane = 1.0 if code == kernel.IRPROP_PLUS else 0.5  # η, or whether E rose
        expected = getattr(kernel, name)(0.7, -0.2, 0.1, 0.1, lane, q)
        kernel.step(code, theta, grad, state, np.full(kernel.LANES, 0.5), 3, c)
        assert (theta[0, 0], state[0, 0, 0], state[1, 0, 0]) == expected, name
    # the backtracking Rprops undo the last step here (g · g_prev < 0, the error rose)
    for name in ("rprop_plus", "irprop_plus"):
        assert getattr(kernel, name)(0.7, -0.2, 0.1, 0.1, 1.0, q)[0] == 0.7 + 0.1


def test_only_small_setups_trained_correctly_have_a_build():
    assert build_source.spec_for(Setup.of(make_config(hidden=(8,)))).size == 4 * 9
    assert build_source.spec_for(Setup.of(make_config(hidden=(16,)))) is None  # 68 > 48
    assert build_source.spec_for(Setup.of(make_config(bug="no-bias-update"))) is None
    # online, sampled and cyclic epochs share one build: the orders are run-time values
    per_pattern = {build_source.spec_for(Setup.of(make_config(batch=batch)))
                   for batch in ("online", "cyclic", "sampled(10)", "sampled(1000)")}
    assert len(per_pattern) == 1 and per_pattern.pop().per_pattern
    assert not build_source.spec_for(Setup.of(make_config())).per_pattern
    # iRprop+ compares errors between epochs, which a build does not keep
    assert build_source.spec_for(Setup.of(make_config(optimizer="irprop+"))) is None
    assert build_source.spec_for(Setup.of(make_config(optimizer="rprop+"))) is not None
    # both squared errors share a build (their constants are run-time), cross-entropy not
    assert (build_source.spec_for(Setup.of(make_config(loss="sse")))
            == build_source.spec_for(Setup.of(make_config(loss="mse")))
            != build_source.spec_for(Setup.of(make_config(loss="bce"))))
    # setups that differ only in their targets share a build
    assert (build_source.spec_for(Setup.of(make_config(task="and")))
            == build_source.spec_for(Setup.of(make_config(task="xor"))))
