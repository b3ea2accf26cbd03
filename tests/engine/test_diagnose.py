"""Failure labels (priority, layer flags) and the learned boolean function's name."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from xorbench import schema
from xorbench.config.tasks import TASKS, make_task
from xorbench.engine import diagnose
from xorbench.engine.diagnose import classify, layer_flags
from xorbench.schema import (
    FAILURE_CODE,
    FAILURE_LABELS,
    UNDECIDED,
    UNDECIDED_MARGIN,
    learned_names,
)

# ------------------------------------------------------------ classify

ORDER = ["none", "diverged", "symmetric", "dead", "saturated", "stuck", "slow"]


def test_labels_and_codes():
    assert list(FAILURE_LABELS) == ORDER
    assert all(FAILURE_CODE[label] == i for i, label in enumerate(ORDER))
    assert len(set(FAILURE_LABELS)) == len(FAILURE_LABELS)


def _conditions(flags):
    """classify's inputs for networks given as dicts of which conditions hold."""
    n = len(flags)
    solved = np.array([f.get("none", False) for f in flags])
    diverged = np.array([f.get("diverged", False) for f in flags])
    symmetric = np.array([f.get("symmetric", False) for f in flags])
    dead = np.array([f.get("dead", False) for f in flags])
    saturated = np.array([0.9 if f.get("saturated") else 0.1 for f in flags])
    loss_half = np.ones(n)
    # a plateau is a flat loss with a tiny gradient; slow is a falling loss
    loss_end = np.array([0.5 if f.get("slow") else 1.0 for f in flags])
    grad_norm = np.array([1e-4 if f.get("stuck") else 0.1 for f in flags])
    return solved, diverged, symmetric, dead, saturated, loss_end, loss_half, grad_norm


def test_classify_first_match_wins_in_every_combination():
    rules = ["none", "diverged", "symmetric", "dead", "saturated", "slow"]
    flags = [dict(zip(rules, bits, strict=True))
             for bits in itertools.product([False, True], repeat=len(rules))]
    flags += [{**f, "stuck": True} for f in flags if not f["slow"]]  # plateau: flat + tiny ∇
    codes = classify(*_conditions(flags))
    assert codes.dtype == np.int8
    for f, code in zip(flags, codes, strict=True):
        first = next((label for label in ORDER if f.get(label)), "stuck")
        assert FAILURE_LABELS[code] == first, f


def test_classify_boundaries():
    n = 6
    solved = diverged = symmetric = dead = np.zeros(n, bool)
    # saturated: strictly more than half of the (pattern, unit) pairs
    sat = np.array([0.5, 0.5000001, 1.0, 0.0, 0.2, 0.5])
    # slow: the loss fell by strictly more than 0.01 % over the second half
    half = np.ones(n)
    end = np.array([1.0, 1.0, 1.0, 0.9999, 0.9998, 1.2])
    grad = np.full(n, 0.1)
    labels = [FAILURE_LABELS[c] for c in classify(solved, diverged, symmetric, dead, sat, end,
                                                  half, grad)]
    assert labels == ["stuck", "saturated", "saturated", "stuck", "slow", "stuck"]
    assert diagnose.SATURATED_FRACTION == 0.5
    assert diagnose.SLOW_DECREASE == 1e-4


def test_classify_plateau_needs_tiny_gradient_and_flat_loss():
    n = 4
    no = np.zeros(n, bool)
    sat = np.zeros(n)
    half = np.ones(n)
    # falling 0.5 %: a plateau if ∇ is tiny (stuck), still learning if not (slow);
    # falling 2 %: slow whatever the gradient
    end = np.array([0.995, 0.995, 0.98, 0.98])
    grad = np.array([1e-3, 0.5, 1e-3, 0.5])
    labels = [FAILURE_LABELS[c] for c in classify(no, no, no, no, sat, end, half, grad)]
    assert labels == ["stuck", "slow", "slow", "slow"]
    assert diagnose.STUCK_GRADIENT == 1e-2


def test_classify_with_non_finite_losses_without_diverged_flag():
    nan = np.array([np.nan])
    no = np.zeros(1, bool)
    with np.errstate(all="raise"):
        codes = classify(no, no, no, no, np.zeros(1), nan, np.ones(1), np.ones(1))
    assert FAILURE_LABELS[codes[0]] == "stuck"


# ------------------------------------------------------------ layer flags


def _flags(W, a, fprime, tiny=0.01):
    return layer_flags(np.asarray(W, float), np.asarray(a, float), np.asarray(fprime, float),
                       tiny)


def test_layer_flags_symmetric():
    # W (fan_in + 1, H, N): network 0 identical units, network 1 one weight differs by 1e-6,
    # network 2 differs by 1e-12 (within tolerance)
    W = np.ones((3, 2, 3))
    W[0, 1, 1] += 1e-6
    W[2, 1, 2] += 1e-12
    a = np.random.default_rng(0).uniform(0, 1, (4, 2, 3))
    fprime = np.full((4, 2, 3), 0.2)
    sym, dead, tiny = _flags(W, a, fprime)
    assert sym.tolist() == [True, False, True]
    assert not dead.any()
    assert tiny.tolist() == [0, 0, 0]
    # a single unit is never symmetric
    sym, _, _ = _flags(W[:, :1], a[:, :1], fprime[:, :1])
    assert not sym.any()


def test_layer_flags_dead_needs_zero_derivative_and_constant_output():
    W = np.random.default_rng(1).normal(size=(3, 2, 4))
    a = np.zeros((4, 2, 4))
    fprime = np.zeros((4, 2, 4))
    a[:, :, 1] = 0.3  # constant but non-zero: still dead (nothing flows back)
    fprime[2, 1, 2] = 1.0  # one live (pattern, unit) pair: not dead
    a[1, 0, 3] = 0.1  # an output that varies: not dead
    _, dead, tiny = _flags(W, a, fprime)
    assert dead.tolist() == [True, True, False, False]
    assert tiny.tolist() == [8, 8, 7, 8]


def test_layer_flags_counts_tiny_derivatives_by_magnitude():
    W = np.random.default_rng(2).normal(size=(3, 3, 1))
    a = np.random.default_rng(3).uniform(size=(4, 3, 1))
    fprime = np.array([0.0, 0.009, -0.009, 0.01, -0.01, 0.5, -0.5, 1.0, 0.001, 2, 3, 0.0099])
    _, _, tiny = _flags(W, a, fprime.reshape(4, 3, 1))
    assert tiny.tolist() == [5]  # |f′| < 0.01: 0, ±0.009, 0.001, 0.0099


# ------------------------------------------------------------ learned names

TWO_INPUT = {
    "FALSE": lambda a, b: False,
    "AND": lambda a, b: a and b,
    "A AND NOT B": lambda a, b: a and not b,
    "A": lambda a, b: a,
    "NOT A AND B": lambda a, b: (not a) and b,
    "B": lambda a, b: b,
    "XOR": lambda a, b: a != b,
    "OR": lambda a, b: a or b,
    "NOR": lambda a, b: not (a or b),
    "XNOR": lambda a, b: a == b,
    "NOT B": lambda a, b: not b,
    "A OR NOT B": lambda a, b: a or not b,
    "NOT A": lambda a, b: not a,
    "NOT A OR B": lambda a, b: (not a) or b,
    "NAND": lambda a, b: not (a and b),
    "TRUE": lambda a, b: True,
}


def test_all_sixteen_two_input_names():
    """Each name denotes its function of (A, B) over the patterns 00, 01, 10, 11."""
    inputs = make_task(TASKS.parse("xor")).inputs  # A is the first input
    outputs = np.array([[0.9 if fn(bool(a), bool(b)) else 0.1 for a, b in inputs]
                        for fn in TWO_INPUT.values()]).T  # (P, N)
    assert learned_names(outputs) == list(TWO_INPUT)
    assert sorted(schema.TWO_INPUT_NAMES.values()) == sorted(TWO_INPUT)


def test_learned_names_threshold_at_one_half_and_tasks_name_themselves():
    out = np.array([[0.5, 0.5000001, -3.0, 7.0]] * 4)
    assert learned_names(out) == ["FALSE", "TRUE", "FALSE", "TRUE"]
    for name in ["xor", "and", "or", "nand", "nor", "xnor"]:
        task = make_task(TASKS.parse(name))
        assert learned_names(task.targets[:, None]) == [name.upper()]


def test_learned_names_of_larger_tasks_are_bit_strings():
    task = make_task(TASKS.parse("parity(3)"))
    assert learned_names(task.targets[:, None]) == ["01101001"]
    out = np.zeros((8, 2))
    out[[0, 7], 1] = 1
    assert learned_names(out) == ["00000000", "10000001"]


def test_learned_names_of_non_finite_outputs_are_empty():
    out = np.array([[0.9, np.nan, np.inf, 0.2],
                    [0.1, 0.1, 0.1, 0.8],
                    [0.1, 0.1, 0.1, 0.8],
                    [0.9, 0.9, 0.9, -np.inf]])
    with np.errstate(invalid="raise"):
        assert learned_names(out) == ["XNOR", "", "", ""]


@pytest.mark.parametrize("n", [2, 5])
def test_learned_names_shape(n):
    assert len(learned_names(np.zeros((2**n, 3)))) == 3


@pytest.mark.parametrize("n_patterns", [4, 8, 16])
def test_learned_names_name_each_network_by_its_own_outputs(n_patterns):
    """Networks are named once per distinct function: each still gets its own name."""
    rng = np.random.default_rng(n_patterns)
    outputs = rng.choice([0.1, 0.5, 0.9, np.nan, np.inf], size=(n_patterns, 300),
                         p=[0.45, 0.05, 0.45, 0.03, 0.02])
    names = learned_names(outputs)
    for s, name in enumerate(names):
        column = outputs[:, s]
        if not np.isfinite(column).all():
            assert name == ""
            continue
        bits = [bool(y > 0.5) for y in column]
        if n_patterns == 4:  # the name whose function gives these outputs on 00 01 10 11
            patterns = [(False, False), (False, True), (True, False), (True, True)]
            assert [TWO_INPUT[name](a, b) for a, b in patterns] == bits
        else:
            assert name == "".join("1" if b else "0" for b in bits)


def test_an_unsolved_network_with_an_output_near_one_half_decided_nothing():
    """0.510 · 0.499 · 0.501 · 0.490 thresholds to NOT B, but an output 0.001 from the
    threshold is noise: unsolved, it is undecided; solved, it keeps its function."""
    noise = np.array([[0.510], [0.499], [0.501], [0.490]])
    assert learned_names(noise) == ["NOT B"]  # without the verdict: the thresholded bits
    assert learned_names(noise, np.array([False])) == [UNDECIDED]
    assert learned_names(noise, np.array([True])) == ["NOT B"]
    margin = UNDECIDED_MARGIN
    near = np.array([[0.1], [0.9], [0.5 + 0.99 * margin], [0.9]])
    far = np.array([[0.1], [0.9], [0.5 + 1.01 * margin], [0.9]])
    assert learned_names(near, np.array([False])) == [UNDECIDED]
    assert learned_names(far, np.array([False])) == ["OR"]
    both = np.hstack([noise, far, np.full((4, 1), np.nan)])
    assert learned_names(both, np.zeros(3, bool)) == [UNDECIDED, "OR", ""]
