"""``xorbench bench``: the engine's throughput, measured here, now."""

from __future__ import annotations

import json
import math
from typing import Annotated

import typer
from rich.table import Table as RichTable

from xorbench.cli.app import app, guarded, note, out, say
from xorbench.cli.options import choice_help, default
from xorbench.config import MAX_WIDTH

MAX_BENCH_NETWORKS = 1_000_000


@app.command("bench")
@guarded
def bench_command(
    quick: Annotated[bool, typer.Option(help="About 10 s: fewer sizes, shorter runs.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    hidden: Annotated[list[int] | None, typer.Option(
        help="Hidden widths to measure (repeat). Default: 2 and 8.", min=1,
        max=MAX_WIDTH)] = None,
    networks: Annotated[list[int] | None, typer.Option(
        help="Batch sizes to measure (repeat). Default: 1, 64, 1024, 4096, 16384.", min=1,
        max=MAX_BENCH_NETWORKS)] = None,
    dtype: Annotated[str, typer.Option(help=choice_help("dtype", "Precision"))]
    = default("dtype"),
    workers: Annotated[int | None, typer.Option(
        help="Also measure this many processes at once. Default: all cores.", min=1)] = None,
    sweep: Annotated[bool | None, typer.Option(
        help="Also time a 100,000-run sweep (about 10 s on 2 cores) and its overhead. "
             "Default: yes, but not with --quick.")] = None,
) -> None:
    """Engine throughput: network-epochs/s, batched vs a plain one-network NumPy loop.

    Standard workload: 2-H-1, sigmoid hidden and output, MSE, full batch, lr 0.5,
    weights uniform(-1,1). Also measured: the same workload as a bare NumPy
    recipe (no criterion, no records; float64), the floor for a NumPy engine on
    this machine. Everything is measured in this one run, so the ratios hold even
    on a busy machine; absolute figures vary with the machine's load.
    """
    from xorbench.bench import measure_sweep_fresh, run_benchmark, workers_that_fit
    from xorbench.config import DTYPES
    from xorbench.parallel import default_jobs

    DTYPES.parse(dtype)
    sizes = networks or ([1, 1024, 4096] if quick else [1, 64, 1024, 4096, 16384])
    n_jobs, capped = workers_that_fit(hidden or [2, 8], max(sizes), dtype,
                                      workers or default_jobs())
    if capped and workers is not None:
        note(f"--workers {workers}: {n_jobs} ({capped})")
    rows = []
    for m in run_benchmark(hiddens=hidden or [2, 8], sizes=sizes,
                           seconds=0.4 if quick else 1.5, dtype=dtype, workers=n_jobs,
                           announce=note):
        rows.append(m)
        if as_json:
            say(json.dumps(m.as_dict()))
    overhead = (measure_sweep_fresh("100k", n_jobs) if (not quick if sweep is None else sweep)
                else None)
    if as_json:
        if overhead is not None:
            say(json.dumps({"implementation": "sweep", "jobs": n_jobs, **overhead}))
        return
    _print_throughput(rows, dtype)
    if overhead is not None:
        o = overhead
        say(f"Sweep of {o['runs']:,.0f} runs (--jobs {n_jobs}): {o['wall']:.1f} s wall, "
            f"overhead {o['overhead']:.0%} of worker time outside the engine — serial stages "
            f"{o['serial']:.0%} (expand {o['expand']:.2f} s, plan {o['plan']:.2f} s, tables "
            f"{o['tables']:.2f} s), worker start-up {o['startup share']:.0%}, in workers "
            f"outside the engine {o['worker extra']:.0%}, idle {o['idle']:.0%}")


def _print_throughput(rows: list, dtype: str) -> None:
    plain = {m.arch: m.network_epochs_per_s for m in rows if m.implementation == "one-at-a-time"}
    table = RichTable(title=f"Network-epochs per second ({dtype}; standard workload)",
                      title_justify="left")
    for col in ("implementation", "arch", "networks", "epochs", "M net-epochs/s",
                "× one-at-a-time"):
        table.add_column(col, justify="left" if col in ("implementation", "arch") else "right")
    for m in rows:
        ratio = m.network_epochs_per_s / plain[m.arch] if m.arch in plain else math.nan
        table.add_row(m.implementation, m.arch, f"{m.networks:,}", f"{m.epochs:,}",
                      f"{m.network_epochs_per_s / 1e6:.3f}", f"{ratio:,.0f}")
    out.print(table)
