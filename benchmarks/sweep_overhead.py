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
import statistics
import sys

from xorbench.bench import SWEEP_GRIDS, SWEEP_STAGES, measure_sweep_fresh

SPLIT = ("serial", "startup share", "worker extra", "idle")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[2])
    parser.add_argument("--backend", default="loky")
    parser.add_argument("--grid", choices=[*SWEEP_GRIDS, "all"], default="all")
    parser.add_argument("--repeat", type=int, default=1, help="runs per grid; the median shows")
    args = parser.parse_args(argv)
    names = list(SWEEP_GRIDS) if args.grid == "all" else [args.grid]
    print(f"backend {args.backend}; stage seconds and overhead shares (median of {args.repeat})")
    header = ["grid", "jobs", "runs", *SWEEP_STAGES, "engine Σ", "overhead",
              *(f"={s.split()[0]}" for s in SPLIT)]
    print("  ".join(f"{h:>10}" for h in header))
    for name in names:
        for jobs in args.jobs:
            trials = [measure_sweep_fresh(name, jobs, args.backend) for _ in range(args.repeat)]
            med = {k: statistics.median(t[k] for t in trials) for k in trials[0]}
            cells = [name, str(jobs), f"{med['runs']:,.0f}",
                     *(f"{med[s]:.2f}" for s in SWEEP_STAGES),
                     f"{med['engine']:.2f}", f"{med['overhead']:.1%}",
                     *(f"{med[s]:.1%}" for s in SPLIT)]
            print("  ".join(f"{c:>10}" for c in cells))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
