"""Boolean tasks: every input pattern in a fixed order, with its target.

Patterns are the 2^n binary inputs in counting order with the first input as the
most significant bit (``00, 01, 10, 11`` for two inputs); targets are 0 or 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xorbench.config.choices import Choice, Entry, Param, Table


@dataclass(frozen=True)
class Task:
    """All patterns of a boolean function of ``n_inputs`` inputs."""

    label: str
    inputs: np.ndarray  # (P, n) of 0.0/1.0, P = 2^n
    targets: np.ndarray  # (P,) of 0.0/1.0

    @property
    def n_inputs(self) -> int:
        return self.inputs.shape[1]

    @property
    def n_patterns(self) -> int:
        return self.inputs.shape[0]

    @property
    def pattern_names(self) -> list[str]:
        """``["00", "01", "10", "11"]``: the suffixes of the ``y_<pattern>`` columns."""
        return ["".join(str(int(b)) for b in row) for row in self.inputs]


def all_patterns(n: int) -> np.ndarray:
    """(2^n, n) binary patterns in counting order, first input most significant."""
    codes = np.arange(2**n)
    return ((codes[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(np.float64)


def _two_input(truth: str):
    """A two-input task from its truth table over 00, 01, 10, 11 (e.g. ``"0110"``)."""

    def make() -> tuple[np.ndarray, np.ndarray]:
        return all_patterns(2), np.array([float(c) for c in truth])

    return make


def _parity(n: int) -> tuple[np.ndarray, np.ndarray]:
    inputs = all_patterns(n)
    return inputs, inputs.sum(axis=1) % 2  # target = x1 XOR x2 XOR ... XOR xn


TASKS = Table.of(
    "task",
    Entry("xor", impl=_two_input("0110"), doc="exclusive or: true when the inputs differ"),
    Entry("and", impl=_two_input("0001")),
    Entry("or", impl=_two_input("0111")),
    Entry("nand", impl=_two_input("1110")),
    Entry("nor", impl=_two_input("1000")),
    Entry("xnor", impl=_two_input("1001")),
    Entry(
        "parity",
        (Param("n", int, None, 2, 8),),
        impl=_parity,
        doc="n-bit parity: true when an odd number of inputs is 1",
    ),
)


def make_task(choice: Choice) -> Task:
    """The patterns and targets of a parsed task choice."""
    inputs, targets = TASKS.impl(choice)(*choice.args)
    return Task(choice.label, inputs, targets.astype(np.float64))
