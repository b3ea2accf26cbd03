"""A compiled engine, prototyped: how fast could the standard workload train here?

    python benchmarks/numba_prototype.py        # needs numba (not a dependency)

Not the engine (that is ``xorbench/kernel.py``, one compiled loop for every
setup, and ``xorbench/fused.py``, its builds for one setup each): the standard
workload alone, with its loops fused and the widths as compile-time constants —
the prototype of the builds, which go further (registers across the whole epoch,
512-bit vectors; see docs/design-notes.md, "Speed"). The standard workload
(2-H-1 sigmoid, MSE, full batch on XOR, SGD, lr 0.5) written with numba the way
``benchmarks/ceiling.c`` is: blocks of ``BLOCK`` networks, each block trained for
all its epochs while its parameters stay in L1, networks on the innermost
(vectorised) axis. ``exp`` is its own polynomial in plain IEEE arithmetic (no
libm call, no FMA contraction without fastmath), so the loop vectorises and a
network's numbers depend only on its own inputs — on any CPU. It prints the
throughput and the polynomial's accuracy against ``np.exp``.
"""

from __future__ import annotations

import functools
import math
import time

import numba as nb
import numpy as np

BLOCK = 64
LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 = LN2_HI + LN2_LO (Cody–Waite)
LN2_LO = 1.90821492927058770002e-10
C3, C4, C5, C6, C7, C8, C9, C10, C11, C12 = (1 / math.factorial(k) for k in range(3, 13))
X0 = np.array([0.0, 0.0, 1.0, 1.0])
X1 = np.array([0.0, 1.0, 0.0, 1.0])
T = np.array([0.0, 1.0, 1.0, 0.0])


@nb.njit(inline="always")
def exp_block(x, bits, scale, out):
    """out = e^x over one block: e^x = 2^k e^r, r = x − k ln 2, e^r by its Taylor
    polynomial of degree 12 (|r| ≤ ln 2 / 2), 2^k written as exponent bits."""
    for i in range(BLOCK):
        xi = min(max(x[i], -708.0), 709.0)
        k = np.floor(xi * LOG2E + 0.5)
        r = (xi - k * LN2_HI) - k * LN2_LO
        out[i] = 1.0 + r * (1.0 + r * (0.5 + r * (C3 + r * (C4 + r * (C5 + r * (C6 + r * (
            C7 + r * (C8 + r * (C9 + r * (C10 + r * (C11 + r * C12)))))))))))
        bits[i] = (np.int64(k) + 1023) << 52
    for i in range(BLOCK):
        out[i] *= scale[i]


@nb.njit
def exp_all(x, out):
    bits = np.empty(BLOCK, np.int64)
    for first in range(0, x.size, BLOCK):
        exp_block(x[first:first + BLOCK], bits, bits.view(np.float64), out[first:first + BLOCK])


@functools.lru_cache
def make_train(hidden: int):
    """The training loop for 2-``hidden``-1, compiled with ``hidden`` a constant: the
    loops over units unroll (1.6× faster here than one loop for every width)."""

    @nb.njit
    def train(w1, w2, epochs, lr):
        """w1 (blocks, 3, H, BLOCK): input weights then biases; w2 (blocks, H + 1, BLOCK)."""
        n_blocks, n_patterns = w1.shape[0], 4
        bits = np.empty(BLOCK, np.int64)
        scale = bits.view(np.float64)
        a = np.empty((n_patterns, hidden, BLOCK))
        y = np.empty((n_patterns, BLOCK))
        z, e = np.empty(BLOCK), np.empty(BLOCK)
        g1, g2 = np.empty((3, hidden, BLOCK)), np.empty((hidden + 1, BLOCK))
        step = lr * 2.0 / n_patterns  # η · 2/P for E = mean (y − t)²
        for b in range(n_blocks):
            W1, W2 = w1[b], w2[b]
            for _ in range(epochs):
                for p in range(n_patterns):
                    for j in range(hidden):  # a = σ(x W1 + b1)
                        for i in range(BLOCK):
                            z[i] = -(X0[p] * W1[0, j, i] + X1[p] * W1[1, j, i] + W1[2, j, i])
                        exp_block(z, bits, scale, e)
                        for i in range(BLOCK):
                            a[p, j, i] = 1.0 / (1.0 + e[i])
                    for i in range(BLOCK):  # y = σ(a W2 + b2)
                        s = W2[hidden, i]
                        for j in range(hidden):
                            s += a[p, j, i] * W2[j, i]
                        z[i] = -s
                    exp_block(z, bits, scale, e)
                    for i in range(BLOCK):
                        y[p, i] = 1.0 / (1.0 + e[i])
                g1[:] = 0.0
                g2[:] = 0.0
                for p in range(n_patterns):
                    for i in range(BLOCK):
                        d2 = step * (y[p, i] - T[p]) * y[p, i] * (1.0 - y[p, i])
                        g2[hidden, i] += d2
                        for j in range(hidden):
                            d1 = d2 * W2[j, i] * a[p, j, i] * (1.0 - a[p, j, i])
                            g2[j, i] += a[p, j, i] * d2
                            g1[0, j, i] += X0[p] * d1
                            g1[1, j, i] += X1[p] * d1
                            g1[2, j, i] += d1
                W1 -= g1
                W2 -= g2

    return train


def rate(hidden: int, networks: int, epochs: int) -> float:
    """Network-epochs per second of the compiled loop, from runs of E and 3E epochs."""
    rng = np.random.default_rng(0)
    w1 = rng.uniform(-1, 1, (networks // BLOCK, 3, hidden, BLOCK))
    w1[:, 2] = 0
    w2 = rng.uniform(-1, 1, (networks // BLOCK, hidden + 1, BLOCK))
    w2[:, hidden] = 0
    train = make_train(hidden)
    train(w1.copy(), w2.copy(), 1, 0.5)  # compile outside the timing
    seconds = []
    for e in (epochs, 3 * epochs):
        start = time.perf_counter()
        train(w1.copy(), w2.copy(), e, 0.5)
        seconds.append(time.perf_counter() - start)
    return networks * 2 * epochs / max(seconds[1] - seconds[0], 1e-9)


def exp_accuracy() -> tuple[float, float]:
    """Largest error in units in the last place, of this exp and of np.exp, on 3M points."""
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-1, 1, 2**20), rng.uniform(-30, 30, 2**20),
                        rng.uniform(-700, 700, 2**20)])
    ours = np.empty_like(x)
    exp_all(x, ours)
    exact = np.exp(x.astype(np.longdouble))
    ulp = np.spacing(np.exp(x))
    return (float(np.max(np.abs((ours - exact) / ulp))),
            float(np.max(np.abs((np.exp(x) - exact) / ulp))))


def agreement(hidden: int = 2, networks: int = 128, epochs: int = 200) -> float:
    """Largest |Δθ| between this loop and :func:`xorbench.bench.train_recipe` (NumPy)
    after ``epochs`` epochs from the same θ: the prototype trains the same thing."""
    from xorbench.bench import train_recipe
    from xorbench.engine.layout import layer_views, n_params

    rng = np.random.default_rng(3)
    w1 = rng.uniform(-1, 1, (networks // BLOCK, 3, hidden, BLOCK))
    w2 = rng.uniform(-1, 1, (networks // BLOCK, hidden + 1, BLOCK))
    theta = np.zeros((n_params((2, hidden, 1)), networks))
    first, second = layer_views(theta, (2, hidden, 1))  # (3, H, N), (H + 1, 1, N)
    first[:] = w1.transpose(1, 2, 0, 3).reshape(3, hidden, networks)
    second[:, 0] = w2.transpose(1, 0, 2).reshape(hidden + 1, networks)
    make_train(hidden)(w1, w2, epochs, 0.5)
    train_recipe(theta, hidden, epochs)
    return max(np.abs(w1.transpose(1, 2, 0, 3).reshape(3, hidden, networks) - first).max(),
               np.abs(w2.transpose(1, 0, 2).reshape(hidden + 1, networks) - second[:, 0]).max())


if __name__ == "__main__":
    for hidden, networks, epochs in ((2, 16384, 300), (8, 8192, 100)):
        print(f"2-{hidden}-1 @{networks}: {rate(hidden, networks, epochs) / 1e6:.2f} M "
              "network-epochs/s")
    ours, numpy = exp_accuracy()
    print(f"exp: max error {ours:.2f} ulp (np.exp {numpy:.2f} ulp)")
    print(f"against the NumPy recipe after 200 epochs: max |Δθ| {agreement():.1e}")
