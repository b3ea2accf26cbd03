"""Grid files: TOML → a validated :class:`Grid` → the runs of a sweep, counted or listed.

What lives here: the grid file's vocabulary (:mod:`~xorbench.grid.keys`), checking a
section value by value (:mod:`~xorbench.grid.values`) and a file as a whole
(:mod:`~xorbench.grid.parse`), counting runs from the sub-grids as boxes
(:mod:`~xorbench.grid.boxes`, :mod:`~xorbench.grid.model`), reading files
(:mod:`~xorbench.grid.load`) and listing runs (:mod:`~xorbench.grid.expand`).

Validation happens once, before anything runs: every problem in a file is collected
and raised together as one :class:`~xorbench.errors.GridError`. After that, values
are canonical (parsed :class:`~xorbench.config.choices.Choice`, width tuples,
floats, ints) and the rest of the code trusts them. A new grid key starts in
:mod:`~xorbench.grid.keys`. Imports only :mod:`xorbench.config` and the leaves.
"""

from xorbench.grid.boxes import union_size
from xorbench.grid.expand import expand, expand_configs
from xorbench.grid.keys import (
    AXES,
    CONFIG_AXES,
    DEFAULT_EPOCHS,
    DEFAULT_SEEDS,
    KEYS,
    default_name,
    format_value,
)
from xorbench.grid.load import MAX_GRID_BYTES, default_grid, load_grid, loads_grid
from xorbench.grid.model import Grid
from xorbench.grid.parse import parse_grid

__all__ = [
    "AXES", "CONFIG_AXES", "DEFAULT_EPOCHS", "DEFAULT_SEEDS", "KEYS", "MAX_GRID_BYTES",
    "Grid", "default_grid", "default_name", "expand", "expand_configs", "format_value",
    "load_grid", "loads_grid", "parse_grid", "union_size",
]
