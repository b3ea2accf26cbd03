"""Which axis the plots colour and which they split into panels: the ``[plots]`` table.

A grid file may say, beside ``[defaults]`` and ``[grid]``::

    [plots]
    hue = "init"          # the colour of the lines (the bars, the heatmap's rows)
    col = "optimizer"     # one column of panels per value
    row = "activation"    # one row of panels per value

``xorbench plot DIR --hue AXIS --col AXIS --row AXIS`` takes the same keys, and wins over
the file. Any key left out keeps the automatic choice. :func:`role_problems` checks a
choice — from the file or the command line — against the axes that vary, one line per
problem; :class:`PlotRoles` is the checked choice, carried on the
:class:`~xorbench.grid.model.Grid` and read by the plots.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from xorbench.grid.keys import ALIASES, CONFIG_AXES, key_hint, normal

PLOT_ROLES: tuple[str, ...] = ("hue", "col", "row")  # the keys of [plots], in this order
ROLE_WORDS = {"hue": "the colour", "col": "the panel columns", "row": "the panel rows"}
PLOT_AXES: tuple[str, ...] = CONFIG_AXES  # what a role may name: any axis but the budget

# Names people write for the keys of [plots] → the key xorbench calls it.
ROLE_ALIASES: dict[str, str] = {
    **dict.fromkeys(["color", "colour", "colors", "colours", "lines", "legend"], "hue"),
    **dict.fromkeys(["cols", "column", "columns", "panel", "panels", "facet", "facets"],
                    "col"),
    **dict.fromkeys(["rows"], "row"),
}


@dataclass(frozen=True)
class PlotRoles:
    """An axis (a grid key, e.g. ``init``) per plot role, None where the plots choose."""

    hue: str | None = None
    col: str | None = None
    row: str | None = None

    def chosen(self) -> dict[str, str]:
        """Role → axis for the roles that are chosen, in :data:`PLOT_ROLES` order."""
        return {role: getattr(self, role) for role in PLOT_ROLES if getattr(self, role)}

    def over(self, base: PlotRoles) -> PlotRoles:
        """These choices, and ``base``'s where they leave a role open and its axis free.

        The command line over the grid file: ``--hue init`` over ``[plots] col = "init"``
        makes init the colour and leaves the columns to the automatic choice.
        """
        mine = self.chosen()
        kept = {role: axis for role, axis in base.chosen().items()
                if role not in mine and axis not in mine.values()}
        return PlotRoles(**mine, **kept)

    def describe(self) -> str:
        """``hue init, col optimizer`` (empty when nothing is chosen)."""
        return ", ".join(f"{role} {axis}" for role, axis in self.chosen().items())


def role_problems(raw: Mapping[str, object], varying: Sequence[str],
                  where: Callable[[str, object], str], sweep: str = "grid"
                  ) -> tuple[PlotRoles, list[str]]:
    """Check a choice of plot roles; returns the valid part and one line per problem.

    ``raw`` maps role keys to axis names as the user wrote them; ``varying`` are the
    axes that take more than one value in the ``sweep`` (grid keys: ``hidden``, not
    ``arch``); ``where(key, value)`` names a key and its value as the user wrote it
    (``[plots] hue = 'init'``, ``--hue init``).
    """
    problems: list[str] = []
    chosen: dict[str, str] = {}
    for key, value in raw.items():
        if key not in PLOT_ROLES:
            problems.append(f"{where(key, value)}: unknown key"
                            f"{key_hint(key, PLOT_ROLES, ROLE_ALIASES)}; allowed: "
                            f"{', '.join(PLOT_ROLES)}")
        elif value is None:
            continue
        elif (problem := _axis_problem(value, varying, sweep)) is not None:
            problems.append(f"{where(key, value)}: {problem}")
        elif value in chosen.values():
            other = next(r for r, a in chosen.items() if a == value)
            problems.append(f"{where(key, value)}: {value} is already {ROLE_WORDS[other]} "
                            f"({other}); an axis takes one role")
        else:
            chosen[key] = str(value)
    return PlotRoles(**chosen), problems


def _axis_problem(value: object, varying: Sequence[str], sweep: str) -> str | None:
    """What is wrong with ``value`` as a plot role's axis, ending with the axes that may
    take it (those that vary in the ``sweep``); None when nothing is."""
    allowed = f"the axes that vary: {', '.join(varying) if varying else 'none'}"
    if not isinstance(value, str):
        return f"must be the name of an axis (a string); {allowed}"
    if value == "epochs":
        return ("the epoch budget is not a colour or a panel axis (it is the x axis of "
                "the budget plot; the other plots show each setting's largest budget); "
                f"{allowed}")
    if value not in PLOT_AXES:
        hint = key_hint(value, PLOT_AXES, ALIASES)
        if not hint and normal(value) in PLOT_AXES:
            hint = f" (did you mean {normal(value)!r}?)"
        return f"unknown axis{hint}; {allowed}"
    if value not in varying:
        return f"{value} does not vary in this {sweep}; {allowed}"
    return None
