"""A run's random streams, and the pattern orders of its per-pattern updates.

A run's random numbers come from its own seed only: ``SeedSequence(seed).spawn(2)``
gives the init stream (:func:`xorbench.engine.initial_params`) and the data-order
stream, from which online epochs draw a shuffle of the patterns each and sampled
epochs n patterns with replacement — in fixed blocks of updates, so the draws never
depend on the epoch budget, and per seed, so never on a network's batch-mates. The
draws are NumPy's ``Generator`` calls, made in compiled code once that is compiled
(:mod:`xorbench.engine.pcg64`: the same patterns, five times faster).
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
        # each distinct seed's data-order stream: NumPy's PCG64 state for the compiled
        # draws (pcg64) once they are compiled, else a NumPy Generator — the same numbers.
        # (numba imported only here: xorbench.engine.memory reads this module without it)
        from xorbench.engine import kernel_args, pcg64

        streams = [] if self.cyclic else [stream(int(s), 1) for s in unique]
        self.compiled = not self.cyclic and kernel_args.draws_ready()
        self.states = pcg64.states(streams) if self.compiled else None
        self.rngs = [] if self.compiled else [np.random.Generator(np.random.PCG64(s))
                                              for s in streams]
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
            k = self.epochs_per_block
            by_network = (self._compiled_block(k) if self.compiled
                          else _streams_last(self._numpy_block(k)))  # (k, per_epoch, streams)
            self.block = (by_network if self.own_streams
                          else by_network.take(self.column, axis=2))  # (k, per_epoch, N)
            self.block_start = start
        return self.block, start

    def _compiled_block(self, k: int) -> np.ndarray:
        """The next k epochs of every stream, (k, per_epoch, streams), drawn as NumPy
        draws them by compiled code (pcg64) straight into that layout."""
        from xorbench.engine import pcg64  # numba: see __init__

        by_network = np.empty((k, self.per_epoch, len(self.states)), self.index_dtype)
        if self.online:  # k independent shuffles of 0..P−1, one per epoch
            pcg64.draw_online(self.states, by_network)
        else:  # integers(0, P, size=(k, per_epoch))
            pcg64.draw_sampled(self.states, self.n_patterns, by_network)
        return by_network

    def _numpy_block(self, k: int) -> np.ndarray:
        """The next k epochs of every stream, (streams, k, per_epoch), drawn by NumPy:
        each stream's draws whole, as small integers (indices are < P ≤ 256)."""
        by_stream = np.empty((len(self.rngs), k, self.per_epoch), self.index_dtype)
        for row, rng in zip(by_stream, self.rngs, strict=True):
            if self.online:
                row[:] = rng.permuted(np.tile(np.arange(self.n_patterns), (k, 1)), axis=1)
            else:
                row[:] = rng.integers(0, self.n_patterns, size=(k, self.per_epoch))
        return by_stream


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
