"""The Typer app, the two consoles, and the one way a command fails.

Only the CLI prints and exits. Every user error (the XorbenchError family) — and the
file system's, e.g. an --out under a file or a read-only folder — becomes one line on
stderr and exit code 1; Ctrl-C exits 130 with a hint.
"""

from __future__ import annotations

import atexit
import contextlib
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


class _App(typer.Typer):
    """The Typer app, whose Ctrl-C is one line and exit 130 however late it comes: in a
    command (:func:`guarded`), in Typer's own code around it (click would say
    "Aborted!" and exit 1), or while the process shuts down (loky's workers and
    threads are stopped by exit handlers, where an interrupt is a traceback and exit 0)."""

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except KeyboardInterrupt:
            err.print("interrupted", markup=False)
            _LATE["code"] = 130
            raise SystemExit(130) from None
        except SystemExit as e:
            _LATE["code"] = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            raise
        finally:
            _interrupts_wait_for_exit()


# A Ctrl-C once the command has finished: noted, then said and turned into exit 130
# once every exit handler ran (nothing is left half-done), by the handler below, which
# was registered first and so runs last.
_LATE: dict[str, object] = {"code": 0, "interrupted": False}


def _interrupts_wait_for_exit() -> None:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def note_it(signum, frame):
        _LATE["interrupted"] = True

    signal.signal(signal.SIGINT, note_it)
    pause = os.environ.get(EXIT_PAUSE_ENV)
    if pause:  # tests of a late Ctrl-C: a shutdown that takes a while, announced
        sys.stderr.write("exiting\n")
        sys.stderr.flush()
        import time

        time.sleep(float(pause))


def _interrupted_while_exiting() -> None:
    if _LATE["interrupted"] and _LATE["code"] == 0:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        with contextlib.suppress(Exception):
            os.write(2, b"interrupted while exiting: the command had finished; nothing is "
                        b"lost\n")
        os._exit(130)


atexit.register(_interrupted_while_exiting)
# Seconds the process waits, once its command is done, before it exits. Only the tests
# of a late Ctrl-C set it.
EXIT_PAUSE_ENV = "XORBENCH_TEST_EXIT_PAUSE"


app = _App(
    help="Which settings make a small neural network learn XOR reliably? Measure it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
# The widest COLUMNS believed: beyond it (or 0, negative, not a number) it is unset.
MAX_COLUMNS = 1000


def _usable_columns() -> None:
    """COLUMNS that is not a width (``0``, ``-3``, ``wide``, ``99999999``) is treated as
    unset: rich would take ``0`` at its word and print nothing."""
    text = os.environ.get("COLUMNS")
    if text is not None and not (text.strip().isdigit() and 0 < int(text) <= MAX_COLUMNS):
        del os.environ["COLUMNS"]


_usable_columns()
# Piped output (CI logs, files) is not squeezed into 80 columns, unless COLUMNS says so.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
out = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", callback=_version,
        is_eager=True)] = False) -> None:
    """Which settings make a small neural network learn XOR reliably? Measure it."""


# A word (a value, a path) longer than this is shown by its ends: a refusal stays one
# readable line whatever the user typed.
MAX_WORD = 80


def shorten(line: str) -> str:
    """``line`` with every word (no spaces) over :data:`MAX_WORD` characters but a path
    cut in the middle: ``init = 'uniform(0,qqqq…qqqq)': …``."""
    import re

    half = MAX_WORD // 2 - 1
    return re.sub(rf"\S{{{MAX_WORD + 1},}}", lambda m: m[0] if os.sep in m[0] else
                  f"{m[0][:half]}…{m[0][-half:]}", line)  # a path is shown whole


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as error lines on stderr; the Exit to raise."""
    from rich.markup import escape

    # escaped: "[grid] lr = 0" is the message, not rich markup
    for line in str(message).splitlines():
        err.print(f"[bold red]error:[/] {escape(shorten(line))}", markup=True)
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
    err.print(f"warning: {shorten(message)}", markup=False)


def note(message: str) -> None:
    err.print(f"note: {shorten(message)}", markup=False)


def say(text: str) -> None:
    """One line (or more) of plain text on stdout, never read as markup."""
    out.print(text, markup=False)
