"""How much of a sweep's wall time goes to anything but training?

    python benchmarks/sweep_overhead.py --jobs 2                 # quick + 100k grids
    python benchmarks/sweep_overhead.py --jobs 2 --grid quick --repeat 3

For each grid, runs a fresh sweep into a temporary folder and prints the
manifest's stage timings (expand, scan, plan, train = the parallel part, store
= writing shards inside it, tables = runs/summary/curves.csv) and the overhead:

    overhead = 1 − engine seconds / (workers × wall seconds)

where engine seconds are summed over the workers' batches, inside the engine
only. Everything else counts as overhead: expansion, planning, starting the
worker pool, pickling, turning results into frames, writing shards, idle
workers at the end, building and writing the CSVs. ``worker busy`` is the same
with all of a worker's batch time (engine + building the frames).

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
import statistics
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
STAGES = ("expand", "scan", "plan", "train", "store", "tables", "total")


def measure(name: str, jobs: int, backend: str) -> dict[str, float]:
    grid = GRIDS[name]()
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_sweep(grid, Path(tmp) / grid.name, jobs=jobs, backend=backend)
    wall = outcome.seconds
    capacity = outcome.n_workers * wall
    return {
        **{stage: outcome.timings.get(stage, 0.0) for stage in STAGES},
        "runs": outcome.n_runs,
        "engine": outcome.engine_seconds,
        "worker": outcome.train_seconds,
        "overhead": 1 - outcome.engine_seconds / capacity,
        "busy": outcome.train_seconds / capacity,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--backend", default="loky")
    parser.add_argument("--grid", choices=[*GRIDS, "all"], default="all")
    parser.add_argument("--repeat", type=int, default=1, help="runs per grid; the median shows")
    args = parser.parse_args(argv)
    names = list(GRIDS) if args.grid == "all" else [args.grid]
    print(f"jobs {args.jobs}, backend {args.backend}; seconds (median of {args.repeat})")
    header = ["grid", "runs", *STAGES, "engine Σ", "worker busy", "overhead"]
    print("  ".join(f"{h:>11}" for h in header))
    for name in names:
        trials = [measure(name, args.jobs, args.backend) for _ in range(args.repeat)]
        med = {k: statistics.median(t[k] for t in trials) for k in trials[0]}
        cells = [name, f"{med['runs']:,.0f}", *(f"{med[s]:.2f}" for s in STAGES),
                 f"{med['engine']:.2f}", f"{med['busy']:.0%}", f"{med['overhead']:.1%}"]
        print("  ".join(f"{c:>11}" for c in cells))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
