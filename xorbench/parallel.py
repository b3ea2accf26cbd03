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


def available_memory(proc: str = "/proc", cgroup_root: str = "/sys/fs/cgroup") -> int:
    """Bytes this process may still allocate: the tightest of the memory the system has
    available (``MemAvailable``), its cgroup's limit less its use — cgroup v2's
    ``memory.max`` and v1's ``memory.limit_in_bytes``, for this process's cgroup and each
    above it — and the process's own limits (``RLIMIT_DATA`` less its data segment,
    ``VmData``; ``RLIMIT_AS`` less its address space, ``VmSize``); the physical memory
    where nothing is known. ``proc`` and ``cgroup_root`` are where those files are."""
    limits = [free for free in (_meminfo_available(proc), *_cgroup_free(proc, cgroup_root),
                                *_rlimit_free(proc)) if free is not None]
    if not limits:
        try:
            limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
            return 2**40
    return max(0, min(limits))


# cgroup v1 says "no limit" with a huge number (PAGE_COUNTER_MAX pages): above this, none.
_NO_LIMIT = 2**60


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def _meminfo_available(proc: str) -> int | None:
    for line in (_read(f"{proc}/meminfo") or "").splitlines():
        if line.startswith("MemAvailable:"):
            with contextlib.suppress(ValueError, IndexError):
                return int(line.split()[1]) * 1024
    return None


def _cgroup_free(proc: str, root: str) -> list[int]:
    """Limit less use of every memory cgroup this process is in, from its own up to the
    root: v2 (``0::/path``: ``memory.max``, ``memory.current``) and v1 (``N:memory:/path``
    or ``N:...,memory,...:/path``: ``memory.limit_in_bytes``, ``memory.usage_in_bytes``).
    A container sees its own cgroup at the mount's root, so the root is read too."""
    free = []
    for line in (_read(f"{proc}/self/cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            base, files = root, ("memory.max", "memory.current")
            if not os.path.exists(f"{root}/cgroup.controllers"):  # hybrid: v2 elsewhere
                base = f"{root}/unified"
        elif "memory" in parts[1].split(","):
            base, files = f"{root}/memory", ("memory.limit_in_bytes", "memory.usage_in_bytes")
        else:
            continue
        path = parts[2].strip().strip("/")
        folders = {base}
        while path:
            folders.add(f"{base}/{path}")
            path = os.path.dirname(path)
        for folder in folders:
            limit, used = (_read(f"{folder}/{name}") for name in files)
            if limit is None or used is None or limit.strip() == "max":
                continue
            with contextlib.suppress(ValueError):
                if int(limit) < _NO_LIMIT:
                    free.append(int(limit) - int(used))
    return free


def _rlimit_free(proc: str) -> list[int]:
    """Each of this process's memory limits less what it counts: RLIMIT_DATA against
    the data segment (VmData), RLIMIT_AS against the address space (VmSize)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return []
    status = {}
    for line in (_read(f"{proc}/self/status") or "").splitlines():
        name, _, value = line.partition(":")
        with contextlib.suppress(ValueError, IndexError):
            status[name] = int(value.split()[0]) * 1024
    free = []
    for which, counted in ((resource.RLIMIT_DATA, "VmData"), (resource.RLIMIT_AS, "VmSize")):
        with contextlib.suppress(OSError, ValueError):
            soft = resource.getrlimit(which)[0]
            if soft != resource.RLIM_INFINITY:
                free.append(soft - status.get(counted, _resident_bytes()))
    return free


def _resident_bytes() -> int:
    """This process's resident memory, where /proc/self/status says nothing."""
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
