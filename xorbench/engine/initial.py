"""A network's initial θ, drawn from its seed's init stream.

All weight matrices are drawn first (layer by layer, (fan_in, fan_out) in C order),
then all biases, so that a seed gives the same weights whatever the bias init,
learning rate, optimizer or loss. :func:`initial_params` draws one network's with
NumPy; :func:`initial_thetas` a batch's, in compiled code where the inits allow
(:mod:`xorbench.engine.pcg64`: the same numbers).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from xorbench.config import Member
from xorbench.config.choices import Choice
from xorbench.config.inits import BIAS_INITS, INITS, draw, uniform_draws
from xorbench.engine import kernel_args, pcg64
from xorbench.engine.layout import layer_rows, n_params
from xorbench.engine.streams import stream


def initial_params(widths: Sequence[int], init: Choice, bias_init: Choice, seed: int,
                   activation: Choice | None = None) -> np.ndarray:
    """One network's initial θ column (D,), from its seed's init stream.

    All weight matrices are drawn first (layer by layer, (fan_in, fan_out) in C
    order), then all biases, so the weights do not depend on the bias init.
    ``activation`` is the network's hidden activation, which an init may scale by
    (``sklearn`` does; the others ignore it, so their draws do not depend on it).
    Cached for small networks: a seed's weights recur in every configuration that
    shares its architecture and inits (large ones are drawn each time, so the cache
    stays small).
    """
    widths = tuple(widths)
    name = None if activation is None else activation.name
    if n_params(widths) > CACHED_PARAMS:
        return _initial_params.__wrapped__(widths, init, bias_init, int(seed), name)
    return _initial_params(widths, init, bias_init, int(seed), name)


# Initial weights of networks up to this many parameters are cached (2¹⁶ of them:
# at most 2 GB, ~40 MB for 2-2-1).
CACHED_PARAMS = 4096


@functools.lru_cache(maxsize=2**16)
def _initial_params(widths: tuple[int, ...], init: Choice, bias_init: Choice,
                    seed: int, activation: str | None) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(stream(seed, 0)))
    theta = np.empty(n_params(widths))
    layers = layer_rows(widths)
    for fan_in, fan_out, weights, _ in layers:
        theta[weights] = draw(init, rng, fan_in, fan_out, (fan_in, fan_out), INITS,
                              activation=activation).ravel()
    for fan_in, fan_out, _, biases in layers:
        theta[biases] = draw(bias_init, rng, fan_in, fan_out, (fan_out,), BIAS_INITS,
                             activation=activation)
    theta.flags.writeable = False
    return theta


def initial_thetas(widths: Sequence[int], members: Sequence[Member],
                   activation: Choice | None = None) -> np.ndarray:
    """Every member's initial θ as a column of a (D, N) float64 array: exactly
    :func:`initial_params` of its seed. Where both inits are uniform draws or fixed
    values (:func:`~xorbench.config.inits.uniform_draws`) and the draws are compiled
    already (:func:`~xorbench.engine.kernel_args.draws_ready`), in compiled code
    (:func:`xorbench.engine.pcg64.uniform_columns`: NumPy's very numbers, ~1.3 µs a
    network instead of ~20); the others by NumPy, a seed at a time."""
    widths = tuple(widths)
    theta = np.empty((n_params(widths), len(members)))
    groups: dict[tuple[int, int], list[int]] = {}  # by identity: hashing a Choice is slow
    for n, m in enumerate(members):
        groups.setdefault((id(m.init), id(m.bias_init)), []).append(n)
    for columns in groups.values():
        init, bias_init = members[columns[0]].init, members[columns[0]].bias_init
        seeds = [members[n].seed for n in columns]
        segments = _uniform_segments(widths, init, bias_init, activation)
        if (segments is None or not kernel_args.draws_ready()
                or not all(0 <= s < 2**64 for s in seeds)):
            for n, seed in zip(columns, seeds, strict=True):
                theta[:, n] = initial_params(widths, init, bias_init, seed, activation)
            continue
        unique, where = np.unique(np.array(seeds, np.uint64), return_inverse=True)
        drawn = np.empty((theta.shape[0], len(unique)))
        pcg64.uniform_columns(unique, *segments, drawn)
        theta[:, columns] = drawn[:, where.ravel()]
    return theta


def _uniform_segments(widths: tuple[int, ...], init: Choice, bias_init: Choice,
                      activation: Choice | None) -> tuple[np.ndarray, ...] | None:
    """:func:`initial_params`'s draws as pcg64.uniform_columns takes them (first rows,
    stop rows, lows, spans — NaN where fixed — and the fixed values), in its order:
    every weight matrix, then every bias; None unless each is a uniform draw or fixed."""
    name = None if activation is None else activation.name
    layers = layer_rows(widths)
    fixed = np.zeros(n_params(widths))
    first, stop, lows, spans = [], [], [], []
    for part, choice, table in ((2, init, INITS), (3, bias_init, BIAS_INITS)):
        for layer in layers:
            fan_in, fan_out, rows = layer[0], layer[1], layer[part]
            shape = (fan_in, fan_out) if part == 2 else (fan_out,)
            how = uniform_draws(choice, fan_in, fan_out, shape, table, activation=name)
            if how is None:
                return None
            first.append(rows.start)
            stop.append(rows.stop)
            if isinstance(how, tuple):
                low, high = how
                lows.append(low)
                spans.append(high - low)  # as rng.uniform computes the range
            else:
                fixed[rows] = how
                lows.append(0.0)
                spans.append(np.nan)
    return (np.array(first, np.int64), np.array(stop, np.int64), np.array(lows),
            np.array(spans), fixed)
