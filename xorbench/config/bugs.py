"""Classic hand-written back-propagation bugs, one table entry each, and the rules they need.

The ``bug`` axis names how a network is trained: ``none`` is correct
back-propagation (the compiled kernel); every other entry is a bug a learner's own
loop commonly has, trained by the plain NumPy loop of :mod:`xorbench.engine.plain`
so that its rates and outputs can be measured like any setting's. Each entry says
in one line what goes wrong, the code that does it, and what to check.

The printing bugs (:data:`PRINTING_BUGS`) are not grid values: they change what is
printed after correct (or buggy) training, not the training, and ``xorbench explain``
applies them to the runs' outputs instead (:mod:`xorbench.analysis.printouts`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from xorbench.config.choices import Choice, Entry, Table
from xorbench.config.tasks import make_task
from xorbench.errors import ChoiceError


@dataclass(frozen=True)
class Bug:
    """One bug: what it does, the code pattern that produces it, and what to check."""

    name: str
    what: str  # one line: what goes wrong
    code: str  # one line of the code that produces it
    check: str  # the advice: what to check, and the fix
    hidden_only: bool = False  # touches only hidden layers: without one, training is correct


NONE = Bug("none", "correct back-propagation", "", "")

TRAINING_BUGS: tuple[Bug, ...] = (
    NONE,
    Bug("hidden-delta-index",
        "a hidden unit's error sums the next layer's weights of the unit below, W[l+1][j′][k], "
        "not of the unit itself, W[l+1][j′][j]; each weight moves with the partial sum so far, "
        "and a layer moves before its error is passed down (the question's code)",
        "for k in range(n[l-1]): err += sum(W[l+1][jj][k] * dsig(a[l+1][jj]) * d[l+1][jj] for "
        "jj in range(n[l+1])); W[l][j][k] -= lr * err * dsig(a[l][j]) * a[l-1][k]",
        "check how the hidden error indexes the next layer's weights: W[l+1][j′][j], summed "
        "over j′ before any weight of unit j moves",
        hidden_only=True),
    Bug("update-before-backprop",
        "a layer's weights are updated before the error is propagated through them",
        "W[l] -= lr * outer(a[l-1], d[l]); d[l-1] = (W[l] @ d[l]) * dsig(a[l-1])",
        "propagate the error through a layer's weights first, then update them",
        hidden_only=True),
    Bug("derivative-of-activation",
        "σ′ evaluated on the unit's output as if it were its input: σ(y)(1 − σ(y)) instead "
        "of y(1 − y)",
        "d = err * sigmoid_derivative(y)  # with sigmoid_derivative(x) = sigmoid(x) * "
        "(1 - sigmoid(x))",
        "take the derivative from the output as y(1 − y), or as σ′ of the unit's input z"),
    Bug("no-bias-update",
        "the biases are never updated: only the weights learn",
        "W[l] -= lr * outer(a[l-1], d[l])  # and no b[l] -= lr * d[l]",
        "update every bias with its unit's error: b[l] -= lr * d[l]"),
    Bug("sign-flip-hidden",
        "the hidden layers move up the gradient: their update has the wrong sign",
        "W[l] += lr * outer(a[l-1], d[l])  # hidden layers; the output layer has -=",
        "give every layer's update the same sign: W -= lr * dE/dW",
        hidden_only=True),
)

BUGS = Table.of("bug", *(Entry(bug.name, impl=bug, doc=bug.what) for bug in TRAINING_BUGS))

# Bugs of the printout, not of training: applied to a run's final outputs.
PRINTING_BUGS: tuple[Bug, ...] = (
    Bug("aliased-output",
        "the predictions are collected as references to one mutable array: every row shows "
        "the last output",
        "outputs.append(net.a[-1])  # the same array, overwritten by the next forward pass",
        "copy each output as you collect it (outputs.append(y.copy())), or print it at once"),
    Bug("row-order",
        "the rows are labelled in another order than the inputs were fed",
        "for x, y in zip(labels, predict(X_shuffled)): print(x, y)",
        "print each output next to the input that produced it"),
)
PRINTING = {bug.name: bug for bug in PRINTING_BUGS}


def bug_of(name: str) -> Bug:
    """The :class:`Bug` of a training or printing bug's name."""
    return PRINTING[name] if name in PRINTING else BUGS[name].impl


def bug_needs_sgd(bug: Choice, optimizer: Choice) -> ChoiceError | None:
    """A bug is trained by a hand-written loop: plain SGD, the way such loops update."""
    if bug.name != "none" and optimizer.name != "sgd":
        return ChoiceError("bug", bug.label, f"is trained with plain SGD, the way a hand-written "
                           f"loop updates, but optimizer = {optimizer.label!r}; allowed with "
                           f"optimizer = 'sgd', or bug = 'none'")
    return None


def index_needs_width(bug: Choice, task: Choice, hidden: tuple[int, ...]) -> ChoiceError | None:
    """``hidden-delta-index`` reads W[l+1][j′][k] for every unit k of the layer below a hidden
    layer l, which exists only where layer l is at least as wide as that layer."""
    if bug.name != "hidden-delta-index":
        return None
    widths = (make_task(task).n_inputs, *hidden)
    for below, width in itertools.pairwise(widths):
        if width < below:
            shown = "-".join(str(w) for w in hidden)
            return ChoiceError(
                "bug", bug.label, f"indexes the next layer's weights by the unit below, out of "
                f"range where a hidden layer is narrower than the layer below it: hidden = "
                f"{shown} has {width} units above {below}; allowed: hidden layers at least as "
                f"wide as the layer below (inputs: {widths[0]})")
    return None
