"""How much slower is the first run than the ones after it?

    python benchmarks/first_run.py                 # the default sweep, once
    python benchmarks/first_run.py --repeat 3 -- sweeps/quick.toml --jobs 2

Runs `xorbench sweep --no-plots --no-report` (with the arguments after `--`; none:
the built-in quick grid) twice, each in a new process and a fresh folder, with a
numba cache and a build cache of their own (NUMBA_CACHE_DIR and XORBENCH_CACHE_DIR
pointed at empty temporary folders): the first run compiles what the sweep needs
(the training loop, and any build the sweep finds worth it), the second loads it
from those caches, as every later run on the machine does. Prints both wall times,
their ratio and the machine's load average before, between and after: the two runs
follow each other, so on a shared machine repeat and compare the ratios.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_sweep(args: list[str], out: Path, env: dict[str, str]) -> float:
    command = [sys.executable, "-m", "xorbench", "sweep", *args, "--no-plots", "--no-report",
               "--quiet", "--out", str(out)]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"the sweep failed: {done.stderr.strip().splitlines()[-1:]}")
    return seconds


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("sweep_args", nargs="*", help="arguments for xorbench sweep")
    options = parser.parse_args()
    print("first run s   later run s   ratio   load (before, between, after)")
    for _ in range(options.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "NUMBA_CACHE_DIR": os.path.join(tmp, "numba"),
                   "XORBENCH_CACHE_DIR": os.path.join(tmp, "builds")}
            before = load()
            first = timed_sweep(options.sweep_args, Path(tmp) / "first", env)
            between = load()
            later = timed_sweep(options.sweep_args, Path(tmp) / "later", env)
            print(f"{first:11.1f}   {later:11.1f}   {first / later:5.2f}   "
                  f"{before}, {between}, {load()}", flush=True)


if __name__ == "__main__":
    main()
