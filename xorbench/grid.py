"""Grid files: TOML → validated canonical sub-grids → the runs of a sweep.

A grid file names values for the axes of :class:`~xorbench.config.RunConfig`
plus ``epochs`` (budgets) and ``seeds``. ``[defaults]`` is shared by every
sub-grid; ``[grid]`` is one sub-grid, ``[[grid]]`` a list of them whose union is
the sweep. A list is an axis, a scalar is fixed; ``hidden`` is a list of widths
per architecture, so only a list of lists is an axis of it.

Validation happens once, before anything runs (:mod:`xorbench.gridparse`):
every problem in the file is collected and raised together as one
:class:`~xorbench.errors.GridError`. After that, values are canonical (parsed
:class:`~xorbench.config.choices.Choice`, width tuples, floats, ints) and the rest of
the code trusts them.

Expansion order (:func:`expand`) is deterministic: sub-grids in file order; in
each, the product of the axes in :data:`AXES` order (first axis outermost), each
axis's values in file order; then seed; then epoch budget. A run already
produced by an earlier sub-grid is not repeated.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from itertools import product
from pathlib import Path

from xorbench.config import RunConfig, RunSpec, make_config
from xorbench.errors import GridError, XorbenchError
from xorbench.files import read_text
from xorbench.gridparse import (
    AXES,
    CONFIG_AXES,
    DEFAULT_EPOCHS,
    DEFAULT_SEEDS,
    KEYS,
    format_value,
    parse_grid,
)

__all__ = [
    "AXES", "CONFIG_AXES", "DEFAULT_EPOCHS", "DEFAULT_SEEDS", "KEYS", "MAX_GRID_BYTES",
    "Grid", "default_grid", "expand", "expand_configs", "format_value", "load_grid",
    "loads_grid",
]

MAX_GRID_BYTES = 2**20  # a grid file is kilobytes: anything over a megabyte is refused

Box = tuple[frozenset, ...]  # one set of values per axis: a sub-grid as a set of points


@dataclass(frozen=True)
class Grid:
    """A validated sweep: canonical sub-grids whose union is the set of runs.

    ``subgrids[i]`` maps every axis of :data:`AXES` to its canonical values in
    file order (defaults filled in): Choice for named choices, tuple of widths
    for ``hidden``, float for ``lr``, int for ``epochs``. ``seeds`` are shared
    by every sub-grid. A run is one (configuration, seed, epoch budget).
    """

    name: str
    description: str
    path: str
    source: str = field(repr=False)  # the file's text, copied next to the results
    subgrids: tuple[dict[str, tuple], ...] = field(repr=False)
    seeds: tuple[int, ...] = field(repr=False)

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
        return _union_size([box[:-1] for box in self._boxes])

    @cached_property
    def n_runs(self) -> int:
        """Distinct (configuration, seed, epoch budget) runs, counted without expanding."""
        return _union_size(self._boxes) * len(self.seeds)

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
            total += (b - previous) * _union_size(reaching)
            previous = b
        return total * len(self.seeds)

    def networks_where(self, fixed: Mapping[str, object]) -> int:
        """Networks (configuration × seed) whose axes take the ``fixed`` values."""
        boxes = [tuple(frozenset([fixed[axis]]) if axis in fixed else values
                       for axis, values in zip(CONFIG_AXES, box[:-1], strict=True))
                 for box, sub in zip(self._boxes, self.subgrids, strict=True)
                 if all(fixed[axis] in sub[axis] for axis in fixed)]
        return _union_size(boxes) * len(self.seeds)

    def combinations(self, axes: Sequence[str]) -> list[tuple]:
        """The distinct combinations of values of ``axes`` that some configuration takes,
        in file order (one per configuration group, however many configurations)."""
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


def load_grid(path: str | Path) -> Grid:
    """Read and validate a grid file; GridError lists every problem in it."""
    path = Path(path)
    if path.is_dir():
        hint = f" (did you mean {str(path / 'grid.toml')!r}?)" if (
            path / "grid.toml").is_file() else ""
        raise XorbenchError(f"{path}: is a directory, not a grid file (a .toml file){hint}")
    if not path.exists():
        raise XorbenchError(f"{path}: no such grid file{_missing_file_hint(path)}")
    try:
        text = read_text(path, MAX_GRID_BYTES, "grid file")
    except XorbenchError as e:
        if "UTF-8" in str(e):
            raise GridError(str(path), ["is not UTF-8 text; a grid file is TOML"]) from None
        raise
    return loads_grid(text, str(path))


def loads_grid(text: str, path: str = "<string>") -> Grid:
    """Validate the TOML text of a grid; ``path`` names it in messages and default name."""
    name, description, subgrids, seeds = parse_grid(text, path)
    return Grid(name, description, path, text, subgrids, seeds)


def default_grid() -> Grid:
    """The built-in quick grid (package data ``xorbench/data/quick.toml``)."""
    resource = resources.files("xorbench") / "data" / "quick.toml"
    return loads_grid(resource.read_text(encoding="utf-8"), str(resource))


def expand(grid: Grid) -> list[RunSpec]:
    """Every run of the grid once, in the documented order (see the module docstring)."""
    specs: list[RunSpec] = []
    seen: set[tuple] = set()  # (config values, epochs): seeds are common to all sub-grids
    for config, values, sub in _iter_configs(grid):
        budgets = [e for e in sub["epochs"] if (values, e) not in seen]
        seen.update((values, e) for e in budgets)
        specs.extend(RunSpec(config, seed, e) for seed in grid.seeds for e in budgets)
    return specs


def expand_configs(grid: Grid) -> list[tuple[RunConfig, tuple[int, ...]]]:
    """Each distinct configuration once (first-appearance order) with its budgets, ascending.

    Every configuration runs with every seed in ``grid.seeds``, so this and
    ``grid.seeds`` describe the same runs as :func:`expand` without materialising them.
    """
    budgets: dict[tuple, tuple[RunConfig, set[int]]] = {}
    for config, values, sub in _iter_configs(grid):
        budgets.setdefault(values, (config, set()))[1].update(sub["epochs"])
    return [(config, tuple(sorted(b))) for config, b in budgets.values()]


def _iter_configs(grid: Grid) -> Iterator[tuple[RunConfig, tuple, Mapping[str, tuple]]]:
    made: dict[tuple, RunConfig] = {}
    for sub in grid.subgrids:
        for values in product(*(sub[axis] for axis in CONFIG_AXES)):
            config = made.get(values)
            if config is None:
                config = made[values] = make_config(dict(zip(CONFIG_AXES, values, strict=True)))
            yield config, values, sub


def _union_size(boxes: Sequence[Box]) -> int:
    """The number of points in a union of boxes (a box: one set of values per axis).

    Each box in turn is cut into disjoint pieces outside every box kept so far,
    and the pieces are kept: the kept boxes stay disjoint, so their sizes add up.
    Many overlapping boxes can cut each other into very many pieces; then, if
    they are small enough, counting the distinct points is faster.
    """
    boxes = sorted(_drop_contained(boxes), key=_size, reverse=True)
    if len(boxes) > 8 and sum(_size(box) for box in boxes) <= 1_000_000:
        return len({point for box in boxes for point in product(*box)})
    kept: list[Box] = []
    for box in boxes:
        pieces = [box]
        for other in kept:
            pieces = [part for piece in pieces for part in _subtract(piece, other)]
        kept.extend(pieces)
    return sum(_size(box) for box in kept)


def _size(box: Box) -> int:
    return math.prod(len(values) for values in box)


def _subtract(a: Box, b: Box) -> list[Box]:
    """a − b as disjoint boxes: piece i agrees with b on the axes before i, not on axis i."""
    if any(not (x & y) for x, y in zip(a, b, strict=True)):
        return [a]
    pieces = []
    inside = list(a)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x - y:
            pieces.append((*inside[:i], x - y, *a[i + 1:]))
        inside[i] = x & y
    return pieces


def _drop_contained(boxes: Sequence[Box]) -> list[Box]:
    """The same union from fewer boxes: drop each box that lies inside another."""
    kept: list[Box] = []
    for box in boxes:
        if any(_contains(k, box) for k in kept):
            continue
        kept = [k for k in kept if not _contains(box, k)] + [box]
    return kept


def _contains(outer: Box, inner: Box) -> bool:
    return all(i <= o for i, o in zip(inner, outer, strict=True))


def _missing_file_hint(path: Path) -> str:
    """`` (did you mean 'sweeps/quick.toml'?)`` for a missing suffix or a near miss."""
    candidates = []
    if path.suffix != ".toml" and path.with_suffix(".toml").is_file():
        candidates = [path.with_suffix(".toml")]
    elif path.parent.is_dir():
        names = [p.name for p in path.parent.glob("*.toml")]
        candidates = [path.parent / n for n in difflib.get_close_matches(path.name, names, 1, 0.6)]
    return f" (did you mean {str(candidates[0])!r}?)" if candidates else ""
