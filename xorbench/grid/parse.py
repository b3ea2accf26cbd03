"""A grid file's TOML text → its name, description, canonical sub-grids and seeds.

:func:`parse_grid` validates everything before anything runs and raises one
:class:`~xorbench.errors.GridError` listing every problem in the file, one line
each, naming the file, the section, the key and the value.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import NamedTuple

from xorbench.config import SeedRule
from xorbench.errors import GridError
from xorbench.grid.keys import (
    ALIASES,
    AXES,
    DEFAULT_SEEDS,
    FIXED_DEFAULTS,
    KEYS,
    NAME_RE,
    TOP_ALIASES,
    TOP_KEYS,
    default_name,
    key_hint,
    normal,
    show,
    toml_key,
)
from xorbench.grid.plotroles import PlotRoles, role_problems
from xorbench.grid.values import combination_problems, common_seeds, parse_section

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


class ParsedGrid(NamedTuple):
    """A valid grid file's content: sub-grids map every axis to canonical values."""

    name: str
    description: str
    subgrids: tuple[dict[str, tuple], ...]
    seeds: tuple[int, ...] | SeedRule  # fixed seeds, or adaptive ones
    plots: PlotRoles


def parse_grid(text: str, path: str = "<string>") -> ParsedGrid:
    """Validate the TOML text of a grid; GridError lists every problem in it.

    ``path`` names the file in messages; its stem is the default name.
    """
    data = _toml(text, path)
    problems: list[str] = []
    name, description = _top_keys(data, path, problems)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        problems.append(f"defaults = {show(defaults)}: must be a table; write [defaults] "
                        "and key = value lines below it")
        defaults = {}
    default_axes, default_seeds = parse_section("[defaults]", defaults, problems)
    sections = _sections(data.get("grid"), problems)

    subgrids: list[dict[str, tuple]] = []
    seeds_of: list[tuple[str, str, object, tuple[int, ...] | SeedRule | None]] = []
    for label, table in sections:
        axes, seeds = parse_section(label, table, problems)
        subgrids.append({**FIXED_DEFAULTS, **default_axes, **axes})
        if "seeds" in table:
            seeds_of.append((label, label, table["seeds"], seeds))
        elif "seeds" in defaults:
            seeds_of.append((label, "[defaults]", defaults["seeds"], default_seeds))
        else:
            seeds_of.append((label, "the built-in default", DEFAULT_SEEDS,
                             tuple(range(DEFAULT_SEEDS))))

    seeds = common_seeds(seeds_of, problems)
    # Bad values were reported above; the defaults stand in for them here, so that
    # a bad combination of the good values is reported in the same pass.
    fallback = {**FIXED_DEFAULTS, **{k: v for k, v in default_axes.items() if v}}
    checkable = [(label, {axis: v or fallback[axis] for axis, v in sub.items()})
                 for (label, _), sub in zip(sections, subgrids, strict=True)]
    problems.extend(combination_problems(checkable))
    plots = _plots_table(data.get("plots"), subgrids, problems)
    if problems:
        raise GridError(path, problems)
    return ParsedGrid(name, description,
                      tuple({axis: sub[axis] for axis in AXES} for sub in subgrids), seeds or (),
                      plots)


def _toml(text: str, path: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise GridError(path, [_toml_problem(e, text)]) from None
    except RecursionError:
        raise GridError(path, ["invalid TOML: arrays or tables nested too deeply (a grid "
                               "needs two levels, as in hidden = [[2], [2, 2]])"]) from None


def _top_keys(data: dict, path: str, problems: list[str]) -> tuple[str, str]:
    """The grid's name (by default its file's stem, made safe) and description."""
    name = "grid" if path == "<string>" else default_name(Path(path).stem)
    description = ""
    for key, value in data.items():
        if key == "name":
            if _check_name(value, problems):
                name = value
        elif key == "description":
            if isinstance(value, str):
                description = value
            else:
                problems.append(f"description = {show(value)}: must be a string")
        elif key not in TOP_KEYS:
            problems.append(_unknown_top_key(key, value))
    return name, description


def _plots_table(raw: object, subgrids: list[dict[str, tuple]], problems: list[str]
                 ) -> PlotRoles:
    """The ``[plots]`` table: an axis that varies in the grid for each role it names."""
    if raw is None:
        return PlotRoles()
    if not isinstance(raw, dict):
        problems.append(f"plots = {show(raw)}: must be a table; write [plots] and lines such "
                        'as hue = "init" below it')
        return PlotRoles()
    varying = [axis for axis in AXES if axis != "epochs"
               and len({v for sub in subgrids for v in sub[axis]}) > 1]
    roles, found = role_problems(raw, varying, lambda k, v: f"[plots] {k} = {show(v)}")
    problems.extend(found)
    return roles


def _sections(raw_grid: object, problems: list[str]) -> list[tuple[str, dict]]:
    """The sub-grids' sections, labelled for messages: ``[grid]``, ``[[grid]] #2``."""
    if raw_grid is None:
        return [("[defaults]", {})]
    if isinstance(raw_grid, dict):
        return [("[grid]", raw_grid)]
    if isinstance(raw_grid, list) and raw_grid and all(isinstance(g, dict) for g in raw_grid):
        return [(f"[[grid]] #{i}", g) for i, g in enumerate(raw_grid, 1)]
    problems.append(f"grid = {show(raw_grid)}: must be a table [grid] or a non-empty "
                    "array of tables [[grid]], each holding key = value lines")
    return []


def _check_name(value: object, problems: list[str]) -> bool:
    if isinstance(value, str) and NAME_RE.fullmatch(value):
        return True
    problems.append(f"name = {show(value)}: must be a string of letters, digits, '.', '_' "
                    "and '-' (it names the results directory)")
    return False


def _unknown_top_key(key: str, value: object) -> str:
    where = f"{toml_key(key)} = {show(value)}"
    if key in KEYS or normal(key) in ALIASES:
        return (f"{where}: unknown top-level key{key_hint(key, KEYS, ALIASES)}; axis keys "
                "belong in [defaults] or [grid]")
    return (f"{where}: unknown top-level key{key_hint(key, TOP_KEYS, TOP_ALIASES)}; "
            f"allowed: {', '.join(TOP_KEYS)}")


def _toml_problem(error: tomllib.TOMLDecodeError, text: str) -> str:
    message = str(error)
    match = _TOML_POSITION.search(message)
    if match is None:
        return f"invalid TOML: {message}"
    line, column = int(match.group(1)), int(match.group(2))
    lines = text.splitlines()
    shown = f"; the line reads {lines[line - 1].strip()!r}" if line <= len(lines) else ""
    return (f"line {line}, column {column}: invalid TOML: "
            f"{message[: match.start()]}{shown}")
