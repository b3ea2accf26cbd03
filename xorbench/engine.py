"""The batched training engine: N small networks of one shape trained at once.

Layout (structure of arrays, the network index last):

* all parameters of the batch are one array θ of shape (D, N); layer l's weights
  *and* biases are the view W_l of shape (fan_in + 1, fan_out, N), the last row
  being the bias (the weight of a constant input 1);
* the activations entering layer l are a_l of shape (P, fan_in + 1, N), whose
  last unit is the constant 1.

Every operation is an elementwise NumPy call over the N networks, sums over the
small axes (inputs, units, patterns) are added in a fixed order, and nothing
mixes two networks. So a network's numbers are bit-identical whether it is
trained alone or with thousands of others, whatever they are.

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
from xorbench.numerics import sum_leading_inplace
from xorbench.optimizers import OPTIMIZERS
from xorbench.tasks import make_task

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


class _Pass:
    """Buffers and math of forward and backward passes over ``n_rows`` patterns.

    Full-batch passes see all P patterns, whose binary inputs (P, n) every network
    shares (``inputs``); the per-pattern steps of online and sampled training see
    one pattern (``n_rows`` = 1), each network its own: write them into ``x``
    (1, n, N) before each step (``inputs`` None).
    """

    def __init__(self, widths, n_rows, n_nets, inputs, hidden_act, output_act, loss, dtype):
        self.widths = widths
        self.hidden_act, self.output_act, self.loss = hidden_act, output_act, loss
        self.n_rows = n_rows
        layers = list(itertools.pairwise(widths))
        self.shared = inputs is not None
        # per layer: pre-activation z, activation a, f′(z), δ = ∂E/∂z: (rows, fan_out, N)
        self.z = [np.zeros((n_rows, fo, n_nets), dtype) for _, fo in layers]
        self.a = [np.zeros_like(z) for z in self.z]
        self.fprime = [np.zeros_like(z) for z in self.z]
        self.delta = [np.zeros_like(z) for z in self.z]
        if self.shared:
            self.inputs = np.asarray(inputs, dtype)  # (P, n), patterns in counting order
            # input i is 1 on the patterns whose bit n−1−i is set: a strided view of z
            n, fo = widths[0], widths[1]
            self.z0_where_input = [_where_input(self.z[0], i, n) for i in range(n)]
            self.delta0_where_input = [_where_input(self.delta[0], i, n) for i in range(n)]
            self.half_rows = np.zeros((n_rows // 2, fo, n_nets), dtype)
        else:
            self.x = np.zeros((n_rows, widths[0], n_nets), dtype)  # (1, n, N)
        # scratch, only where used: products a_pi W_ij before their sum over i,
        # (rows, fan_in, fan_out, N); products δ_pj W_ij before their sum over j,
        # (rows, fan_out, fan_in, N); products a_pi δ_pj (and δ_pj for the bias)
        # before their sum over p, (rows, fan_in + 1, fan_out, N)
        def scratch(shape, needed):
            return np.zeros(shape, dtype) if needed else None

        first_is_binary = [l == 0 and self.shared for l in range(len(layers))]
        self.forward_products = [scratch((n_rows, fi, fo, n_nets), not first_is_binary[l])
                                 for l, (fi, fo) in enumerate(layers)]
        self.back_products = [scratch((n_rows, fo, fi, n_nets), l > 0 and fo > 1)
                              for l, (fi, fo) in enumerate(layers)]
        self.grad_products = [scratch((n_rows, fi + 1, fo, n_nets), not first_is_binary[l])
                              for l, (fi, fo) in enumerate(layers)] if n_rows > 1 else None
        self.terms = np.zeros((n_rows, n_nets), dtype)

    @property
    def y(self) -> np.ndarray:
        """The network outputs of the last forward pass, (rows, N)."""
        return self.a[-1][:, 0, :]

    def _layer_input(self, l: int) -> np.ndarray:
        """The inputs of layer l, (rows, fan_in, N) — or (P, n, 1) for shared inputs."""
        if l > 0:
            return self.a[l - 1]
        return self.inputs[:, :, None] if self.shared else self.x

    def forward(self, W: list[np.ndarray]) -> None:
        last = len(W) - 1
        for l, Wl in enumerate(W):
            z, fan_in = self.z[l], Wl.shape[0] - 1
            weights, bias = Wl[:fan_in], Wl[fan_in]
            if l == 0 and self.shared:
                # z_pj = b_j + Σ_{i: x_pi = 1} W_ij, inputs being 0 or 1
                np.copyto(z, bias)
                for i, rows in enumerate(self.z0_where_input):
                    np.add(rows, weights[i], out=rows)
            else:
                # z_pj = Σ_i a_pi W_ij + b_j   (rows, fan_out, N)
                products = self.forward_products[l]
                np.multiply(self._layer_input(l)[:, :, None, :], weights, out=products)
                _sum_axis1(products, z)
                np.add(z, bias, out=z)
            act = self.output_act if l == last else self.hidden_act
            act.forward(z, self.a[l])
            act.derivative(z, self.a[l], self.fprime[l])

    def loss_value(self, t: np.ndarray, out: np.ndarray) -> np.ndarray:
        """E per network (N,) from the last forward pass."""
        self.loss.terms(self.z[-1][:, 0, :], self.y, t, self.terms)
        if self.n_rows > 1:
            sum_leading_inplace(self.terms, out=out)
        else:
            np.copyto(out, self.terms[0])
        np.multiply(out, self.loss.scale(self.n_rows), out=out)
        return out

    def backward(self, W: list[np.ndarray], G: list[np.ndarray], t: np.ndarray) -> None:
        """Gradients of E with respect to every W_l, written into G_l (same shapes)."""
        last = len(W) - 1
        self.loss.delta(self.z[last][:, 0, :], self.y, t, self.fprime[last][:, 0, :],
                        self.n_rows, self.delta[last][:, 0, :])
        for l in range(last, -1, -1):
            delta, fan_in = self.delta[l], W[l].shape[0] - 1
            inputs = self._layer_input(l)
            # ∂E/∂W_ij = Σ_p a_pi δ_pj,  ∂E/∂b_j = Σ_p δ_pj   (p over patterns)
            if self.grad_products is None:
                np.multiply(inputs[0][:, None, :], delta[0], out=G[l][:fan_in])
                np.copyto(G[l][fan_in], delta[0])
            elif l == 0 and self.shared:
                # binary inputs: ∂E/∂W_ij = Σ_{p: x_pi = 1} δ_pj, summed pairwise
                for i, rows in enumerate(self.delta0_where_input):
                    _sum_two_leading(rows, self.half_rows, G[l][i])
                half = self.n_rows // 2
                np.add(delta[:half], delta[half:], out=self.half_rows)
                sum_leading_inplace(self.half_rows, out=G[l][fan_in])
            else:
                products = self.grad_products[l]
                np.multiply(inputs[:, :, None, :], delta[:, None, :, :], out=products[:, :fan_in])
                np.copyto(products[:, fan_in], delta)
                sum_leading_inplace(products, out=G[l])
            if l == 0:
                break
            # δ_{l−1, i} = (Σ_j δ_j W_ij) f′(z_{l−1, i})
            back = self.delta[l - 1]
            if delta.shape[1] == 1:  # one unit above: no sum over j
                np.multiply(delta, W[l][:fan_in, 0], out=back)
            else:
                weights_t = W[l][:fan_in].transpose(1, 0, 2)  # (fan_out, fan_in, N)
                products = self.back_products[l]
                np.multiply(delta[:, :, None, :], weights_t, out=products)
                _sum_axis1(products, back)
            np.multiply(back, self.fprime[l - 1], out=back)


def _where_input(rows: np.ndarray, i: int, n: int) -> np.ndarray:
    """The patterns whose input i is 1, as a view (2^i, 2^(n−1−i), ...) of ``rows``.

    Patterns are in counting order with input 0 the most significant bit, so
    input i is 1 on every other block of 2^(n−1−i) consecutive patterns.
    """
    return rows.reshape(2**i, 2, 2 ** (n - 1 - i), *rows.shape[1:])[:, 1]


def _sum_two_leading(view: np.ndarray, scratch: np.ndarray, out: np.ndarray) -> None:
    """out = Σ over the two leading axes of ``view`` (both powers of two), pairwise.

    Axis 1 is halved first, then axis 0; ``view`` is left untouched, ``scratch``
    (at least view.shape[0] · view.shape[1] / 2 rows) holds the partial sums.
    """
    a, b = view.shape[:2]
    if a * b == 2:  # two patterns (every two-input task): one addition
        first, second = (view[0, 0], view[0, 1]) if b == 2 else (view[0, 0], view[1, 0])
        np.add(first, second, out=out)
        return
    if b > 1:
        partial = scratch[: a * b // 2].reshape(a, b // 2, *view.shape[2:])
        np.add(view[:, : b // 2], view[:, b // 2 :], out=partial)
    else:
        partial = scratch[: a // 2].reshape(a // 2, 1, *view.shape[2:])
        np.add(view[: a // 2], view[a // 2 :], out=partial)
    a, b = partial.shape[:2]
    while b > 1:  # halve axis 1 in place
        b //= 2
        np.add(partial[:, :b], partial[:, b : 2 * b], out=partial[:, :b])
    column = partial[:, 0]
    while a > 2:  # then axis 0
        a //= 2
        np.add(column[:a], column[a : 2 * a], out=column[:a])
    if a == 2:
        np.add(column[0], column[1], out=out)
    else:
        np.copyto(out, column[0])


def _sum_axis1(products: np.ndarray, out: np.ndarray) -> None:
    """out = Σ_k products[:, k], added in order k = 0, 1, 2, … (fixed rounding)."""
    if products.shape[1] == 1:
        np.copyto(out, products[:, 0])
        return
    np.add(products[:, 0], products[:, 1], out=out)
    for k in range(2, products.shape[1]):
        np.add(out, products[:, k], out=out)


def bytes_per_network(setup: Setup) -> int:
    """About how many bytes of buffers one network of ``setup`` occupies in a batch.

    Per layer: z, a, f′ and δ (4 P fan_out) and the scratch products (≤ 2 P
    (fan_in + 1) fan_out); θ, its gradient, the optimizer's scratch and state (≈ 5 D);
    the criterion's block of scores. A batch whose buffers fit in the core's cache
    trains fastest.
    """
    n_patterns = make_task(setup.task).n_patterns
    widths = (make_task(setup.task).n_inputs, *setup.hidden, 1)
    elements = sum(4 * n_patterns * fo + 2 * n_patterns * (fi + 1) * fo
                   for fi, fo in itertools.pairwise(widths))
    elements += 5 * n_params(widths) + CHECK_EVERY + 2 * n_patterns
    return elements * np.dtype(DTYPES.impl(setup.dtype)).itemsize


def _layer_views(flat: np.ndarray, widths: Sequence[int]) -> list[np.ndarray]:
    """Views (fan_in + 1, fan_out, N) of each layer's rows in a (D, N) array."""
    views, start = [], 0
    for fan_in, fan_out in itertools.pairwise(widths):
        rows = (fan_in + 1) * fan_out
        views.append(flat[start : start + rows].reshape(fan_in + 1, fan_out, flat.shape[1]))
        start += rows
    return views


def n_params(widths: Sequence[int]) -> int:
    return sum((a + 1) * b for a, b in itertools.pairwise(widths))


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
    blocks = _layer_views(theta, widths)  # (fan_in + 1, fan_out, 1): weights, then bias
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
        self.epochs_per_block = max(1, DRAW_BLOCK_UPDATES // self.per_epoch)
        unique, self.column = np.unique(np.asarray(seeds), return_inverse=True)
        self.rngs = [_data_rng(int(s)) for s in unique]
        self.block: np.ndarray | None = None
        self.block_start = -1

    def epoch(self, epoch: int) -> np.ndarray:
        """Pattern indices of the updates of ``epoch`` (0-based), (per_epoch, N)."""
        start = epoch - epoch % self.epochs_per_block
        if start != self.block_start:
            k = self.epochs_per_block
            if self.online:
                # k independent shuffles of 0..P−1, one per epoch
                draws = [rng.permuted(np.tile(np.arange(self.n_patterns), (k, 1)), axis=1)
                         for rng in self.rngs]
            else:
                draws = [rng.integers(0, self.n_patterns, size=(k, self.per_epoch))
                         for rng in self.rngs]
            self.block = np.stack(draws, axis=-1)[:, :, self.column]  # (k, per_epoch, N)
            self.block_start = start
        return self.block[epoch - start]


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
    W, G = _layer_views(theta, widths), _layer_views(grad, widths)
    lr = np.array([m.lr for m in members], dtype=dtype)
    state = optimizer.init_state(theta, lr)

    # the full pass sees every pattern (inputs shared by all networks), targets (P, 1)
    full = _Pass(widths, n_patterns, n_nets, task.inputs, hidden_act, output_act, loss, dtype)
    targets = task.targets.astype(dtype)[:, None]
    if not full_batch:
        single = _Pass(widths, 1, n_nets, None, hidden_act, output_act, loss, dtype)
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
                _record(result, budgets.index(epoch), full, theta, grad, scores[k] > 0,
                        epoch_solved, diverged, loss_now, losses_at[epoch // 2], targets,
                        hidden_act)
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


def _record(result: BatchResult, b: int, full: _Pass, theta, grad, solved_now, epoch_solved,
            diverged, loss_now, loss_half, targets, hidden_act) -> None:
    """Fill budget b's row of ``result`` from the current state."""
    diverged_now = diverged | ~np.isfinite(loss_now) | ~np.isfinite(theta).all(axis=0)
    solved = solved_now & ~diverged_now
    result.solved[b] = solved
    result.epoch_solved[b] = epoch_solved
    result.final_loss[b] = loss_now
    margin = (full.y - 0.5) * (2 * targets - 1)
    result.accuracy[b] = (margin > 0).sum(axis=0) / margin.shape[0]
    squared = grad * grad
    result.grad_norm[b] = np.sqrt(sum_leading_inplace(squared))
    result.diverged[b] = diverged_now
    result.outputs[b] = full.y
    result.params[b] = theta
    result.params[b][:, diverged_now] = np.nan  # a diverged network is recorded frozen

    n_nets = theta.shape[1]
    symmetric = np.zeros(n_nets, bool)
    dead = np.zeros(n_nets, bool)
    tiny_pairs = np.zeros(n_nets)
    n_pairs = 0
    for l, W in enumerate(_layer_views(theta, full.widths)[:-1]):
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
