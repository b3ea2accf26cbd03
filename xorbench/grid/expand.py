"""The runs of a grid, listed: every (configuration, seed, epoch budget) once, in order.

Expansion order is deterministic: sub-grids in file order; in each, the product of
the axes in :data:`~xorbench.grid.keys.AXES` order (first axis outermost), each
axis's values in file order; then seed; then epoch budget. A run already produced
by an earlier sub-grid is not repeated. (:meth:`Grid.run_order` gives a run's place
in this order without listing the others.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import product

from xorbench.config import RunConfig, RunSpec, make_config
from xorbench.grid.keys import CONFIG_AXES
from xorbench.grid.model import Grid


def expand(grid: Grid, seeds: Mapping[str, Sequence[int]] | None = None) -> list[RunSpec]:
    """Every run of the grid once, in the documented order (see the module docstring).

    ``seeds`` (config_id → that configuration's seeds, ascending) lists only those runs —
    a round of adaptive seeds, or the seeds each configuration settled on; configurations
    it leaves out have none. By default every configuration runs ``grid.seeds``.
    """
    specs: list[RunSpec] = []
    seen: set[tuple] = set()  # (config values, epochs): seeds are common to all sub-grids
    ids: dict[int, str] = {}
    for config, values, sub in iter_configs(grid):
        budgets = [e for e in sub["epochs"] if (values, e) not in seen]
        seen.update((values, e) for e in budgets)
        if seeds is None:
            chosen: Sequence[int] = grid.seeds
        else:
            config_id = ids.get(id(config))
            if config_id is None:
                config_id = ids[id(config)] = config.config_id
            chosen = seeds.get(config_id, ())
        specs.extend(RunSpec(config, seed, e) for seed in chosen for e in budgets)
    return specs


def expand_configs(grid: Grid) -> list[tuple[RunConfig, tuple[int, ...]]]:
    """Each distinct configuration once (first-appearance order) with its budgets, ascending.

    Every configuration runs with every seed in ``grid.seeds``, so this and
    ``grid.seeds`` describe the same runs as :func:`expand` without materialising them.
    """
    budgets: dict[tuple, tuple[RunConfig, set[int]]] = {}
    for config, values, sub in iter_configs(grid):
        budgets.setdefault(values, (config, set()))[1].update(sub["epochs"])
    return [(config, tuple(sorted(b))) for config, b in budgets.values()]


def iter_configs(grid: Grid) -> Iterator[tuple[RunConfig, tuple, Mapping[str, tuple]]]:
    made: dict[tuple, RunConfig] = {}
    for sub in grid.subgrids:
        for values in product(*(sub[axis] for axis in CONFIG_AXES)):
            config = made.get(values)
            if config is None:
                config = made[values] = make_config(dict(zip(CONFIG_AXES, values, strict=True)))
            yield config, values, sub
