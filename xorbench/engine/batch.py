"""The batched training engine: N small networks of one shape trained at once.

:mod:`xorbench.engine.layout` holds the layout (θ as one (D, N) array, the network
index last) and :mod:`xorbench.engine.kernel` the compiled epoch loop (forward and
backward passes, optimizer steps, criterion, losses, divergence), or for a
full-batch setup its build (:mod:`xorbench.engine.builds`), which trains the same bits;
this module prepares a batch — initial weights from each run's seed, pattern
orders for online and sampled training (:mod:`xorbench.engine.streams`) — runs the
training from budget to budget, and at every epoch budget records how each network
ended (solved, epoch_solved, loss, outputs, failure label).

Nothing mixes two networks and every sum is added in a fixed order, so a
network's numbers are bit-identical whether it is trained alone or with
thousands of others, whatever they are; and nothing in training depends on the
budget, so one pass to the largest budget records every smaller one exactly.

A run's random numbers come from its own seed only:
``SeedSequence(seed).spawn(2)`` gives the init stream and the data-order stream.
Weights are drawn before biases, layer by layer, so a seed gives the same initial
weights whatever the bias init, learning rate, optimizer or loss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from xorbench.config import DTYPES, Member, Setup, make_config
from xorbench.config.activations import ACTIVATIONS, make_activation
from xorbench.config.tasks import make_task
from xorbench.engine import build_source, builds, diagnose, kernel, kernel_args
from xorbench.engine.initial import initial_thetas
from xorbench.engine.layout import layer_views
from xorbench.engine.numerics import sum_leading_inplace
from xorbench.engine.streams import PatternOrders

# Which rounding the engine's arithmetic follows: bumped whenever a change makes some
# run's numbers differ in the last bits, so that a sweep never resumes shards of
# another numerics into one table. 1: until η moved into the backward pass; 2: until
# the compiled kernel (xorbench.engine.kernel); 3: now.
ENGINE_NUMERICS = 3

def log_epochs(max_epoch: int) -> list[int]:
    """1, 2, 3, 5, 10, 20, 30, 50, 100, ... up to ``max_epoch``: where curves are sampled."""
    epochs, scale = [], 1
    while scale <= max_epoch:
        epochs.extend(m * scale for m in (1, 2, 3, 5) if m * scale <= max_epoch)
        scale *= 10
    return epochs


def kept_epochs(budgets: Sequence[int]) -> np.ndarray:
    """The epochs whose loss a batch keeps, ascending: the curve's log-spaced epochs, each
    budget and each half budget (the failure rules compare the two). A few dozen
    however long the budget, so a network's memory never grows with it."""
    largest = max(budgets)
    kept = set(log_epochs(largest)) | set(budgets) | {b // 2 for b in budgets}
    return np.array(sorted(kept), np.int64)


@dataclass
class BatchResult:
    """Everything recorded for N networks at each epoch budget.

    Arrays indexed [budget, ...] follow ``budgets``; ``curve_loss`` follows
    ``curve_epochs`` (log-spaced, up to the largest budget).
    """

    setup: Setup
    members: list[Member]
    budgets: tuple[int, ...]
    pattern_names: list[str]
    solved: np.ndarray  # (B, N) bool: the criterion holds at the end of the budget
    epoch_solved: np.ndarray  # (B, N) int: first epoch it held, −1 if never within budget
    final_loss: np.ndarray  # (B, N)
    accuracy: np.ndarray  # (B, N) fraction of patterns on the right side of 0.5
    grad_norm: np.ndarray  # (B, N) ‖∇E‖₂ over all parameters, full batch
    failure: np.ndarray  # (B, N) int8 codes into schema.FAILURE_LABELS
    diverged: np.ndarray  # (B, N) bool
    outputs: np.ndarray  # (B, P, N) final outputs per pattern
    params: np.ndarray  # (B, D, N) final parameters (θ layout above)
    curve_epochs: tuple[int, ...] = ()
    curve_loss: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (K, N)


def train_batch(setup: Setup, members: Sequence[Member], budgets: Sequence[int]) -> BatchResult:
    """Train every member network once to the largest budget; record each budget.

    The state after E epochs does not depend on the budget, so each budget's
    record equals what training to that budget alone would give.
    """
    kernel_args.check_compiler()
    if setup.bug.name != "none":
        raise ValueError(f"bug {setup.bug.label!r}: trained by xorbench.engine.plain, "
                         "not the kernel (xorbench.engine.route.train_networks chooses)")
    budgets = check_budgets(budgets, members)
    batch = BatchState.start(setup, members, budgets)
    result = batch.empty_result(members, budgets)
    # this setup's build, if one is compiled (build_source): the same numbers, faster
    spec = build_source.spec_for(setup)
    build = builds.ready(spec, batch.dtype) if spec is not None else None

    epoch = 0
    for stop in _stops(budgets, batch.orders):
        recording = stop in budgets
        # a budget's epoch was observed when it was recorded: its books are kept
        seen = epoch in budgets
        if build is not None and epoch < stop:
            if seen:  # the kernel redoes only its forward pass
                batch.kernel(epoch, epoch + 1, seen=True, record=False)
                epoch, seen = epoch + 1, False
            batch.build(build, epoch, stop)
            epoch = stop
        if epoch < stop or recording:
            batch.kernel(epoch, stop, seen=seen, record=recording)
        if recording:
            with np.errstate(all="ignore"):  # diverged networks: inf and NaN are expected
                batch.record(result, budgets.index(stop), stop)
        epoch = stop
    result.curve_loss = batch.losses[np.searchsorted(batch.kept, result.curve_epochs)]
    return result


def check_budgets(budgets: Sequence[int], members: Sequence[Member]) -> tuple[int, ...]:
    """The distinct budgets, ascending; ValueError if one is not positive or there are no
    networks."""
    budgets = tuple(sorted(set(int(b) for b in budgets)))
    if not budgets or budgets[0] < 1:
        raise ValueError("epoch budgets must be positive")
    if not members:
        raise ValueError("a batch needs at least one network")
    return budgets


@dataclass
class BatchState:
    """The arrays of one batch in training, in the layout the kernel takes them (the plain
    loop of :mod:`xorbench.engine.plain` keeps its books in them too)."""

    setup: Setup
    dtype: np.dtype
    targets: np.ndarray  # (P,) the task's, float64
    theta: np.ndarray  # (D, N) parameters
    state: np.ndarray  # (2, D, N) the optimizer's
    lr: np.ndarray  # (N,)
    orders: PatternOrders | None  # online / sampled pattern orders; None: full batch
    kept: np.ndarray  # the epochs whose loss is kept, ascending
    losses: np.ndarray  # (len(kept), N)
    epoch_solved: np.ndarray  # (N,) first epoch the criterion held, −1 if not yet
    diverged: np.ndarray  # (N,)
    observed: Observed
    kernel_setup: dict  # the kernel's arguments that describe the setup

    @classmethod
    def start(cls, setup: Setup, members: Sequence[Member], budgets: tuple[int, ...]) -> BatchState:
        task = make_task(setup.task)
        dtype = np.dtype(DTYPES.impl(setup.dtype))
        n_nets, n_patterns = len(members), task.n_patterns
        theta = np.array(initial_thetas(setup.widths, members, setup.activation), dtype=dtype)
        lr = np.array([m.lr for m in members], dtype=dtype)
        orders = (None if setup.batch.name == "full" else
                  PatternOrders(setup.batch, n_patterns, [m.seed for m in members]))
        kept = kept_epochs(budgets)
        kernel_setup = dict(
            layout=kernel_args.layout(setup.widths), inputs=task.inputs,
            targets=task.targets.astype(dtype), codes=kernel_args.codes(setup),
            c=kernel_args.constants(setup, n_patterns, dtype))
        return cls(setup, dtype, task.targets, theta,
                   kernel_args.initial_state(setup, theta, lr), lr, orders, kept,
                   np.zeros((len(kept), n_nets), dtype), np.full(n_nets, -1, np.int64),
                   np.zeros(n_nets, bool),
                   Observed.empty(n_patterns, sum(setup.widths[1:]), theta.shape[0], n_nets,
                                  dtype),
                   kernel_setup)

    def empty_result(self, members: Sequence[Member], budgets: tuple[int, ...]) -> BatchResult:
        (n_params, n_nets), n_budgets = self.theta.shape, len(budgets)
        n_patterns = self.targets.shape[0]
        return BatchResult(
            setup=self.setup, members=list(members), budgets=budgets,
            pattern_names=make_task(self.setup.task).pattern_names,
            solved=np.zeros((n_budgets, n_nets), bool),
            epoch_solved=np.full((n_budgets, n_nets), -1, np.int64),
            final_loss=np.zeros((n_budgets, n_nets), self.dtype),
            accuracy=np.zeros((n_budgets, n_nets)),
            grad_norm=np.zeros((n_budgets, n_nets), self.dtype),
            failure=np.zeros((n_budgets, n_nets), np.int8),
            diverged=np.zeros((n_budgets, n_nets), bool),
            outputs=np.zeros((n_budgets, n_patterns, n_nets), self.dtype),
            params=np.zeros((n_budgets, n_params, n_nets), self.dtype),
            curve_epochs=tuple(log_epochs(budgets[-1])),
        )

    def kernel(self, first: int, stop: int, seen: bool, record: bool) -> None:
        """Epochs [first, stop) by the kernel; with ``record``, observe epoch ``stop``."""
        if self.orders is not None and first < stop:
            orders, orders_start = self.orders.block_at(first)
        else:
            orders, orders_start = np.zeros((1, 0, self.theta.shape[1]), np.uint8), 0
        o = self.observed
        kernel.run(
            theta=self.theta, state=self.state, lr=self.lr, **self.kernel_setup,
            epoch_solved=self.epoch_solved, diverged=self.diverged, losses=self.losses,
            kept=self.kept, first_epoch=first, stop_epoch=stop, seen_first=seen,
            orders=orders, orders_start=orders_start, record=record, outputs=o.outputs,
            derivatives=o.derivatives, gradients=o.gradient, final_loss=o.loss,
            scores=o.score)

    def build(self, train: Callable, first: int, stop: int) -> None:
        """Epochs [first, stop) by the setup's build: the kernel's numbers. Online and
        sampled epochs take their block of pattern orders (``stop`` never passes its end:
        :func:`_stops`)."""
        setup = self.kernel_setup
        args = (self.theta, self.state, self.lr, setup["targets"], setup["c"],
                self.epoch_solved, self.diverged, self.losses, self.kept, first, stop)
        if self.orders is None:
            train(*args)
        else:
            orders, orders_start = self.orders.block_at(first)
            train(*args, orders, orders_start)

    def record(self, result: BatchResult, b: int, stop: int) -> None:
        """Budget b's row of ``result``, from the state observed at epoch ``stop``."""
        _record(result, b, self.setup.widths, self.theta, self.observed, self.epoch_solved,
                self.diverged, self.losses[np.searchsorted(self.kept, stop // 2)],
                self.targets, make_activation(self.setup.activation, ACTIVATIONS))


@dataclass
class Observed:
    """The kernel's view of a batch at a recorded epoch, on every pattern."""

    outputs: np.ndarray  # (P, units, N): every unit's activation, the output last
    derivatives: np.ndarray  # (P, units, N): f′(z) of every unit
    gradient: np.ndarray  # (D, N): ∇E over all patterns
    loss: np.ndarray  # (N,)
    score: np.ndarray  # (N,) the criterion's score: solved ⟺ score > 0

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        """In the order :func:`xorbench.engine.kernel.run` takes them."""
        return self.outputs, self.derivatives, self.gradient, self.loss, self.score

    @classmethod
    def empty(cls, n_patterns: int, n_units: int, n_params: int, n_nets: int,
              dtype: np.dtype) -> Observed:
        return cls(np.zeros((n_patterns, n_units, n_nets), dtype),
                   np.zeros((n_patterns, n_units, n_nets), dtype),
                   np.zeros((n_params, n_nets), dtype), np.zeros(n_nets, dtype),
                   np.zeros(n_nets, dtype))


def _stops(budgets: tuple[int, ...], orders: PatternOrders | None) -> list[int]:
    """Epochs where the kernel returns: each budget, and (online / sampled) each start of
    a block of drawn pattern orders."""
    stops = set(budgets)
    if orders is not None:
        stops |= set(range(orders.epochs_per_block, budgets[-1], orders.epochs_per_block))
    return sorted(stops)


def evaluate(setup: Setup, theta: np.ndarray) -> Observed:
    """Outputs, derivatives, ∇E, E and the criterion's score of networks θ (D, N) of
    ``setup``, from the same arithmetic as training (nothing is trained). As in
    training at epoch 0, a network whose loss is not finite is frozen: NaN gradient."""
    kernel_args.check_compiler()
    task = make_task(setup.task)
    dtype = np.dtype(DTYPES.impl(setup.dtype))
    widths = setup.widths
    theta = np.array(theta, dtype=dtype, order="C")
    n_nets = theta.shape[1]
    observed = Observed.empty(task.n_patterns, sum(widths[1:]), theta.shape[0], n_nets, dtype)
    kernel.run(
        theta=theta, state=np.zeros((2, *theta.shape), dtype), lr=np.zeros(n_nets, dtype),
        layout=kernel_args.layout(widths), inputs=task.inputs,
        targets=task.targets.astype(dtype), codes=kernel_args.codes(setup),
        c=kernel_args.constants(setup, task.n_patterns, dtype),
        epoch_solved=np.full(n_nets, -1, np.int64), diverged=np.zeros(n_nets, bool),
        losses=np.zeros((1, n_nets), dtype), kept=np.zeros(1, np.int64), first_epoch=0,
        stop_epoch=0, seen_first=False, orders=np.zeros((1, 0, n_nets), np.uint8),
        orders_start=0, record=True, outputs=observed.outputs,
        derivatives=observed.derivatives, gradients=observed.gradient,
        final_loss=observed.loss, scores=observed.score)
    return observed


def _record(result: BatchResult, b: int, widths, theta, observed: Observed, epoch_solved,
            diverged, loss_half, targets, hidden_act) -> None:
    """Fill budget b's row of ``result`` from the state the kernel observed."""
    loss_now, y = observed.loss, observed.outputs[:, -1, :]
    diverged_now = diverged | ~np.isfinite(loss_now) | ~np.isfinite(theta).all(axis=0)
    solved = (observed.score > 0) & ~diverged_now
    result.solved[b] = solved
    result.epoch_solved[b] = epoch_solved
    result.final_loss[b] = loss_now
    margin = (y - 0.5) * (2 * targets[:, None] - 1)
    result.accuracy[b] = (margin > 0).sum(axis=0) / margin.shape[0]
    squared = observed.gradient * observed.gradient
    result.grad_norm[b] = np.sqrt(sum_leading_inplace(squared))  # ‖∇E‖₂
    result.diverged[b] = diverged_now
    result.outputs[b] = y
    result.params[b] = theta
    result.params[b][:, diverged_now] = np.nan  # a diverged network is recorded frozen

    n_nets = theta.shape[1]
    symmetric = np.zeros(n_nets, bool)
    dead = np.zeros(n_nets, bool)
    tiny_pairs = np.zeros(n_nets)
    n_pairs, first_unit = 0, 0
    for W in layer_views(theta, widths)[:-1]:
        units = slice(first_unit, first_unit + W.shape[1])
        a, fprime = observed.outputs[:, units], observed.derivatives[:, units]
        sym, dd, tiny = diagnose.layer_flags(W, a, fprime, hidden_act.tiny_derivative)
        symmetric |= sym
        dead |= dd
        tiny_pairs += tiny
        n_pairs += a.shape[0] * a.shape[1]
        first_unit = units.stop
    saturated = tiny_pairs / max(n_pairs, 1)
    result.failure[b] = diagnose.classify(
        solved, diverged_now, symmetric, dead, saturated, loss_now, loss_half, result.grad_norm[b]
    )


def compile_kernel(dtype: str) -> None:
    """Compile the training loop for ``dtype`` (a name: float64, float32) in this process,
    into numba's disk cache, unless it is there: a sweep does it before its workers start,
    so that they load it (0.3 s) instead of each compiling it."""
    evaluate(Setup.of(make_config(dtype=dtype)), np.zeros((9, 1)))
