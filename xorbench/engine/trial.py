"""Train one configuration on a few seeds and get tidy rows: the quickest experiment."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from xorbench.config import RunConfig, parse_epochs, parse_seed
from xorbench.engine import Member, Setup, check_memory
from xorbench.engine.frames import runs_frame
from xorbench.engine.route import train_networks


def train(config: RunConfig, seeds: Iterable[int] | int = 1,
          epochs: int | Iterable[int] = 1000, sweep: str = "train") -> pd.DataFrame:
    """Train ``config`` once per seed; one runs.csv-shaped row per seed and budget.

    ``seeds`` is a count (seeds 0..n−1) or explicit seeds; ``epochs`` one budget
    or several (trained once to the largest, recorded at each).
    """
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    budgets = [epochs] if isinstance(epochs, int) else list(epochs)
    for seed in seed_list:
        parse_seed(seed)
    for budget in budgets:
        parse_epochs(budget)
    setup = Setup.of(config)
    check_memory(setup, len(seed_list), len(budgets))
    result = train_networks(setup, [Member.of(config, s) for s in seed_list], budgets)
    return runs_frame(result, sweep)
