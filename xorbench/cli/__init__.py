"""The ``xorbench`` command line: a thin shell over the Python API.

What lives here: the Typer app, its consoles and the one way a command fails
(:mod:`~xorbench.cli.app`), options shared by commands with their defaults and
allowed values read from the tables (:mod:`~xorbench.cli.options`), and the commands,
grouped by what they touch: ``train`` (:mod:`~xorbench.cli.train`), ``explain``
(:mod:`~xorbench.cli.explain`), ``grid`` and
``sweep`` (:mod:`~xorbench.cli.sweep`), ``summary``, ``plot`` and ``report``
(:mod:`~xorbench.cli.show`), ``compare`` (:mod:`~xorbench.cli.compare`), ``bench``
(:mod:`~xorbench.cli.bench`). A new option
goes on its command here and its meaning below, in the layer that owns it.

Only this package prints and exits; a command body is a few calls in pipeline order.
The top layer: it imports any package below it, and nothing imports it (but
``python -m xorbench``).
"""

from xorbench.cli.app import app

# isort: off
# importing a command module registers its commands, in the order --help lists them
from xorbench.cli import train  # noqa: F401
from xorbench.cli import explain  # noqa: F401
from xorbench.cli import sweep  # noqa: F401
from xorbench.cli import show  # noqa: F401
from xorbench.cli import compare  # noqa: F401
from xorbench.cli import bench  # noqa: F401
# isort: on


def main() -> None:  # pragma: no cover - console entry point
    app()


__all__ = ["app", "main"]
