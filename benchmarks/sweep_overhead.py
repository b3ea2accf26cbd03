"""How much of a sweep's wall time goes to anything but training?

    python benchmarks/sweep_overhead.py --jobs 2                 # quick + 100k grids
    python benchmarks/sweep_overhead.py --jobs 1 2 --grid quick --repeat 3

For each grid, runs a fresh sweep (in a new process, so that starting the
worker pool counts, as it does for the CLI) into a temporary folder and prints the
manifest's stage timings (expand, scan, plan, startup = until the first batch
began training, train = the parallel part, startup included, tables =
runs/summary/curves.csv) and the overhead:

    overhead = 1 − engine seconds / (workers × wall seconds)

where engine seconds are summed over the workers' batches, inside the engine
only. Everything else counts as overhead, split into shares that add up to it:

    serial        expand, scan, plan, tables: this process works, workers wait
    startup       starting the worker processes (imports) before the first batch
    worker extra  in the workers, outside the engine: tidy frames, writing shards
    idle          the rest: workers waiting for a batch at the end, pickling,
                  the main process competing for a core

Grids:
  quick       the built-in quick grid (16,200 runs, epochs 100/1000/5000)
  100k        500 configurations × 100 seeds × epochs [100, 1000] = 100,000 runs,
              5 widths × 5 activations × 4 inits × 5 learning rates: a realistic
              exploration grid
  100k-short  the same at epochs [10, 100]: training is 10× shorter, the
              overhead per run the same — the worst case for the ratio
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from xorbench.grid import default_grid, loads_grid
from xorbench.sweep import run_sweep

GRID_100K = """
name = "{name}"
[defaults]
seeds = 100
[grid]
hidden = [[2], [3], [4], [8], [2, 2]]
activation = ["sigmoid", "tanh", "relu", "elu", "softplus"]
init = ["uniform(0,1)", "uniform(-1,1)", "xavier", "he"]
lr = [0.1, 0.3, 1.0, 2.0, 4.0]
epochs = {epochs}
"""

GRIDS = {
    "quick": default_grid,
    "100k": lambda: loads_grid(GRID_100K.format(name="overhead-100k", epochs="[100, 1000]")),
    "100k-short": lambda: loads_grid(GRID_100K.format(name="overhead-100k-short",
                                                      epochs="[10, 100]")),
}
STAGES = ("expand", "scan", "plan", "startup", "train", "tables", "total")


def measure(name: str, jobs: int, backend: str) -> dict[str, float]:
    grid = GRIDS[name]()
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_sweep(grid, Path(tmp) / grid.name, jobs=jobs, backend=backend)
    t = outcome.timings
    capacity = outcome.n_workers * outcome.seconds  # worker-seconds available
    serial = t["expand"] + t["scan"] + t["plan"] + t["tables"]  # workers idle meanwhile
    extra = outcome.train_seconds - outcome.engine_seconds  # frames + shards, in workers
    overhead = 1 - outcome.engine_seconds / capacity
    return {
        **{stage: t.get(stage, 0.0) for stage in STAGES},
        "runs": outcome.n_runs,
        "engine": outcome.engine_seconds,
        "overhead": overhead,
        # the overhead, split (shares of capacity; they add up to it)
        "serial": serial * outcome.n_workers / capacity,
        "startup share": t.get("startup", 0.0) * outcome.n_workers / capacity,
        "worker extra": extra / capacity,
        "idle": overhead - (serial + t.get("startup", 0.0)) * outcome.n_workers / capacity
        - extra / capacity,
    }


SPLIT = ("serial", "startup share", "worker extra", "idle")


def measure_fresh(name: str, jobs: int, backend: str) -> dict[str, float]:
    """measure() in a new process, so that starting the worker pool is paid as by the CLI."""
    done = subprocess.run([sys.executable, __file__, "--one", name, str(jobs), backend],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[2])
    parser.add_argument("--backend", default="loky")
    parser.add_argument("--grid", choices=[*GRIDS, "all"], default="all")
    parser.add_argument("--repeat", type=int, default=1, help="runs per grid; the median shows")
    parser.add_argument("--one", nargs=3, metavar=("GRID", "JOBS", "BACKEND"),
                        help=argparse.SUPPRESS)  # internal: one trial, as JSON
    args = parser.parse_args(argv)
    if args.one:
        name, jobs, backend = args.one
        print(json.dumps(measure(name, int(jobs), backend)))
        return
    names = list(GRIDS) if args.grid == "all" else [args.grid]
    print(f"backend {args.backend}; stage seconds and overhead shares (median of {args.repeat})")
    header = ["grid", "jobs", "runs", *STAGES, "engine Σ", "overhead",
              *(f"={s.split()[0]}" for s in SPLIT)]
    print("  ".join(f"{h:>10}" for h in header))
    for name in names:
        for jobs in args.jobs:
            trials = [measure_fresh(name, jobs, args.backend) for _ in range(args.repeat)]
            med = {k: statistics.median(t[k] for t in trials) for k in trials[0]}
            cells = [name, str(jobs), f"{med['runs']:,.0f}", *(f"{med[s]:.2f}" for s in STAGES),
                     f"{med['engine']:.2f}", f"{med['overhead']:.1%}",
                     *(f"{med[s]:.1%}" for s in SPLIT)]
            print("  ".join(f"{c:>10}" for c in cells))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
