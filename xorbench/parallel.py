"""Worker processes that stop when the caller stops: shared by the sweep and the plots.

A terminal's Ctrl-C goes to the whole process group. The workers should ignore
it (each would print a traceback) and the caller, on being stopped, shut them
down; these two helpers do both halves for joblib's loky backend. And how many
workers there are by default: :func:`default_jobs`.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def children_ignore_sigint() -> Iterator[None]:
    """Processes started in this block ignore SIGINT (the setting survives exec).

    A terminal's Ctrl-C goes to the whole process group: workers that took it
    would each print a traceback. Only the sweep's process should stop on it; it
    then shuts the workers down itself.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def drain(outputs: Iterator) -> Iterator:
    """Yield from joblib's generator; if we are closed early, close it quietly.

    joblib aborts the pending batches (loky kills its workers) when its generator
    is closed, and warns that results went unused: that is the point of stopping,
    so the warning is not shown.
    """
    try:
        # not `yield from`: that would close joblib's generator before the filter is on
        for output in outputs:  # noqa: UP028
            yield output
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outputs.close()


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1
