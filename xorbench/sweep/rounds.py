"""A sweep's rounds: which runs to train next.

With fixed seeds there is one round, every run of the grid. With adaptive seeds
(:class:`~xorbench.config.SeedRule`) round k trains seeds n_{k−1}..n_k − 1 of the
configurations the rule has not yet stopped (n_k = first · 2^k, at most max); which
those are is replayed from all the runs stored so far
(:func:`xorbench.analysis.adaptive.replay`), so a resumed sweep, or one rerun with a
changed rule, trains exactly what an uninterrupted one would have.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from xorbench.analysis.adaptive import SAMPLING, replay, solved_prefixes
from xorbench.analysis.text import plural
from xorbench.config import RunSpec
from xorbench.grid import Grid, expand, expand_configs


class Rounds:
    """The rounds of one sweep of ``grid``, asked for one after another."""

    def __init__(self, grid: Grid):
        self.grid = grid
        self.rule = grid.seed_rule
        self.index = -1  # the round being trained
        self.largest: dict[str, int] = {}  # config_id → its largest budget
        if self.rule is not None:
            self.largest = {config.config_id: budgets[-1]
                            for config, budgets in expand_configs(grid)}

    def next(self, runs: Iterable[pd.DataFrame]) -> list[RunSpec] | None:
        """The runs of the next round (some may be stored already), or None when the
        rule has stopped every configuration; ``runs``: every run stored so far."""
        self.index += 1
        if self.rule is None:
            return expand(self.grid) if self.index == 0 else None
        sizes = self.rule.sizes()
        if self.index >= len(sizes):
            return None
        low = 0 if self.index == 0 else sizes[self.index - 1]
        high = sizes[self.index]
        state = self._state(runs) if self.index else {}
        seeds = {c: range(low, high) for c in self.largest
                 if self.index == 0 or state[c][0] > low}
        self.n_sampling = len(seeds)
        return expand(self.grid, seeds) if seeds else None

    def label(self) -> str | None:
        """What the round is, for the progress bar (None with fixed seeds)."""
        if self.rule is None:
            return None
        sizes = self.rule.sizes()
        low = 0 if self.index == 0 else sizes[self.index - 1]
        return (f"round {self.index + 1} of at most {len(sizes)}: "
                f"{plural(self.n_sampling, 'configuration')} sampling seeds "
                f"{low}..{sizes[self.index] - 1}")

    def final(self, runs: Iterable[pd.DataFrame]) -> list[RunSpec]:
        """Every run the sweep's tables hold: each configuration's seeds 0..n−1, n where
        the rule stopped it (all of ``grid.seeds`` with fixed seeds)."""
        if self.rule is None:
            return expand(self.grid)
        state = self._state(runs)
        return expand(self.grid, {c: range(n) for c, (n, _) in state.items()})

    def unsettled(self, runs: Iterable[pd.DataFrame]) -> int:
        """Configurations the rule has not stopped (0 with fixed seeds)."""
        if self.rule is None:
            return 0
        return sum(reason == SAMPLING for _, reason in self._state(runs).values())

    def _state(self, runs: Iterable[pd.DataFrame]) -> dict[str, tuple[int, str]]:
        frames = [f[["config_id", "seed", "epochs", "solved"]] for f in runs if len(f)]
        table = (pd.concat(frames, ignore_index=True) if frames else
                 pd.DataFrame(columns=["config_id", "seed", "epochs", "solved"]))
        table = table[table["config_id"].isin(self.largest).to_numpy(bool)]
        prefixes = solved_prefixes(table, self.largest)
        return replay(self.rule, {c: prefixes.get(c, _NONE) for c in self.largest})


_NONE = pd.array([], dtype=bool).to_numpy(bool)
