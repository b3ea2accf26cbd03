"""Tasks: pattern order and truth tables."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from xorbench.config.tasks import TASKS, all_patterns, make_task
from xorbench.errors import ChoiceError

# Targets over the patterns 00, 01, 10, 11 (first input most significant).
TRUTH = {
    "xor": [0, 1, 1, 0],
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "nand": [1, 1, 1, 0],
    "nor": [1, 0, 0, 0],
    "xnor": [1, 0, 0, 1],
}
PARAMETERISED = {"parity"}


def test_every_task_is_covered_here():
    assert set(TASKS) == set(TRUTH) | PARAMETERISED


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_two_input_truth_tables(name):
    task = make_task(TASKS.parse(name))
    assert task.inputs.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert task.targets.tolist() == TRUTH[name]
    assert task.n_inputs == 2 and task.n_patterns == 4
    assert task.pattern_names == ["00", "01", "10", "11"]
    assert task.label == name
    assert task.inputs.dtype == task.targets.dtype == np.float64


def test_two_input_tasks_mean_what_they_say():
    fns = {
        "xor": lambda a, b: a ^ b,
        "and": lambda a, b: a & b,
        "or": lambda a, b: a | b,
        "nand": lambda a, b: 1 - (a & b),
        "nor": lambda a, b: 1 - (a | b),
        "xnor": lambda a, b: 1 - (a ^ b),
    }
    for name, fn in fns.items():
        task = make_task(TASKS.parse(name))
        want = [fn(int(a), int(b)) for a, b in task.inputs]
        assert task.targets.tolist() == want, name


@pytest.mark.parametrize("n", range(2, 9))
def test_parity(n):
    task = make_task(TASKS.parse(f"parity({n})"))
    patterns = list(itertools.product([0, 1], repeat=n))  # counting order, first bit MSB
    assert task.inputs.tolist() == [list(p) for p in patterns]
    assert task.targets.tolist() == [sum(p) % 2 for p in patterns]
    assert task.n_inputs == n and task.n_patterns == 2**n
    assert task.pattern_names == ["".join(map(str, p)) for p in patterns]
    assert task.label == f"parity({n})"
    # pattern k is k written in binary
    codes = task.inputs @ (2 ** np.arange(n - 1, -1, -1))
    assert codes.tolist() == list(range(2**n))


def test_parity_2_is_xor():
    a, b = make_task(TASKS.parse("parity(2)")), make_task(TASKS.parse("xor"))
    assert np.array_equal(a.inputs, b.inputs) and np.array_equal(a.targets, b.targets)


def test_parity_range():
    for bad in ["parity(1)", "parity(9)", "parity(0)", "parity(2.5)", "parity", "parity(3,4)"]:
        with pytest.raises(ChoiceError):
            TASKS.parse(bad)


def test_all_patterns():
    assert all_patterns(1).tolist() == [[0], [1]]
    assert all_patterns(3)[5].tolist() == [1, 0, 1]
