"""A whole sweep against JAX's training alone: issue 20's end-to-end target.

    python benchmarks/sweep_vs_jax.py --jax-python ~/jaxenv/bin/python
    python benchmarks/sweep_vs_jax.py --jax-python ~/jaxenv/bin/python --repeat 3 --networks 16384

The workload is issue 7's standard one (2-2-1, sigmoid hidden and output, MSE, full
batch, lr 0.5, weights uniform(−1, 1), biases 0, float64), 65,536 networks × 2000
epochs. Measured alternately, in one run:

  sweep   ``xorbench sweep`` of that grid (65,536 seeds), ``--jobs 2 --no-plots
          --no-report``, in a new process and a fresh folder, caches warm (the
          workload's build compiled first if this machine lacks it, as ``xorbench
          bench`` leaves it, and a first untimed sweep): wall clock from the command's
          start to its exit — expanding, drawing, training, records, shards, tables;
  jax     ``jit(vmap(fori_loop(grad)))`` (as ``benchmarks/frameworks.py``), one
          process, x64, on the same 65,536 networks: the 2000 epochs alone, timed after
          a first call compiles it; JAX's own threads on every core.

and prints network-epochs per second of each and their ratio. JAX is not a
dependency of xorbench: install it in another environment (``python -m venv
~/jaxenv && ~/jaxenv/bin/pip install "jax[cpu]"``) and name its interpreter with
``--jax-python``; the JAX side runs this file there, importing only NumPy and JAX.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jax_workload import LR  # beside this file (it imports JAX only when training)

EPOCHS = 2000

GRID = """\
name = "jax-workload"
description = "Issue 7's standard workload: 2-2-1 sigmoid, MSE, full batch, lr 0.5."
[defaults]
hidden = [2]
activation = "sigmoid"
output = "sigmoid"
loss = "mse"
batch = "full"
init = "uniform(-1,1)"
bias_init = "zeros"
lr = {lr}
epochs = {epochs}
seeds = {networks}
"""


def jax_seconds(networks: int, epochs: int) -> float:
    """Seconds of JAX training ``networks`` 2-2-1 networks for ``epochs`` epochs, after
    a first call has compiled it (this process imports only NumPy and JAX)."""
    from jax_workload import jax_training

    return jax_training(2, networks)(epochs)


def sweep_seconds(grid: Path, out: Path) -> float:
    """Wall seconds of ``xorbench sweep`` of ``grid`` into ``out``, in a new process."""
    command = [sys.executable, "-m", "xorbench", "sweep", str(grid), "--out", str(out),
               "--jobs", "2", "--no-plots", "--no-report", "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"the sweep failed: {done.stderr.strip().splitlines()[-1:]}")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jax-python", default=sys.executable,
                        help="the Python that has JAX (default: this one)")
    parser.add_argument("--networks", type=int, default=65536)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--jax-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.jax_child:  # in the JAX environment: print the seconds, nothing else
        print(json.dumps(jax_seconds(args.networks, EPOCHS)))
        return
    work = args.networks * EPOCHS
    from xorbench.bench import standard_config
    from xorbench.engine import Setup, builds

    # the workload's build, as `xorbench bench` leaves it (a sweep this short would not
    # compile one itself: sweep/compiling.py)
    builds.prepare(Setup.of(standard_config(2)))
    with tempfile.TemporaryDirectory() as tmp:
        grid = Path(tmp) / "jax-workload.toml"
        grid.write_text(GRID.format(lr=LR, epochs=EPOCHS, networks=args.networks))
        sweep_seconds(grid, Path(tmp) / "warm")  # compiles what this machine lacks
        print(f"{args.networks:,} networks × {EPOCHS} epochs; M network-epochs/s")
        print(f"{'':>6}{'sweep, end to end':>20}{'jax, training':>16}{'ratio':>8}{'load':>8}")
        for trial in range(1, args.repeat + 1):
            child = subprocess.run([args.jax_python, __file__, "--jax-child", "--networks",
                                    str(args.networks)], capture_output=True, text=True)
            if child.returncode != 0:
                sys.exit(f"JAX failed: {child.stderr.strip().splitlines()[-1:]}")
            jax_rate = work / json.loads(child.stdout)
            sweep_rate = work / sweep_seconds(grid, Path(tmp) / f"out-{trial}")
            print(f"{trial:>6}{sweep_rate / 1e6:>20.1f}{jax_rate / 1e6:>16.1f}"
                  f"{sweep_rate / jax_rate:>7.2f}×{os.getloadavg()[0]:>8.1f}")


if __name__ == "__main__":
    main()
