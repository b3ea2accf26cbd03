"""Issue 7's comparison table, measured on this machine: where does the engine stand?

    python benchmarks/frameworks.py                 # 2-2-1 at 16384 and 2-8-1 at 8192
    python benchmarks/frameworks.py --quick

Issue 7's targets were set from a table measured on another CPU (Zen 4). This
script measures that table's rows here, in one run, on the standard workload
(2-H-1, sigmoid hidden and output, MSE, full batch, lr 0.5, weights
uniform(−1, 1), biases 0, float64, no early stop), so that each target can be
read as the ratio it stands for:

  engine            xorbench's engine, one process (``xorbench bench``'s figure): the
                    standard workload's build (``xorbench.engine.builds``) trains it
  engine, kernel only  the same without the build: the kernel, which trains any setup
  recipe            issue 7's NumPy recipe, bare (``xorbench.bench.train_recipe``)
  jax               ``jit(vmap(fori_loop(grad)))``, x64 — if jax is installed
  torch 1/2 threads the recipe's steps as in-place torch ops, networks last — if
                    torch is installed
  numba prototype   ``benchmarks/numba_prototype.py``: the workload compiled with
                    numba, own polynomial exp — if numba is installed
  compiled 1/2      ``benchmarks/ceiling.c``: a C loop over blocks of networks with
                    glibc's vectorised exp (gcc -O3 -march=native -ffast-math) —
                    if gcc is on the PATH; the practical ceiling

Each row runs in its own process; the one-core rows (all but the "2 threads"
ones) are pinned to one CPU, since JAX otherwise spreads over every core. The
"2 processes" rows run two such processes at once, one per CPU, and add them up.
Frameworks are optional: a row whose framework is missing says so. Nothing here
is a dependency of xorbench (install them in a separate environment).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from xorbench.bench import standard_config, time_engine, time_recipe

LR = 0.5
X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
T = np.array([0.0, 1.0, 1.0, 0.0])


def marginal(train, epochs: int) -> float:
    """Network-epochs per second of ``train(epochs)`` → seconds, from runs of E and 3E."""
    train(2)
    short, long = train(epochs), train(3 * epochs)
    return 2 * epochs / max(long - short, 1e-9)


def engine_rate(hidden: int, networks: int, epochs: int, build: bool = True) -> float:
    """The engine as a long sweep runs it: with the setup's build (compiled first if this
    machine has none yet, outside the timing), or without (the kernel alone)."""
    from xorbench.engine import Setup, builds

    if build:
        builds.prepare(Setup.of(standard_config(hidden)))
    with contextlib.nullcontext() if build else builds.kernel_only():
        return networks * marginal(lambda e: time_engine(hidden, networks, e).seconds, epochs)


def recipe_rate(hidden: int, networks: int, epochs: int) -> float:
    return networks * marginal(lambda e: time_recipe(hidden, networks, e).seconds, epochs)


def jax_rate(hidden: int, networks: int, epochs: int) -> float:
    from jax_workload import jax_training  # beside this file; imports jax

    return networks * marginal(jax_training(hidden, networks), epochs)


def torch_rate(hidden: int, networks: int, epochs: int, threads: int) -> float:
    import torch

    torch.set_num_threads(threads)
    torch.set_grad_enabled(False)
    f64 = torch.float64
    x1 = torch.tensor(np.hstack([X, np.ones((4, 1))]), dtype=f64)  # (P, 3)
    t = torch.tensor(T, dtype=f64)[:, None]
    rng = np.random.default_rng(0)

    def train(e: int) -> float:
        w1 = torch.tensor(rng.uniform(-1, 1, (3, hidden, networks)), dtype=f64)
        w1[2] = 0
        w2 = torch.tensor(rng.uniform(-1, 1, (hidden + 1, networks)), dtype=f64)
        w2[hidden] = 0
        a1 = torch.empty((4, hidden, networks), dtype=f64)
        f1, d1, products = (torch.empty_like(a1) for _ in range(3))
        y, d2, tmp = (torch.empty((4, networks), dtype=f64) for _ in range(3))
        g1, g2 = torch.empty_like(w1), torch.empty_like(w2)
        w1f, g1f = w1.view(3, -1), g1.view(3, -1)
        a1f, d1f = a1.view(4, -1), d1.view(4, -1)
        scale = LR * 2 / 4
        start = time.perf_counter()
        for _ in range(e):
            torch.matmul(x1, w1f, out=a1f)
            torch.sigmoid(a1, out=a1)
            torch.mul(a1[:, 0], w2[0], out=y)
            for j in range(1, hidden):
                torch.mul(a1[:, j], w2[j], out=tmp)
                y.add_(tmp)
            y.add_(w2[hidden])
            torch.sigmoid(y, out=y)
            torch.sub(y, t, out=d2)  # δ2 = η (2/P) (y − t) y (1 − y)
            torch.mul(y, y, out=tmp)
            torch.sub(y, tmp, out=tmp)
            d2.mul_(tmp).mul_(scale)
            torch.mul(a1, d2[:, None, :], out=products)
            torch.sum(products, 0, out=g2[:hidden])
            torch.sum(d2, 0, out=g2[hidden])
            torch.mul(a1, a1, out=f1)
            torch.sub(a1, f1, out=f1)
            torch.mul(d2[:, None, :], w2[:hidden], out=d1)
            d1.mul_(f1)
            torch.matmul(x1.T, d1f, out=g1f)
            w1.sub_(g1)
            w2.sub_(g2)
        return time.perf_counter() - start

    return networks * marginal(train, epochs)


def numba_rate(hidden: int, networks: int, epochs: int) -> float:
    sys.path.insert(0, str(Path(__file__).parent))
    from numba_prototype import rate

    return rate(hidden, networks, epochs)


def compiled_rate(hidden: int, networks: int, epochs: int, threads: int,
                  build: Path) -> float:
    binary = build / f"ceiling{hidden}"
    if not binary.exists():
        source = Path(__file__).with_name("ceiling.c")
        subprocess.run(["gcc", "-O3", "-march=native", "-ffast-math", "-fopenmp",
                        f"-DH={hidden}", str(source), "-lm", "-o", str(binary)], check=True)

    def train(e: int) -> float:
        out = subprocess.run([str(binary), str(networks), str(e), str(threads)], check=True,
                             capture_output=True, text=True).stdout.split()
        return float(out[3])

    return networks * marginal(train, epochs)


ROWS = {  # name: (measure(hidden, networks, epochs, build folder), cores it may use)
    "engine": (lambda h, n, e, b: engine_rate(h, n, e), 1),
    "engine, kernel only": (lambda h, n, e, b: engine_rate(h, n, e, build=False), 1),
    "recipe": (lambda h, n, e, b: recipe_rate(h, n, e), 1),
    "jax": (lambda h, n, e, b: jax_rate(h, n, e), 1),
    "torch, 1 thread": (lambda h, n, e, b: torch_rate(h, n, e, 1), 1),
    "torch, 2 threads": (lambda h, n, e, b: torch_rate(h, n, e, 2), 2),
    "numba prototype": (lambda h, n, e, b: numba_rate(h, n, 3 * e), 1),
    "compiled, 1 thread": (lambda h, n, e, b: compiled_rate(h, n, 10 * e, 1, b), 1),
    "compiled, 2 threads": (lambda h, n, e, b: compiled_rate(h, n, 10 * e, 2, b), 2),
}
# Rows measured as two one-core processes at once, each on its own CPU, summed.
TWO_PROCESSES = ("engine", "engine, kernel only", "numba prototype")


def measure_row(name: str, cases, build: Path, cpu: int) -> list[str]:
    """One row's cells, measured in this process (pinned to one CPU for 1-core rows)."""
    measure, cores = ROWS[name]
    if cores == 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[cpu]})
    cells = []
    for hidden, networks, epochs in cases:
        try:
            cells.append(f"{measure(hidden, networks, epochs, build) / 1e6:16.2f}")
        except ImportError as e:
            cells.append(f"{'(no ' + str(e.name) + ')':>16}")
        except (OSError, subprocess.CalledProcessError) as e:
            cells.append(f"{'(' + type(e).__name__ + ')':>16}")
    return cells


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a quarter of the epochs: noisier, and too short for the "
                             "compiled rows, which then read low")
    parser.add_argument("--row", choices=list(ROWS), help=argparse.SUPPRESS)
    parser.add_argument("--build", help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    scale = 0.25 if args.quick else 1.0
    cases = [(2, 16384, int(200 * scale)), (8, 8192, int(100 * scale))]
    if args.row:  # a child: one row, in a fresh process
        print("".join(measure_row(args.row, cases, Path(args.build), args.cpu)))
        return
    print(f"{'M network-epochs/s':34}" + "".join(f"{f'2-{h}-1 @{n}':>16}" for h, n, _ in cases))
    with tempfile.TemporaryDirectory() as build:
        names = [*ROWS, *(f"{n}, 2 processes" for n in TWO_PROCESSES)]
        for name in names:
            if name.startswith("compiled") and shutil.which("gcc") is None:
                print(f"{name:34}(no gcc)")
                continue
            row, copies = name.removesuffix(", 2 processes"), 2 if "processes" in name else 1
            # each row in its own process: no framework's threads or caches touch another
            children = [subprocess.Popen(
                [sys.executable, __file__, "--row", row, "--build", build, "--cpu", str(cpu),
                 *(["--quick"] if args.quick else [])],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for cpu in range(copies)]
            outputs = [child.communicate() for child in children]
            try:
                sums = np.sum([[float(c) for c in out.split()] for out, _ in outputs], axis=0)
                cells = "".join(f"{x:16.2f}" for x in sums)
            except ValueError:  # a missing framework's note, or a failure
                last = (outputs[0][1].strip().splitlines() or ["no output"])[-1]
                cells = outputs[0][0].rstrip("\n") or f"  (failed: {last})"
            print(f"{name:34}{cells}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
