"""Reading grid files: a path, a string, or the built-in quick grid → a :class:`Grid`."""

from __future__ import annotations

import difflib
import os
from importlib import resources
from pathlib import Path

from xorbench.config import SeedRule
from xorbench.errors import GridError, XorbenchError
from xorbench.files import NotTextError, read_text
from xorbench.grid.model import Grid
from xorbench.grid.parse import parse_grid

MAX_GRID_BYTES = 2**20  # a grid file is kilobytes: anything over a megabyte is refused


def load_grid(path: str | Path) -> Grid:
    """Read and validate a grid file; GridError lists every problem in it."""
    path = Path(path)
    if path.is_dir():
        hint = f" (did you mean {str(path / 'grid.toml')!r}?)" if (
            path / "grid.toml").is_file() else ""
        raise XorbenchError(f"{path}: is a directory, not a grid file (a .toml file){hint}")
    if not path.exists():
        if os.path.islink(path):  # a link to nothing, or one of a loop (ELOOP)
            raise XorbenchError(f"{path}: is a symbolic link to {_link_target(path)}, which "
                                f"does not resolve (missing, or links that loop)")
        raise XorbenchError(f"{path}: no such grid file{missing_file_hint(path)}")
    try:
        text = read_text(path, MAX_GRID_BYTES, "grid file")
    except NotTextError:
        raise GridError(str(path), ["is not UTF-8 text; a grid file is TOML"]) from None
    return loads_grid(text, str(path))


def loads_grid(text: str, path: str = "<string>") -> Grid:
    """Validate the TOML text of a grid; ``path`` names it in messages and default name."""
    name, description, subgrids, seeds, plots = parse_grid(text, path)
    if isinstance(seeds, SeedRule):  # every seed a configuration may run, and the rule
        return Grid(name, description, path, text, subgrids, tuple(range(seeds.max)), seeds,
                    plots=plots)
    return Grid(name, description, path, text, subgrids, seeds, plots=plots)


def default_grid() -> Grid:
    """The built-in quick grid (package data ``xorbench/data/quick.toml``)."""
    resource = resources.files("xorbench") / "data" / "quick.toml"
    return loads_grid(resource.read_text(encoding="utf-8"), str(resource))


def _link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def missing_file_hint(path: Path) -> str:
    """`` (did you mean 'sweeps/quick.toml'?)`` for a missing suffix or a near miss."""
    candidates = []
    if path.suffix != ".toml" and path.with_suffix(".toml").is_file():
        candidates = [path.with_suffix(".toml")]
    elif path.parent.is_dir():
        names = [p.name for p in path.parent.glob("*.toml")]
        candidates = [path.parent / n for n in difflib.get_close_matches(path.name, names, 1, 0.6)]
    return f" (did you mean {str(candidates[0])!r}?)" if candidates else ""
