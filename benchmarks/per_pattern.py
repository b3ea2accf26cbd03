"""How much faster does a per-pattern build train than the kernel?

    python benchmarks/per_pattern.py                      # 2-2-1 and 2-3-3-1, sampled(1000)
    python benchmarks/per_pattern.py --hidden 8 --batch online --repeat 5

Trains the same batch (512 networks, the seed-question setup: sigmoid, mse, sgd,
lr 1, weights and biases uniform(0,1)) for a few epochs with the kernel and with
the setup's build (compiled first if the build cache lacks it: $XORBENCH_CACHE_DIR),
alternating, in one process and from the same drawn pattern orders (drawn before
the clock starts), and prints nanoseconds per lane-update — one network's update
on one pattern — for each, best of --repeat, with their ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from xorbench.config import Member, make_config
from xorbench.engine import Setup, builds, kernel
from xorbench.engine.batch import BatchState
from xorbench.engine.build_source import spec_for

N_NETWORKS = 512


def measure(hidden: tuple[int, ...], batch: str, epochs: int, repeat: int) -> dict[str, float]:
    """Best nanoseconds per lane-update of the kernel and of the build."""
    config = make_config(hidden=hidden, batch=batch, init="uniform(0,1)",
                         bias_init="uniform(0,1)", lr=1.0)
    setup = Setup.of(config)
    if not builds.prepare(setup):
        raise SystemExit(f"no build for {builds.describe(setup)}")
    train = builds.ready(spec_for(setup), np.dtype(np.float64))
    members = [Member(1.0, config.init, config.bias_init, seed) for seed in range(N_NETWORKS)]
    state = BatchState.start(setup, members, (epochs + 1,))
    arguments = state.kernel_setup
    blocks = {}
    for epoch in range(epochs + 1):  # one epoch per call, each from its own block's copy
        block, start = state.orders.block_at(epoch)
        blocks[epoch] = (block[epoch - start : epoch - start + 1].copy(), epoch)
    seen = state.observed

    def by_kernel(epoch: int) -> None:
        orders, start = blocks[epoch]
        kernel.run(theta=state.theta, state=state.state, lr=state.lr, **arguments,
                   epoch_solved=state.epoch_solved, diverged=state.diverged,
                   losses=state.losses, kept=state.kept, first_epoch=epoch,
                   stop_epoch=epoch + 1, seen_first=False, orders=orders, orders_start=start,
                   record=False, outputs=seen.outputs, derivatives=seen.derivatives,
                   gradients=seen.gradient, final_loss=seen.loss, scores=seen.score)

    def by_build(epoch: int) -> None:
        train(state.theta, state.state, state.lr, arguments["targets"], arguments["c"],
              state.epoch_solved, state.diverged, state.losses, state.kept, epoch, epoch + 1,
              *blocks[epoch])

    by_kernel(0)
    by_build(0)
    updates = N_NETWORKS * epochs * state.orders.per_epoch
    best = {"kernel": np.inf, "build": np.inf}
    for _ in range(repeat):
        for name, step in (("kernel", by_kernel), ("build", by_build)):
            start = time.perf_counter()
            for epoch in range(1, epochs + 1):
                step(epoch)
            best[name] = min(best[name], (time.perf_counter() - start) / updates * 1e9)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="*", action="append",
                        help="hidden widths (repeatable); default 2, then 3 3")
    parser.add_argument("--batch", default="sampled(1000)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    shapes = [tuple(h) for h in args.hidden] if args.hidden else [(2,), (3, 3)]
    print(f"{args.batch}, {N_NETWORKS} networks, ns per lane-update (best of {args.repeat})")
    for hidden in shapes:
        best = measure(hidden, args.batch, args.epochs, args.repeat)
        arch = "-".join(map(str, (2, *hidden, 1)))
        print(f"{arch:>8}  kernel {best['kernel']:6.1f}  build {best['build']:6.1f}  "
              f"build is {best['kernel'] / best['build']:.2f}× faster")


if __name__ == "__main__":
    main()
