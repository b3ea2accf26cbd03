"""The plain NumPy training loop: N networks trained the way a learner's own loop trains them.

Correct training is the compiled kernel's (:mod:`xorbench.engine.kernel`). This loop
exists beside it for the hand-written bugs of :mod:`xorbench.config.bugs`: readable
NumPy, networks on the last axis, one update per drawn pattern (online, sampled) or
per epoch (full batch), each update's arithmetic in :mod:`xorbench.engine.backprop`.
With ``bug = none`` it is textbook SGD and agrees with the kernel
(tests/engine/test_plain.py), which is what makes a bug's rates comparable with
correct training's.

Everything around the update is the engine's own, so a bug's runs have the same
columns and pair seed by seed with correct training: the initial weights from each
run's seed (:func:`~xorbench.engine.initial.initial_params`), the pattern orders
(:class:`~xorbench.engine.streams.PatternOrders`), the activations' arithmetic
(:func:`~xorbench.engine.functions.activation_values`), and what is observed and
recorded (:func:`~xorbench.engine.batch.evaluate`: outputs, the true gradient's norm,
loss, criterion, failure label). The one difference: divergence is checked at every
epoch, not every 32nd.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xorbench.config import Member, Setup
from xorbench.config.activations import ACTIVATIONS, OUTPUTS, Activation, make_activation
from xorbench.config.losses import LOSSES
from xorbench.config.tasks import make_task
from xorbench.engine import backprop
from xorbench.engine.batch import BatchResult, BatchState, check_budgets, evaluate
from xorbench.engine.functions import activation_values
from xorbench.engine.layout import layer_views


def train_plain(setup: Setup, members: Sequence[Member], budgets: Sequence[int],
                theta: np.ndarray | None = None) -> BatchResult:
    """Train every member network with ``setup``'s bug (or none) to the largest budget by
    the plain loop; record each budget as :func:`~xorbench.engine.batch.train_batch` does.

    ``theta`` (D, N), if given, replaces the seeds' initial parameters (a learner's own
    draws: :func:`xorbench.engine.streams.legacy_params`); the seeds still give the
    pattern orders.
    """
    budgets = check_budgets(budgets, members)
    state = BatchState.start(setup, members, budgets)
    if theta is not None:
        state.theta[...] = theta
    result = state.empty_result(members, budgets)
    loop = PlainLoop.of(setup, state)
    with np.errstate(all="ignore"):  # diverging networks: inf and NaN are expected
        for epoch in range(budgets[-1] + 1):
            observed = _observe(setup, state, epoch)
            if epoch in budgets:
                state.observed = observed
                state.record(result, budgets.index(epoch), epoch)
            if epoch < budgets[-1]:
                loop.epoch(epoch)
    result.curve_loss = state.losses[np.searchsorted(state.kept, result.curve_epochs)]
    return result


def _observe(setup: Setup, state: BatchState, epoch: int):
    """The state after ``epoch`` epochs on every pattern, into the batch's books: the
    first epoch the criterion holds, the loss where it is kept, divergence (a network
    whose loss or parameters are not finite is frozen: θ = NaN)."""
    observed = evaluate(setup, state.theta)
    fresh = (observed.score > 0) & (state.epoch_solved < 0)
    state.epoch_solved[fresh] = epoch
    row = np.searchsorted(state.kept, epoch)
    if row < len(state.kept) and state.kept[row] == epoch:
        state.losses[row] = observed.loss
    broken = ~np.isfinite(observed.loss) | ~np.isfinite(state.theta).all(axis=0)
    state.diverged |= broken
    state.theta[:, broken] = np.nan
    return observed


@dataclass
class PlainLoop:
    """What one update needs: the layers (views of θ, written in place), the functions,
    the patterns, the learning rates and the loss's δ factor per update."""

    bug: str
    layers: list[np.ndarray]  # layer l: (fan_in + 1, fan_out, N), the bias last
    hidden: Activation
    output: Activation
    inputs: np.ndarray  # (P, n) in θ's dtype
    targets: np.ndarray  # (P,)
    orders: object  # PatternOrders, or None for full batch
    eta: np.ndarray  # (N,)
    factor: float  # k in δ_L = k (y − t) f′(z), for the rows of one update
    from_logit: bool  # bce: δ_L = k (y − t)

    @classmethod
    def of(cls, setup: Setup, state: BatchState) -> PlainLoop:
        task = make_task(setup.task)
        dtype = state.theta.dtype
        loss = LOSSES.impl(setup.loss)
        rows = task.n_patterns if state.orders is None else 1
        return cls(setup.bug.name, layer_views(state.theta, setup.widths),
                   make_activation(setup.activation, ACTIVATIONS),
                   make_activation(setup.output, OUTPUTS), task.inputs.astype(dtype),
                   task.targets.astype(dtype), state.orders, state.lr,
                   dtype.type(loss.delta_factor(rows)), loss.from_logit)

    def epoch(self, epoch: int) -> None:
        """One epoch: every pattern at once (full batch), or one update per drawn pattern,
        each network its own (online, sampled)."""
        n_nets = self.eta.shape[0]
        if self.orders is None:
            n_patterns, n_inputs = self.inputs.shape
            x = np.broadcast_to(self.inputs[:, :, None], (n_patterns, n_inputs, n_nets))
            self.update(x, np.broadcast_to(self.targets[:, None], (n_patterns, n_nets)))
            return
        picks = self.orders.epoch(epoch)  # (updates, N): each update's pattern per network
        xs = np.ascontiguousarray(self.inputs.T[:, picks].transpose(1, 0, 2))  # (updates, n, N)
        ts = self.targets[picks]  # (updates, N)
        for u in range(picks.shape[0]):
            self.update(xs[u, None], ts[u, None])

    def update(self, x: np.ndarray, t: np.ndarray) -> None:
        """One update from rows x (R, n, N) with targets t (R, N)."""
        acts, slopes, y = self.forward(x)
        delta = backprop.output_delta(y, slopes[-1], t, self.factor, self.from_logit)
        backprop.update(self.bug, self.layers, acts, slopes, delta, self.eta)

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
        """z = b + Σ_i a_i w_ij (added in i order), a = f(z), layer by layer: each layer's
        input activations (x first), its units' slopes f′ and the output y (R, 1, N).

        The slope is f′(z) — or, for ``derivative-of-activation``, f′ evaluated on the
        output as if it were the input, f′(f(z)): σ(y)(1 − σ(y)) instead of y(1 − y).
        """
        acts, slopes, a = [], [], x
        last = len(self.layers) - 1
        for l, W in enumerate(self.layers):
            z = W[-1] + a[:, 0, None, :] * W[0]  # (R, fan_out, N)
            for i in range(1, W.shape[0] - 1):
                z += a[:, i, None, :] * W[i]
            f = self.output if l == last else self.hidden
            acts.append(a)
            a, slope = activation_values(f, z)
            if self.bug == "derivative-of-activation":
                slope = activation_values(f, a)[1]
            slopes.append(slope)
        return acts, slopes, a
