"""How big a figure may be, and panels wrapped into rows so that it stays that size.

A figure is saved at :data:`DPI` and read in a report column ~1,150 px wide: every
figure stays at most :data:`MAX_WIDTH_PX` wide, so its text is shrunk at most ~1.7
times there, whatever the number of values on an axis. Facets are laid out here
(:func:`arrange`): up to :data:`MAX_PER_ROW` panels a row, and no more than fit in
:data:`PANELS_WIDTH` inches; a long column axis wraps (seaborn's ``col_wrap``), a grid
of columns × rows whose columns are too many is turned (rows become columns) or, when
both are long, becomes one wrapped sequence of panels. :func:`fit_dpi` is the backstop
of the saver for what no layout bounds (a legend of very long names). No matplotlib
here: the worker pool reads :data:`DPI` without importing it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

DPI = 120  # the saved PNGs' resolution (xorbench.plots.save)
MAX_WIDTH_PX = 2000  # no saved figure is wider (title, legend and colour bar included)
PANELS_WIDTH = 11.0  # inches of panels a row may hold: legends and labels need the rest
MAX_PER_ROW = 4  # panels a row at most, however narrow
PAD_INCHES = 0.2  # white space around a saved figure

Level = tuple[str, list[str]]  # a role's column in the data and its values in order


def per_row(n: int, limit: int) -> int:
    """How many of ``n`` panels go in a row: all if they fit in ``limit``, else as few
    rows as ``limit`` a row needs, filled as evenly as they can be.

    With 4 a row at most: 9 → 3 × 3, 8 → 4 + 4, 7 → 4 + 3, 5 → 3 + 2, 10 → 4 + 4 + 2;
    with 3: 4 → 2 + 2.
    """
    limit = max(1, limit)
    if n <= limit:
        return max(1, n)
    rows = math.ceil(n / limit)
    return math.ceil(n / rows)


def fitting(panel_width: float) -> int:
    """Panels of ``panel_width`` inches that a row holds, at most :data:`MAX_PER_ROW`."""
    return max(1, min(MAX_PER_ROW, int(PANELS_WIDTH // max(panel_width, 0.1))))


@dataclass
class Facets:
    """Where the panels of a figure go: a column and a row role, or a wrapped column."""

    col: Level | None
    row: Level | None
    wrap: int | None = None  # panels a row when the column role wraps
    titles: dict[str, str] = field(default_factory=dict)  # role → axis title

    @property
    def n_cols(self) -> int:
        if self.col is None:
            return 1
        return self.wrap or len(self.col[1])

    @property
    def n_rows(self) -> int:
        if self.wrap and self.col:
            return math.ceil(len(self.col[1]) / self.wrap)
        return len(self.row[1]) if self.row else 1

    @property
    def single(self) -> bool:
        return self.col is None and self.row is None

    def grid_kwargs(self) -> dict:
        """``col``, ``row``, their orders and ``col_wrap`` for seaborn's FacetGrid."""
        kwargs: dict = {}
        for role in ("col", "row"):
            level = getattr(self, role)
            if level:
                kwargs[role], kwargs[f"{role}_order"] = level
        if self.wrap:
            kwargs["col_wrap"] = self.wrap
        return kwargs


def arrange(data: pd.DataFrame, col: Level | None, row: Level | None,
            titles: dict[str, str], panel_width: float) -> tuple[pd.DataFrame, Facets]:
    """Panels of ``panel_width`` inches, at most :func:`fitting` of them a row.

    A column role alone wraps; with a row role too, a grid with too many columns is
    turned (its rows become the columns) when the rows fit in a row, and otherwise
    becomes one wrapped sequence of panels, each titled by both values (a new column
    ``_facet`` of ``data``, row by row). A row role alone stays a column of panels.
    """
    limit = fitting(panel_width)
    titles = {k: v for k, v in titles.items() if k not in ("col", "row")} | {
        "col": titles.get("col", ""), "row": titles.get("row", "")}
    if col is None or len(col[1]) <= limit:
        return data, Facets(col, row, None, titles)
    if row is None:
        return data, Facets(col, None, per_row(len(col[1]), limit), titles)
    if len(row[1]) <= limit:
        turned = titles | {"col": titles["row"], "row": titles["col"]}
        return data, Facets(row, col, None, turned)
    data = data.copy()
    data["_facet"] = [_both(titles, r, c) for r, c in zip(data[row[0]], data[col[0]],
                                                           strict=True)]
    order = [_both(titles, r, c) for r in row[1] for c in col[1]]
    order = [o for o in order if o in set(data["_facet"])]
    return data, Facets(("_facet", order), None, per_row(len(order), limit),
                        titles | {"col": "", "row": ""})


def _both(titles: dict[str, str], row: object, col: object) -> str:
    """A panel's title naming its row and column values, on two lines."""
    parts = [f"{titles[k]}: {v}" if titles[k] else str(v) for k, v in (("row", row), ("col", col))]
    return "\n".join(parts)


def fit_dpi(width_inches: float, dpi: int = DPI) -> int:
    """The resolution at which a figure ``width_inches`` wide is at most
    :data:`MAX_WIDTH_PX` pixels: ``dpi`` unless that makes it wider."""
    if width_inches * dpi <= MAX_WIDTH_PX:
        return dpi
    return max(1, int(MAX_WIDTH_PX // width_inches))
