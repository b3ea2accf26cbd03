"""NumPy's PCG64 draws, compiled: the same numbers without Python per draw.

A run's random numbers come from ``Generator(PCG64(SeedSequence(seed, spawn_key=...)))``
(:mod:`xorbench.engine.streams`). Online and sampled epochs draw their patterns from
the data-order stream as ``integers(0, P, size)`` (Lemire's bounded integers on
32-bit draws) and ``permuted`` shuffles (Fisher–Yates on ``random_interval``); uniform
initial weights come from the init stream as ``uniform(low, high, size)``. NumPy spends
~20 ns a pattern on the first two, as much as training on it takes, and ~20 µs a
seed on seeding and drawing initial weights, as much as training 1000 epochs of a
2-2-1 network. These functions follow NumPy's code (numpy/random: bit_generator.pyx's
SeedSequence, src/pcg64/pcg64.h, src/distributions/distributions.c) step for step,
so every number is NumPy's (tests/engine/test_pcg64.py compares them with NumPy's own
across seeds, sizes and mixed calls). A generator's state is a row of :data:`FIELDS`,
carried from block to block.

Every compiled function here is self-contained (numba's disk cache watches only the
file of the function it cached).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")  # as in kernel.py: read at import

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

# a state row: the 128-bit LCG state and increment as 64-bit halves, and next_uint32's
# spare upper half of the last 64-bit output (NumPy's has_uint32, uinteger)
HIGH, LOW, INC_HIGH, INC_LOW, HAS_UINT32, UINTEGER = range(6)
FIELDS = 6
MULTIPLIER = (2549297995355413924 << 64) | 4865540595714422341  # PCG_DEFAULT_MULTIPLIER_128
HALF_MASK = (1 << 64) - 1


def states(seeds: Sequence[np.random.SeedSequence]) -> np.ndarray:
    """The state rows (len(seeds), FIELDS) of ``PCG64(seed)`` for each SeedSequence, as
    NumPy seeds them."""
    rows = np.zeros((len(seeds), FIELDS), np.uint64)
    for row, seed in zip(rows, seeds, strict=True):
        state = np.random.PCG64(seed).state
        lcg = state["state"]
        row[HIGH], row[LOW] = lcg["state"] >> 64, lcg["state"] & HALF_MASK
        row[INC_HIGH], row[INC_LOW] = lcg["inc"] >> 64, lcg["inc"] & HALF_MASK
        row[HAS_UINT32], row[UINTEGER] = state["has_uint32"], state["uinteger"]
    return rows


def generator(row: np.ndarray) -> np.random.Generator:
    """A NumPy Generator in the state of ``row`` (to compare, and to go on in NumPy)."""
    bits = np.random.PCG64()
    bits.state = {"bit_generator": "PCG64",
                  "state": {"state": (int(row[HIGH]) << 64) | int(row[LOW]),
                            "inc": (int(row[INC_HIGH]) << 64) | int(row[INC_LOW])},
                  "has_uint32": int(row[HAS_UINT32]), "uinteger": int(row[UINTEGER])}
    return np.random.Generator(bits)


@intrinsic
def _mul_add(typingctx, a_high, a_low, m_high, m_low, c_high, c_low):
    """a · m + c (mod 2¹²⁸) of 128-bit numbers given as (high, low) 64-bit halves."""
    u64 = types.uint64
    signature = types.UniTuple(u64, 2)(u64, u64, u64, u64, u64, u64)

    def codegen(context, builder, sig, args):
        wide, half = ir.IntType(128), ir.IntType(64)

        def join(h, lo):
            return builder.or_(builder.shl(builder.zext(h, wide), ir.Constant(wide, 64)),
                               builder.zext(lo, wide))

        value = builder.add(builder.mul(join(args[0], args[1]), join(args[2], args[3])),
                            join(args[4], args[5]))
        upper = builder.trunc(builder.lshr(value, ir.Constant(wide, 64)), half)
        return context.make_tuple(builder, sig.return_type, (upper, builder.trunc(value, half)))

    return signature, codegen


MULTIPLIER_HIGH, MULTIPLIER_LOW = np.uint64(MULTIPLIER >> 64), np.uint64(MULTIPLIER & HALF_MASK)


@nb.njit(cache=True)
def _lcg_step(high, low, inc_high, inc_low):
    """The LCG's next state s · MULTIPLIER + inc (mod 2¹²⁸)."""
    return _mul_add(high, low, MULTIPLIER_HIGH, MULTIPLIER_LOW, inc_high, inc_low)


@nb.njit(cache=True)
def _next64(state):
    """pcg64_next64: step, then the XSL-RR output rotr(high ⊕ low, high >> 58)."""
    high, low = _lcg_step(state[HIGH], state[LOW], state[INC_HIGH], state[INC_LOW])
    state[HIGH], state[LOW] = high, low
    value = high ^ low
    rotation = high >> np.uint64(58)
    return (value >> rotation) | (value << ((np.uint64(64) - rotation) & np.uint64(63)))


@nb.njit(cache=True)
def _next32(state):
    """pcg64_next32: the low half of a 64-bit output, keeping the high half for next time."""
    if state[HAS_UINT32] != 0:
        state[HAS_UINT32] = 0
        return state[UINTEGER]
    value = _next64(state)
    state[HAS_UINT32] = 1
    state[UINTEGER] = value >> np.uint64(32)
    return value & np.uint64(0xFFFFFFFF)


@nb.njit(cache=True)
def draw_sampled(states, n_patterns, out):
    """``integers(0, n_patterns, size=(k, per_epoch))`` of each stream s (a row of
    ``states``, advanced) into out[:, :, s] (k, per_epoch, streams): Lemire's method on
    32-bit draws (buffered_bounded_lemire_uint32), as NumPy draws int64 integers."""
    k, per_epoch, n_streams = out.shape
    if n_patterns == 1:  # rng = 0: NumPy fills in the one value and draws nothing
        out[:] = 0
        return
    span = np.uint64(n_patterns)  # rng + 1
    low_bits = np.uint64(0xFFFFFFFF)
    threshold = (low_bits - (span - np.uint64(1))) % span  # (UINT32_MAX − rng) mod (rng + 1)
    for s in range(n_streams):
        state = states[s]
        for e in range(k):
            for u in range(per_epoch):
                m = _next32(state) * span
                if (m & low_bits) < span:
                    while (m & low_bits) < threshold:
                        m = _next32(state) * span
                out[e, u, s] = m >> np.uint64(32)


@nb.njit(cache=True)
def draw_online(states, out):
    """``permuted(tile(arange(P), (k, 1)), axis=1)`` of each stream s into out[:, :, s]
    (k, P, streams): a Fisher–Yates shuffle per epoch, i = P − 1 … 0 swapped with
    j = random_interval(i), as NumPy shuffles each row."""
    k, n_patterns, n_streams = out.shape
    row = np.zeros(n_patterns, np.int64)
    for s in range(n_streams):
        state = states[s]
        for e in range(k):
            for p in range(n_patterns):
                row[p] = p
            for i in range(n_patterns - 1, 0, -1):  # i = 0 draws nothing
                bound = np.uint64(i)
                mask = bound  # the smallest 2^b − 1 ≥ i
                mask |= mask >> np.uint64(1)
                mask |= mask >> np.uint64(2)
                mask |= mask >> np.uint64(4)
                mask |= mask >> np.uint64(8)
                mask |= mask >> np.uint64(16)
                value = _next32(state) & mask
                while value > bound:
                    value = _next32(state) & mask
                j = np.int64(value)
                row[i], row[j] = row[j], row[i]
            for p in range(n_patterns):
                out[e, p, s] = row[p]


# SeedSequence's hash constants (numpy/random/bit_generator.pyx)
INIT_A, MULT_A = np.uint64(0x43B0D7E5), np.uint64(0x931E8875)
INIT_B, MULT_B = np.uint64(0x8B51F9DD), np.uint64(0x58F38DED)
MIX_MULT_L, MIX_MULT_R = np.uint64(0xCA01F9DD), np.uint64(0x4973F715)
MASK32 = np.uint64(0xFFFFFFFF)
XSHIFT = np.uint64(16)


@nb.njit(cache=True)
def _hashmix(value, hash_const):
    """SeedSequence's hashmix in 32-bit words: (the hashed value, the next constant)."""
    value ^= hash_const
    hash_const = (hash_const * MULT_A) & MASK32
    value = (value * hash_const) & MASK32
    return value ^ (value >> XSHIFT), hash_const


@nb.njit(cache=True)
def _mix(x, y):
    """SeedSequence's mix: L x − R y (mod 2³²), then xor-shifted."""
    result = (MIX_MULT_L * x - MIX_MULT_R * y) & MASK32
    return result ^ (result >> XSHIFT)


@nb.njit(cache=True)
def _hashed_into(pool_word, value, hash_const):
    """One step of mix_entropy: pool_word mixed with hashmix(value)."""
    hashed, hash_const = _hashmix(value, hash_const)
    return _mix(pool_word, hashed), hash_const


@nb.njit(cache=True)
def _seed(seed, spawn_key, state):
    """``PCG64(SeedSequence(seed, spawn_key=(spawn_key,)))``'s state into ``state`` (a row
    of FIELDS). SeedSequence: the seed's 32-bit words, lowest first, padded with zeros
    to the pool's four (a spawned sequence pads; a seed below 2⁶⁴ has at most two
    words), hashed into the pool; every pool word mixed into every other; the spawn
    key mixed into each; eight words of generate_state, read as four little-endian
    uint64: PCG64's initial state, then its stream. Then pcg64_set_seed. Written out
    word by word: arrays would cost this file a second of compiling."""
    zero = np.uint64(0)
    hash_const = INIT_A
    p0, hash_const = _hashmix(seed & MASK32, hash_const)
    p1, hash_const = _hashmix(seed >> np.uint64(32), hash_const)
    p2, hash_const = _hashmix(zero, hash_const)
    p3, hash_const = _hashmix(zero, hash_const)
    # for i_src, for i_dst ≠ i_src: pool[i_dst] = mix(pool[i_dst], hashmix(pool[i_src]))
    p1, hash_const = _hashed_into(p1, p0, hash_const)
    p2, hash_const = _hashed_into(p2, p0, hash_const)
    p3, hash_const = _hashed_into(p3, p0, hash_const)
    p0, hash_const = _hashed_into(p0, p1, hash_const)
    p2, hash_const = _hashed_into(p2, p1, hash_const)
    p3, hash_const = _hashed_into(p3, p1, hash_const)
    p0, hash_const = _hashed_into(p0, p2, hash_const)
    p1, hash_const = _hashed_into(p1, p2, hash_const)
    p3, hash_const = _hashed_into(p3, p2, hash_const)
    p0, hash_const = _hashed_into(p0, p3, hash_const)
    p1, hash_const = _hashed_into(p1, p3, hash_const)
    p2, hash_const = _hashed_into(p2, p3, hash_const)
    key = np.uint64(spawn_key)  # the entropy beyond the pool
    p0, hash_const = _hashed_into(p0, key, hash_const)
    p1, hash_const = _hashed_into(p1, key, hash_const)
    p2, hash_const = _hashed_into(p2, key, hash_const)
    p3, hash_const = _hashed_into(p3, key, hash_const)
    # generate_state(4, uint64): the pool cycled through, each word hashed on INIT_B
    hash_const = INIT_B
    w0, hash_const = _state_word(p0, hash_const)
    w1, hash_const = _state_word(p1, hash_const)
    w2, hash_const = _state_word(p2, hash_const)
    w3, hash_const = _state_word(p3, hash_const)
    w4, hash_const = _state_word(p0, hash_const)
    w5, hash_const = _state_word(p1, hash_const)
    w6, hash_const = _state_word(p2, hash_const)
    w7, hash_const = _state_word(p3, hash_const)
    shift = np.uint64(32)
    init_high, init_low = w0 | (w1 << shift), w2 | (w3 << shift)
    seq_high, seq_low = w4 | (w5 << shift), w6 | (w7 << shift)
    # pcg_setseq_128_srandom_r: inc = 2 · initseq + 1; s = inc; s += initstate; step
    inc_high = (seq_high << np.uint64(1)) | (seq_low >> np.uint64(63))
    inc_low = (seq_low << np.uint64(1)) | np.uint64(1)
    high, low = _mul_add(inc_high, inc_low, zero, np.uint64(1), init_high, init_low)
    high, low = _lcg_step(high, low, inc_high, inc_low)
    state[HIGH], state[LOW], state[INC_HIGH], state[INC_LOW] = high, low, inc_high, inc_low
    state[HAS_UINT32], state[UINTEGER] = 0, 0


@nb.njit(cache=True)
def _state_word(pool_word, hash_const):
    """One word of generate_state: (pool_word ⊕ h) · h', xor-shifted, h' = h · MULT_B."""
    value = pool_word ^ hash_const
    hash_const = (hash_const * MULT_B) & MASK32
    value = (value * hash_const) & MASK32
    return value ^ (value >> XSHIFT), hash_const


@nb.njit(cache=True)
def seeded_states(seeds, spawn_key, states):
    """Each seed's ``PCG64(SeedSequence(seed, spawn_key=(spawn_key,)))`` state into the
    rows of ``states``: :func:`states` of xorbench.engine.streams.stream(seed,
    spawn_key), without Python per seed."""
    for n in range(seeds.shape[0]):
        _seed(seeds[n], np.uint64(spawn_key), states[n])


@nb.njit(cache=True)
def uniform_columns(seeds, first_rows, stop_rows, lows, spans, fixed, theta):
    """Each seed n's initial θ into theta[:, n], drawn from its init stream
    ``PCG64(SeedSequence(seed, spawn_key=(0,)))`` as NumPy's ``rng.uniform`` draws: for
    each segment k in turn, rows [first_rows[k], stop_rows[k]) get
    lows[k] + spans[k] · u with u = (next64 >> 11) · 2⁻⁵³ (random_uniform, next_double),
    or, where spans[k] is NaN, their ``fixed`` values without a draw."""
    state = np.zeros(FIELDS, np.uint64)
    unit = 1.0 / 9007199254740992.0  # 2⁻⁵³
    for n in range(seeds.shape[0]):
        _seed(seeds[n], np.uint64(0), state)
        for k in range(first_rows.shape[0]):
            if spans[k] != spans[k]:
                for row in range(first_rows[k], stop_rows[k]):
                    theta[row, n] = fixed[row]
                continue
            for row in range(first_rows[k], stop_rows[k]):
                u = np.float64(_next64(state) >> np.uint64(11)) * unit
                theta[row, n] = lows[k] + spans[k] * u


def compile_draws() -> float:
    """Compile (or load from numba's disk cache) every draw for the argument types the
    engine passes; the seconds it took. A sweep runs it beside the kernel's compile
    (xorbench.sweep.compiling), so that its workers load it."""
    start = time.perf_counter()
    states = np.zeros((1, FIELDS), np.uint64)
    seeded_states(np.zeros(1, np.uint64), 0, states)
    uniform_columns(np.zeros(1, np.uint64), np.zeros(1, np.int64), np.ones(1, np.int64),
                    np.zeros(1), np.ones(1), np.zeros(1), np.zeros((1, 1)))
    draw_sampled(states, 4, np.zeros((1, 1, 1), np.uint8))
    draw_online(states, np.zeros((1, 4, 1), np.uint8))
    return time.perf_counter() - start


ENTRY_POINTS = (seeded_states, uniform_columns, draw_sampled, draw_online)
