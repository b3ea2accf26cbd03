"""A run's random streams, and the pattern orders of its per-pattern updates.

A run's random numbers come from its own seed only: ``SeedSequence(seed).spawn(2)``
gives the init stream (:func:`xorbench.engine.initial_params`) and the data-order
stream, from which online epochs draw a shuffle of the patterns each and sampled
epochs n patterns with replacement — in fixed blocks of updates, so the draws never
depend on the epoch budget, and per seed, so never on a network's batch-mates. The
draws are NumPy's ``Generator`` calls made in compiled code (:mod:`xorbench.engine.pcg64`):
the same patterns, five times faster.
Cyclic epochs draw nothing: every network visits the patterns in the task's order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xorbench.config import updates_per_epoch
from xorbench.config.choices import Choice
from xorbench.engine.layout import layer_rows, n_params

# Pattern indices of online / sampled epochs are drawn this many updates at a time
# (a whole number of epochs), so the draws never depend on the epoch budget.
DRAW_BLOCK_UPDATES = 1024


def stream(seed: int, which: int) -> np.random.SeedSequence:
    """``SeedSequence(seed).spawn(2)[which]``: 0 the init stream, 1 the data-order stream.

    Built directly (a child of spawn is the parent's entropy with spawn_key
    (which,)), which is 3× cheaper than spawning — it matters at a million runs.
    """
    return np.random.SeedSequence(seed, spawn_key=(which,))


def legacy_params(widths: Sequence[int], seed: int) -> np.ndarray:
    """A learner's own initial θ (D,), as the question's code drew it: ``np.random.seed(seed)``,
    then per layer its biases ``np.random.rand(n_out)`` and then its weights
    ``np.random.rand(n_out, n_in)`` (row j: the weights into unit j from each unit k below).

    From a ``RandomState`` of its own, which gives ``np.random.rand``'s numbers after
    ``np.random.seed`` without touching the global generator; laid out as the engine's θ
    (:mod:`xorbench.engine.layout`: w_kj at row k · fan_out + j, then the biases).
    """
    rng = np.random.RandomState(seed)
    theta = np.empty(n_params(widths))
    for fan_in, fan_out, weights, biases in layer_rows(tuple(widths)):
        theta[biases] = rng.rand(fan_out)
        theta[weights] = rng.rand(fan_out, fan_in).T.ravel()  # (out, in) → the engine's (in, out)
    return theta


class PatternOrders:
    """Per-network pattern orders for online / sampled / cyclic epochs, in fixed blocks.

    Networks that share a seed share their order (common random numbers), so each
    distinct seed is drawn once; cyclic orders are the same for every network and
    epoch, so they are built once.
    """

    def __init__(self, batch: Choice, n_patterns: int, seeds: Sequence[int]):
        self.online = batch.name == "online"
        self.cyclic = batch.name == "cyclic"
        self.per_epoch = updates_per_epoch(batch, n_patterns)
        self.n_patterns = n_patterns
        self.n_networks = len(seeds)
        self.index_dtype = np.min_scalar_type(n_patterns - 1)
        self.epochs_per_block = max(1, DRAW_BLOCK_UPDATES // self.per_epoch)
        unique, self.column = np.unique(np.asarray(seeds), return_inverse=True)
        # network s draws from stream column[s]; often simply its own, in order
        self.own_streams = np.array_equal(self.column, np.arange(len(seeds)))
        # each distinct seed's data-order stream, as NumPy's PCG64 state (pcg64.states);
        # pcg64 (numba) imported only where orders are drawn: xorbench.engine.memory reads
        # this module's constants without numba
        from xorbench.engine import pcg64

        self.states = (np.zeros((0, pcg64.FIELDS), np.uint64) if self.cyclic
                       else pcg64.states([stream(int(s), 1) for s in unique]))
        self.block: np.ndarray | None = None
        self.block_start = -1

    def epoch(self, epoch: int) -> np.ndarray:
        """Pattern indices of the updates of ``epoch`` (0-based), (per_epoch, N)."""
        block, start = self.block_at(epoch)
        return block[epoch - start]

    def block_at(self, epoch: int) -> tuple[np.ndarray, int]:
        """The block of orders holding ``epoch``, (epochs_per_block, per_epoch, N), and
        the epoch it starts at."""
        start = epoch - epoch % self.epochs_per_block
        if self.cyclic:  # 0, 1, …, P − 1 in every epoch and lane: one block serves all
            if self.block is None:
                order = np.arange(self.n_patterns, dtype=self.index_dtype)
                shape = (self.epochs_per_block, self.per_epoch, self.n_networks)
                self.block = np.ascontiguousarray(np.broadcast_to(order[None, :, None], shape))
            self.block_start = start
        elif start != self.block_start:
            from xorbench.engine import pcg64  # numba: see __init__

            # each stream's draws as NumPy's Generator makes them (pcg64), written with
            # the streams on the last axis; indices are < P ≤ 256, so small integers
            k = self.epochs_per_block
            by_network = np.empty((k, self.per_epoch, len(self.states)), self.index_dtype)
            if self.online:  # k independent shuffles of 0..P−1, one per epoch
                pcg64.draw_online(self.states, by_network)
            else:  # integers(0, P, size=(k, per_epoch))
                pcg64.draw_sampled(self.states, self.n_patterns, by_network)
            self.block = (by_network if self.own_streams
                          else by_network.take(self.column, axis=2))  # (k, per_epoch, N)
            self.block_start = start
        return self.block, start
