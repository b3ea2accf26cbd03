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

# How batches run: loky processes (default), threads of this process, a Dask cluster.
BACKENDS = ("loky", "threading", "dask")


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


def available_memory() -> int:
    """Bytes this process may still allocate: the least of the memory the system has
    available (/proc/meminfo's MemAvailable), the cgroup's limit less its use, and
    the process's RLIMIT_AS / RLIMIT_DATA; the physical memory where nothing is
    known."""
    limits = []
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                limits.append(int(line.split()[1]) * 1024)
    with contextlib.suppress(OSError, ValueError):
        with open("/sys/fs/cgroup/memory.max") as f:
            text = f.read().strip()
        if text != "max":
            with open("/sys/fs/cgroup/memory.current") as f:
                limits.append(int(text) - int(f.read().strip()))
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource

        for which in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
            soft = resource.getrlimit(which)[0]
            if soft != resource.RLIM_INFINITY:
                limits.append(soft - _resident_bytes())
    if not limits:
        try:
            limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
            return 2**40
    return max(0, min(limits))


def _resident_bytes() -> int:
    """This process's resident memory, for a limit counted against what it holds."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def format_bytes(n: float) -> str:
    """``1536`` → ``"1.5 kB"``; ``7.3e10`` → ``"73 GB"`` (decimal units)."""
    units = ("B", "kB", "MB", "GB", "TB")
    for unit in units:
        if abs(n) < 999.5 or unit == units[-1]:
            break
        n /= 1000
    return f"{n:.1f} {unit}" if unit != "B" and abs(n) < 9.95 else f"{n:.0f} {unit}"


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1
