"""A validated sweep: canonical sub-grids whose union is the set of runs, and its counts.

Everything here is counted from the sub-grids as boxes (:mod:`xorbench.grid.boxes`),
never by listing the runs, so a grid of billions of runs is described as fast as a
small one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import product

from xorbench.config import RunConfig, SeedRule
from xorbench.grid.boxes import Box, union_size
from xorbench.grid.keys import AXES, CONFIG_AXES
from xorbench.grid.plotroles import PlotRoles


@dataclass(frozen=True)
class Grid:
    """A validated sweep: canonical sub-grids whose union is the set of runs.

    ``subgrids[i]`` maps every axis of :data:`AXES` to its canonical values in
    file order (defaults filled in): Choice for named choices, tuple of widths
    for ``hidden``, float for ``lr``, int for ``epochs``. ``seeds`` are shared
    by every sub-grid. A run is one (configuration, seed, epoch budget). ``plots`` is
    the file's ``[plots]`` table: which axes the plots colour and split into panels.

    With adaptive seeds (``seed_rule``), ``seeds`` are every seed a configuration may
    run (0..max−1): the counts below are then the worst case, :attr:`n_runs_least` the
    best (every configuration settled after its first round).
    """

    name: str
    description: str
    path: str
    source: str = field(repr=False)  # the file's text, copied next to the results
    subgrids: tuple[dict[str, tuple], ...] = field(repr=False)
    seeds: tuple[int, ...] = field(repr=False)
    seed_rule: SeedRule | None = None
    plots: PlotRoles = field(default=PlotRoles(), repr=False)

    @property
    def seeds_least(self) -> int:
        """Seeds every configuration runs: all of them, or the adaptive rule's first round."""
        return len(self.seeds) if self.seed_rule is None else self.seed_rule.first

    @cached_property
    def n_runs_least(self) -> int:
        """Runs if every configuration stops at its first round (= :attr:`n_runs` with
        fixed seeds)."""
        return self.n_runs // len(self.seeds) * self.seeds_least if self.seeds else 0

    def axes(self) -> dict[str, tuple]:
        """Axis → its distinct values across the sub-grids, in file order (for display)."""
        out: dict[str, tuple] = {}
        for axis in AXES:
            values = dict.fromkeys(v for sub in self.subgrids for v in sub[axis])
            out[axis] = tuple(values)
        return out

    def varying_axes(self) -> tuple[str, ...]:
        """The axes that take more than one value somewhere in the grid, in AXES order."""
        return tuple(axis for axis, values in self.axes().items() if len(values) > 1)

    @cached_property
    def n_configs(self) -> int:
        """Distinct configurations (seed and budget aside), counted without expanding."""
        return union_size([box[:-1] for box in self._boxes])

    @cached_property
    def n_runs(self) -> int:
        """Distinct (configuration, seed, epoch budget) runs, counted without expanding."""
        return union_size(self._boxes) * len(self.seeds)

    @cached_property
    def n_network_epochs(self) -> int:
        """Epochs trained in all: each configuration and seed once, to its largest budget.

        Σ_c max budget(c) = Σ_k (b_k − b_{k−1}) · #{c : some budget of c ≥ b_k}, for the
        distinct budgets b_1 < b_2 < … (b_0 = 0), so it too is counted without expanding.
        """
        return self.network_epochs_where({})

    def network_epochs_where(self, fixed: Mapping[str, object]) -> int:
        """:attr:`n_network_epochs` of the configurations whose axes take the ``fixed``
        values (axis → one canonical value), counted without expanding."""
        boxes = []
        for box, sub in zip(self._boxes, self.subgrids, strict=True):
            if all(fixed[axis] in sub[axis] for axis in fixed):
                cut = tuple(frozenset([fixed[axis]]) if axis in fixed else values
                            for axis, values in zip(AXES, box, strict=True))
                boxes.append((cut, max(sub["epochs"])))
        budgets = sorted({e for sub in self.subgrids for e in sub["epochs"]})
        total, previous = 0, 0
        for b in budgets:
            reaching = [box[:-1] for box, largest in boxes if largest >= b]
            total += (b - previous) * union_size(reaching)
            previous = b
        return total * len(self.seeds)

    def networks_where(self, fixed: Mapping[str, object]) -> int:
        """Networks (configuration × seed) whose axes take the ``fixed`` values."""
        boxes = [tuple(frozenset([fixed[axis]]) if axis in fixed else values
                       for axis, values in zip(CONFIG_AXES, box[:-1], strict=True))
                 for box, sub in zip(self._boxes, self.subgrids, strict=True)
                 if all(fixed[axis] in sub[axis] for axis in fixed)]
        return union_size(boxes) * len(self.seeds)

    def count_combinations(self, axes: Sequence[str]) -> int:
        """At least as many as :meth:`combinations` of ``axes`` lists (sub-grids that share
        a combination count it twice), counted without listing any: check it before
        asking for the list."""
        return sum(math.prod(len(sub[axis]) for axis in axes) for sub in self.subgrids)

    def combinations(self, axes: Sequence[str], limit: int | None = None) -> list[tuple]:
        """The distinct combinations of values of ``axes`` that some configuration takes,
        in file order (one per configuration group, however many configurations).
        ValueError, before listing any, if there may be more than ``limit``."""
        if limit is not None and self.count_combinations(axes) > limit:
            raise ValueError(f"more than {limit:,} combinations of {', '.join(axes)}")
        seen: dict[tuple, None] = {}
        for sub in self.subgrids:
            seen.update(dict.fromkeys(product(*(sub[axis] for axis in axes))))
        return list(seen)

    def epoch_budgets(self, config: RunConfig) -> tuple[int, ...]:
        """The epoch budgets the grid asks of ``config``, ascending; KeyError if none."""
        values = [getattr(config, axis) for axis in CONFIG_AXES]
        budgets = {
            e
            for sub in self.subgrids
            if all(v in sub[axis] for axis, v in zip(CONFIG_AXES, values, strict=True))
            for e in sub["epochs"]
        }
        if not budgets:
            raise KeyError(f"configuration {config.config_id} is not in grid {self.name!r}")
        return tuple(sorted(budgets))

    def run_order(self, config: RunConfig) -> dict[int, tuple[int, int, int]] | None:
        """Where ``config``'s runs come in :func:`expand`'s order, without expanding:
        epoch budget → (sub-grid, the configuration's index in that sub-grid's product,
        the budget's index in its epochs), for the sub-grid that first asks for it;
        within one, runs go by seed (in ``seeds`` order). None if the grid has no run
        of ``config``."""
        values = [getattr(config, axis) for axis in CONFIG_AXES]
        order: dict[int, tuple[int, int, int]] = {}
        for k, sub in enumerate(self.subgrids):
            index = 0
            for axis, value in zip(CONFIG_AXES, values, strict=True):
                try:
                    position = sub[axis].index(value)
                except ValueError:
                    break
                index = index * len(sub[axis]) + position  # the product's mixed radix
            else:
                for i, budget in enumerate(sub["epochs"]):
                    order.setdefault(budget, (k, index, i))
        return order or None

    @cached_property
    def _boxes(self) -> list[Box]:
        return [tuple(frozenset(sub[axis]) for axis in AXES) for sub in self.subgrids]
