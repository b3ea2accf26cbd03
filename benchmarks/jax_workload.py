"""Issue 7's standard workload in JAX, as the benchmarks compare it: 2-H-1, sigmoid hidden
and output, MSE, full batch, lr 0.5, weights uniform(−1, 1), biases 0, x64, trained by
``jit(vmap(fori_loop(grad)))``. Imports only NumPy and JAX, so that it runs in JAX's own
environment (JAX is not a dependency of xorbench)."""

from __future__ import annotations

import time
from collections.abc import Callable

LR = 0.5


def jax_training(hidden: int, networks: int) -> Callable[[int], float]:
    """``seconds(epochs)``: how long JAX takes to train ``networks`` 2-``hidden``-1
    networks for ``epochs`` epochs, compiled once beforehand (the epoch count is a
    traced value: one compilation serves every count)."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    jax.config.update("jax_enable_x64", True)
    x = jnp.asarray([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    t = jnp.asarray([0.0, 1.0, 1.0, 0.0])

    def loss(p):
        h = jax.nn.sigmoid(x @ p["w1"] + p["b1"])  # (4, H)
        y = jax.nn.sigmoid(h @ p["w2"] + p["b2"])[:, 0]
        return jnp.mean((y - t) ** 2)

    def trained(p, n_epochs):
        def epoch(_, p):
            g = jax.grad(loss)(p)
            return jax.tree_util.tree_map(lambda w, d: w - LR * d, p, g)
        return jax.lax.fori_loop(0, n_epochs, epoch, p)

    rng = np.random.default_rng(0)
    params = {"w1": rng.uniform(-1, 1, (networks, 2, hidden)), "b1": np.zeros((networks, hidden)),
              "w2": rng.uniform(-1, 1, (networks, hidden, 1)), "b2": np.zeros((networks, 1))}
    run = jax.jit(jax.vmap(trained, in_axes=(0, None)))
    run(params, 2)["w1"].block_until_ready()  # compiled here, outside every timing

    def seconds(epochs: int) -> float:
        start = time.perf_counter()
        run(params, epochs)["w1"].block_until_ready()
        return time.perf_counter() - start

    return seconds
