"""The Typer app, the two consoles, and the one way a command fails.

Only the CLI prints and exits. Every user error (the XorbenchError family) — and the
file system's, e.g. an --out under a file or a read-only folder — becomes one line on
stderr and exit code 1; Ctrl-C exits 130 with a hint.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Annotated

import typer
from rich.console import Console

from xorbench.errors import XorbenchError

# Typer (0.2x) shows flags such as --yes and --help with a <bool> placeholder, as if they
# took a value; a flag takes none, so its help shows no type.
if hasattr(typer.core, "TyperOption") and hasattr(typer.core.TyperOption, "display_type_rich"):
    _display_type = typer.core.TyperOption.display_type_rich

    def _flag_shows_no_type(self, ctx):
        return None if getattr(self, "is_flag", False) else _display_type(self, ctx)

    typer.core.TyperOption.display_type_rich = _flag_shows_no_type


def _version(value: bool) -> None:
    if value:
        from xorbench import __version__

        out.print(f"xorbench {__version__}", markup=False)
        raise typer.Exit()


app = typer.Typer(
    help="Which settings make a small neural network learn XOR reliably? Measure it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
# Piped output (CI logs, files) is not squeezed into 80 columns, unless COLUMNS says so.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
out = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", callback=_version,
        is_eager=True)] = False) -> None:
    """Which settings make a small neural network learn XOR reliably? Measure it."""


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as error lines on stderr; the Exit to raise."""
    from rich.markup import escape

    # escaped: "[grid] lr = 0" is the message, not rich markup
    for line in str(message).splitlines():
        err.print(f"[bold red]error:[/] {escape(line)}", markup=True)
    return typer.Exit(code)


def guarded(func):
    """A command whose user errors are one line and exit 1, and whose Ctrl-C (where the
    command does not handle it) is "interrupted" and exit 130."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except XorbenchError as e:
            raise fail(str(e)) from None
        except OSError as e:
            where = f"{e.filename}: " if e.filename else ""
            raise fail(f"{where}{e.strerror or e}") from None
        except KeyboardInterrupt:
            err.print("interrupted", markup=False)
            raise typer.Exit(130) from None

    return wrapper


def warn(message: str) -> None:
    err.print(f"warning: {message}", markup=False)


def note(message: str) -> None:
    err.print(f"note: {message}", markup=False)


def say(text: str) -> None:
    """One line (or more) of plain text on stdout, never read as markup."""
    out.print(text, markup=False)
