"""The batched training engine: N small networks of one shape trained at once.

:mod:`xorbench.network` holds the layout (θ as one (D, N) array, the network
index last) and the forward and backward passes; this module trains: initial
weights from each run's seed, the epoch loop for full, online and sampled
batches, the optimizer steps, and at every epoch budget the record of how each
network ended (solved, epoch_solved, loss, outputs, failure label).

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

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from xorbench import diagnose
from xorbench.activations import ACTIVATIONS, OUTPUTS, make_activation
from xorbench.choices import Choice
from xorbench.config import DTYPES, RunConfig, updates_per_epoch
from xorbench.criteria import CRITERIA
from xorbench.inits import BIAS_INITS, INITS, draw
from xorbench.losses import LOSSES
from xorbench.network import BatchPass, layer_views, n_params
from xorbench.numerics import sum_leading_inplace
from xorbench.optimizers import OPTIMIZERS
from xorbench.tasks import make_task

# Which rounding the engine's arithmetic follows: bumped whenever a change makes some
# run's numbers differ in the last bits, so that a sweep never resumes shards of
# another numerics into one table. 1: until η moved into the backward pass; 2: now.
ENGINE_NUMERICS = 2

# Epochs per block of criterion scores: epoch_solved is resolved and divergence
# checked once a block (at fixed epochs, whatever the budgets), not every epoch.
CHECK_EVERY = 32

# Pattern indices of online / sampled epochs are drawn this many updates at a time
# (a whole number of epochs), so the draws never depend on the epoch budget.
DRAW_BLOCK_UPDATES = 1024


@dataclass(frozen=True)
class Setup:
    """What every network in one batch shares: shapes and functions."""

    task: Choice
    hidden: tuple[int, ...]
    activation: Choice
    output: Choice
    loss: Choice
    optimizer: Choice
    batch: Choice
    criterion: Choice
    dtype: Choice

    @classmethod
    def of(cls, config: RunConfig) -> Setup:
        return cls(**{name: getattr(config, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Member:
    """What may differ between the networks of a batch."""

    lr: float
    init: Choice
    bias_init: Choice
    seed: int

    @classmethod
    def of(cls, config: RunConfig, seed: int) -> Member:
        return cls(config.lr, config.init, config.bias_init, seed)

    def config(self, setup: Setup) -> RunConfig:
        """The full configuration of this member within ``setup``."""
        shared = {name: getattr(setup, name) for name in Setup.__dataclass_fields__}
        return RunConfig(**shared, lr=self.lr, init=self.init, bias_init=self.bias_init)


def log_epochs(max_epoch: int) -> list[int]:
    """1, 2, 3, 5, 10, 20, 30, 50, 100, ... up to ``max_epoch``: where curves are sampled."""
    epochs, scale = [], 1
    while scale <= max_epoch:
        epochs.extend(m * scale for m in (1, 2, 3, 5) if m * scale <= max_epoch)
        scale *= 10
    return epochs


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
    failure: np.ndarray  # (B, N) int8 codes into diagnose.FAILURE_LABELS
    diverged: np.ndarray  # (B, N) bool
    outputs: np.ndarray  # (B, P, N) final outputs per pattern
    params: np.ndarray  # (B, D, N) final parameters (θ layout above)
    curve_epochs: tuple[int, ...] = ()
    curve_loss: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (K, N)


def bytes_per_network(setup: Setup) -> int:
    """About how many bytes of buffers one network of ``setup`` occupies in a batch.

    Per layer: z, a, f′ and δ (4 P fan_out) and the scratch products (≤ 2 P
    (fan_in + 1) fan_out); θ, its gradient, the optimizer's scratch and state (≈ 5 D);
    the criterion's block of scores. The runner sizes batches by it
    (:func:`xorbench.runner.cache_batch_size`).
    """
    n_patterns = make_task(setup.task).n_patterns
    widths = (make_task(setup.task).n_inputs, *setup.hidden, 1)
    elements = sum(4 * n_patterns * fo + 2 * n_patterns * (fi + 1) * fo
                   for fi, fo in itertools.pairwise(widths))
    elements += 5 * n_params(widths) + CHECK_EVERY + 2 * n_patterns
    return elements * np.dtype(DTYPES.impl(setup.dtype)).itemsize


def initial_params(widths: Sequence[int], init: Choice, bias_init: Choice, seed: int) -> np.ndarray:
    """One network's initial θ column (D,), from its seed's init stream.

    All weight matrices are drawn first (layer by layer, (fan_in, fan_out) in C
    order), then all biases, so the weights do not depend on the bias init.
    Cached: a seed's weights recur in every configuration that shares its
    architecture and inits.
    """
    return _initial_params(tuple(widths), init, bias_init, int(seed))


@functools.lru_cache(maxsize=2**16)
def _initial_params(widths: tuple[int, ...], init: Choice, bias_init: Choice,
                    seed: int) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(_stream(seed, 0)))
    theta = np.zeros((n_params(widths), 1))
    blocks = layer_views(theta, widths)  # (fan_in + 1, fan_out, 1): weights, then bias
    for (fan_in, fan_out), block in zip(itertools.pairwise(widths), blocks, strict=True):
        block[:fan_in, :, 0] = draw(init, rng, fan_in, fan_out, (fan_in, fan_out), INITS)
    for (fan_in, fan_out), block in zip(itertools.pairwise(widths), blocks, strict=True):
        block[fan_in, :, 0] = draw(bias_init, rng, fan_in, fan_out, (fan_out,), BIAS_INITS)
    column = theta[:, 0]
    column.flags.writeable = False
    return column


def _stream(seed: int, which: int) -> np.random.SeedSequence:
    """``SeedSequence(seed).spawn(2)[which]``: 0 the init stream, 1 the data-order stream.

    Built directly (a child of spawn is the parent's entropy with spawn_key
    (which,)), which is 3× cheaper than spawning — it matters at a million runs.
    """
    return np.random.SeedSequence(seed, spawn_key=(which,))


def _data_rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(_stream(seed, 1)))


class _Orders:
    """Per-network pattern orders for online / sampled epochs, drawn in fixed blocks.

    Networks that share a seed share their order (common random numbers), so each
    distinct seed is drawn once.
    """

    def __init__(self, batch: Choice, n_patterns: int, seeds: Sequence[int]):
        self.online = batch.name == "online"
        self.per_epoch = updates_per_epoch(batch, n_patterns)
        self.n_patterns = n_patterns
        self.index_dtype = np.min_scalar_type(n_patterns - 1)
        self.epochs_per_block = max(1, DRAW_BLOCK_UPDATES // self.per_epoch)
        unique, self.column = np.unique(np.asarray(seeds), return_inverse=True)
        # network s draws from stream column[s]; often simply its own, in order
        self.own_streams = np.array_equal(self.column, np.arange(len(seeds)))
        self.rngs = [_data_rng(int(s)) for s in unique]
        self.block: np.ndarray | None = None
        self.block_start = -1

    def epoch(self, epoch: int) -> np.ndarray:
        """Pattern indices of the updates of ``epoch`` (0-based), (per_epoch, N)."""
        start = epoch - epoch % self.epochs_per_block
        if start != self.block_start:
            k = self.epochs_per_block
            # each stream's draws whole (one contiguous copy each) as small integers
            # (indices are < P ≤ 256), then the networks moved to the last axis
            by_stream = np.empty((len(self.rngs), k, self.per_epoch), self.index_dtype)
            for row, rng in zip(by_stream, self.rngs, strict=True):
                if self.online:  # k independent shuffles of 0..P−1, one per epoch
                    row[:] = rng.permuted(np.tile(np.arange(self.n_patterns), (k, 1)), axis=1)
                else:
                    row[:] = rng.integers(0, self.n_patterns, size=(k, self.per_epoch))
            by_network = _streams_last(by_stream)  # (k, per_epoch, streams)
            self.block = (by_network if self.own_streams
                          else by_network.take(self.column, axis=2))  # (k, per_epoch, N)
            self.block_start = start
        return self.block[epoch - start]


# Streams moved to the last axis this many at a time: each slice's rows stay in cache
# while they are scattered (one whole-array transposed copy is ~12× slower).
TRANSPOSE_STREAMS = 64


def _streams_last(by_stream: np.ndarray) -> np.ndarray:
    """(streams, k, per_epoch) → a contiguous (k, per_epoch, streams) copy."""
    n_streams = by_stream.shape[0]
    rows = by_stream.reshape(n_streams, -1)
    out = np.empty((rows.shape[1], n_streams), by_stream.dtype)
    for first in range(0, n_streams, TRANSPOSE_STREAMS):
        out[:, first : first + TRANSPOSE_STREAMS] = rows[first : first + TRANSPOSE_STREAMS].T
    return out.reshape(*by_stream.shape[1:], n_streams)


def train_batch(setup: Setup, members: Sequence[Member], budgets: Sequence[int]) -> BatchResult:
    """Train every member network once to the largest budget; record each budget.

    The state after E epochs does not depend on the budget, so each budget's
    record equals what training to that budget alone would give.
    """
    budgets = tuple(sorted(set(int(b) for b in budgets)))
    if not budgets or budgets[0] < 1:
        raise ValueError("epoch budgets must be positive")
    if not members:
        raise ValueError("a batch needs at least one network")
    task = make_task(setup.task)
    dtype = np.dtype(DTYPES.impl(setup.dtype))
    widths = (task.n_inputs, *setup.hidden, 1)
    n_nets, n_patterns, max_epoch = len(members), task.n_patterns, budgets[-1]
    hidden_act = make_activation(setup.activation, ACTIVATIONS)
    output_act = make_activation(setup.output, OUTPUTS)
    loss = LOSSES.impl(setup.loss)
    optimizer = OPTIMIZERS.impl(setup.optimizer)(*setup.optimizer.args)
    criterion = CRITERIA.impl(setup.criterion)(*setup.criterion.args)
    full_batch = setup.batch.name == "full"

    # θ (D, N): each distinct (init, bias_init, seed) is drawn once
    cache: dict[tuple, np.ndarray] = {}
    columns = []
    for m in members:
        key = (m.init, m.bias_init, m.seed)
        if key not in cache:
            cache[key] = initial_params(widths, m.init, m.bias_init, m.seed)
        columns.append(cache[key])
    theta = np.array(np.stack(columns, axis=1), dtype=dtype)
    grad = np.zeros_like(theta)
    scratch = np.zeros_like(theta)
    W, G = layer_views(theta, widths), layer_views(grad, widths)
    lr = np.array([m.lr for m in members], dtype=dtype)
    state = optimizer.init_state(theta, lr)

    # the full pass sees every pattern (inputs shared by all networks), targets (P, 1)
    # optimizers linear in the gradient get η ∇E from the backward pass (η folded in)
    folded_lr = lr if optimizer.scaled_gradient else None
    full = BatchPass(widths, n_patterns, n_nets, task.inputs, hidden_act, output_act, loss, dtype,
                     folded_lr)
    targets = task.targets.astype(dtype)[:, None]
    if not full_batch:
        single = BatchPass(widths, 1, n_nets, None, hidden_act, output_act, loss, dtype,
                           folded_lr)
        orders = _Orders(setup.batch, n_patterns, [m.seed for m in members])
        inputs_t = task.inputs.T.astype(dtype)  # (n, P)
        target_row = np.zeros((1, n_nets), dtype)

    curve_epochs = tuple(log_epochs(max_epoch))
    loss_epochs = set(curve_epochs) | set(budgets) | {b // 2 for b in budgets}
    losses_at: dict[int, np.ndarray] = {}
    n_budgets = len(budgets)
    result = BatchResult(
        setup=setup,
        members=list(members),
        budgets=budgets,
        pattern_names=task.pattern_names,
        solved=np.zeros((n_budgets, n_nets), bool),
        epoch_solved=np.full((n_budgets, n_nets), -1, np.int64),
        final_loss=np.zeros((n_budgets, n_nets), dtype),
        accuracy=np.zeros((n_budgets, n_nets)),
        grad_norm=np.zeros((n_budgets, n_nets), dtype),
        failure=np.zeros((n_budgets, n_nets), np.int8),
        diverged=np.zeros((n_budgets, n_nets), bool),
        outputs=np.zeros((n_budgets, n_patterns, n_nets), dtype),
        params=np.zeros((n_budgets, theta.shape[0], n_nets), dtype),
        curve_epochs=curve_epochs,
    )
    # score of the criterion at each epoch of the current block; solved ⟺ score > 0
    scores = np.zeros((CHECK_EVERY, n_nets), dtype)
    score_scratch = np.zeros((n_patterns, n_nets), dtype)
    epoch_solved = np.full(n_nets, -1, np.int64)
    diverged = np.zeros(n_nets, bool)
    loss_now = np.zeros(n_nets, dtype)
    step = 0

    with np.errstate(all="ignore"):
        for epoch in range(max_epoch + 1):
            # state after `epoch` epochs, seen on every pattern
            full.forward(W)
            k = epoch % CHECK_EVERY
            criterion.score(full.y, targets, score_scratch, scores[k])
            recording = epoch in budgets
            if k == CHECK_EVERY - 1 or recording:
                _first_solved(scores[: k + 1], epoch - k, epoch_solved)
            if k == 0 or epoch in loss_epochs:
                full.loss_value(targets, loss_now)
            if k == 0:
                # a fixed schedule, so that freezing never depends on the budgets
                newly = ~np.isfinite(loss_now) & ~diverged
                if newly.any():
                    diverged |= newly
                    theta[:, newly] = np.nan  # frozen: NaN stays NaN, touching nobody else
            if epoch in loss_epochs:
                losses_at[epoch] = loss_now.copy()
            if recording or full_batch:
                full.backward(W, G, targets)
            if recording:
                _record(result, budgets.index(epoch), full, theta, grad, folded_lr,
                        scores[k] > 0, epoch_solved, diverged, loss_now, losses_at[epoch // 2],
                        targets, hidden_act)
            if epoch == max_epoch:
                break
            if full_batch:
                step += 1
                optimizer.step(theta, grad, lr, state, step, scratch)
                continue
            for idx in orders.epoch(epoch):
                # one update per drawn pattern, each network its own pattern
                np.take(inputs_t, idx, axis=1, out=single.x[0])
                np.take(targets[:, 0], idx, out=target_row[0])
                single.forward(W)
                single.backward(W, G, target_row)
                step += 1
                optimizer.step(theta, grad, lr, state, step, scratch)

    result.curve_loss = (np.stack([losses_at[e] for e in curve_epochs])
                         if curve_epochs else np.zeros((0, n_nets), dtype))
    return result


def _first_solved(scores: np.ndarray, first_epoch: int, epoch_solved: np.ndarray) -> None:
    """Set epoch_solved for networks first solved within a block of scored epochs."""
    solved = scores > 0  # (epochs, N)
    newly = solved.any(axis=0) & (epoch_solved < 0)
    if newly.any():
        epoch_solved[newly] = first_epoch + solved[:, newly].argmax(axis=0)


def _record(result: BatchResult, b: int, full: BatchPass, theta, grad, folded_lr, solved_now,
            epoch_solved, diverged, loss_now, loss_half, targets, hidden_act) -> None:
    """Fill budget b's row of ``result`` from the current state (``grad`` is η ∇E if
    ``folded_lr`` is η, else ∇E)."""
    diverged_now = diverged | ~np.isfinite(loss_now) | ~np.isfinite(theta).all(axis=0)
    solved = solved_now & ~diverged_now
    result.solved[b] = solved
    result.epoch_solved[b] = epoch_solved
    result.final_loss[b] = loss_now
    margin = (full.y - 0.5) * (2 * targets - 1)
    result.accuracy[b] = (margin > 0).sum(axis=0) / margin.shape[0]
    squared = grad * grad
    result.grad_norm[b] = np.sqrt(sum_leading_inplace(squared))
    if folded_lr is not None:
        result.grad_norm[b] /= folded_lr  # ‖∇E‖ = ‖η ∇E‖ / η
    result.diverged[b] = diverged_now
    result.outputs[b] = full.y
    result.params[b] = theta
    result.params[b][:, diverged_now] = np.nan  # a diverged network is recorded frozen

    n_nets = theta.shape[1]
    symmetric = np.zeros(n_nets, bool)
    dead = np.zeros(n_nets, bool)
    tiny_pairs = np.zeros(n_nets)
    n_pairs = 0
    for l, W in enumerate(layer_views(theta, full.widths)[:-1]):
        units = full.a[l]
        sym, dd, tiny = diagnose.layer_flags(W, units, full.fprime[l], hidden_act.tiny_derivative)
        symmetric |= sym
        dead |= dd
        tiny_pairs += tiny
        n_pairs += units.shape[0] * units.shape[1]
    saturated = tiny_pairs / max(n_pairs, 1)
    result.failure[b] = diagnose.classify(
        solved, diverged_now, symmetric, dead, saturated, loss_now, loss_half, result.grad_norm[b]
    )
