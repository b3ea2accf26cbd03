"""What a sweep reports back: its outcome, the interrupt that says what is saved, and the
callbacks it calls while it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass
class SweepOutcome:
    """What a finished sweep did and where its files are."""

    path: Path
    n_runs: int  # runs in the grid
    n_reused: int  # runs found in the shards, not retrained
    n_trained: int  # runs trained now
    seconds: float  # wall time of the sweep
    train_seconds: float  # time spent inside batches (all workers, summed)
    runs: pd.DataFrame
    summary: pd.DataFrame
    engine_seconds: float = 0.0  # of train_seconds, inside the engine (training proper)
    store_seconds: float = 0.0  # of train_seconds, writing shards (workers, summed)
    n_workers: int = 1
    # this process's wall seconds per stage: expand, scan (read the shards), plan,
    # build, train (the parallel part; of which startup = until the first batch began,
    # e.g. starting worker processes, and store = writing shards here, with dask
    # only), tables (runs/summary/curves.csv), total
    timings: dict[str, float] = field(default_factory=dict)
    moved_aside: Path | None = None  # where --fresh put the old results
    warnings: list[str] = field(default_factory=list)


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a sweep; the finished batches are saved."""

    def __init__(self, path: Path, n_done: int, n_runs: int):
        super().__init__(f"{path}: {n_done} of {n_runs} runs saved")
        self.path, self.n_done, self.n_runs = path, n_done, n_runs


Progress = Callable[[int, int], None]  # (runs done, runs total)
Notify = Callable[[str], None]  # a warning or a note for the user, one line
Stage = Callable[[str | None], None]  # a long step begins (its text) or ends (None)
