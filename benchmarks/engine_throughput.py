"""Engine throughput vs a plain one-network NumPy loop (issue 2's table).

    python benchmarks/engine_throughput.py [--quick]

Prints network-epochs/s for 2-2-1 and 2-8-1 at 1, 64, 1024 and 16384 networks,
and each engine figure as a multiple of the plain loop, all measured in one run.
"""

import sys

from xorbench.bench import run_benchmark

quick = "--quick" in sys.argv
budget = 4e6 if quick else 2e7
plain = {}
rows = list(run_benchmark(budget=budget, plain_budget=budget / 100))
for m in rows:
    if m.implementation == "one-at-a-time":
        plain[m.arch] = m.network_epochs_per_s
print(f"{'implementation':<16}{'arch':<8}{'networks':>9}{'epochs':>8}{'M net-epochs/s':>16}"
      f"{'× plain':>10}")
for m in rows:
    ratio = m.network_epochs_per_s / plain[m.arch]
    print(f"{m.implementation:<16}{m.arch:<8}{m.networks:>9}{m.epochs:>8}"
          f"{m.network_epochs_per_s / 1e6:>16.3f}{ratio:>10.1f}")
